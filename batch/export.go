package batch

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"

	"xgo.dev/xgo/cpupool"
	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/pcpu"
	"xgo.dev/xgo/sched"
	"xgo.dev/xgo/sound"
	"xgo.dev/xgo/yamlnode"
)

// Export writes the layout of host h as a batch file that recreates it
// on a host of the same hardware whose CPUs are all online in Pool-0 and
// whose domains all run there: offline CPUs, the other cpupools with
// their scheduler, parameters and CPUs, CPUs in no pool, Pool-0's
// parameters, the domains' pools and scheduler parameters, and the vsnd
// cards xl or xgo gave them. Values equal to what Xen gives a new pool
// or domain are left out. Domain 0 never changes pool.
func Export(ctx context.Context, h *Host) ([]byte, error) {
	m := h.pools()
	pools, err := m.Pools(ctx)
	if err != nil {
		return nil, err
	}
	doms, err := m.Domains(ctx)
	if err != nil {
		return nil, err
	}
	st, err := pcpu.ReadState(ctx, h.HV, h.XS)
	if err != nil {
		return nil, err
	}
	var steps []*yaml.Node
	add := func(op string, kvs ...any) { steps = append(steps, yamlnode.Mapping(op, yamlnode.Mapping(kvs...))) }

	var offline cpuset.Set
	for _, c := range st.CPUs {
		if !c.Online {
			offline = offline.Add(int(c.ID))
		}
	}
	if !offline.IsEmpty() {
		add("pcpu-offline", "cpus", offline.String())
	}
	poolName := func(p cpupool.Pool) string {
		if p.Named {
			return p.Name
		}
		return "Pool-" + strconv.FormatUint(uint64(p.ID), 10)
	}
	poolParams := func(p cpupool.Pool, q string) error {
		if !sched.HasPoolParams(p.Scheduler) {
			return nil
		}
		cur, err := sched.PoolParams(h.HV, sched.Pool{ID: p.ID, Name: p.Name, Scheduler: p.Scheduler}, p.Scheduler)
		if err != nil {
			return err
		}
		def := sched.DefaultPoolParams(p.Scheduler)
		kvs := []any{"cpupool", q}
		if cur.RatelimitUS != def.RatelimitUS {
			kvs = append(kvs, "ratelimit_us", int(cur.RatelimitUS))
		}
		if p.Scheduler == hypercall.SchedCredit {
			if cur.TsliceMS != def.TsliceMS {
				kvs = append(kvs, "tslice_ms", int(cur.TsliceMS))
			}
			if cur.MigrationDelayUS != def.MigrationDelayUS {
				kvs = append(kvs, "migration_delay_us", int(cur.MigrationDelayUS))
			}
		}
		if len(kvs) > 2 {
			add("sched-"+p.Scheduler.String(), kvs...)
		}
		return nil
	}
	// Pool-0 keeps its name: a renamed Pool-0 (cpupool-rename, or the
	// Pool-node0 of cpupool-numa-split) is renamed first, so the name
	// Pool-0 is free for a pool that has it now, and guest
	// configurations naming the pool find it on the rebuilt host.
	name0 := "Pool-0"
	for _, p := range pools {
		if p.ID == 0 && p.Named && p.Name != name0 {
			add("cpupool-rename", "pool", name0, "name", p.Name)
			name0 = p.Name
		}
	}
	var inPools cpuset.Set
	for _, p := range pools {
		inPools = inPools.Union(p.CPUs)
		if p.ID == 0 {
			if err := poolParams(p, name0); err != nil {
				return nil, err
			}
			continue
		}
		name := poolName(p)
		add("cpupool-create", "name", name, "sched", p.Scheduler.String())
		if !p.CPUs.IsEmpty() {
			add("cpupool-cpu-move", "cpus", p.CPUs.String(), "pool", name)
		}
		if err := poolParams(p, name); err != nil {
			return nil, err
		}
	}
	var online cpuset.Set
	for _, c := range st.CPUs {
		if c.Online {
			online = online.Add(int(c.ID))
		}
	}
	if free := online.Diff(inPools); !free.IsEmpty() {
		add("cpupool-cpu-remove", "pool", name0, "cpus", free.String())
	}
	byID := map[uint32]cpupool.Pool{}
	for _, p := range pools {
		byID[p.ID] = p
	}
	domName := func(d cpupool.Domain) string {
		if d.Named {
			return d.Name
		}
		return strconv.Itoa(int(d.ID))
	}
	for _, d := range doms {
		if d.ID != 0 && d.Pool != 0 && !d.Dying {
			add("cpupool-migrate", "domain", domName(d), "pool", poolName(byID[d.Pool]))
		}
	}
	for _, d := range doms {
		p, ok := byID[d.Pool]
		if !ok || d.Dying {
			continue
		}
		sd := d.Sched(p)
		switch p.Scheduler {
		case hypercall.SchedCredit, hypercall.SchedCredit2:
			cur, err := sched.DomainParams(h.HV, sd, p.Scheduler)
			if err != nil {
				return nil, err
			}
			kvs := []any{"domain", domName(d)}
			if cur.Weight != sched.DefaultWeight {
				kvs = append(kvs, "weight", int(cur.Weight))
			}
			if cur.Cap != 0 {
				kvs = append(kvs, "cap", int(cur.Cap))
			}
			if len(kvs) > 2 {
				add("sched-"+p.Scheduler.String(), kvs...)
			}
		case hypercall.SchedRTDS:
			ids := make([]uint32, d.MaxVCPUID+1)
			for i := range ids {
				ids[i] = uint32(i)
			}
			vp, err := sched.VCPUParams(h.HV, sd, hypercall.SchedRTDS, ids)
			if err != nil {
				return nil, err
			}
			for _, v := range vp {
				if v.PeriodUS != sched.DefaultRTDSPeriodUS || v.BudgetUS != sched.DefaultRTDSBudgetUS || !v.Extratime {
					add("sched-rtds", "domain", domName(d), "vcpuid", int(v.VCPU), "period", int(v.PeriodUS), "budget", int(v.BudgetUS), "extratime", v.Extratime)
				}
			}
		}
	}
	sm := h.sound()
	var skipped []string
	for _, d := range doms {
		if d.Dying {
			continue
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
				// changed. It is not the admin's, so it is not exported.
				skipped = append(skipped, fmt.Sprintf("vsnd device %d of %q (attached without xgo: no admin record of its card)", dev.DevID, domName(d)))
				continue
			}
			kvs := []any{"domain", domName(d)}
			if be := dev.Backend.Domain; be.ID != 0 {
				kvs = append(kvs, "backend", be.Label())
				if be.Name != "" {
					kvs[len(kvs)-1] = be.Name
				}
			}
			kvs = append(kvs, "card", cardNode(&dev.Card))
			add("vsnd-attach", kvs...)
		}
	}

	seq := &yaml.Node{Kind: yaml.SequenceNode, Content: steps}
	if len(steps) == 0 {
		seq.Style = yaml.FlowStyle
	}
	root := yamlnode.Mapping("version", Version, "steps", seq)
	var b bytes.Buffer
	b.WriteString("# xgo batch file: recreates this host's layout on a host with every\n")
	b.WriteString("# CPU online in Pool-0 and every domain there (xgo batch run FILE).\n")
	for _, s := range skipped {
		b.WriteString("# Not exported: " + s + ".\n")
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// cardNode writes a card in the form of vsnd-attach --file.
func cardNode(c *sound.Card) *yaml.Node {
	kvs := []any{}
	if c.ShortName != "" {
		kvs = append(kvs, sound.KeyShortName, c.ShortName)
	}
	if c.LongName != "" {
		kvs = append(kvs, sound.KeyLongName, c.LongName)
	}
	kvs = append(kvs, paramKVs(c.Params)...)
	var pcms []*yaml.Node
	for _, p := range c.PCMs {
		pk := []any{}
		if p.Name != "" {
			pk = append(pk, "name", p.Name)
		}
		pk = append(pk, paramKVs(p.Params)...)
		var streams []*yaml.Node
		for _, s := range p.Streams {
			sk := []any{"unique-id", s.UniqueID, "type", string(s.Type)}
			sk = append(sk, paramKVs(s.Params)...)
			streams = append(streams, yamlnode.Mapping(sk...))
		}
		pk = append(pk, "streams", &yaml.Node{Kind: yaml.SequenceNode, Content: streams})
		pcms = append(pcms, yamlnode.Mapping(pk...))
	}
	kvs = append(kvs, "pcms", &yaml.Node{Kind: yaml.SequenceNode, Content: pcms})
	return yamlnode.Mapping(kvs...)
}

func paramKVs(p sound.Params) []any {
	var kvs []any
	if len(p.SampleRates) > 0 {
		l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, r := range p.SampleRates {
			l.Content = append(l.Content, yamlnode.Value(r))
		}
		kvs = append(kvs, "sample-rates", l)
	}
	if len(p.SampleFormats) > 0 {
		l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, f := range p.SampleFormats {
			l.Content = append(l.Content, yamlnode.Scalar(f))
		}
		kvs = append(kvs, "sample-formats", l)
	}
	if p.ChannelsMin != 0 {
		kvs = append(kvs, "channels-min", p.ChannelsMin)
	}
	if p.ChannelsMax != 0 {
		kvs = append(kvs, "channels-max", p.ChannelsMax)
	}
	if p.BufferSize != 0 {
		kvs = append(kvs, "buffer-size", p.BufferSize)
	}
	return kvs
}

// CardNode writes a card in the form of vsnd-attach --file, as a batch
// file's vsnd-attach step has it (package layout writes cards so too).
func CardNode(c *sound.Card) *yaml.Node { return cardNode(c) }
