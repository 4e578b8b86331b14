package cpupool_test

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/xensim"
)

// TestSchedulerNotBuilt: a scheduler the build configuration leaves out
// is refused before anything changes, naming it and the built ones; when
// the configuration cannot be read nothing is refused and Xen's ENOENT
// speaks instead.
func TestSchedulerNotBuilt(t *testing.T) {
	e := newEnv(t, testSpec) // built: credit, credit2, rtds
	before, err := hypercall.ListCpupools(e.sim.Host())
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.m.PlanCreate(e.ctx, cfg(t, "name=n", "sched=null"))
	if !errors.Is(err, hypercall.ErrNotSupported) || err.Error() != "cannot create cpupool 'n': the null scheduler is not built into this Xen (it has credit, credit2, rtds)" {
		t.Errorf("create sched=null: %v", err)
	}
	_, err = e.m.PlanSetSched(e.ctx, "spare", "arinc653", nil)
	if !errors.Is(err, hypercall.ErrNotSupported) || !strings.Contains(err.Error(), "cannot switch cpupool 'spare': the arinc653 scheduler is not built") {
		t.Errorf("set-sched arinc653: %v", err)
	}
	after, err := hypercall.ListCpupools(e.sim.Host())
	if err != nil || len(after) != len(before) {
		t.Errorf("pools changed: %v -> %v (%v)", before, after, err)
	}
	// A built one plans as before.
	if _, err := e.m.PlanCreate(e.ctx, cfg(t, "name=r", "sched=rtds")); err != nil {
		t.Errorf("create sched=rtds: %v", err)
	}

	// Unknown (a Xen without hypfs): planned, and Xen refuses at create.
	e = newEnv(t, testSpec)
	if err := e.sim.Host().FailAlways(xensim.OpHypfsRead, syscall.ENOSYS); err != nil {
		t.Fatal(err)
	}
	p, err := e.m.PlanCreate(e.ctx, cfg(t, "name=n", "sched=null"))
	if err != nil {
		t.Fatalf("with the list unknown, create sched=null was refused up front: %v", err)
	}
	_, err = p.Execute(e.ctx)
	if !errors.Is(err, syscall.ENOENT) || !strings.Contains(err.Error(), "null scheduler is not built") {
		t.Errorf("execute: %v", err)
	}
}

// TestSetSchedToRTDS: a pool switches to a scheduler without pool
// parameters (rtds here; null likewise) when no parameters are given.
func TestSetSchedToRTDS(t *testing.T) {
	e := newEnv(t, testSpec) // built: credit, credit2, rtds
	e.must(e.m.PlanSetSched(e.ctx, "spare", "rtds", nil))
	p, err := e.m.Pool(e.ctx, "spare")
	if err != nil || p.Scheduler != hypercall.SchedRTDS {
		t.Fatalf("spare after set-sched rtds: %+v %v", p, err)
	}
	if _, err := e.m.PlanSetSched(e.ctx, "spare", "rtds", []string{"ratelimit=500"}); err == nil {
		t.Error("rtds with a ratelimit was not refused")
	}
}
