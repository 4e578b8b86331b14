package layout

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"xgo.dev/xgo/batch"
	"xgo.dev/xgo/cpupool"
	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/pcpu"
	"xgo.dev/xgo/sched"
	"xgo.dev/xgo/sound"
)

// live is the host as Diff compares it.
type live struct {
	present, online cpuset.Set
	pools           []livePool
	doms            []liveDomain
	m               *cpupool.Manager
}

type livePool struct {
	cpupool.Pool
	name   string // the name, or Pool-<id> without one
	params hypercall.PoolSchedParams
}

type liveDomain struct {
	cpupool.Domain
	name   string // the name, or the id without one
	dp     hypercall.DomainSchedParams
	vcpus  []hypercall.VCPUSchedParams // rtds
	cards  []liveCard
	others []int // devids of cards without the admin's record
}

type liveCard struct {
	devid   int
	backend string // "" for Domain-0, else its name (or id)
	card    sound.Card
}

func (l *live) pool(id uint32) *livePool {
	for i := range l.pools {
		if l.pools[i].ID == id {
			return &l.pools[i]
		}
	}
	return nil
}

// read reads the host's layout.
func read(ctx context.Context, h *batch.Host) (*live, error) {
	m := cpupool.New(h.HV, h.XS)
	l := &live{m: m}
	st, err := pcpu.ReadState(ctx, h.HV, h.XS)
	if err != nil {
		return nil, err
	}
	for _, c := range st.CPUs {
		l.present = l.present.Add(int(c.ID))
		if c.Online {
			l.online = l.online.Add(int(c.ID))
		}
	}
	pools, err := m.Pools(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range pools {
		lp := livePool{Pool: p, name: p.Name}
		if !p.Named {
			lp.name = "Pool-" + strconv.FormatUint(uint64(p.ID), 10)
		}
		if sched.HasPoolParams(p.Scheduler) {
			lp.params, err = sched.PoolParams(h.HV, sched.Pool{ID: p.ID, Name: p.Name, Scheduler: p.Scheduler}, p.Scheduler)
			if err != nil {
				return nil, err
			}
		}
		l.pools = append(l.pools, lp)
	}
	doms, err := m.Domains(ctx)
	if err != nil {
		return nil, err
	}
	sm := &sound.Manager{XS: h.XS, HV: h.HV}
	for _, d := range doms {
		if d.Dying {
			continue
		}
		ld := liveDomain{Domain: d, name: d.Name}
		if !d.Named {
			ld.name = strconv.Itoa(int(d.ID))
		}
		if p := l.pool(d.Pool); p != nil {
			sd := d.Sched(p.Pool)
			switch p.Scheduler {
			case hypercall.SchedCredit, hypercall.SchedCredit2:
				if ld.dp, err = sched.DomainParams(h.HV, sd, p.Scheduler); err != nil {
					return nil, err
				}
			case hypercall.SchedRTDS:
				ids := make([]uint32, d.MaxVCPUID+1)
				for i := range ids {
					ids[i] = uint32(i)
				}
				if ld.vcpus, err = sched.VCPUParams(h.HV, sd, hypercall.SchedRTDS, ids); err != nil {
					return nil, err
				}
			}
		}
		_, devs, err := sm.List(ctx, strconv.Itoa(int(d.ID)))
		if err != nil {
			return nil, err
		}
		for _, dev := range devs {
			if !dev.Libxl {
				continue // not a toolstack's device
			}
			if !dev.Recorded {
				// Attached by xl: the only copy of the card is the
				// frontend directory, which the guest owns and may have
				// changed. It is never compared.
				ld.others = append(ld.others, dev.DevID)
				continue
			}
			lc := liveCard{devid: dev.DevID, card: dev.Card}
			if be := dev.Backend.Domain; be.ID != 0 {
				lc.backend = be.Label()
				if be.Name != "" {
					lc.backend = be.Name
				}
			}
			ld.cards = append(ld.cards, lc)
		}
		l.doms = append(l.doms, ld)
	}
	return l, nil
}

// Read returns the layout of host h, every part of it: what Export
// writes.
func Read(ctx context.Context, h *batch.Host) (*File, error) {
	l, err := read(ctx, h)
	if err != nil {
		return nil, err
	}
	return l.file(), nil
}

func (l *live) file() *File {
	f := &File{HasPools: true, HasDomains: true}
	f.OfflineCPUs = &CPUList{Text: l.present.Diff(l.online).String()}
	for _, p := range l.pools {
		fp := &Pool{Name: p.name, Pool0: p.ID == 0, Sched: p.Scheduler.String(), CPUs: &CPUList{Text: p.CPUs.String()}}
		if sched.HasPoolParams(p.Scheduler) {
			fp.Params = &PoolParams{RatelimitUS: ptr(int64(p.params.RatelimitUS))}
			if p.Scheduler == hypercall.SchedCredit {
				fp.Params.TsliceMS = ptr(int64(p.params.TsliceMS))
				fp.Params.MigrationDelayUS = ptr(int64(p.params.MigrationDelayUS))
			}
		}
		f.Pools = append(f.Pools, fp)
	}
	for _, d := range l.doms {
		p := l.pool(d.Pool)
		if p == nil {
			continue
		}
		fd := &Domain{Name: d.name, Pool: p.name}
		switch p.Scheduler {
		case hypercall.SchedCredit, hypercall.SchedCredit2:
			fd.Weight, fd.Cap = ptr(int64(d.dp.Weight)), ptr(int64(d.dp.Cap))
		case hypercall.SchedRTDS:
			fd.RTDS = rtdsOf(d.vcpus)
		}
		if len(d.cards) > 0 {
			fd.HasVSND = true
			for _, c := range d.cards {
				card := c.card
				fd.VSND = append(fd.VSND, Card{Backend: c.backend, Card: &card})
			}
		}
		f.Domains = append(f.Domains, fd)
	}
	return f
}

// rtdsOf gives one entry for all vCPUs when they agree, else one per
// vCPU.
func rtdsOf(vs []hypercall.VCPUSchedParams) []RTDS {
	out := []RTDS{}
	same := true
	for _, v := range vs {
		if v.PeriodUS != vs[0].PeriodUS || v.BudgetUS != vs[0].BudgetUS || v.Extratime != vs[0].Extratime {
			same = false
		}
	}
	for _, v := range vs {
		r := RTDS{VCPU: int64(v.VCPU), PeriodUS: int64(v.PeriodUS), BudgetUS: int64(v.BudgetUS), Extratime: v.Extratime}
		if same {
			r.VCPU = -1
			return append(out, r)
		}
		out = append(out, r)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// Export writes the layout of host h as a layout file.
func Export(ctx context.Context, h *batch.Host) ([]byte, error) {
	l, err := read(ctx, h)
	if err != nil {
		return nil, err
	}
	header := []string{"xgo layout: this host as it is (xgo diff FILE, xgo apply FILE)."}
	for _, d := range l.doms {
		for _, id := range d.others {
			header = append(header, fmt.Sprintf("Not exported: vsnd device %d of %q (attached without xgo: no admin record of its card).", id, d.name))
		}
	}
	return Encode(l.file(), header)
}

// cardKey is what two cards are compared by: the backend and the card
// in xl's item syntax.
func cardKey(backend string, c *sound.Card) string {
	cc := *c
	cc.Backend = ""
	return backend + "\x00" + strings.Join(cc.Items(), "\x00")
}
