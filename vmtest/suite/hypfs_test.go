//go:build xenlab

package suite

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"

	"xgo.dev/xgo/hypercall"
)

// TestXenHypercallHypfs reads the hypervisor file system of the lab's
// Xen: the interface version, the root listing and /buildinfo/config,
// and checks BuiltSchedulers against the config's own CONFIG_SCHED_ lines
// (and against Xen's xenhypfs tool when the image has it). Then it checks
// that xgo refuses, before changing anything, a cpupool with a scheduler
// the build leaves out (rtds on Debian's build), and that no pool was
// created.
func TestXenHypercallHypfs(t *testing.T) {
	if Daemon() == "oxenstored" {
		t.Skip("the hypervisor is the same in every boot; the xenstored boot reads hypfs")
	}
	x := hcOpen(t)
	v, err := x.HypfsVersion()
	if errors.Is(err, hypercall.ErrNotSupported) {
		// No hypfs: the list must be unknown, not guessed.
		if s, err := x.BuiltSchedulers(); !errors.Is(err, hypercall.ErrUnknown) {
			t.Errorf("no hypfs, yet BuiltSchedulers = %v, %v", s, err)
		}
		t.Skipf("this Xen has no hypfs: %v", err)
	}
	if err != nil || v < 1 {
		t.Fatalf("hypfs get_version = %d, %v", v, err)
	}
	t.Logf("hypfs interface version %d", v)

	root, err := x.ReadHypfs("/")
	if err != nil {
		t.Fatalf("read /: %v", err)
	}
	ents, err := root.Dir()
	if err != nil {
		t.Fatalf("decode /: %v", err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	t.Logf("hypfs /: %v", names)
	if !slices.Contains(names, "buildinfo") {
		t.Errorf("hypfs / has no buildinfo: %v", names)
	}
	if _, err := x.ReadHypfs("/no/such/node"); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("read of a missing node: %v, want ENOENT", err)
	}

	e, err := x.ReadHypfs(hypercall.BuildConfigPath)
	if err != nil {
		if s, err2 := x.BuiltSchedulers(); !errors.Is(err2, hypercall.ErrUnknown) {
			t.Errorf("no config node, yet BuiltSchedulers = %v, %v", s, err2)
		}
		t.Skipf("no %s (built without CONFIG_HYPFS_CONFIG?): %v", hypercall.BuildConfigPath, err)
	}
	// xen/common/kernel.c makes it a string node (HYPFS_STRING_INIT)
	// holding gzip data.
	if e.Type != hypercall.HypfsString || e.Encoding != hypercall.HypfsGzip {
		t.Errorf("%s: type %d encoding %d, want a gzip-encoded string", hypercall.BuildConfigPath, e.Type, e.Encoding)
	}
	cfg, err := e.Plain()
	if err != nil {
		t.Fatal(err)
	}
	var schedLines []string
	var want []string
	for _, line := range strings.Split(string(cfg), "\n") {
		if strings.Contains(line, "CONFIG_SCHED_") {
			schedLines = append(schedLines, line)
		}
		for opt, name := range map[string]string{"CREDIT": "credit", "CREDIT2": "credit2", "RTDS": "rtds", "ARINC653": "arinc653", "NULL": "null"} {
			if line == "CONFIG_SCHED_"+opt+"=y" {
				want = append(want, name)
			}
		}
	}
	t.Logf("%s: %d bytes gzip, %d plain; %s", hypercall.BuildConfigPath, len(e.Content), len(cfg), strings.Join(schedLines, "; "))

	built, err := x.BuiltSchedulers()
	if err != nil {
		t.Fatalf("BuiltSchedulers: %v", err)
	}
	var got []string
	for _, s := range built {
		got = append(got, s.String())
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("BuiltSchedulers = %v, the config says %v", got, want)
	}

	if _, err := exec.LookPath("xenhypfs"); err == nil {
		r := Run(t, "xenhypfs", "cat", hypercall.BuildConfigPath)
		if r.ExitCode != 0 {
			t.Errorf("%s", r)
		} else if strings.TrimRight(r.Stdout, "\n") != strings.TrimRight(string(cfg), "\n") {
			t.Errorf("xenhypfs cat %s differs from what xgo read (%d vs %d bytes)", hypercall.BuildConfigPath, len(r.Stdout), len(cfg))
		}
		r = Run(t, "xenhypfs", "ls", "/")
		t.Logf("xenhypfs ls /:\n%s", r.Stdout)
	} else {
		t.Log("xenhypfs is not in the dom0 image; compared with the config's own lines only")
	}

	// A scheduler this build leaves out is refused up front.
	var missing string
	for _, s := range []string{"rtds", "null", "arinc653", "credit"} {
		if !slices.Contains(got, s) {
			missing = s
			break
		}
	}
	if missing == "" {
		t.Skip("every scheduler is built: nothing to refuse")
	}
	r := Xgo(t, "cpupool-create", "name=hypfs-"+missing, "sched="+missing)
	if r.ExitCode != 4 || !strings.Contains(r.Stderr, "the "+missing+" scheduler is not built into this Xen (it has "+strings.Join(namesInOrder(built), ", ")+")") ||
		strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 {
		t.Errorf("cpupool-create sched=%s: want exit 4 and one line naming it and the built ones\n%s", missing, r)
	}
	if r := Xgo(t, "cpupool-list"); strings.Contains(r.Stdout, "hypfs-"+missing) {
		t.Errorf("the refused pool exists:\n%s", r)
	}
}

func namesInOrder(s []hypercall.Scheduler) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = x.String()
	}
	return out
}
