package xensim

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"sync"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/naming"
	"xgo.dev/xgo/xenstore"
)

// This file makes simulated copies of hosts, for planning: `xgo batch
// plan` applies a batch file's steps to a copy of the host with the real
// domain code and reports what each step would change, while the host
// itself stays untouched.

// Copy returns an in-memory copy of s (no state file): the same spec,
// hypervisor state, pending faults (but those that are RunOnly) and
// XenStore tree. Changing the copy leaves s as it is.
func (s *Sim) Copy() (*Sim, error) {
	data, err := s.encode()
	if err != nil {
		return nil, err
	}
	c := &Sim{}
	if err := c.load(data); err != nil {
		return nil, err
	}
	for _, f := range c.Host().Faults() {
		if f.RunOnly {
			c.Host().ClearFaults(f.Op)
		}
	}
	return c, nil
}

// captureBuilt are the schedulers a captured host is assumed to have
// built besides those its pools use, when its build configuration cannot
// be read (BuiltSchedulers unknown: no hypfs, or built without
// CONFIG_HYPFS_CONFIG): Xen's default Kconfig builds credit and credit2,
// and nothing else lists the built ones without creating a pool.
var captureBuilt = []hypercall.Scheduler{hypercall.SchedCredit, hypercall.SchedCredit2}

// Capture returns an in-memory simulated copy of the host behind hv and
// xs: its CPUs (present, online, topology), memory, schedulers, cpupools
// with their parameters and CPUs, domains with their pools and scheduler
// parameters, and the whole XenStore tree with permissions. It only
// reads the host.
//
// What cannot be read is assumed: the built schedulers, when the
// hypervisor's build configuration is unreadable, are credit, credit2 and
// those some pool uses; when the CPU ids do not form
// sockets × cores × threads, the copy has one socket of that many cores
// (node:N lists then need the real host's topology).
func Capture(ctx context.Context, hv hypercall.Hypervisor, xs xenstore.Ops) (*Sim, error) {
	spec, st, err := captureHost(ctx, hv, xs)
	if err != nil {
		return nil, fmt.Errorf("xensim: reading the host: %w", err)
	}
	nodes, err := captureStore(ctx, xs)
	if err != nil {
		return nil, fmt.Errorf("xensim: reading XenStore: %w", err)
	}
	f := &stateFile{SchemaVersion: stateVersion, Spec: spec, Host: st, XenStore: storeState{Nodes: formatNodes(nodes), Introduced: []uint32{}}}
	for _, d := range st.Domains {
		if d.Domid != 0 {
			f.XenStore.Introduced = append(f.XenStore.Introduced, uint32(d.Domid))
		}
	}
	data, err := encodeState(f)
	if err != nil {
		return nil, fmt.Errorf("xensim: encoding the captured host: %w", err)
	}
	s := &Sim{}
	if err := s.load(data); err != nil {
		return nil, err
	}
	return s, nil
}

// captureBuild records the XENVER build strings, the sharing counts and
// the PCI devices with their nodes. A host whose dom0 lists no PCI
// devices (no sysfs) is captured without any.
func captureBuild(hv hypercall.Hypervisor, spec *Spec) error {
	b, err := hv.XenBuildInfo()
	if err != nil {
		return err
	}
	caps := truncate(b.Capabilities, 1023)
	spec.Xen.XenCaps = &caps
	spec.Xen.Changeset = truncate(b.Changeset, 63)
	spec.Xen.VirtStart = b.VirtStart
	spec.Xen.Compile = CompileSpec{Compiler: truncate(b.Compiler, 63), By: truncate(b.CompileBy, 15),
		Domain: truncate(b.CompileDomain, 31), Date: truncate(b.CompileDate, 31)}
	ms, err := hv.MemSharing()
	if err != nil {
		return err
	}
	spec.Xen.SharingFreedPages, spec.Xen.SharingSharedPages = ms.FreedPages, ms.SharedPages
	pci, err := hv.PCITopology()
	if errors.Is(err, hypercall.ErrNotSupported) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, p := range pci {
		ps := PCISpec{Device: p.Device.String(), UnknownToXen: p.Node == hypercall.InvalidDev}
		if p.HasNode() {
			n := p.Node
			ps.Node = &n
		}
		spec.PCI = append(spec.PCI, ps)
	}
	return nil
}

func captureHost(ctx context.Context, hv hypercall.Hypervisor, xs xenstore.Ops) (*Spec, hostState, error) {
	var st hostState
	ver, err := hv.XenVersion()
	if err != nil {
		return nil, st, err
	}
	pi, err := hv.Physinfo()
	if err != nil {
		return nil, st, err
	}
	def, err := hv.SchedulerID()
	if err != nil {
		return nil, st, err
	}
	spec := &Spec{
		Xen: XenSpec{
			Version:      fmt.Sprintf("%d.%d", ver.Major, ver.Minor),
			Extraversion: truncate(ver.Extra, 15),
			CommandLine:  truncate(ver.CommandLine, 1023),
			BuildID:      hex.EncodeToString(ver.BuildID),
			CPUKHz:       pi.CPUkHz,
		},
	}
	if len(ver.BuildID) > 256 {
		spec.Xen.BuildID = ""
	}
	if err := captureBuild(hv, spec); err != nil {
		return nil, st, err
	}

	// CPUs: present, online and firmware ids from XENPF_get_cpuinfo.
	var present, online cpuset.Set
	var apic, acpi []uint32
	for cpu := uint32(0); cpu <= pi.MaxCPUID; cpu++ {
		info, err := hv.PCPUInfo(cpu)
		if err != nil {
			return nil, st, err
		}
		if info.Invalid {
			continue
		}
		present = present.Add(int(cpu))
		if info.Online {
			online = online.Add(int(cpu))
		}
		apic, acpi = append(apic, info.APICID), append(acpi, info.ACPIID)
	}
	if !online.Has(0) {
		return nil, st, errors.New("CPU 0 is not online")
	}
	total := present.Max() + 1
	maxID := pi.MaxCPUID
	spec.CPUs = CPUSpec{Sockets: 1, CoresPerSocket: total, ThreadsPerCore: 1, MaxCPUID: &maxID}
	if sk, cps, tpc := shape(hv); sk*cps*tpc == total {
		spec.CPUs.Sockets, spec.CPUs.CoresPerSocket, spec.CPUs.ThreadsPerCore = sk, cps, tpc
	} else if tpc, cps := int(pi.ThreadsPerCore), int(pi.CoresPerSocket); tpc > 0 && cps > 0 && total%(tpc*cps) == 0 {
		spec.CPUs.Sockets, spec.CPUs.CoresPerSocket, spec.CPUs.ThreadsPerCore = total/(tpc*cps), cps, tpc
	}
	if present.Len() == total {
		spec.CPUs.APICIDs, spec.CPUs.ACPIIDs = apic, acpi
	} else {
		spec.CPUs.Absent = cpuset.Range(0, total-1).Diff(present).String()
	}
	if off := present.Diff(online); !off.IsEmpty() {
		spec.CPUs.Offline = off.String()
	}
	park := false
	spec.Xen.ParkOfflineCPUs = &park

	// Memory per node.
	var nodeMiB []uint64
	if numa, err := hv.NUMAInfo(); err == nil {
		for _, n := range numa {
			if n.Online && n.MemSize > 0 {
				nodeMiB = append(nodeMiB, n.MemSize>>20)
			}
		}
	}
	if len(nodeMiB) == 0 {
		nodeMiB = []uint64{max(pi.TotalBytes()>>20, 1)}
	}
	spec.CPUs.Nodes = len(nodeMiB)

	// Pools.
	pools, err := hypercall.ListCpupools(hv)
	if err != nil {
		return nil, st, err
	}
	built := map[hypercall.Scheduler]bool{def: true}
	known, err := hv.BuiltSchedulers()
	if err != nil {
		// Unknown: assume Xen's default Kconfig (see captureBuilt).
		known = captureBuilt
	}
	for _, s := range known {
		built[s] = true
	}
	poolSched := map[uint32]hypercall.Scheduler{}
	for _, p := range pools {
		built[p.Scheduler] = true
		poolSched[p.ID] = p.Scheduler
		ps := poolState{ID: p.ID, Scheduler: p.Scheduler.String(), CPUs: p.CPUs.String()}
		if params, err := hv.PoolSchedParams(p.ID, p.Scheduler); err == nil {
			switch p.Scheduler {
			case hypercall.SchedCredit:
				ps.TsliceMS, ps.RatelimitUS, ps.MigrationDelayUS = u32p(params.TsliceMS), u32p(params.RatelimitUS), u32p(params.MigrationDelayUS)
			case hypercall.SchedCredit2:
				ps.RatelimitUS = u32p(params.RatelimitUS)
			}
		}
		st.Pools = append(st.Pools, ps)
	}
	for s := range built {
		spec.Schedulers.Built = append(spec.Schedulers.Built, s.String())
	}
	sort.Strings(spec.Schedulers.Built)
	spec.Schedulers.Default = def.String()

	// Domains: all in Pool-0 in the spec; the state puts them where they are.
	doms, err := hypercall.ListDomains(hv)
	if err != nil {
		return nil, st, err
	}
	var usedMiB uint64
	names := map[string]bool{}
	for _, d := range doms {
		name := ""
		if d.Domid == 0 {
			name = "Domain-0"
			spec.Xen.GPAddrBits = d.GPAddrBits
		} else if v, err := xs.Read(ctx, naming.DomainNamePath(uint32(d.Domid))); err == nil {
			name = string(v)
		}
		if name == "" || names[name] {
			name = "domain-" + strconv.Itoa(int(d.Domid))
		}
		names[name] = true
		mem := max(d.TotPages*hypercall.PageSize>>20, 1)
		usedMiB += mem
		ds := DomainSpec{Name: name, Domid: d.Domid, VCPUs: d.MaxVCPUID + 1, MemoryMiB: mem, UUID: formatUUID(d.Handle)}
		if d.HVM() {
			ds.Type = "hvm"
		}
		spec.Domains = append(spec.Domains, ds)
		dst := domainState{Domid: d.Domid, Pool: d.Cpupool}
		switch s := poolSched[d.Cpupool]; s {
		case hypercall.SchedCredit, hypercall.SchedCredit2:
			if p, err := hv.DomainSchedParams(d.Domid, s); err == nil {
				dst.Weight, dst.Cap = p.Weight, p.Cap
			} else {
				dst.Weight = defaultWeight
			}
		case hypercall.SchedRTDS:
			vcpus := make([]uint32, d.MaxVCPUID+1)
			for i := range vcpus {
				vcpus[i] = uint32(i)
			}
			vp, err := hv.VCPUSchedParams(d.Domid, s, vcpus)
			for i := range vcpus {
				r := rtState{rtdsDefaultPeriodUS, rtdsDefaultBudgetUS, true}
				if err == nil && i < len(vp) {
					r = rtState{vp[i].PeriodUS, vp[i].BudgetUS, vp[i].Extratime}
				}
				dst.RTDS = append(dst.RTDS, r)
			}
		}
		st.Domains = append(st.Domains, dst)
	}
	if gpa := spec.Xen.GPAddrBits; gpa < 32 || gpa > 64 {
		spec.Xen.GPAddrBits = 0
	}
	var totalMiB uint64
	for _, m := range nodeMiB {
		totalMiB += m
	}
	if usedMiB > totalMiB {
		nodeMiB[len(nodeMiB)-1] += usedMiB - totalMiB
	}
	spec.Memory.NodeMiB = nodeMiB
	if _, err := spec.expand(); err != nil {
		// A topology Xen reports but the generator cannot express:
		// fall back to one socket, one node.
		spec.CPUs.Sockets, spec.CPUs.CoresPerSocket, spec.CPUs.ThreadsPerCore, spec.CPUs.Nodes = 1, total, 1, 1
		spec.CPUs.APICIDs, spec.CPUs.ACPIIDs = nil, nil
		var sum uint64
		for _, m := range nodeMiB {
			sum += m
		}
		spec.Memory.NodeMiB = []uint64{sum}
		if _, err := spec.expand(); err != nil {
			return nil, st, fmt.Errorf("describing the host: %w", err)
		}
	}
	st.SMT = true
	st.Online = online.String()
	return spec, st, nil
}

// shape counts sockets, cores per socket and threads per core from
// XEN_SYSCTL_cputopoinfo (CPUs whose ids Xen no longer reports do not
// count); 0s when it cannot be read.
func shape(hv hypercall.Hypervisor) (sockets, cores, threads int) {
	topo, err := hv.CPUTopology()
	if err != nil {
		return 0, 0, 0
	}
	type key struct{ socket, core uint32 }
	perCore := map[key]int{}
	perSocket := map[uint32]map[uint32]bool{}
	for _, t := range topo {
		if !t.Present() || t.Socket == hypercall.InvalidID {
			continue
		}
		perCore[key{t.Socket, t.Core}]++
		if perSocket[t.Socket] == nil {
			perSocket[t.Socket] = map[uint32]bool{}
		}
		perSocket[t.Socket][t.Core] = true
	}
	for _, n := range perCore {
		threads = max(threads, n)
	}
	for _, c := range perSocket {
		cores = max(cores, len(c))
	}
	return len(perSocket), cores, threads
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// captureStore reads the whole XenStore tree, parents first and children
// in directory order, with permissions. The children of a directory are
// read concurrently (a xenstore.Conn keeps many requests in flight).
func captureStore(ctx context.Context, xs xenstore.Ops) ([]storeNode, error) {
	var read func(p string) ([]storeNode, error)
	read = func(p string) ([]storeNode, error) {
		perms, err := xs.GetPerms(ctx, p)
		if errors.Is(err, xenstore.ErrNotExist) {
			return nil, nil // removed while we walked
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		val, err := xs.Read(ctx, p)
		if err != nil && !errors.Is(err, xenstore.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		kids, err := xs.Directory(ctx, p)
		if err != nil && !errors.Is(err, xenstore.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out := []storeNode{{path: p, perms: perms.Strings(), value: val}}
		sub := make([][]storeNode, len(kids))
		errs := make([]error, len(kids))
		var wg sync.WaitGroup
		for i, k := range kids {
			wg.Go(func() { sub[i], errs[i] = read(path.Join(p, k)) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		for _, s := range sub {
			out = append(out, s...)
		}
		return out, nil
	}
	return read("/")
}
