package xensim

import (
	"bytes"
	"slices"
	"syscall"
	"testing"

	"xgo.dev/xgo/hypercall"
)

// A host captured through the hypercall and XenStore interfaces (here a
// simulated one, so both sides can be compared) looks the same as the
// original: pools, CPUs, domains, parameters and every XenStore node.
func TestCaptureMatchesHost(t *testing.T) {
	for _, spec := range []*Spec{DefaultSpec(), LabSpec()} {
		s, err := New(spec)
		must(t, err)
		h := s.Host()
		id, err := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
		must(t, err)
		topo, err := h.CPUTopology()
		must(t, err)
		last := uint32(len(topo) - 1) // the last present CPU
		must(t, h.CpupoolRemoveCPU(0, last))
		must(t, h.CpupoolAddCPU(id, last))
		must(t, h.CpupoolMoveDomain(id, 1))
		must(t, h.SetPoolSchedParams(id, hypercall.PoolSchedParams{Scheduler: hypercall.SchedCredit, TsliceMS: 10, RatelimitUS: 500, MigrationDelayUS: 7}))
		must(t, h.SetDomainSchedParams(1, hypercall.DomainSchedParams{Scheduler: hypercall.SchedCredit, Weight: 77, Cap: 20}))
		must(t, h.CPUHotplug(hypercall.HotplugOffline, min(5, last-1)))
		xs, err := s.XenStore()
		must(t, err)
		must(t, xs.Write(ctx(t), "/local/pool/1/name", []byte("rt")))

		c, err := Capture(ctx(t), h, xs)
		must(t, err)
		a, b := s.Summary(), c.Summary()
		a.Path, b.Path = "", ""
		if got, want := summaryText(t, b), summaryText(t, a); got != want {
			t.Errorf("captured host differs:\n--- captured\n%s\n--- host\n%s", got, want)
		}
		for _, d := range []uint16{1} {
			p1, err1 := h.DomainSchedParams(d, hypercall.SchedCredit)
			p2, err2 := c.Host().DomainSchedParams(d, hypercall.SchedCredit)
			if err1 != nil || err2 != nil || p1 != p2 {
				t.Errorf("domain %d params: host %+v %v, copy %+v %v", d, p1, err1, p2, err2)
			}
		}
		n1, err := saveStore(s.Server())
		must(t, err)
		n2, err := saveStore(c.Server())
		must(t, err)
		if x, y := formatNodes(n1), formatNodes(n2); x != y {
			t.Errorf("XenStore trees differ:\n--- host\n%s\n--- copy\n%s", x, y)
		}
		// The copy is a copy: changing it leaves the host alone.
		must(t, c.Host().CpupoolMoveDomain(0, 1))
		if info, _ := h.DomainInfo(1); info.Cpupool != id {
			t.Errorf("changing the copy moved the host's domain")
		}
		xs.Close()
		must(t, s.Close())
		must(t, c.Close())
	}
}

func TestCopyIsIndependent(t *testing.T) {
	s, err := New(nil)
	must(t, err)
	defer s.Close()
	before, err := s.Snapshot()
	must(t, err)
	c, err := s.Copy()
	must(t, err)
	defer c.Close()
	after, err := c.Snapshot()
	must(t, err)
	if !bytes.Equal(before, after) {
		t.Fatalf("copy differs from the original")
	}
	must(t, c.Host().CPUHotplug(hypercall.HotplugOffline, 5))
	now, err := s.Snapshot()
	must(t, err)
	if !bytes.Equal(before, now) {
		t.Errorf("changing the copy changed the original")
	}
}

func summaryText(t *testing.T, s Summary) string {
	t.Helper()
	var b bytes.Buffer
	for _, p := range s.Pools {
		b.WriteString(p.Name + " " + p.Scheduler + " " + p.CPUs + "\n")
	}
	for _, d := range s.Domains {
		b.WriteString(d.Name + " ")
		b.WriteString(string(rune('0'+d.Pool)) + "\n")
	}
	b.WriteString("online " + s.CPUs.Online + " offline " + s.CPUs.Offline + " free " + s.CPUs.Free + " topo " + s.CPUs.Topology + "\n")
	b.WriteString(s.Xen + " " + s.Scheduler + "\n")
	return b.String()
}

// The copy has the schedulers the host's build config lists; when that
// is unknown (no hypfs), credit, credit2 and those the pools use.
func TestCaptureBuiltSchedulers(t *testing.T) {
	spec := LabSpec()
	spec.Schedulers.Built = []string{"credit2", "null", "rtds"}
	spec.Schedulers.Default = "credit2"
	s, err := New(spec)
	must(t, err)
	defer s.Close()
	h := s.Host()
	_, err = h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedNull)
	must(t, err)
	xs, err := s.XenStore()
	must(t, err)
	defer xs.Close()

	c, err := Capture(ctx(t), h, xs)
	must(t, err)
	if got := c.Spec().Schedulers.Built; !slices.Equal(got, []string{"credit2", "null", "rtds"}) {
		t.Errorf("built known: copy has %v", got)
	}
	c.Close()

	must(t, h.FailAlways(OpHypfsRead, syscall.ENOSYS))
	c, err = Capture(ctx(t), h, xs)
	must(t, err)
	if got := c.Spec().Schedulers.Built; !slices.Equal(got, []string{"credit", "credit2", "null"}) {
		t.Errorf("built unknown: copy has %v, want the assumed credit and credit2 plus the pools' null", got)
	}
	c.Close()
}
