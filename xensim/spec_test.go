package xensim

import (
	"errors"
	"strings"
	"testing"

	"xgo.dev/xgo/hypercall"
)

func TestBuiltinSpecs(t *testing.T) {
	for name, s := range map[string]*Spec{"default": DefaultSpec(), "lab": LabSpec()} {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	h, err := NewHost(DefaultSpec())
	if err != nil {
		t.Fatal(err)
	}
	pi, _ := h.Physinfo()
	if pi.NrCPUs != 16 || pi.ThreadsPerCore != 2 || pi.CoresPerSocket != 4 || pi.NrNodes != 2 || pi.MaxCPUID != 31 {
		t.Errorf("default physinfo = %+v", pi)
	}
	if id, _ := h.SchedulerID(); id != hypercall.SchedCredit2 {
		t.Errorf("default scheduler = %v", id)
	}
	doms, _ := hypercall.ListDomains(h)
	if len(doms) != 3 || doms[1].Cpupool != 0 || doms[2].OnlineVCPUs < 2 {
		t.Errorf("default domains = %+v", doms)
	}
	v, _ := h.XenVersion()
	if v.Major != 4 || v.Minor != 17 || v.Extra == "" || len(v.BuildID) != 20 {
		t.Errorf("version = %+v", v)
	}
	lab, err := NewHost(LabSpec())
	if err != nil {
		t.Fatal(err)
	}
	if pi, _ := lab.Physinfo(); pi.HWCap[0] != 0x1fcbf3fd || pi.HWCap[7] != 0 || pi.TotalPages>>8 != 2047 {
		t.Errorf("lab physinfo = %+v", pi)
	}
}

func TestSpecErrorsHaveLines(t *testing.T) {
	base := string(DefaultSpecYAML())
	cases := []struct {
		name, edit, want string
		line             int
	}{
		{"unknown field", strings.Replace(base, "  sockets: 2", "  sockets: 2\n  sokets: 3", 1), "field sokets not found", 19},
		{"bad scheduler", strings.Replace(base, "default: credit2", "default: rtds", 1), "rtds is not built", 35},
		{"unknown pool", strings.Replace(base, "    memoryMiB: 1024", "    memoryMiB: 1024\n    pool: 4", 1), "no pool 4", 48},
		{"dom0 name", strings.Replace(base, "name: Domain-0", "name: dom0", 1), "named Domain-0", 38},
		{"hw caps", strings.Replace(base, "  extraversion:", "  hwCaps: \"1:2:x:4:5:6:7:8\"\n  extraversion:", 1), "word 3 (\"x\") is not a 32-bit hex number", 0},
		{"syntax", base + "\n  - [", "", 0},
	}
	for _, c := range cases {
		_, err := ParseSpec([]byte(c.edit), "x.yaml")
		var se *SpecError
		if !errors.As(err, &se) {
			t.Errorf("%s: err = %v, want a *SpecError", c.name, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
		if c.line != 0 && se.Line != c.line {
			t.Errorf("%s: line %d, want %d (%v)", c.name, se.Line, c.line, err)
		}
		if se.Line == 0 {
			t.Errorf("%s: no line in %v", c.name, err)
		}
	}
}

func TestSpecEmpty(t *testing.T) {
	if _, err := ParseSpec(nil, "e.yaml"); err == nil || err.Error() != "e.yaml: empty spec" {
		t.Errorf("empty spec: %v", err)
	}
}

func TestSpecTopology(t *testing.T) {
	s := DefaultSpec()
	max := uint32(20)
	s.CPUs = CPUSpec{Sockets: 1, CoresPerSocket: 6, ThreadsPerCore: 2, MaxCPUID: &max, Absent: "5", Offline: "7"}
	s.Memory.NodeMiB = []uint64{65536}
	s.PCI = nil // they are on nodes 0 and 1
	h, err := NewHost(s)
	if err != nil {
		t.Fatal(err)
	}
	cpus, _ := hypercall.ListPCPUs(h)
	if len(cpus) != 12 || cpus[0].MaxPresent != 11 {
		t.Fatalf("cpus = %+v", cpus)
	}
	// 6 cores need 3 core bits and 1 thread bit: APIC ids 0,1,2,3,... of
	// core c, thread t are c<<1|t.
	if cpus[10].APICID != 10 || !cpus[5].Invalid || cpus[7].Online || !cpus[6].Online {
		t.Errorf("cpus = %+v", cpus)
	}
	topo, _ := h.CPUTopology()
	if len(topo) != 12 || topo[5].Present() || topo[11].Core != 5 || topo[11].Socket != 0 {
		t.Errorf("topology = %+v", topo)
	}
	pi, _ := h.Physinfo()
	if pi.NrCPUs != 10 || pi.MaxCPUID != 20 {
		t.Errorf("physinfo = %+v", pi)
	}
}

func TestSpecValidation(t *testing.T) {
	cases := []struct {
		name string
		edit func(s *Spec)
		want string
	}{
		{"pool takes cpu 0", func(s *Spec) { s.Pools = []PoolSpec{{ID: 1, CPUs: "0-1"}} }, "CPU 0 never leaves Pool-0"},
		{"pool takes an offline cpu", func(s *Spec) { s.CPUs.Offline = "3"; s.Pools = []PoolSpec{{ID: 1, CPUs: "3"}} }, "not online"},
		{"cpus in two pools", func(s *Spec) { s.Pools = []PoolSpec{{ID: 1, CPUs: "4-5"}, {ID: 2, CPUs: "5"}} }, "in another pool"},
		{"unbuilt pool scheduler", func(s *Spec) { s.Pools = []PoolSpec{{ID: 1, Scheduler: "null"}} }, "null is not built"},
		{"domain in an empty pool", func(s *Spec) { s.Pools = []PoolSpec{{ID: 1}}; s.Domains[1].Pool = 1 }, "ENODEV"},
		{"dom0 elsewhere", func(s *Spec) { s.Pools = []PoolSpec{{ID: 1, CPUs: "8"}}; s.Domains[0].Pool = 1 }, "Domain-0 lives in Pool-0"},
		{"no dom0", func(s *Spec) { s.Domains = s.Domains[1:] }, "must be listed"},
		{"duplicate domid", func(s *Spec) { s.Domains[2].Domid = 1 }, "listed twice"},
		{"too much memory", func(s *Spec) { s.Domains[1].MemoryMiB = 70000 }, "the host has 65536 MiB"},
		{"memory per node", func(s *Spec) { s.Memory.NodeMiB = []uint64{1024} }, "1 entries for 2 NUMA nodes"},
		{"maxCPUID below the cpus", func(s *Spec) { m := uint32(7); s.CPUs.MaxCPUID = &m }, "between 15"},
		{"absent cpu 0", func(s *Spec) { s.CPUs.Absent = "0" }, "must be present"},
		{"uneven nodes", func(s *Spec) { s.CPUs.Nodes = 3; s.Memory.NodeMiB = []uint64{1, 2, 3} }, "do not split"},
		{"credit2 cap", func(s *Spec) { c := uint16(300); s.Domains[1].Cap = &c }, "100 × vCPUs = 200"},
		{"bad credit params", func(s *Spec) {
			v := uint32(0)
			s.Pools = []PoolSpec{{ID: 1, Scheduler: "credit", Params: &PoolParams{TsliceMS: &v}}}
		}, "out of range"},
		{"duplicate apic ids", func(s *Spec) { s.CPUs.APICIDsPerSocket = 0; s.CPUs.APICIDs = make([]uint32, 16) }, "same APIC id"},
		{"bad capability", func(s *Spec) { s.Xen.Capabilities = []string{"warp"} }, "unknown capability"},
		{"long compile_by", func(s *Spec) { s.Xen.Compile.By = "0123456789abcdef" }, "xen.compile.by: at most 15 bytes"},
		{"bad pci device", func(s *Spec) { s.PCI[0].Device = "0000:00:00" }, "pci[0].device: want SSSS:BB:DD.F"},
		{"upper-case pci device", func(s *Spec) { s.PCI[0].Device = "0000:AF:00.0" }, "pci[0].device"},
		{"pci device twice", func(s *Spec) { s.PCI[1].Device = s.PCI[0].Device }, "listed twice"},
		{"pci node", func(s *Spec) { n := uint32(2); s.PCI[0].Node = &n }, "pci[0].node: node 2 does not exist"},
		{"pci unknown with node", func(s *Spec) { s.PCI[0].UnknownToXen = true }, "unknown to Xen has no node"},
	}
	for _, c := range cases {
		s := DefaultSpec()
		c.edit(s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func TestSpecNodesSplitSockets(t *testing.T) {
	s := DefaultSpec()
	s.CPUs = CPUSpec{Sockets: 1, CoresPerSocket: 8, ThreadsPerCore: 1, Nodes: 2}
	h := testHost(t, s)
	topo, _ := h.CPUTopology()
	if topo[3].Node != 0 || topo[4].Node != 1 || topo[7].Socket != 0 {
		t.Errorf("topology %+v", topo)
	}
	numa, _ := h.NUMAInfo()
	if len(numa) != 2 || numa[0].Distances[1] != 20 || numa[1].MemSize != 32768<<20 || numa[1].MemFree >= numa[1].MemSize {
		t.Errorf("numa %+v", numa)
	}
}

// A bare null in schedulers.built is the null scheduler, not a YAML null
// that yaml.v3 would drop from the list; other empty entries are errors.
func TestSpecBuiltNullScheduler(t *testing.T) {
	base := string(DefaultSpecYAML())
	if !strings.Contains(base, "built: [credit, credit2]") {
		t.Fatal("the default spec no longer lists its schedulers as the test expects")
	}
	s, err := ParseSpec([]byte(strings.Replace(base, "built: [credit, credit2]", "built: [credit, credit2, null]", 1)), "n.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Schedulers.Built, ","); got != "credit,credit2,null" {
		t.Errorf("built = %s, want credit,credit2,null", got)
	}
	if _, err := ParseSpec([]byte(strings.Replace(base, "built: [credit, credit2]", "built: [credit, credit2, ~]", 1)), "n.yaml"); err == nil {
		t.Error("an entry ~ was accepted")
	}
}
