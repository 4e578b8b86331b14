package layout

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"xgo.dev/xgo/batch"
	"xgo.dev/xgo/xensim"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newSim(t *testing.T) *xensim.Sim {
	t.Helper()
	s := xensim.DefaultSpec()
	s.Schedulers.Built = []string{"credit", "credit2", "rtds", "null"}
	sim, err := xensim.New(s)
	must(t, err)
	t.Cleanup(func() { sim.Close() })
	return sim
}

func hostOf(t *testing.T, s *xensim.Sim) *batch.Host {
	t.Helper()
	xs, err := s.XenStore()
	must(t, err)
	t.Cleanup(func() { xs.Close() })
	return &batch.Host{HV: s.Host(), XS: xs}
}

// apply diffs h against f and applies the steps; it returns the plan.
func apply(t *testing.T, s *xensim.Sim, h *batch.Host, f *File, opts Options) *Plan {
	t.Helper()
	p, err := Diff(ctx(t), h, f, opts)
	must(t, err)
	cp, err := s.Copy()
	must(t, err)
	defer cp.Close()
	r := NewReport(p, "apply")
	if err := Apply(ctx(t), p, h, cp, batch.RunOptions{}, r); err != nil {
		b, _, _ := p.Batch()
		t.Fatalf("apply: %v\n%s", err, b)
	}
	return p
}

func decode(t *testing.T, src string) *File {
	t.Helper()
	f, err := Decode([]byte(src), "host.yaml")
	must(t, err)
	return f
}

func TestDecodeErrors(t *testing.T) {
	for src, want := range map[string]string{
		"":                       "host.yaml:1:1: empty file",
		"version: 2\n":           "host.yaml:1:10: version \"2\": this xgo reads version 1",
		"pools: []\n":            "host.yaml:1:1: no version key",
		"version: 1\nbogus: 1\n": "host.yaml:2:1: layout: unknown key \"bogus\" (want version, offline-cpus, pools, domains)",
		"version: 1\npools:\n  - {name: rt, shed: credit}\n":                           "host.yaml:3:16: pool 1: unknown key \"shed\"",
		"version: 1\npools:\n  - {name: rt, sched: bogus}\n":                           "host.yaml:3:23: pool 1: sched:",
		"version: 1\npools:\n  - {name: rt, id: 1}\n":                                  "host.yaml:3:20: pool 1: id: only 0 (Pool-0) may be given",
		"version: 1\npools:\n  - {name: rt, cpus: \"2-\"}\n":                           "host.yaml:3:22: pool 1: cpus:",
		"version: 1\npools:\n  - {name: rt}\n  - {name: rt}\n":                         "host.yaml:4:5: pool \"rt\" listed twice",
		"version: 1\npools:\n  - {name: rt, sched: credit2, params: {tslice_ms: 5}}\n": "host.yaml:3:40: pool 1: params:",
		"version: 1\ndomains:\n  - {name: d, weight: 0}\n":                             "host.yaml:3:23: domain 1: weight: want a whole number from 1 to 65535",
		"version: 1\ndomains:\n  - {name: d, rtds: [{period: 10, budget: 20}]}\n":      "host.yaml:3:22: domain 1: rtds 1: budget: must not be longer",
		"version: 1\ndomains:\n  - {name: d, vsnd: [{card: {pcms: []}}]}\n":            "host.yaml:3:29: domain 1: vsnd 1: card:",
		"version: 1\noffline-cpus: 3\n---\nversion: 1\n":                               "a second YAML document",
		"version: 1\npools: {name: rt}\n":                                              "host.yaml:2:8: pools: want a list",
	} {
		_, err := Decode([]byte(src), "host.yaml")
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(%q) = %v, want %q", src, err, want)
		}
	}
}

const card = `
        short-name: Main
        pcms:
          - name: Analog
            streams:
              - {unique-id: "alsa<hw:0;0>", type: p}`

// TestApplyIdempotent: a hand-written layout applied twice changes
// nothing the second time, and the diff is empty after the first.
func TestApplyIdempotent(t *testing.T) {
	s := newSim(t)
	h := hostOf(t, s)
	f := decode(t, `version: 1
offline-cpus: 15
pools:
  - {name: node0, id: 0, cpus: 0-7, params: {ratelimit_us: 700}}
  - {name: rt, sched: credit, cpus: 8-13, params: {tslice_ms: 10}}
  - {name: spare, sched: rtds, cpus: []}
  - {name: n1, sched: "null"}
domains:
  - {name: domu1, pool: rt, weight: 512, cap: 50}
  - name: domu2
    vsnd:
      - card:`+strings.ReplaceAll(card, "\n", "\n  ")+`
  - {name: gone, pool: rt}
`)
	p := apply(t, s, h, f, Options{})
	if p.InSync() || len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], `domain "gone" is not running: skipped`) {
		t.Fatalf("first apply: %v %v", p.Changes, p.Warnings)
	}
	p2 := apply(t, s, h, f, Options{})
	if !p2.InSync() {
		t.Fatalf("second apply would change: %v", p2.Changes)
	}
	if _, err := Diff(ctx(t), h, f, Options{Strict: true}); !errors.Is(err, ErrNotRunning) {
		t.Errorf("strict: %v", err)
	}
	l, err := Read(ctx(t), h)
	must(t, err)
	out, err := Encode(l, nil)
	must(t, err)
	for _, want := range []string{"offline-cpus: \"15\"", "{name: node0, id: 0, sched: credit2, cpus: 0-7, params: {ratelimit_us: 700}}",
		"{name: rt, sched: credit, cpus: 8-13, params: {ratelimit_us: 1000, tslice_ms: 10, migration_delay_us: 0}}", "{name: spare, sched: rtds, cpus: []}",
		"{name: domu1, pool: rt, weight: 512, cap: 50}", "short-name: Main"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("read lacks %q:\n%s", want, out)
		}
	}
}

// TestCardsComparedByTheAdminsRecord: what a guest writes into its own
// frontend directory changes neither the diff nor what prune removes;
// the admin's record below the backend is what is compared.
func TestCardsComparedByTheAdminsRecord(t *testing.T) {
	s := newSim(t)
	h := hostOf(t, s)
	f := decode(t, "version: 1\ndomains:\n  - name: domu1\n    vsnd:\n      - card:"+strings.ReplaceAll(card, "\n", "\n  ")+"\n")
	apply(t, s, h, f, Options{})
	guest, err := s.XenStoreAs(1)
	must(t, err)
	defer guest.Close()
	fe := "/local/domain/1/device/vsnd/0"
	for k, v := range map[string]string{"short-name": "Owned", "0/0/unique-id": "wav:evil.wav", "0/0/type": "c"} {
		must(t, guest.Write(ctx(t), fe+"/"+k, []byte(v)))
	}
	p, err := Diff(ctx(t), h, f, Options{Prune: true})
	must(t, err)
	if !p.InSync() {
		t.Errorf("the guest's edits make a difference: %v", p.Changes)
	}
	// A file asking for the guest's version of the card does not match
	// the admin's record: it would be attached, and prune would detach
	// the admin's card.
	evil := decode(t, "version: 1\ndomains:\n  - name: domu1\n    vsnd:\n      - card: {short-name: Owned, pcms: [{name: Analog, streams: [{unique-id: \"wav:evil.wav\", type: c}]}]}\n")
	p, err = Diff(ctx(t), h, evil, Options{Prune: true})
	must(t, err)
	var got []string
	for _, c := range p.Changes {
		got = append(got, c.String())
	}
	if strings.Join(got, "; ") != `vsnd domu1: detach devid 0 card "Main"; vsnd domu1: attach card "Owned"` {
		t.Errorf("changes: %v", got)
	}
}

// TestApplyNodes: cpus given as node:N, the layout of a NUMA split
// written by hand, applied twice.
func TestApplyNodes(t *testing.T) {
	s := newSim(t)
	h := hostOf(t, s)
	f := decode(t, `version: 1
pools:
  - {name: Pool-node0, id: 0, cpus: "node:0"}
  - {name: Pool-node1, cpus: "node:1"}
domains:
  - {name: domu2, pool: Pool-node1}
`)
	if p := apply(t, s, h, f, Options{}); p.InSync() {
		t.Fatal("nothing to do on a fresh host")
	}
	if p := apply(t, s, h, f, Options{Prune: true}); !p.InSync() {
		t.Errorf("second apply: %v", p.Changes)
	}
	l, err := Read(ctx(t), h)
	must(t, err)
	if l.Pools[0].Name != "Pool-node0" || l.Pools[1].CPUs.Text != "8-15" || l.Domains[2].Pool != "Pool-node1" {
		t.Errorf("pools %+v %+v, domu2 in %q", l.Pools[0], l.Pools[1].CPUs, l.Domains[2].Pool)
	}
}

// TestDecodeUnclosedBracket: a syntax error is placed where it is, as
// in batch files (yamlerr), not on the line before.
func TestDecodeUnclosedBracket(t *testing.T) {
	_, err := Decode([]byte("version: 1\npools:\n  - {name: x\n"), "l.yaml")
	if err == nil || !strings.HasPrefix(err.Error(), `l.yaml:3:5: "{" is not closed`) {
		t.Errorf("err = %v", err)
	}
}
