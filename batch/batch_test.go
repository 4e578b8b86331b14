package batch

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/xensim"
	"xgo.dev/xgo/xenstore"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// testSpec is the default simulated host with every scheduler built.
func testSpec() *xensim.Spec {
	s := xensim.DefaultSpec()
	s.Schedulers.Built = []string{"credit", "credit2", "rtds", "null"}
	return s
}

func newSim(t *testing.T) *xensim.Sim {
	t.Helper()
	s, err := xensim.New(testSpec())
	must(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func hostOf(t *testing.T, s *xensim.Sim) *Host {
	t.Helper()
	xs, err := s.XenStore()
	must(t, err)
	t.Cleanup(func() { xs.Close() })
	return &Host{HV: s.Host(), XS: xs}
}

func mustPerms(t *testing.T, p ...string) xenstore.Perms {
	t.Helper()
	ps, err := xenstore.ParsePerms(p)
	must(t, err)
	return ps
}

func snapshot(t *testing.T, s *xensim.Sim) string {
	t.Helper()
	b, err := s.Snapshot()
	must(t, err)
	return string(b)
}

const card = `
        short-name: Main
        pcms:
          - name: Analog
            streams:
              - {unique-id: "alsa<hw:0;0>", type: p}`

// acceptance is the scenario: every kind of change, then a last
// step that fails.
const acceptance = `version: 1
steps:
  - pcpu-offline: {cpus: 15}
  - cpupool-create: {name: rt, sched: credit2}
  - cpupool-cpu-move: {cpus: [12, "13-14"], pool: rt}
  - cpupool-migrate: {domain: domu1, pool: rt}
  - sched-credit2: {domain: domu1, weight: 512}
  - vsnd-attach:
      domain: domu1
      card:` + card + `
  - xenstore-write: {path: /tool/batch/mark, value: "1"}
  - cpupool-cpu-move: {cpus: 11, pool: rt}
`

func TestRunAppliesEverything(t *testing.T) {
	s := newSim(t)
	h := hostOf(t, s)
	f, err := Decode([]byte(acceptance), "a.yaml")
	must(t, err)
	cp, err := s.Copy()
	must(t, err)
	defer cp.Close()
	before := snapshot(t, s)
	rep, err := Plan(ctx(t), f, cp)
	must(t, err)
	if !rep.OK || len(rep.Steps) != 8 || rep.Steps[2].Status != StatusOK || len(rep.Steps[2].Changes) == 0 {
		t.Fatalf("plan report %+v", rep)
	}
	if snapshot(t, s) != before {
		t.Fatal("plan changed the host")
	}
	rep, err = Run(ctx(t), f, h, RunOptions{})
	must(t, err)
	for _, sr := range rep.Steps {
		if sr.Status != StatusDone {
			t.Errorf("step %d: %s", sr.Step, sr.Status)
		}
	}
	out, err := Export(ctx(t), h)
	must(t, err)
	for _, want := range []string{"pcpu-offline: {cpus: \"15\"}", "cpupool-create: {name: rt, sched: credit2}", "cpupool-cpu-move: {cpus: 11-14, pool: rt}",
		"cpupool-migrate: {domain: domu1, pool: rt}", "sched-credit2: {domain: domu1, weight: 512}", "short-name: Main"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("export lacks %q:\n%s", want, out)
		}
	}
}

// A step that fails on the host after the plan said it would not (the
// host changed in between) undoes every step before it: the simulated
// host's whole state, XenStore included, is as before.
func TestRunRollsBackOnFailure(t *testing.T) {
	s := newSim(t)
	h := hostOf(t, s)
	f, err := Decode([]byte(acceptance), "a.yaml")
	must(t, err)
	cp, err := s.Copy()
	must(t, err)
	defer cp.Close()
	_, err = Plan(ctx(t), f, cp)
	must(t, err)
	// Between plan and run someone gives CPU 11 to another pool and
	// starts a domain there: it can no longer move.
	id, err := s.Host().CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit2)
	must(t, err)
	must(t, s.Host().CpupoolRemoveCPU(0, 11))
	must(t, s.Host().CpupoolAddCPU(id, 11))
	must(t, s.Host().CpupoolMoveDomain(id, 2))
	before := snapshot(t, s)
	rep, err := Run(ctx(t), f, h, RunOptions{})
	if !errors.Is(err, ErrFailed) || errors.Is(err, ErrRollbackFailed) {
		t.Fatalf("err = %v, want ErrFailed", err)
	}
	if !strings.HasPrefix(err.Error(), "a.yaml:17:5: step 8 (cpupool-cpu-move): failed: ") {
		t.Errorf("error %q", err)
	}
	if !rep.RolledBack || rep.Steps[7].Status != StatusFailed {
		t.Errorf("report %+v", rep)
	}
	for _, sr := range rep.Steps[:7] {
		if sr.Status != StatusRolledBack {
			t.Errorf("step %d: %s", sr.Step, sr.Status)
		}
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("host not restored:\n%s", lineDiff(before, after))
	}
}

// A hypercall Xen refuses midway (an injected EBUSY) is a failure too.
func TestRunRollsBackInjectedFault(t *testing.T) {
	s := newSim(t)
	h := hostOf(t, s)
	f, err := Decode([]byte(acceptance), "a.yaml")
	must(t, err)
	before := snapshot(t, s)
	must(t, s.Host().FailAlways(xensim.OpPoolMoveDomain, syscall.EBUSY))
	_, err = Run(ctx(t), f, h, RunOptions{})
	if !errors.Is(err, ErrFailed) || !errors.Is(err, syscall.EBUSY) {
		t.Fatalf("err = %v", err)
	}
	s.Host().ClearFaults()
	if after := snapshot(t, s); after != before {
		t.Errorf("host not restored:\n%s", lineDiff(before, after))
	}
}

// When undoing fails too, the error says so and the report marks the
// step whose undo failed.
func TestRunRollbackFails(t *testing.T) {
	s := newSim(t)
	h := hostOf(t, s)
	f, err := Decode([]byte("version: 1\nsteps:\n  - cpupool-create: {name: a}\n  - sched-credit2: {domain: domu1, weight: 9}\n  - cpupool-destroy: {pool: nope}\n"), "b.yaml")
	must(t, err)
	must(t, s.Host().FailAlways(xensim.OpPoolDestroy, syscall.EBUSY))
	rep, err := Run(ctx(t), f, h, RunOptions{})
	if !errors.Is(err, ErrFailed) || !errors.Is(err, ErrRollbackFailed) || !strings.Contains(err.Error(), "rolling back failed") {
		t.Fatalf("err = %v", err)
	}
	if rep.RolledBack || rep.Steps[0].Status != StatusUndoFailed || rep.Steps[0].UndoError == "" || rep.Steps[1].Status != StatusRolledBack {
		t.Errorf("report %+v", rep.Steps)
	}
}

// The steps whose inverse is a saved XenStore tree or a CPU put back
// where it was: vsnd-detach, xenstore-rm and -write over a node,
// pcpu-offline with evacuate of a CPU of another pool, pcpu-online.
func TestRunRollsBackRestoringSteps(t *testing.T) {
	s := newSim(t)
	h := hostOf(t, s)
	setup, err := Decode([]byte(`version: 1
steps:
  - cpupool-create: {name: x, sched: credit2}
  - cpupool-cpu-move: {cpus: "10-11", pool: x}
  - cpupool-cpu-remove: {pool: Pool-0, cpus: 9}
  - pcpu-offline: {cpus: 8}
  - vsnd-attach:
      domain: domu2
      card:`+card+`
  - xenstore-write: {path: /tool/site/a, value: "1"}
  - xenstore write: {path: /tool/site/b/c, value: "2"}
`), "setup.yaml")
	must(t, err)
	_, err = Run(ctx(t), setup, h, RunOptions{})
	must(t, err)
	must(t, h.XS.SetPerms(ctx(t), "/tool/site/a", mustPerms(t, "n0", "r2")))
	f, err := Decode([]byte(`version: 1
steps:
  - vsnd-detach: {domain: domu2, devid: 0}
  - xenstore-rm: {path: /tool/site}
  - xenstore-write: {path: /local/domain/2/name, value: renamed}
  - pcpu-offline: {cpus: "9-11", evacuate: true}
  - pcpu-online: {cpus: 8}
  - cpupool-destroy: {pool: nope}
`), "undo.yaml")
	must(t, err)
	before := snapshot(t, s)
	rep, err := Run(ctx(t), f, h, RunOptions{})
	if !errors.Is(err, ErrFailed) || !rep.RolledBack {
		t.Fatalf("err = %v, report %+v", err, rep)
	}
	for _, sr := range rep.Steps[:5] {
		if sr.Status != StatusRolledBack || len(sr.Changes) == 0 {
			t.Errorf("step %d: %s %q", sr.Step, sr.Status, sr.Changes)
		}
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("host not restored:\n%s", lineDiff(before, after))
	}
}

func TestRunNoRollbackKeepsSteps(t *testing.T) {
	s := newSim(t)
	h := hostOf(t, s)
	f, err := Decode([]byte("version: 1\nsteps:\n  - cpupool-create: {name: a}\n  - cpupool-destroy: {pool: nope}\n"), "b.yaml")
	must(t, err)
	rep, err := Run(ctx(t), f, h, RunOptions{NoRollback: true})
	if !errors.Is(err, ErrFailed) || rep.Steps[0].Status != StatusDone || rep.Steps[1].Status != StatusFailed {
		t.Fatalf("err = %v, report %+v", err, rep)
	}
	if _, err := h.pools().Pool(ctx(t), "a"); err != nil {
		t.Errorf("pool a was not kept: %v", err)
	}
}

func TestRunInterrupted(t *testing.T) {
	s := newSim(t)
	h := hostOf(t, s)
	f, err := Decode([]byte(acceptance), "a.yaml")
	must(t, err)
	before := snapshot(t, s)
	c, cancel := context.WithCancel(ctx(t))
	rep, err := Run(c, f, h, RunOptions{Progress: func(sr StepReport) {
		if sr.Step == 3 {
			cancel() // Ctrl-C during step 3
		}
	}})
	if !errors.Is(err, ErrInterrupted) || !rep.Interrupted {
		t.Fatalf("err = %v", err)
	}
	if rep.Steps[2].Status != StatusRolledBack || rep.Steps[3].Status != StatusNotRun {
		t.Errorf("report %+v", rep.Steps)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("host not restored:\n%s", lineDiff(before, after))
	}
}

func TestPlanStopsAtFirstFailingStep(t *testing.T) {
	s := newSim(t)
	f, err := Decode([]byte("version: 1\nsteps:\n  - cpupool-create: {name: a, sched: credit}\n  - cpupool-cpu-move: {cpus: 0, pool: a}\n  - cpupool-destroy: {pool: a}\n"), "p.yaml")
	must(t, err)
	before := snapshot(t, s)
	cp, err := s.Copy()
	must(t, err)
	defer cp.Close()
	rep, err := Plan(ctx(t), f, cp)
	if !errors.Is(err, ErrWouldFail) || !strings.HasPrefix(err.Error(), "p.yaml:4:5: step 2 (cpupool-cpu-move): would fail: ") {
		t.Fatalf("err = %v", err)
	}
	if got := []string{rep.Steps[0].Status, rep.Steps[1].Status, rep.Steps[2].Status}; got[0] != StatusOK || got[1] != StatusWouldFail || got[2] != StatusNotChecked {
		t.Errorf("statuses %v", got)
	}
	if snapshot(t, s) != before {
		t.Error("plan changed the host")
	}
}

// export, reset, run, export again: the same file, on several layouts.
func TestExportRunRoundTrip(t *testing.T) {
	layouts := map[string]string{
		"empty":      "version: 1\nsteps: []\n",
		"acceptance": strings.Replace(acceptance, "  - cpupool-cpu-move: {cpus: 11, pool: rt}\n", "", 1),
		"rtds-null": `version: 1
steps:
  - pcpu-offline: {cpus: "14-15"}
  - cpupool-create: {name: rt, sched: rtds}
  - cpupool-cpu-move: {cpus: "8-13", pool: rt}
  - cpupool-create: {name: nl, sched: "null"}
  - cpupool-cpu-move: {cpus: [2, 3], pool: nl}
  - cpupool-migrate: {domain: domu1, pool: rt}
  - sched-rtds: {domain: domu1, period: 20000, budget: 5000, extratime: false}
  - cpupool-migrate: {domain: domu2, pool: nl}
  - cpupool-cpu-remove: {pool: Pool-0, cpus: 4}
  - sched-credit2: {ratelimit_us: 700}
  - cpupool-create: {name: cr, sched: credit, cpus: 4}
  - sched-credit: {cpupool: cr, tslice_ms: 10, migration_delay_us: 100}
`,
	}
	wants := map[string][]string{
		"empty": {"version: 1\nsteps: []\n"},
		"rtds-null": {"pcpu-offline: {cpus: 14-15}", "cpupool-create: {name: rt, sched: rtds}", "cpupool-cpu-move: {cpus: 8-13, pool: rt}",
			"cpupool-create: {name: nl, sched: \"null\"}", "cpupool-cpu-move: {cpus: 2-3, pool: nl}",
			"cpupool-migrate: {domain: domu1, pool: rt}", "cpupool-migrate: {domain: domu2, pool: nl}",
			"sched-rtds: {domain: domu1, vcpuid: 0, period: 20000, budget: 5000, extratime: false}",
			"sched-credit2: {cpupool: Pool-0, ratelimit_us: 700}", "cpupool-create: {name: cr, sched: credit}",
			"sched-credit: {cpupool: cr, tslice_ms: 10, migration_delay_us: 100}"},
	}
	for name, src := range layouts {
		t.Run(name, func(t *testing.T) {
			s := newSim(t)
			h := hostOf(t, s)
			f, err := Decode([]byte(src), name)
			must(t, err)
			_, err = Run(ctx(t), f, h, RunOptions{})
			must(t, err)
			exp1, err := Export(ctx(t), h)
			must(t, err)
			for _, want := range wants[name] {
				if !strings.Contains(string(exp1), want) {
					t.Errorf("export lacks %q:\n%s", want, exp1)
				}
			}

			fresh := newSim(t) // the same spec, booted again: everything in Pool-0
			fh := hostOf(t, fresh)
			f2, err := Decode(exp1, "export.yaml")
			if err != nil {
				t.Fatalf("export does not decode: %v\n%s", err, exp1)
			}
			cp, err := fresh.Copy()
			must(t, err)
			defer cp.Close()
			if _, err := Plan(ctx(t), f2, cp); err != nil {
				t.Fatalf("plan of the export: %v\n%s", err, exp1)
			}
			if _, err := Run(ctx(t), f2, fh, RunOptions{}); err != nil {
				t.Fatalf("run of the export: %v\n%s", err, exp1)
			}
			exp2, err := Export(ctx(t), fh)
			must(t, err)
			if !bytes.Equal(exp1, exp2) {
				t.Errorf("export differs after export+run:\n%s", lineDiff(string(exp1), string(exp2)))
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	good := "  - cpupool-create: {name: a}\n"
	for _, tc := range []struct{ src, want string }{
		{"", "f.yaml:1:1: empty file"},
		{"steps: []\n", "f.yaml:1:1: no version key"},
		{"version: 2\nsteps: []\n", "f.yaml:1:10: version \"2\": this xgo reads version 1"},
		{"version: 1\nstep: []\n", "f.yaml:2:1: unknown key \"step\""},
		{"version: 1\nsteps: {a: 1}\n", "f.yaml:2:8: steps: want a list"},
		{"version: 1\nsteps:\n" + good + "  - cpupool-creat: {name: a}\n", "f.yaml:4:5: step 2: unknown operation \"cpupool-creat\""},
		{"version: 1\nsteps:\n  - cpupool-create: {nmae: a}\n", "f.yaml:3:22: step 1 (cpupool-create): unknown argument \"nmae\" (want name, sched, cpus, nodes)"},
		{"version: 1\nsteps:\n  - cpupool-create: {sched: credit}\n", "f.yaml:3:21: step 1 (cpupool-create): missing argument \"name\""},
		{"version: 1\nsteps:\n  - cpupool-create: {name: a, sched: bfs}\n", "f.yaml:3:38: step 1 (cpupool-create): sched: "},
		{"version: 1\nsteps:\n  - cpupool-cpu-move: {cpus: \"3-x\", pool: a}\n", "f.yaml:3:30: step 1 (cpupool-cpu-move): cpus: invalid cpu list \"3-x\""},
		{"version: 1\nsteps:\n  - cpupool-cpu-move: {cpus: [1, [2]], pool: a}\n", "f.yaml:3:34: step 1 (cpupool-cpu-move): cpus: want one CPU id"},
		{"version: 1\nsteps:\n  - cpupool-destroy: {pool: [a]}\n", "f.yaml:3:29: step 1 (cpupool-destroy): pool: want a single value"},
		{"version: 1\nsteps:\n  - sched-credit2: {domain: d, weight: 0}\n", "step 1 (sched-credit2): invalid weight 0"},
		{"version: 1\nsteps:\n  - sched-credit2: {domain: d, weight: x}\n", "f.yaml:3:40: step 1 (sched-credit2): invalid weight \"x\": not a whole number"},
		// Ranges are given in the words of the sched commands, below and above.
		{"version: 1\nsteps:\n  - sched-credit2: {domain: d, weight: -5}\n", "f.yaml:3:20: step 1 (sched-credit2): invalid weight -5: must be between 1 and 65535"},
		{"version: 1\nsteps:\n  - sched-credit2: {domain: d, weight: 70000}\n", "f.yaml:3:20: step 1 (sched-credit2): invalid weight 70000: must be between 1 and 65535"},
		{"version: 1\nsteps:\n  - sched-credit2: {domain: d, cap: -1}\n", "f.yaml:3:20: step 1 (sched-credit2): invalid cap -1: must be between 0 and 65534 (0: no cap; at most 100 per vCPU of the domain)"},
		{"version: 1\nsteps:\n  - sched-credit2: {domain: d}\n", "step 1 (sched-credit2): nothing to set"},
		{"version: 1\nsteps:\n  - sched-credit2: {tslice_ms: 3}\n", "f.yaml:3:21: step 1 (sched-credit2): unknown argument \"tslice_ms\""},
		{"version: 1\nsteps:\n  - vsnd-attach: {domain: d, card: {short-name: x, pcms: [{streams: [{type: q, unique-id: u}]}]}}\n", "f.yaml:3:36: step 1 (vsnd-attach): card: "},
		{"version: 1\nsteps:\n  - xenstore-write: {path: rel/ative, value: x}\n", "step 1 (xenstore-write): path: "},
		{"version: 1\nsteps:\n  - [a]\n", "f.yaml:3:5: step 1: want one operation"},
		{"version: 1\nsteps:\n  - a: 1\n    b: 2\n", "f.yaml:3:5: step 1: want one operation"},
		{"version: 1\nsteps:\n  - cpupool-destroy: a\n", "f.yaml:3:22: step 1 (cpupool-destroy): want the arguments as a mapping"},
		{"version: 1\nsteps: [\n", "f.yaml:"},
		{"version: 1\nsteps: []\n---\nx: 1\n", "f.yaml:4:1: a second YAML document"},
	} {
		_, err := Decode([]byte(tc.src), "f.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: err = %v, want %q", tc.src, err, tc.want)
		}
	}
}

// A bad step 7 is found before anything runs: Decode fails, and so
// neither Plan nor Run get a file.
func TestBadStep7RejectedBeforeStep1(t *testing.T) {
	src := "version: 1\nsteps:\n" + strings.Repeat("  - cpupool-create: {name: a}\n", 6) + "  - cpupool-cpu-move: {cpus: 3, pool: a, force: true}\n"
	_, err := Decode([]byte(src), "b.yaml")
	var e *Error
	if !errors.As(err, &e) || e.Step != 7 || e.Line != 9 || e.Col != 42 {
		t.Fatalf("err = %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(acceptance))
	f.Add([]byte("version: 1\nsteps: []\n"))
	f.Add([]byte("version: 1\nsteps:\n  - sched-rtds: {domain: d, vcpuid: all, period: 100, budget: 50}\n"))
	f.Add([]byte("version: 1\nsteps:\n  - cpupool-set-sched: {pool: a, sched: credit, params: {tslice: 10ms}}\n"))
	f.Add([]byte("version: 1\nsteps:\n  - vsnd-detach: {domain: d, devid: 0, force: true}\n  - xenstore-rm: {path: /a}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Decode(data, "f.yaml")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Line < 1 || e.Col < 1 || !strings.HasPrefix(err.Error(), "f.yaml:") {
				t.Fatalf("error without a position: %v", err)
			}
			if file != nil {
				t.Fatal("a file and an error")
			}
			return
		}
		for _, s := range file.Steps {
			if s.op == nil || s.N < 1 || s.Line < 1 {
				t.Fatalf("step %+v", s)
			}
			_ = s.op.String()
		}
	})
}

// lineDiff shows the lines of a and b that differ.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out strings.Builder
	for i := 0; i < max(len(al), len(bl)); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out.WriteString("- " + x + "\n+ " + y + "\n")
		}
	}
	return out.String()
}

// BenchmarkRun200Moves runs 200 cpu moves as one batch on the simulated
// host (the lab compares the same batch with xl in docs/perf.md).
func BenchmarkRun200Moves(b *testing.B) {
	var src strings.Builder
	src.WriteString("version: 1\nsteps:\n  - cpupool-create: {name: a, sched: credit2}\n  - cpupool-create: {name: b, sched: credit2}\n")
	for i := range 200 {
		to := "b"
		if i%2 == 1 {
			to = "a"
		}
		src.WriteString("  - cpupool-cpu-move: {cpus: 2, pool: " + to + "}\n")
	}
	f, err := Decode([]byte(src.String()), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		s, err := xensim.New(testSpec())
		if err != nil {
			b.Fatal(err)
		}
		xs, err := s.XenStore()
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := Run(context.Background(), f, &Host{HV: s.Host(), XS: xs}, RunOptions{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		xs.Close()
		s.Close()
		b.StartTimer()
	}
}

// TestExportIgnoresTheGuestsEdits: the exported card is the admin's
// record, whatever the guest wrote into its own frontend directory
// since; a card without a record (attached by xl) is named in a comment
// and not exported, since only the guest's copy of it is left.
func TestExportIgnoresTheGuestsEdits(t *testing.T) {
	s := newSim(t)
	h := hostOf(t, s)
	f, err := Decode([]byte("version: 1\nsteps:\n  - vsnd-attach:\n      domain: domu1\n      card:"+card+"\n  - vsnd-attach:\n      domain: domu2\n      card:"+card+"\n"), "v.yaml")
	must(t, err)
	_, err = Run(ctx(t), f, h, RunOptions{})
	must(t, err)
	guest, err := s.XenStoreAs(1)
	must(t, err)
	defer guest.Close()
	fe := "/local/domain/1/device/vsnd/0"
	for k, v := range map[string]string{"short-name": "Owned", "0/0/unique-id": "wav:evil.wav", "0/1/type": "c", "0/1/unique-id": "x"} {
		must(t, guest.Write(ctx(t), fe+"/"+k, []byte(v)))
	}
	must(t, h.XS.Rm(ctx(t), "/local/domain/0/backend/vsnd/2/0/card"))
	out, err := Export(ctx(t), h)
	must(t, err)
	text := string(out)
	for _, bad := range []string{"Owned", "evil", "domain: domu2"} {
		if strings.Contains(text, bad) {
			t.Errorf("export has %q:\n%s", bad, text)
		}
	}
	for _, want := range []string{"short-name: Main", "unique-id: 'alsa<hw:0;0>'", "# Not exported: vsnd device 0 of \"domu2\" (attached without xgo: no admin record of its card).\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("export lacks %q:\n%s", want, text)
		}
	}
}

// TestPlanDoesNotWaitForADetach: on the plan's copy of the host no
// backend or frontend runs, so a vsnd-detach step of a connected card
// asks its ends to close and goes on at once; the run on the host waits
// as it must (here, with no backend running, for the step's timeout).
func TestPlanDoesNotWaitForADetach(t *testing.T) {
	s := newSim(t)
	h := hostOf(t, s)
	setup, err := Decode([]byte("version: 1\nsteps:\n  - vsnd-attach:\n      domain: domu2\n      card:"+card+"\n"), "setup.yaml")
	must(t, err)
	_, err = Run(ctx(t), setup, h, RunOptions{})
	must(t, err)
	for _, p := range []string{"/local/domain/2/device/vsnd/0/state", "/local/domain/0/backend/vsnd/2/0/state"} {
		must(t, h.XS.Write(ctx(t), p, []byte("4"))) // connected, as a backend would leave it
	}
	f, err := Decode([]byte("version: 1\nsteps:\n  - vsnd-detach: {domain: domu2, devid: 0, timeout: 3s}\n"), "d.yaml")
	must(t, err)
	cp, err := s.Copy()
	must(t, err)
	defer cp.Close()
	start := time.Now()
	rep, err := Plan(ctx(t), f, cp)
	must(t, err)
	if d := time.Since(start); d > time.Second || !rep.OK {
		t.Errorf("plan took %v (report %+v); want no wait on the copy", d, rep)
	}
	if !slices.ContainsFunc(rep.Steps[0].Changes, func(c string) bool { return strings.Contains(c, "/local/domain/0/backend/vsnd/2/0/online") }) {
		t.Errorf("the plan does not show the close request: %q", rep.Steps[0].Changes)
	}
	start = time.Now()
	_, err = Run(ctx(t), f, h, RunOptions{})
	must(t, err)
	if d := time.Since(start); d < 3*time.Second {
		t.Errorf("the run took %v: it did not wait for the ends", d)
	}
}

// TestDecodeUnclosedBracket: an unclosed [ or { is reported where it
// opens (yaml.v3 alone said the line before).
func TestDecodeUnclosedBracket(t *testing.T) {
	_, err := Decode([]byte("version: 1\nsteps:\n  - cpupool-create: {name: x\n"), "f.yaml")
	if err == nil || !strings.HasPrefix(err.Error(), `f.yaml:3:21: "{" is not closed`) {
		t.Errorf("err = %v", err)
	}
}

// livePoolNames lists the pools of h as "id:name" in id order.
func livePoolNames(t *testing.T, h *Host) []string {
	t.Helper()
	pools, err := h.pools().Pools(ctx(t))
	must(t, err)
	var out []string
	for _, p := range pools {
		out = append(out, strconv.Itoa(int(p.ID))+":"+p.Name)
	}
	return out
}

// TestExportKeepsPool0Name: a renamed Pool-0 (cpupool-rename, or the
// Pool-node0 of cpupool-numa-split) is renamed on the host rebuilt from
// the export. Comparing two exports cannot see the loss, so this
// compares the pools' live names.
func TestExportKeepsPool0Name(t *testing.T) {
	for name, src := range map[string]string{
		"rename":     "version: 1\nsteps:\n  - cpupool-rename: {pool: Pool-0, name: node0}\n  - sched-credit2: {cpupool: node0, ratelimit_us: 800}\n  - cpupool-create: {name: Pool-0, sched: credit}\n",
		"numa-split": "version: 1\nsteps:\n  - cpupool-numa-split:\n  - cpupool-cpu-remove: {pool: Pool-node0, cpus: 7}\n",
	} {
		t.Run(name, func(t *testing.T) {
			s := newSim(t)
			h := hostOf(t, s)
			f, err := Decode([]byte(src), name)
			must(t, err)
			_, err = Run(ctx(t), f, h, RunOptions{})
			must(t, err)
			exp, err := Export(ctx(t), h)
			must(t, err)
			fh := hostOf(t, newSim(t))
			f2, err := Decode(exp, "export.yaml")
			must(t, err)
			if _, err := Run(ctx(t), f2, fh, RunOptions{}); err != nil {
				t.Fatalf("run of the export: %v\n%s", err, exp)
			}
			want, got := livePoolNames(t, h), livePoolNames(t, fh)
			if strings.Join(want, " ") != strings.Join(got, " ") {
				t.Errorf("pools after export+run: %v, want %v\n%s", got, want, exp)
			}
			exp2, err := Export(ctx(t), fh)
			must(t, err)
			if !bytes.Equal(exp, exp2) {
				t.Errorf("export differs after export+run:\n%s", lineDiff(string(exp), string(exp2)))
			}
		})
	}
}
