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
}

func TestSpecErrorsHaveLines(t *testing.T) {
	base := string(DefaultSpecYAML())
	cases := []struct {
		name, edit, want string
		line             int
	}{
		{"unknown field", strings.Replace(base, "  sockets: 2", "  sockets: 2\n  sokets: 3", 1), "field sokets not found", 14},
		{"bad scheduler", strings.Replace(base, "default: credit2", "default: rtds", 1), "rtds is not built", 30},
		{"unknown pool", strings.Replace(base, "    memoryMiB: 1024", "    memoryMiB: 1024\n    pool: 4", 1), "no pool 4", 43},
		{"dom0 name", strings.Replace(base, "name: Domain-0", "name: dom0", 1), "named Domain-0", 33},
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

func TestSpecTopology(t *testing.T) {
	s := DefaultSpec()
	max := uint32(20)
	s.CPUs = CPUSpec{Sockets: 1, CoresPerSocket: 6, ThreadsPerCore: 2, MaxCPUID: &max, Absent: "5", Offline: "7"}
	s.Memory.NodeMiB = []uint64{65536}
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
