package scenario

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/xensim"
)

// TestLabSpec runs every scenario against a simulator whose spec is the
// lab's: what the lab runs against real Xen must pass here first.
func TestLabSpec(t *testing.T) {
	h, err := xensim.NewHost(xensim.LabSpec())
	if err != nil {
		t.Fatal(err)
	}
	RunT(t, h, SimEnv("xensim lab", h, 1))
}

// TestDefaultSpec runs them on the default 16-CPU, 2-node host.
func TestDefaultSpec(t *testing.T) {
	h, err := xensim.NewHost(xensim.DefaultSpec())
	if err != nil {
		t.Fatal(err)
	}
	RunT(t, h, SimEnv("xensim default", h, 2))
}

// TestFullSpec runs them on a host with every scheduler, no SMT... and
// an absent CPU, where the simulator-only scenarios run.
func TestFullSpec(t *testing.T) {
	for _, smt := range []bool{true, false} {
		s := xensim.DefaultSpec()
		s.Schedulers.Built = []string{"credit", "credit2", "rtds", "null", "arinc653"}
		s.Schedulers.Default = "credit"
		s.CPUs.Absent = "13"
		if !smt {
			s.CPUs.ThreadsPerCore = 1
			s.CPUs.CoresPerSocket = 8
			s.CPUs.APICIDsPerSocket = 0
		}
		h, err := xensim.NewHost(s)
		if err != nil {
			t.Fatal(err)
		}
		RunT(t, h, SimEnv("xensim full", h, 1))
	}
}

// TestCount keeps the suite at its promised size and every scenario
// documented.
func TestCount(t *testing.T) {
	all := All()
	if len(all) < 40 {
		t.Errorf("%d scenarios, want at least 40", len(all))
	}
	seen := map[string]bool{}
	for _, s := range all {
		if seen[s.Name] {
			t.Errorf("scenario %s twice", s.Name)
		}
		seen[s.Name] = true
		if s.Rule == "" || !strings.Contains(s.Source, ".c") || len(s.Steps) == 0 {
			t.Errorf("scenario %s lacks a rule, a Xen source or steps", s.Name)
		}
	}
}

// recorder is a Reporter that keeps the failures.
type recorder struct{ errs []string }

func (r *recorder) Helper()                   {}
func (r *recorder) Logf(string, ...any)       {}
func (r *recorder) Errorf(f string, a ...any) { r.errs = append(r.errs, fmt.Sprintf(f, a...)) }

// wrongErrno is a hypervisor that answers RMCPU of a non-member with the
// ENODEV of the public header comment instead of Xen's EADDRNOTAVAIL, and
// forgets to reset scheduler parameters on MOVEDOMAIN.
type wrongErrno struct{ *xensim.Host }

func (w wrongErrno) CpupoolRemoveCPU(id, cpu uint32) error {
	err := w.Host.CpupoolRemoveCPU(id, cpu)
	if errors.Is(err, EADDRNOTAVAIL) {
		return &hypercall.OpError{Op: "sysctl cpupool_op rmcpu", Err: ENODEV}
	}
	return err
}

// TestScenariosCatchDeviations proves the suite fails a hypervisor that
// deviates, reports which rule, and still restores the host.
func TestScenariosCatchDeviations(t *testing.T) {
	h, err := xensim.NewHost(xensim.LabSpec())
	if err != nil {
		t.Fatal(err)
	}
	var r recorder
	res := Run(&r, wrongErrno{h}, SimEnv("broken", h, 1))
	if res.Aborted {
		t.Fatalf("run aborted: %v", r.errs)
	}
	want := map[string]bool{"cpupool/rmcpu-not-member": true, "cpupool/interrupted-rmcpu": true}
	for _, f := range res.Failed {
		if !want[f] {
			t.Errorf("unexpected failure %s", f)
		}
		delete(want, f)
	}
	for f := range want {
		t.Errorf("%s passed against a hypervisor answering ENODEV", f)
	}
	if len(r.errs) == 0 || !strings.Contains(r.errs[0], "EADDRNOTAVAIL") || !strings.Contains(r.errs[0], "cpupool_unassign_cpu_start") {
		t.Errorf("failure report %q lacks the errno or the Xen function", r.errs)
	}
	if err := checkInvariants(h); err != nil {
		t.Error(err)
	}
	pools, _ := hypercall.ListCpupools(h)
	if len(pools) != 1 || pools[0].CPUs.Len() != 4 {
		t.Errorf("host not restored: %+v", pools)
	}
}

// TestRestoreAfterPanic checks that a scenario that panics midway still
// leaves the host as it found it.
func TestRestoreAfterPanic(t *testing.T) {
	h, err := xensim.NewHost(xensim.DefaultSpec())
	if err != nil {
		t.Fatal(err)
	}
	start, _ := takeSnapshot(h)
	s := Scenario{Name: "panics", Steps: steps(withPool("a", credit, 0), MoveDom(DomU, Named("a")), Offline(Sysctl, Spare(1)),
		SetPool(Pool0, credit2P(5000)), Expect("panic", func(*C) error { panic("boom") }))}
	var r recorder
	if out := runOne(&r, h, SimEnv("panic", h, 1), s); out != outFail {
		t.Errorf("outcome %v, errors %v", out, r.errs)
	}
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "boom") {
		t.Errorf("errors %v", r.errs)
	}
	if err := compare(h, start); err != nil {
		t.Errorf("not restored: %v", err)
	}
}

// TestStrandingNeedsSimOnly: a scenario that strands a CPU (a refused
// offline) would leave the lab host unusable, so the runner fails it
// unless it is SimOnly; either way the simulator is restored.
func TestStrandingNeedsSimOnly(t *testing.T) {
	h, err := xensim.NewHost(xensim.LabSpec())
	if err != nil {
		t.Fatal(err)
	}
	start, _ := takeSnapshot(h)
	strand := steps(withPool("a", credit, 0), Offline(Sysctl, Spare(0)).Fails(ENODEV))
	var r recorder
	if out := runOne(&r, h, SimEnv("strand", h, 1), Scenario{Name: "strands", Steps: strand}); out != outFail {
		t.Errorf("outcome %v, errors %v", out, r.errs)
	}
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "stranded cpu [3]") {
		t.Errorf("errors %v", r.errs)
	}
	r = recorder{}
	if out := runOne(&r, h, SimEnv("strand", h, 1), Scenario{Name: "strands", Steps: strand, Needs: Needs{SimOnly: "strands"}}); out != outPass {
		t.Errorf("SimOnly: outcome %v, errors %v", out, r.errs)
	}
	if err := compare(h, start); err != nil || h.StrandedCPUs().Len() != 0 {
		t.Errorf("not restored: %v, stranded %v", err, h.StrandedCPUs())
	}
}
