package sound

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/naming"
	"xgo.dev/xgo/xenstore"
)

// Store is what the vsnd operations need of a XenStore connection; a
// *xenstore.Conn is one.
type Store interface {
	xenstore.Ops
	Transact(ctx context.Context, fn func(tx *xenstore.Tx) error) error
	Watch(ctx context.Context, path, token string) (*xenstore.Watch, error)
}

var _ Store = (*xenstore.Conn)(nil)

// Manager provisions, lists and removes vsnd devices of one host.
type Manager struct {
	XS Store
	// HV, when set, is asked which domains exist (and which are dying);
	// without it the domains are those with a /local/domain/<id> node.
	HV hypercall.Hypervisor
	// Trace, when set, receives one line per step (xgo -v).
	Trace func(string)
	// TxRounds bounds how often a transaction is started again after
	// Transact gave up on EAGAIN (each round is Config.MaxTxAttempts
	// attempts). libxl retries forever; 0 means 8 rounds.
	TxRounds int
}

func (m *Manager) tracef(format string, args ...any) {
	if m.Trace != nil {
		m.Trace(fmt.Sprintf(format, args...))
	}
}

// transact runs fn in one transaction, started again as a whole while
// the commit fails with EAGAIN.
func (m *Manager) transact(ctx context.Context, fn func(tx *xenstore.Tx) error) error {
	rounds := m.TxRounds
	if rounds <= 0 {
		rounds = 8
	}
	var err error
	for range rounds {
		if err = m.XS.Transact(ctx, fn); !errors.Is(err, xenstore.ErrAgain) {
			return err
		}
		m.tracef("xenstore: transaction still conflicting after a round of attempts; starting again")
	}
	return err
}

// Domain is a domain as the vsnd commands name it.
type Domain struct {
	ID    uint32
	Name  string // "" when /local/domain/<id>/name does not exist
	Dying bool
}

// Label names the domain in messages: domain 'name' (id), or domain id.
func (d Domain) Label() string {
	if d.Name == "" {
		return fmt.Sprintf("domain %d", d.ID)
	}
	return fmt.Sprintf("domain '%s' (%d)", d.Name, d.ID)
}

// Domains returns every domain in id order with its name.
func (m *Manager) Domains(ctx context.Context) ([]Domain, error) {
	var doms []Domain
	if m.HV != nil {
		infos, err := hypercall.ListDomains(m.HV)
		if err != nil {
			return nil, fmt.Errorf("listing domains: %w", err)
		}
		for _, in := range infos {
			doms = append(doms, Domain{ID: uint32(in.Domid), Dying: in.Dying()})
		}
	} else {
		names, err := m.XS.Directory(ctx, "/local/domain")
		if err != nil && !errors.Is(err, xenstore.ErrNotExist) {
			return nil, fmt.Errorf("listing domains: %w", err)
		}
		for _, n := range names {
			if id, err := strconv.ParseUint(n, 10, 16); err == nil && canonicalUint(n) {
				doms = append(doms, Domain{ID: uint32(id)})
			}
		}
		slices.SortFunc(doms, func(a, b Domain) int { return int(a.ID) - int(b.ID) })
	}
	paths := make([]string, len(doms))
	for i, d := range doms {
		paths[i] = naming.DomainNamePath(d.ID)
	}
	vals, err := xenstore.ReadEach(ctx, m.XS, paths)
	if err != nil {
		return nil, err
	}
	for i := range doms {
		if vals[i] != nil {
			doms[i].Name = string(vals[i])
		}
	}
	return doms, nil
}

// resolveDomain finds the domain q names as xl does
// (libxl_domain_qualifier_to_domid): all digits is a domain id, anything
// else a name (the lowest id wins).
func resolveDomain(doms []Domain, q string) (Domain, error) {
	i := naming.Find(doms, q, 16, func(d Domain) uint32 { return d.ID }, func(d Domain) (string, bool) { return d.Name, d.Name != "" })
	if i >= 0 {
		return doms[i], nil
	}
	if naming.IsID(q) {
		return Domain{}, &NotFoundError{Kind: "domain", Name: q}
	}
	return Domain{}, &NotFoundError{Kind: "domain", Name: "'" + q + "'"}
}

// Domain returns the domain q names.
func (m *Manager) Domain(ctx context.Context, q string) (Domain, error) {
	doms, err := m.Domains(ctx)
	if err != nil {
		return Domain{}, err
	}
	return resolveDomain(doms, q)
}

// dirAll lists the children of paths concurrently; a missing node gives
// nil.
func dirAll(ctx context.Context, ops xenstore.Ops, paths []string) ([][]string, error) {
	out := make([][]string, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Go(func() {
			v, err := ops.Directory(ctx, p)
			switch {
			case err == nil:
				if v == nil {
					v = []string{}
				}
				out[i] = v
			case !errors.Is(err, xenstore.ErrNotExist):
				errs[i] = err
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
