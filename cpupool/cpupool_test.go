package cpupool_test

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"xgo.dev/xgo/cpupool"
	"xgo.dev/xgo/hypercall"
)

func TestPoolsAndLookup(t *testing.T) {
	e := newEnv(t, testSpec)
	pools, err := e.m.Pools(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pools {
		got = append(got, p.Name+":"+p.Scheduler.String()+":"+p.CPUs.String())
	}
	if want := "Pool-0:credit2:0-3,6 rt:credit:4-5 spare:credit2:"; strings.Join(got, " ") != want {
		t.Errorf("pools = %q, want %q", strings.Join(got, " "), want)
	}
	for q, id := range map[string]uint32{"rt": 1, "1": 1, "0": 0, "Pool-0": 0, "spare": 2} {
		p, err := e.m.Pool(e.ctx, q)
		if err != nil || p.ID != id {
			t.Errorf("Pool(%q) = %d, %v; want %d", q, p.ID, err, id)
		}
	}
	for q, want := range map[string]string{
		"nope": "unknown cpupool 'nope'", "7": "unknown cpupool '7'", "": "unknown cpupool ''",
		"rt ": "unknown cpupool 'rt ' (did you mean 'rt'?)", "pool-0": "unknown cpupool 'pool-0' (did you mean 'Pool-0'?)",
	} {
		_, err := e.m.Pool(e.ctx, q)
		if !errors.Is(err, cpupool.ErrNotFound) || err.Error() != want {
			t.Errorf("Pool(%q): %v, want %s", q, err, want)
		}
	}
	d, err := e.m.Domain(e.ctx, "db")
	if err != nil || d.ID != 2 || d.Pool != 1 {
		t.Errorf("Domain(db) = %+v, %v", d, err)
	}
	if _, err := e.m.Domain(e.ctx, "9"); !errors.Is(err, cpupool.ErrNotFound) {
		t.Errorf("Domain(9): %v", err)
	}
}

// refused checks that a plan is refused with every reason named and that
// nothing was sent to Xen or XenStore.
func refused(t *testing.T, e *testEnv, err error, wantIs error, reasons ...string) {
	t.Helper()
	if !errors.Is(err, wantIs) {
		t.Fatalf("error %v, want one matching %v", err, wantIs)
	}
	for _, r := range reasons {
		if !strings.Contains(err.Error(), r) {
			t.Errorf("error %q does not say %q", err, r)
		}
	}
	if n := e.hv.mutations(); n != 0 {
		t.Errorf("%d hypercalls were made: %q", n, e.hv.log)
	}
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name    string
		plan    func(e *testEnv) error
		is      error
		reasons []string
	}{
		{"add: cpu in another pool", func(e *testEnv) error {
			_, err := e.m.PlanAddCPUs(e.ctx, "spare", "3-4")
			return err
		}, cpupool.ErrRefused, []string{"cpu 3 is not free (it is in 'Pool-0')", "cpu 4 is not free (it is in 'rt')"}},
		{"add: offline cpu", func(e *testEnv) error {
			_, err := e.m.PlanAddCPUs(e.ctx, "spare", "7")
			return err
		}, cpupool.ErrRefused, []string{"cpu 7 is offline"}},
		{"add: absent cpu", func(e *testEnv) error {
			_, err := e.m.PlanAddCPUs(e.ctx, "spare", "12")
			return err
		}, cpupool.ErrRefused, []string{"cpu 12 does not exist"}},
		{"add: unknown pool", func(e *testEnv) error {
			_, err := e.m.PlanAddCPUs(e.ctx, "nope", "3")
			return err
		}, cpupool.ErrNotFound, []string{"unknown cpupool 'nope'"}},
		{"add: bad cpu list", func(e *testEnv) error {
			_, err := e.m.PlanAddCPUs(e.ctx, "spare", "3-x")
			return err
		}, cpupool.ErrInvalid, []string{`"x" is not a number`}},
		{"add: no such node", func(e *testEnv) error {
			_, err := e.m.PlanAddCPUs(e.ctx, "spare", "node:5")
			return err
		}, cpupool.ErrRefused, []string{"no NUMA node 5"}},
		{"remove: cpu 0 of Pool-0", func(e *testEnv) error {
			_, err := e.m.PlanRemoveCPUs(e.ctx, "Pool-0", "0-1")
			return err
		}, cpupool.ErrRefused, []string{"cpu 0 can never leave Pool-0"}},
		{"remove: cpu not in pool", func(e *testEnv) error {
			_, err := e.m.PlanRemoveCPUs(e.ctx, "rt", "3,7")
			return err
		}, cpupool.ErrRefused, []string{"cpu 3 is not in cpupool 'rt' (it is in 'Pool-0')", "cpu 7 is not in cpupool 'rt' (it is in no cpupool: offline or not present)"}},
		{"remove: last cpus of a pool with domains", func(e *testEnv) error {
			_, err := e.m.PlanRemoveCPUs(e.ctx, "rt", "4-5")
			return err
		}, cpupool.ErrRefused, []string{"cpupool 'rt' has domains ('db' (2)) and would be left without cpus"}},
		{"move: cpu 0", func(e *testEnv) error {
			_, err := e.m.PlanMoveCPUs(e.ctx, "0,2", "rt")
			return err
		}, cpupool.ErrRefused, []string{"cpu 0 can never leave Pool-0"}},
		{"move: source pool keeps a cpu", func(e *testEnv) error {
			_, err := e.m.PlanMoveCPUs(e.ctx, "4-5", "spare")
			return err
		}, cpupool.ErrRefused, []string{"cpupool 'rt' has domains ('db' (2)) and would be left without cpus"}},
		{"move: offline cpu", func(e *testEnv) error {
			_, err := e.m.PlanMoveCPUs(e.ctx, "6-7", "spare")
			return err
		}, cpupool.ErrRefused, []string{"cpu 7 is offline"}},
		{"move: unknown target", func(e *testEnv) error {
			_, err := e.m.PlanMoveCPUs(e.ctx, "6", "9")
			return err
		}, cpupool.ErrNotFound, []string{"unknown cpupool '9'"}},
		{"create: name in use", func(e *testEnv) error {
			_, err := e.m.PlanCreate(e.ctx, cfg(t, "name=rt"))
			return err
		}, cpupool.ErrRefused, []string{"already used by cpupool 1"}},
		{"create: all-digit name", func(e *testEnv) error {
			_, err := e.m.PlanCreate(e.ctx, cfg(t, "name=42"))
			return err
		}, cpupool.ErrInvalid, []string{"all digits"}},
		{"create: no name", func(e *testEnv) error {
			_, err := e.m.PlanCreate(e.ctx, cfg(t, `sched="credit"`))
			return err
		}, cpupool.ErrInvalid, []string{"missing cpupool name"}},
		{"create: unknown scheduler", func(e *testEnv) error {
			_, err := e.m.PlanCreate(e.ctx, cfg(t, "name=x", "sched=bvt"))
			return err
		}, cpupool.ErrInvalid, []string{`unknown scheduler "bvt"`}},
		{"create: cpus not free", func(e *testEnv) error {
			_, err := e.m.PlanCreate(e.ctx, cfg(t, "name=x", `cpus=["3","4"]`))
			return err
		}, cpupool.ErrRefused, []string{"cpu 3 is not free (it is in 'Pool-0')", "cpu 4 is not free (it is in 'rt')"}},
		{"create: node without free cpus", func(e *testEnv) error {
			_, err := e.m.PlanCreate(e.ctx, cfg(t, "name=x", "nodes=[1]"))
			return err
		}, cpupool.ErrRefused, []string{"no free cpu found on node(s) 1"}},
		{"destroy: Pool-0", func(e *testEnv) error {
			_, err := e.m.PlanDestroy(e.ctx, "Pool-0")
			return err
		}, cpupool.ErrRefused, []string{"Pool-0 can never be destroyed"}},
		{"destroy: pool with domains", func(e *testEnv) error {
			_, err := e.m.PlanDestroy(e.ctx, "rt")
			return err
		}, cpupool.ErrRefused, []string{"it still has domains: 'db' (2)"}},
		{"rename: name in use", func(e *testEnv) error {
			_, err := e.m.PlanRename(e.ctx, "spare", "rt")
			return err
		}, cpupool.ErrRefused, []string{"already used by cpupool 1"}},
		{"rename: all digits", func(e *testEnv) error {
			_, err := e.m.PlanRename(e.ctx, "spare", "7")
			return err
		}, cpupool.ErrInvalid, []string{"all digits"}},
		{"migrate: Domain-0", func(e *testEnv) error {
			_, err := e.m.PlanMigrate(e.ctx, "Domain-0", "rt")
			return err
		}, cpupool.ErrRefused, []string{"Domain-0 cannot be moved"}},
		{"migrate: pool without cpus", func(e *testEnv) error {
			_, err := e.m.PlanMigrate(e.ctx, "web", "spare")
			return err
		}, cpupool.ErrRefused, []string{"cpupool 'spare' has no cpus"}},
		{"migrate: unknown domain", func(e *testEnv) error {
			_, err := e.m.PlanMigrate(e.ctx, "nope", "rt")
			return err
		}, cpupool.ErrNotFound, []string{"unknown domain 'nope'"}},
		{"set-sched: Pool-0", func(e *testEnv) error {
			_, err := e.m.PlanSetSched(e.ctx, "Pool-0", "credit", nil)
			return err
		}, cpupool.ErrRefused, []string{"Pool-0 cannot change its scheduler: Domain-0 runs in it"}},
		{"set-sched: unknown scheduler", func(e *testEnv) error {
			_, err := e.m.PlanSetSched(e.ctx, "rt", "sedf", nil)
			return err
		}, cpupool.ErrInvalid, []string{`unknown scheduler "sedf"`}},
		{"set-sched: bad parameter", func(e *testEnv) error {
			_, err := e.m.PlanSetSched(e.ctx, "rt", "credit2", []string{"tslice=5"})
			return err
		}, nil, []string{"credit2: has only the ratelimit parameter"}},
		{"set-sched: ratelimit above tslice", func(e *testEnv) error {
			_, err := e.m.PlanSetSched(e.ctx, "spare", "credit", []string{"tslice=1ms", "ratelimit=2000"})
			return err
		}, nil, []string{"must not be longer than the time slice (1ms)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, testSpec)
			before := e.layout()
			err := tt.plan(e)
			if tt.is == nil {
				if err == nil {
					t.Fatal("no error")
				}
				for _, r := range tt.reasons {
					if !strings.Contains(err.Error(), r) {
						t.Errorf("error %q does not say %q", err, r)
					}
				}
			} else {
				refused(t, e, err, tt.is, tt.reasons...)
			}
			if after := e.layout(); after != before {
				t.Errorf("planning changed the host:\n%s\nwas\n%s", after, before)
			}
		})
	}
}

func cfg(t *testing.T, args ...string) *cpupool.Config {
	t.Helper()
	c, err := cpupool.ParseConfig("", nil, args)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOperations(t *testing.T) {
	e := newEnv(t, testSpec)
	// cpu-move: a free cpu and one from Pool-0 into rt.
	e.must(e.m.PlanRemoveCPUs(e.ctx, "Pool-0", "6"))
	mv, err := e.m.PlanMoveCPUs(e.ctx, "2,6", "rt")
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, s := range mv.Steps {
		steps = append(steps, s.String())
	}
	want := []string{
		"sysctl cpupool_op rmcpu pool 0 'Pool-0', cpu 2",
		"sysctl cpupool_op addcpu pool 1 'rt', cpu 2",
		"sysctl cpupool_op addcpu pool 1 'rt', cpu 6",
	}
	if strings.Join(steps, "\n") != strings.Join(want, "\n") {
		t.Errorf("cpu-move steps:\n%s\nwant\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
	e.must(mv, nil)
	p, _ := e.m.Pool(e.ctx, "rt")
	if p.CPUs.String() != "2,4-6" {
		t.Errorf("rt has cpus %s", p.CPUs)
	}
	// create with a cpu-list, migrate, rename, destroy.
	e.must(e.m.PlanRemoveCPUs(e.ctx, "rt", "6"))
	cp, err := e.m.PlanCreate(e.ctx, cfg(t, "name=batch", "sched=credit", "cpus=6"))
	if err != nil {
		t.Fatal(err)
	}
	e.must(cp, nil)
	if !cp.NewPool.Known || cp.NewPool.ID != 3 {
		t.Errorf("new pool %+v", cp.NewPool)
	}
	if uuid := readXS(t, e, "/local/pool/3/uuid"); uuid != cp.UUID || len(uuid) != 36 {
		t.Errorf("uuid %q, plan %q", uuid, cp.UUID)
	}
	e.must(e.m.PlanMigrate(e.ctx, "web", "batch"))
	if d, _ := e.m.Domain(e.ctx, "web"); d.Pool != 3 {
		t.Errorf("web in pool %d", d.Pool)
	}
	e.must(e.m.PlanRename(e.ctx, "batch", "batch2"))
	if got := readXS(t, e, "/local/pool/3/name"); got != "batch2" {
		t.Errorf("name %q", got)
	}
	e.must(e.m.PlanMigrate(e.ctx, "1", "0"))
	e.must(e.m.PlanDestroy(e.ctx, "batch2"))
	if _, err := e.m.Pool(e.ctx, "3"); !errors.Is(err, cpupool.ErrNotFound) {
		t.Errorf("pool 3 still there: %v", err)
	}
	if _, err := e.sim.Host().CpupoolInfo(3); err == nil {
		if in, _ := e.sim.Host().CpupoolInfo(3); in.ID == 3 {
			t.Error("Xen still has pool 3")
		}
	}
	free, _ := e.sim.Host().CpupoolFreeCPUs()
	if free.String() != "6" {
		t.Errorf("free cpus %s, want 6", free)
	}
}

func readXS(t *testing.T, e *testEnv, path string) string {
	t.Helper()
	v, err := e.xs.Read(e.ctx, path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(v)
}

func TestCreateEmptyAndNodes(t *testing.T) {
	e := newEnv(t, testSpec)
	cp, err := e.m.PlanCreate(e.ctx, cfg(t, "name=empty"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cp.Notes) != 1 || !strings.Contains(cp.Notes[0], "created without cpus") {
		t.Errorf("notes %q", cp.Notes)
	}
	if cp.Scheduler != hypercall.SchedCredit2 {
		t.Errorf("default scheduler %s", cp.Scheduler)
	}
	e.must(cp, nil)
	// nodes=[1]: the free cpus of node 1 (6 after removing it).
	e.must(e.m.PlanRemoveCPUs(e.ctx, "Pool-0", "6"))
	np, err := e.m.PlanCreate(e.ctx, cfg(t, "name=n1", "nodes=[1]", "sched=credit"))
	if err != nil {
		t.Fatal(err)
	}
	if np.CPUs.String() != "6" {
		t.Errorf("node 1 free cpus %s", np.CPUs)
	}
	e.must(np, nil)
}

// TestRollbackEveryStep makes each mutating hypercall and each XenStore
// transaction of cpu-move, set-sched, create, destroy and numa-split fail
// in turn, and checks that the host is then exactly as before.
func TestRollbackEveryStep(t *testing.T) {
	type planFn func(e *testEnv) (*cpupool.Plan, error)
	ops := []struct {
		name  string
		spec  string
		setup func(e *testEnv)
		plan  planFn
	}{
		{"cpu-move", testSpec, func(e *testEnv) { e.must(e.m.PlanRemoveCPUs(e.ctx, "Pool-0", "6")) },
			func(e *testEnv) (*cpupool.Plan, error) {
				p, err := e.m.PlanMoveCPUs(e.ctx, "2,3,5,6", "spare")
				if err != nil {
					return nil, err
				}
				return p.Plan, nil
			}},
		{"set-sched credit->credit2", testSpec, nil, func(e *testEnv) (*cpupool.Plan, error) {
			p, err := e.m.PlanSetSched(e.ctx, "rt", "credit2", []string{"ratelimit=500"})
			if err != nil {
				return nil, err
			}
			return p.Plan, nil
		}},
		{"set-sched one cpu, borrowing from Pool-0", testSpec, func(e *testEnv) {
			e.must(e.m.PlanRemoveCPUs(e.ctx, "rt", "5"))
			e.must(e.m.PlanAddCPUs(e.ctx, "Pool-0", "5"))
		}, func(e *testEnv) (*cpupool.Plan, error) {
			p, err := e.m.PlanSetSched(e.ctx, "rt", "credit2", nil)
			if err != nil {
				return nil, err
			}
			return p.Plan, nil
		}},
		{"set-sched one cpu, borrowing a free cpu", testSpec, func(e *testEnv) {
			e.must(e.m.PlanRemoveCPUs(e.ctx, "rt", "5"))
		}, func(e *testEnv) (*cpupool.Plan, error) {
			p, err := e.m.PlanSetSched(e.ctx, "rt", "credit2", nil)
			if err != nil {
				return nil, err
			}
			return p.Plan, nil
		}},
		{"create", testSpec, func(e *testEnv) { e.must(e.m.PlanRemoveCPUs(e.ctx, "Pool-0", "2-3")) },
			func(e *testEnv) (*cpupool.Plan, error) {
				p, err := e.m.PlanCreate(e.ctx, cfg(e.t, "name=new", "cpus=2-3", "sched=credit"))
				if err != nil {
					return nil, err
				}
				return p.Plan, nil
			}},
		{"destroy", testSpec, func(e *testEnv) {
			e.must(e.m.PlanMoveCPUs(e.ctx, "2-3", "spare"))
			e.must(e.m.PlanSetSched(e.ctx, "spare", "credit", []string{"tslice=7"}))
		}, func(e *testEnv) (*cpupool.Plan, error) {
			p, err := e.m.PlanDestroy(e.ctx, "spare")
			if err != nil {
				return nil, err
			}
			return p.Plan, nil
		}},
		{"numa-split", `
xen: {version: "4.17", extraversion: ".5"}
cpus: {sockets: 2, coresPerSocket: 2, threadsPerCore: 1, nodes: 2}
memory: {nodeMiB: [1024, 1024]}
schedulers: {built: [credit, credit2], default: credit}
domains:
  - {name: Domain-0, domid: 0, vcpus: 2, memoryMiB: 512}
`, nil, func(e *testEnv) (*cpupool.Plan, error) { return e.m.PlanNumaSplit(e.ctx) }},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			// A clean run gives the number of steps to break.
			e := newEnv(t, op.spec)
			if op.setup != nil {
				op.setup(e)
			}
			before := e.layout()
			e.hv.arm(0, 0)
			e.xs.arm(0)
			e.must(op.plan(e))
			calls, txs := e.hv.mutations(), e.xs.transactions()
			changed := e.layout()
			if changed == before {
				t.Fatal("the operation changed nothing")
			}
			for i := 1; i <= calls+txs; i++ {
				e := newEnv(t, op.spec)
				if op.setup != nil {
					op.setup(e)
				}
				p, err := op.plan(e)
				if err != nil {
					t.Fatal(err)
				}
				if i <= calls {
					e.hv.arm(i, syscall.EBUSY)
					e.xs.arm(0)
				} else {
					e.hv.arm(0, 0)
					e.xs.arm(i - calls)
				}
				_, err = p.Execute(e.ctx)
				var se *cpupool.StepError
				if !errors.As(err, &se) {
					t.Fatalf("failure %d: error %v, want a *StepError", i, err)
				}
				if len(se.RollbackErrs) > 0 {
					t.Errorf("failure %d: rollback failed: %v", i, err)
				}
				if after := e.layout(); after != before {
					t.Errorf("failure %d (%v) left the host changed:\n%s\nwant\n%s", i, err, after, before)
				}
			}
			t.Logf("%s: %d hypercalls and %d transactions, each failed once", op.name, calls, txs)
		})
	}
}
