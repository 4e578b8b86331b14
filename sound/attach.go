package sound

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"xgo.dev/xgo/xenstore"
)

// AttachRequest asks for a new vsnd device.
type AttachRequest struct {
	Domain  string // the frontend domain: a name or an id
	Backend string // the backend domain; "" means Card.Backend, else dom0
	Card    *Card
	DryRun  bool // find the device id and the writes, write nothing
}

// Attachment is a device that was written (or, in a dry run, would be).
type Attachment struct {
	Frontend, Backend Domain
	DevID             int
	FrontendPath      string
	BackendPath       string
	LibxlPath         string
	Changes           []Change // the XenStore operations, in order
	// Created are the directories above the device that the transaction
	// created (deepest first); Undo removes them again if still empty.
	Created []string
	// Attempts is how many times the transaction ran (1 without a
	// conflict).
	Attempts int
}

var errDryRun = errors.New("dry run")

// Attach validates the request as a whole, then writes the device in
// one transaction, run again as a whole while xenstored reports a
// conflict: the backend directory, the frontend directory with the card,
// and libxl's record, so that xl sees the device too. The device id is
// the lowest that none of the three directories uses. If anything fails
// nothing is written.
func (m *Manager) Attach(ctx context.Context, req AttachRequest) (*Attachment, error) {
	if req.Card == nil {
		return nil, &SpecError{Item: cardItem, Msg: "no card given"}
	}
	if err := req.Card.Validate(); err != nil {
		return nil, err
	}
	beName := req.Backend
	if req.Card.Backend != "" {
		if beName != "" && beName != req.Card.Backend {
			return nil, &SpecError{Item: req.Card.where(cardItem, "backend"), Key: "backend", Msg: fmt.Sprintf("%q conflicts with --backend %q", req.Card.Backend, beName)}
		}
		beName = req.Card.Backend
	}
	if beName == "" {
		beName = "0"
	}
	doms, err := m.Domains(ctx)
	if err != nil {
		return nil, err
	}
	fe, err := resolveDomain(doms, req.Domain)
	if err != nil {
		return nil, err
	}
	be, err := resolveDomain(doms, beName)
	if err != nil {
		return nil, fmt.Errorf("backend: %w", err)
	}
	for _, d := range []Domain{fe, be} {
		if d.Dying {
			return nil, fmt.Errorf("%s is dying", d.Label())
		}
	}

	a := &Attachment{Frontend: fe, Backend: be}
	err = m.transact(ctx, func(tx *xenstore.Tx) error {
		a.Attempts++
		devid, created, err := freeDevID(ctx, tx, fe.ID, be.ID)
		if err != nil {
			return err
		}
		a.DevID, a.Created = devid, created
		a.FrontendPath, a.BackendPath, a.LibxlPath = FrontendPath(fe.ID, devid), BackendPath(be.ID, fe.ID, devid), LibxlPath(fe.ID, devid)
		a.Changes = provision(req.Card, fe.ID, be.ID, devid)
		// An error a frontend reported about an earlier device with this
		// id (Linux writes one when it frees its channels, even after
		// its nodes are gone) would be taken for this one's.
		if _, err := tx.Read(ctx, ErrorPath(fe.ID, devid)); err == nil {
			a.Changes = append([]Change{{Op: "rm", Path: ErrorPath(fe.ID, devid)}}, a.Changes...)
		} else if !errors.Is(err, xenstore.ErrNotExist) {
			return err
		}
		if req.DryRun {
			return errDryRun
		}
		return apply(ctx, tx, a.Changes)
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return nil, fmt.Errorf("writing vsnd device of %s: %w", fe.Label(), err)
	}
	m.tracef("vsnd: device %d of %s: %d XenStore writes in one transaction (%d attempt(s))", a.DevID, fe.Label(), len(a.Changes), a.Attempts)
	return a, nil
}

// parentChains are, for each of the three directories whose children are
// device ids, that directory and the ones above it that a write below
// would create if missing, deepest first. The domains' own homes
// (/local/domain/<id>) and /libxl are never created by a device.
func parentChains(fe, be uint32) [][]string {
	dirs := kindDirs(fe, be)
	return [][]string{
		{dirs[0], fmt.Sprintf("/libxl/%d/device", fe), fmt.Sprintf("/libxl/%d", fe)},
		{dirs[1], fmt.Sprintf("/local/domain/%d/device", fe)},
		{dirs[2], fmt.Sprintf("/local/domain/%d/backend/%s", be, Kind), fmt.Sprintf("/local/domain/%d/backend", be)},
	}
}

// freeDevID reads the three directories whose children are device ids
// and returns the lowest id none of them uses, and the directories above
// the device that do not exist yet (the writes create them), deepest
// first.
func freeDevID(ctx context.Context, ops xenstore.Ops, fe, be uint32) (int, []string, error) {
	chains := parentChains(fe, be)
	var all []string
	for _, c := range chains {
		all = append(all, c...)
	}
	lists, err := dirAll(ctx, ops, all)
	if err != nil {
		return 0, nil, err
	}
	used := map[int]bool{}
	var created []string
	i := 0
	for _, c := range chains {
		for j := range c {
			l := lists[i+j]
			if j == 0 {
				for _, n := range l {
					if id, err := strconv.Atoi(n); err == nil && id >= 0 {
						used[id] = true
					}
				}
			}
			if l != nil {
				break // this one exists, and so do those above it
			}
			created = append(created, c[j])
		}
		i += len(c)
	}
	devid := 0
	for used[devid] {
		devid++
	}
	return devid, created, nil
}

// Undo removes a device Attach wrote, in one transaction: its three
// directories and the directories above them that Attach created, if
// nothing else was put in them since.
func (m *Manager) Undo(ctx context.Context, a *Attachment) error {
	return m.transact(ctx, func(tx *xenstore.Tx) error {
		for _, p := range []string{a.FrontendPath, a.BackendPath, a.LibxlPath} {
			if err := rmQuiet(ctx, tx, p); err != nil {
				return err
			}
		}
		for _, p := range a.Created {
			if err := rmIfEmpty(ctx, tx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// rmQuiet removes path; a missing parent does not matter.
func rmQuiet(ctx context.Context, ops xenstore.Ops, path string) error {
	if err := ops.Rm(ctx, path); err != nil && !errors.Is(err, xenstore.ErrNotExist) {
		return err
	}
	return nil
}

// rmIfEmpty removes path if it exists with an empty value and no
// children; it reports whether it did.
func rmIfEmpty(ctx context.Context, ops xenstore.Ops, path string) error {
	_, err := removeIfEmpty(ctx, ops, path)
	return err
}

func removeIfEmpty(ctx context.Context, ops xenstore.Ops, path string) (bool, error) {
	v, err := ops.Read(ctx, path)
	if errors.Is(err, xenstore.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	kids, err := ops.Directory(ctx, path)
	if err != nil {
		return false, err
	}
	if len(v) != 0 || len(kids) != 0 {
		return false, nil
	}
	return true, rmQuiet(ctx, ops, path)
}
