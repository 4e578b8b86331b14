package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"xgo.dev/xgo/xensim"
)

// pcpuSim makes a simulated host from testdata/pcpu/host.yaml in its own
// state file and returns the --sim flag that selects it.
func pcpuSim(t *testing.T) string {
	t.Helper()
	spec, err := xensim.LoadSpec(filepath.Join("testdata", "pcpu", "host.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sim.yaml")
	if err := xensim.Init(path, spec); err != nil {
		t.Fatal(err)
	}
	return "--sim=" + path
}

// withSim changes the simulated host behind flag directly.
func withSim(t *testing.T, flag string, fn func(h *xensim.Host)) {
	t.Helper()
	s, err := xensim.Open(strings.TrimPrefix(flag, "--sim="))
	if err != nil {
		t.Fatal(err)
	}
	fn(s.Host())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// xgoOK runs xgo and fails unless it exits 0 with nothing on stderr.
func xgoOK(t *testing.T, args ...string) string {
	t.Helper()
	r := runXgo(t, testDeps(t), args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("xgo %q: code %d, stderr %q, stdout %q", args, r.code, r.stderr, r.stdout)
	}
	return r.stdout
}

func TestPCPUListOutput(t *testing.T) {
	t.Parallel()
	sim := pcpuSim(t)
	golden(t, "pcpu/list.golden", xgoOK(t, sim, "pcpu-list"))
	golden(t, "pcpu/list-json.golden", xgoOK(t, "pcpu-list", "3-4,7", "-o", "json", sim))
	golden(t, "pcpu/list-yaml.golden", xgoOK(t, "pcpu-list", "node:0", "-o", "yaml", sim))
	if got := xgoOK(t, sim, "pcpu-list", "-q", "all"); got != "0\n1\n2\n3\n4\n6\n7\n" {
		t.Errorf("-q all: %q", got)
	}
	// A node without CPUs is not on this host: refused (exit 1, as for a
	// cpu id the host does not have), not an empty listing.
	for _, list := range []string{"node:7", "node:64", "1,node:7"} {
		r := runXgo(t, testDeps(t), sim, "pcpu-list", list)
		if want := "xgo: pcpu-list: cpu list \"" + list + "\": \"node:7\": this host has no NUMA node 7 (it has 2)\n"; list == "1,node:7" && r.stderr != want {
			t.Errorf("%s: stderr %q, want %q", list, r.stderr, want)
		}
		if r.code != exitFailure || r.stdout != "" || !strings.Contains(r.stderr, "this host has no NUMA node") {
			t.Errorf("pcpu-list %s: %+v", list, r)
		}
	}
	d := testDeps(t)
	d.Term = termInfo{tty: true, width: 100}
	r := runXgo(t, d, sim, "pcpu-list", "0-2")
	if r.code != 0 {
		t.Fatalf("tty: %+v", r)
	}
	golden(t, "pcpu/list-tty.golden", r.stdout)

	r = runXgo(t, testDeps(t), sim, "pcpu-list", "4-5,9")
	if r.code != exitFailure || r.stderr != "xgo: pcpu-list: cpus 5,9 are not present on this host (present: 0-4,6-7)\n" || r.stdout != "" {
		t.Errorf("absent cpus: %+v", r)
	}
}

func TestInfoOutput(t *testing.T) {
	t.Parallel()
	sim := pcpuSim(t)
	golden(t, "pcpu/info.golden", xgoOK(t, sim, "info"))
	golden(t, "pcpu/info-n.golden", xgoOK(t, sim, "info", "-n"))
	golden(t, "pcpu/info-json.golden", xgoOK(t, sim, "info", "-n", "-o", "json"))
	for key, want := range map[string]string{
		"nr_cpus":      "6\n",
		"free":         "3160\n0\n",
		"xen_v":        "4.17.5\n",
		"virt_caps":    "pv shadow gnttab-v1 gnttab-v2\n",
		"xen_caps":     "xen-3.0-x86_64 \n",
		"sharing":      "0\n0\n",
		"cc_compile_b": "pkg-xen-devel\n",
		"platform":     "virt_start=0xffff800000000000\n",
		"xen_chan":     "\n",
		"xend":         "4\n",
		"bogus":        "",
	} {
		if got := xgoOK(t, sim, "info", key); got != want {
			t.Errorf("info %s = %q, want %q", key, got, want)
		}
	}
	if got := xgoOK(t, sim, "info", "nr", "-o", "json"); got != `{
  "schemaVersion": 1,
  "key": "nr",
  "values": [
    {
      "key": "nr_cpus",
      "value": "6"
    },
    {
      "key": "nr_nodes",
      "value": "2"
    }
  ]
}
` {
		t.Errorf("info nr -o json: %s", got)
	}
	// As in xl, -n disables the key.
	r := runXgo(t, testDeps(t), sim, "info", "-n", "nr_cpus")
	if r.code != 0 || !strings.Contains(r.stdout, "cpu_topology") || r.stderr != "xgo: warning: info: -n prints every line; \"nr_cpus\" is ignored, as xl does\n" {
		t.Errorf("info -n KEY: %+v", r)
	}
}

func TestTopologyOutput(t *testing.T) {
	t.Parallel()
	sim := pcpuSim(t)
	golden(t, "pcpu/topology.golden", xgoOK(t, sim, "topology"))
	golden(t, "pcpu/topology-json.golden", xgoOK(t, sim, "topology", "-o", "json"))
	if got := xgoOK(t, sim, "topology", "-q"); got != "0\n1\n2\n3\n4\n6\n" {
		t.Errorf("-q: %q", got)
	}
}

// TestPCPUHotplugSession runs offline and online through their cases on
// one simulated host, checking the output and what the host looks like
// after each step.
func TestPCPUHotplugSession(t *testing.T) {
	t.Parallel()
	sim := pcpuSim(t)
	list := func() string { return xgoOK(t, sim, "pcpu-list", "-o", "json") }
	steps := []struct {
		args   []string
		code   int
		stdout string
		stderr string
		same   bool // the host must not have changed
	}{
		{[]string{"pcpu-offline", "1-2"}, 0, "cpu 1: offlined\ncpu 2: offlined\n", "", false},
		{[]string{"cpu-offline", "2"}, 0, "cpu 2: already offline\n", "", true},
		{[]string{"pcpu-offline", "0"}, 1, "", "xgo: cpu 0 cannot be taken offline: Xen never offlines its boot cpu\n", true},
		{[]string{"pcpu-offline", "5"}, 1, "", "xgo: cpu 5 is not present on this host (present: 0-4,6-7)\n", true},
		{[]string{"pcpu-offline", "3"}, 1, "", "xgo: cpu 3 is in cpupool 'rt', not Pool-0: remove it first (xgo cpupool-cpu-remove rt 3) or use --evacuate\n", true},
		{[]string{"pcpu-offline", "6", "--evacuate"}, 1, "", "xgo: taking cpu 6 offline would leave cpupool 'batch' without a cpu while it has 1 domain: move it to another pool first (xgo cpupool-migrate <domain> Pool-0) or keep one of its cpus\n", true},
		{[]string{"pcpu-offline", "3-4", "--evacuate", "-N"}, 0, "cpu 3: would be removed from cpupool 'rt' and offlined\ncpu 4: would be removed from cpupool 'rt' and offlined\n", "", true},
		{[]string{"pcpu-offline", "3", "--evacuate", "--via", "sysfs"}, 0, "cpu 3: removed from cpupool 'rt', offlined\n", "", false},
		{[]string{"pcpu-online", "1-3,7", "--via", "sysfs"}, 0, "cpu 1: onlined\ncpu 2: onlined\ncpu 3: onlined\ncpu 7: onlined\n", "", false},
		{[]string{"pcpu-online", "all", "-q"}, 0, "", "", true},
	}
	before := list()
	for _, s := range steps {
		r := runXgo(t, testDeps(t), append([]string{sim}, s.args...)...)
		if r.code != s.code || r.stdout != s.stdout || r.stderr != s.stderr {
			t.Errorf("xgo %q:\n got code %d, stdout %q, stderr %q\nwant code %d, stdout %q, stderr %q",
				s.args, r.code, r.stdout, r.stderr, s.code, s.stdout, s.stderr)
		}
		after := list()
		if s.same && after != before {
			t.Errorf("xgo %q changed the host:\n%s\n%s", s.args, before, after)
		}
		before = after
	}
	// CPUs that come online join Pool-0, CPU 3 included (it was in rt).
	golden(t, "pcpu/after-session.golden", xgoOK(t, sim, "pcpu-list"))
}

func TestPCPUHotplugJSON(t *testing.T) {
	t.Parallel()
	sim := pcpuSim(t)
	withSim(t, sim, func(h *xensim.Host) {
		if err := h.FailNext(xensim.OpHotplugOffline, syscall.EBUSY, 2); err != nil {
			t.Fatal(err)
		}
	})
	r := runXgo(t, testDeps(t), sim, "pcpu-offline", "2,4,7", "--evacuate", "-o", "json")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	got := regexp.MustCompile(`"elapsedMs": \d+`).ReplaceAllString(r.stdout, `"elapsedMs": 0`)
	golden(t, "pcpu/offline-json.golden", got)
	if !strings.Contains(got, `"attempts": 3`) {
		t.Errorf("EBUSY was not retried: %s", got)
	}
	if got := xgoOK(t, sim, "pcpu-online", "2-4,7", "-q"); got != "2\n4\n7\n" {
		t.Errorf("online -q: %q", got)
	}
}

// TestPCPUHotplugFailure: a CPU that stays busy fails after --timeout
// while the others are done; the exit status is 1 and the failed CPU is
// left as it was.
func TestPCPUHotplugFailure(t *testing.T) {
	t.Parallel()
	sim := pcpuSim(t)
	xgoOK(t, sim, "pcpu-offline", "1")
	withSim(t, sim, func(h *xensim.Host) {
		if err := h.FailAlways(xensim.OpHotplugOffline, syscall.EBUSY); err != nil {
			t.Fatal(err)
		}
	})
	start := time.Now()
	r := runXgo(t, testDeps(t), sim, "pcpu-offline", "1-2", "--timeout", "300ms")
	if d := time.Since(start); d < 300*time.Millisecond || d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	wantOut := regexp.MustCompile(`^cpu 1: already offline\ncpu 2: failed: cpu 2 stayed busy for [0-9.]+m?s \(\d+ attempts\): Xen is running another CPU hotplug or cpupool change; retry later or allow more time with --timeout \[sysctl cpu_hotplug offline: EBUSY\]\n$`)
	if r.code != exitFailure || !wantOut.MatchString(r.stdout) || !strings.HasPrefix(r.stderr, "xgo: 1 of 2 cpus could not be taken offline: cpu 2 stayed busy") {
		t.Errorf("busy: %+v", r)
	}
	if out := xgoOK(t, sim, "pcpu-list", "2", "-o", "json"); !strings.Contains(out, `"online": true`) {
		t.Errorf("cpu 2 not left online: %s", out)
	}
	// --timeout 0: a single attempt.
	r = runXgo(t, testDeps(t), sim, "pcpu-offline", "2", "--timeout", "0")
	if r.code != exitFailure || !strings.HasPrefix(r.stdout, "cpu 2: failed: cpu 2 is busy: ") {
		t.Errorf("--timeout 0: %+v", r)
	}
}

func TestPCPUWatchSim(t *testing.T) {
	t.Parallel()
	sim := pcpuSim(t)
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	d := testDeps(t)
	d.Stdout, d.Stderr = stdout, stderr
	done := make(chan int, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() {
		done <- execute(ctx, newApp(d), []string{"xgo", sim, "-v", "pcpu-watch", "--count", "2", "--interval", "5ms"}, stderr)
	}()
	waitFor := func(what string, b *lockedBuffer, s string) {
		t.Helper()
		for !strings.Contains(b.String(), s) {
			select {
			case <-ctx.Done():
				t.Fatalf("no %s: stdout %q, stderr %q", what, stdout.String(), stderr.String())
			case <-time.After(2 * time.Millisecond):
			}
		}
	}
	waitFor("ready line", stderr, "xgo: watching physical CPUs (polling XENPF_get_cpuinfo every 5ms)")
	xgoOK(t, sim, "pcpu-offline", "2")
	waitFor("offline event", stdout, " cpu 2 offline\n")
	xgoOK(t, sim, "pcpu-online", "2")
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d, stderr %q", code, stderr.String())
		}
	case <-ctx.Done():
		t.Fatal("pcpu-watch did not stop after 2 events")
	}
	re := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d) cpu 2 offline\n\S+ cpu 2 online\n$`)
	if !re.MatchString(stdout.String()) {
		t.Errorf("events: %q", stdout.String())
	}
	// -v says each thing once, not on every poll.
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n") {
		if seen[l] {
			t.Errorf("-v repeats %q:\n%s", l, stderr.String())
			break
		}
		seen[l] = true
	}

	// JSON lines, ended by the context.
	var out bytes.Buffer
	d = testDeps(t)
	d.Stdout = &out
	cctx, ccancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer ccancel()
	if code := execute(cctx, newApp(d), []string{"xgo", sim, "pcpu-watch", "-o", "json", "--interval", "5ms"}, &out); code != 0 || out.Len() != 0 {
		t.Errorf("cancelled watch: code %d, output %q", code, out.String())
	}
}

func TestPCPUBadInput(t *testing.T) {
	t.Parallel()
	sim := pcpuSim(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"pcpu-offline"}, "xgo: pcpu-offline: missing argument (usage: xgo pcpu-offline <cpu-list>)"},
		{[]string{"pcpu-offline", "1", "2"}, `xgo: pcpu-offline: unexpected argument "2"`},
		{[]string{"pcpu-online", "1-"}, `xgo: pcpu-online: invalid cpu list "1-": missing number`},
		{[]string{"pcpu-online", "^all"}, `xgo: pcpu-online: invalid cpu list "^all": "^" cannot be combined with "all"`},
		{[]string{"pcpu-offline", "1", "--via", "magic"}, `xgo: pcpu-offline: --via: unknown hotplug path "magic" (want hypercall or sysfs)`},
		{[]string{"pcpu-online", "1", "--evacuate"}, `xgo: pcpu-online: unknown flag --evacuate`},
		{[]string{"pcpu-list", "x"}, `xgo: pcpu-list: invalid cpu list "x": "x" is not a number`},
		{[]string{"pcpu-list", "^3"}, `xgo: pcpu-list: invalid cpu list "^3": the cpu list selects no cpu`},
		{[]string{"pcpu-watch", "--count", "-1"}, `xgo: pcpu-watch: --count -1: the count cannot be negative`},
		{[]string{"pcpu-watch", "--interval", "0s"}, `xgo: pcpu-watch: --interval 0s: the interval must be positive`},
		{[]string{"pcpu-watch", "extra"}, `xgo: pcpu-watch: unexpected argument "extra"`},
		{[]string{"topology", "extra"}, `xgo: topology: unexpected argument "extra"`},
		{[]string{"info", "a", "b"}, `xgo: info: unexpected argument "b"`},
	}
	for _, tt := range tests {
		r := runXgo(t, testDeps(t), append([]string{sim}, tt.args...)...)
		if r.code != exitUsage || r.stderr != tt.want+"\n" || r.stdout != "" {
			t.Errorf("xgo %q:\n got code %d, stderr %q, stdout %q\nwant code 2, stderr %q", tt.args, r.code, r.stderr, r.stdout, tt.want)
		}
	}
}

// TestPCPUNoXen: without --sim on a machine without Xen, the commands
// say so with exit status 3.
func TestPCPUNoXen(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/dev/xen"); err == nil {
		t.Skip("this machine has /dev/xen")
	}
	if _, err := os.Stat("/proc/xen"); err == nil {
		t.Skip("this machine has /proc/xen")
	}
	for _, args := range [][]string{{"pcpu-list"}, {"info"}, {"topology"}, {"pcpu-offline", "3"}, {"pcpu-watch"}} {
		r := runXgo(t, testDeps(t), args...)
		if r.code != exitPermission && r.code != exitNotSupported {
			t.Errorf("xgo %q without Xen: %+v", args, r)
		}
	}
}
