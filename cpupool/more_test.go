package cpupool_test

import (
	"bytes"
	"errors"
	"strings"
	"syscall"
	"testing"

	"xgo.dev/xgo/cpupool"
	"xgo.dev/xgo/xensim"
)

// TestRemoveRetries checks RMCPU's transient errnos as Xen and libxc
// produce them: a few EADDRINUSE/EAGAIN are absorbed by the retries of the
// hypervisor layer; when they persist, the cpu that Xen left "moving" is
// put back and the move is rolled back exactly.
func TestRemoveRetries(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EADDRINUSE, syscall.EAGAIN} {
		t.Run(errno.Error(), func(t *testing.T) {
			e := newEnv(t, testSpec)
			if err := e.sim.Host().FailNext(xensim.OpPoolRmCPU, errno, 3); err != nil {
				t.Fatal(err)
			}
			e.must(e.m.PlanMoveCPUs(e.ctx, "2-3", "spare"))
			if p, _ := e.m.Pool(e.ctx, "spare"); p.CPUs.String() != "2-3" {
				t.Errorf("spare has %s", p.CPUs)
			}

			e = newEnv(t, testSpec)
			before := e.layout()
			if err := e.sim.Host().FailAlways(xensim.OpPoolRmCPU, errno); err != nil {
				t.Fatal(err)
			}
			p, err := e.m.PlanMoveCPUs(e.ctx, "2-3", "spare")
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Execute(e.ctx)
			e.sim.Host().ClearFaults()
			var se *cpupool.StepError
			if !errors.As(err, &se) || !errors.Is(err, errno) {
				t.Fatalf("error %v", err)
			}
			if !strings.Contains(err.Error(), "cpu 2") || !strings.Contains(err.Error(), "even after retrying") {
				t.Errorf("message %q", err)
			}
			if after := e.layout(); after != before {
				t.Errorf("host changed:\n%s\nwant\n%s", after, before)
			}
			// The cpu is usable again: the "moving" state was repaired.
			e.must(e.m.PlanMoveCPUs(e.ctx, "2-3", "spare"))
		})
	}
}

// TestDryRunChangesNothing plans every mutating operation, prints its
// steps, and checks that the whole simulated host (hypervisor and
// XenStore) is byte for byte what it was.
func TestDryRunChangesNothing(t *testing.T) {
	e := newEnv(t, testSpec)
	e.must(e.m.PlanRemoveCPUs(e.ctx, "Pool-0", "6"))
	before, err := e.sim.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	plans := map[string]func() (executor, []cpupool.Step, error){
		"create": func() (executor, []cpupool.Step, error) {
			p, err := e.m.PlanCreate(e.ctx, cfg(t, "name=x", "cpus=6"))
			return steps(p, err)
		},
		"destroy": func() (executor, []cpupool.Step, error) {
			p, err := e.m.PlanDestroy(e.ctx, "spare")
			return steps(p, err)
		},
		"rename": func() (executor, []cpupool.Step, error) {
			p, err := e.m.PlanRename(e.ctx, "spare", "s2")
			return steps(p, err)
		},
		"cpu-add": func() (executor, []cpupool.Step, error) {
			p, err := e.m.PlanAddCPUs(e.ctx, "rt", "6")
			return steps(p, err)
		},
		"cpu-remove": func() (executor, []cpupool.Step, error) {
			p, err := e.m.PlanRemoveCPUs(e.ctx, "Pool-0", "3")
			return steps(p, err)
		},
		"cpu-move": func() (executor, []cpupool.Step, error) {
			p, err := e.m.PlanMoveCPUs(e.ctx, "3,6", "rt")
			return steps(p, err)
		},
		"migrate": func() (executor, []cpupool.Step, error) {
			p, err := e.m.PlanMigrate(e.ctx, "web", "rt")
			return steps(p, err)
		},
		"set-sched": func() (executor, []cpupool.Step, error) {
			p, err := e.m.PlanSetSched(e.ctx, "rt", "credit2", []string{"ratelimit=200"})
			return steps(p, err)
		},
	}
	for name, plan := range plans {
		_, st, err := plan()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(st) == 0 {
			t.Errorf("%s: no steps", name)
		}
		for _, s := range st {
			if s.String() == "" || s.View().Text != s.String() {
				t.Errorf("%s: step %+v prints badly", name, s.View())
			}
		}
	}
	after, err := e.sim.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("planning changed the simulated host")
	}
}

func steps[T interface {
	executor
	comparable
}](p T, err error) (executor, []cpupool.Step, error) {
	var zero T
	if err != nil || p == zero {
		return nil, nil, err
	}
	switch v := any(p).(type) {
	case *cpupool.CPUPlan:
		return v, v.Steps, nil
	case *cpupool.CreatePlan:
		return v, v.Steps, nil
	case *cpupool.PoolPlan:
		return v, v.Steps, nil
	case *cpupool.MigratePlan:
		return v, v.Steps, nil
	case *cpupool.SetSchedPlan:
		return v, v.Steps, nil
	case *cpupool.Plan:
		return v, v.Steps, nil
	}
	return nil, nil, errors.New("unknown plan type")
}

// TestPartialAdd: cpupool-cpu-add goes on past a cpu Xen refuses, as xl
// does, and then fails naming it.
func TestPartialAdd(t *testing.T) {
	e := newEnv(t, testSpec)
	e.must(e.m.PlanRemoveCPUs(e.ctx, "Pool-0", "1-3"))
	p, err := e.m.PlanAddCPUs(e.ctx, "spare", "1-3")
	if err != nil {
		t.Fatal(err)
	}
	e.hv.arm(2, syscall.ENODEV)
	res, err := p.Execute(e.ctx)
	var pe *cpupool.PartialError
	if !errors.As(err, &pe) || !errors.Is(err, cpupool.ErrPartial) || !errors.Is(err, syscall.ENODEV) {
		t.Fatalf("error %v", err)
	}
	if len(pe.Failed) != 1 || pe.Failed[0].CPU != 2 || len(res.Done) != 2 {
		t.Errorf("failed %+v, done %d", pe.Failed, len(res.Done))
	}
	if !strings.Contains(err.Error(), "cpu(s) 2 failed") || !strings.Contains(err.Error(), "cpu(s) 1,3 done") {
		t.Errorf("message %q", err)
	}
	if sp, _ := e.m.Pool(e.ctx, "spare"); sp.CPUs.String() != "1,3" {
		t.Errorf("spare has %s", sp.CPUs)
	}
}

// TestExplainErrnos checks the one-line explanation of every errno of the
// cpupool operations (xen-abi.md §6.2) that can reach a plan.
func TestExplainErrnos(t *testing.T) {
	type tc struct {
		op    string
		errno syscall.Errno
		want  string
	}
	tests := []tc{
		{"create", syscall.ENOENT, "the credit scheduler is not built into this Xen"},
		{"create", syscall.ENOSPC, "Xen allows no more cpupools"},
		{"create", syscall.EEXIST, "is already in use"},
		{"create", syscall.ENOMEM, "Xen is out of memory"},
		{"destroy", syscall.ENOENT, "cpupool 'spare' (id 2) does not exist"},
		{"destroy", syscall.EBUSY, "cpupool 'spare' still has"},
		{"addcpu", syscall.ENOENT, "cpupool 'spare' (id 2) does not exist"},
		{"addcpu", syscall.EINVAL, "cpu 6 does not exist"},
		{"addcpu", syscall.ENODEV, "a cpu it shares a scheduling unit with"},
		{"addcpu", syscall.EADDRNOTAVAIL, "cpu 6 is still being moved out of another cpupool"},
		{"rmcpu", syscall.ENOENT, "cpupool 'Pool-0' (id 0) does not exist"},
		{"rmcpu", syscall.EINVAL, "cpu 6 does not exist"},
		{"rmcpu", syscall.EADDRNOTAVAIL, "another cpu removal from cpupool 'Pool-0' is still pending"},
		{"rmcpu", syscall.EBUSY, "cpu 6 is the last cpu of cpupool 'Pool-0', which still has domains: 'Domain-0' (0), 'web' (1)"},
		{"rmcpu", syscall.EAGAIN, "cpu 6 stayed busy in Xen"},
		{"rmcpu", syscall.EADDRINUSE, "a vCPU stayed pinned to cpu 6"},
		{"movedomain", syscall.ESRCH, "domain 'web' (1) does not exist"},
		{"movedomain", syscall.EPERM, "domain 'web' (1) cannot be moved: Xen does not let a domain move itself"},
		{"movedomain", syscall.EINVAL, "domain 'web' (1) is in no cpupool"},
		{"movedomain", syscall.ENOENT, "cpupool 'rt' does not exist or has no cpus"},
		{"movedomain", syscall.EBUSY, "a vCPU of domain 'web' (1) has its affinity temporarily broken"},
	}
	for _, tt := range tests {
		t.Run(tt.op+"/"+tt.errno.Error(), func(t *testing.T) {
			e := newEnv(t, testSpec)
			var p executor
			var err error
			switch tt.op {
			case "create":
				p, err = e.m.PlanCreate(e.ctx, cfg(t, "name=n", "sched=credit"))
			case "destroy":
				p, err = e.m.PlanDestroy(e.ctx, "spare")
			case "addcpu":
				e.must(e.m.PlanRemoveCPUs(e.ctx, "Pool-0", "6"))
				p, err = e.m.PlanAddCPUs(e.ctx, "spare", "6")
			case "rmcpu":
				p, err = e.m.PlanRemoveCPUs(e.ctx, "Pool-0", "6")
			case "movedomain":
				p, err = e.m.PlanMigrate(e.ctx, "web", "rt")
			}
			if err != nil {
				t.Fatal(err)
			}
			e.hv.arm(1, tt.errno)
			_, err = p.Execute(e.ctx)
			if !errors.Is(err, tt.errno) {
				t.Fatalf("error %v does not match %v", err, tt.errno)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\nwant it to say %q", err, tt.want)
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		file, data string
		args       []string
		want       string // name|sched|cpus|items|nodes, or "error: ..."
	}{
		{"", "", []string{`name="p"`, `sched="credit"`, `cpus="2-3,^3"`}, `p|credit|2-3,^3||`},
		{"", "", []string{"name=p", "cpus=2-3", "nodes=1"}, `p||2-3||1`},
		{"/etc/xen/rt.cfg", "# a pool\nname = 'rt' ; sched=\"credit2\"\ncpus = [ \"1\",\n  \"2\", ]\n", nil, `rt|credit2||1,2|`},
		{"/etc/xen/rt.cfg", "cpus = \"4\"\n", nil, `rt.cfg||4||`},
		{"f", "nodes = [0, 1]\n", []string{"name=x"}, `x||||0,1`},
		{"f", "name = \"a\"\n", []string{`name="b"`}, `b||||`},
		{"f", "cpus = [\"1\"]\ncpus += [\"2\"]\n", []string{"name=x"}, `x|||1,2|`},
		{"f", "name = \"a\" \"b\"\n", nil, `error: f:1: config parsing error near "b": expected end of statement`},
		{"f", "name = a\n", nil, `error: f:1: config parsing error near "a": expected a quoted string, a number or a list`},
		{"f", "name = \"a\n", nil, `error: f:1: unterminated string`},
		{"f", "colour = \"red\"\n", nil, `error: f: unknown cpupool setting "colour" (want name, sched, cpus or nodes)`},
		{"", "", []string{"name"}, `error: "name" is not KEY=VALUE`},
		{"", "", []string{`name=["a"]`}, `error: name must be a single value, not a list`},
	}
	for _, tt := range tests {
		c, err := cpupool.ParseConfig(tt.file, []byte(tt.data), tt.args)
		var got string
		if err != nil {
			got = "error: " + err.Error()
			if !errors.Is(err, cpupool.ErrInvalid) {
				t.Errorf("%q %q: error %v does not match ErrInvalid", tt.data, tt.args, err)
			}
		} else {
			got = strings.Join([]string{c.ConfigName(), c.Sched, c.CPUs, strings.Join(c.CPUItems, ","), strings.Join(c.Nodes, ",")}, "|")
		}
		if got != tt.want {
			t.Errorf("ParseConfig(%q, %q, %q) = %q, want %q", tt.file, tt.data, tt.args, got, tt.want)
		}
	}
}
