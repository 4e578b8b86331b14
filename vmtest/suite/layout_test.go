//go:build xenlab

package suite

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestXenLayoutApplyTwice is issue #18's real-Xen part: a layout file
// (Pool-0 on cpus 0-1, a credit2 pool on 2-3 holding the domU with
// weight 384) is diffed, checked, applied, applied again (nothing to do,
// no change), checked in sync, and the export of the host diffs empty.
func TestXenLayoutApplyTwice(t *testing.T) {
	xgo := XgoPath(t)
	const pool = "xgo-layout"
	// Registered before the domU, so it runs after the domU is gone.
	t.Cleanup(func() {
		for _, c := range [][]string{{"xl", "cpupool-destroy", pool}, {"xl", "cpupool-cpu-add", "Pool-0", "2,3"}} {
			_ = exec.Command(c[0], c[1:]...).Run()
		}
	})
	d := StartDomU(t, DomUOptions{})
	file := filepath.Join(t.TempDir(), "host.yaml")
	layout := fmt.Sprintf("version: 1\npools:\n  - {name: Pool-0, id: 0, cpus: \"0-1\"}\n  - {name: %s, sched: credit2, cpus: \"2-3\"}\ndomains:\n  - {name: %s, pool: %s, weight: 384}\n", pool, d.Name, pool)
	must(t, os.WriteFile(file, []byte(layout), 0o644))
	nothing := "the host matches the layout; nothing to do"

	if r := Run(t, xgo, "diff", file); r.ExitCode != 0 || strings.Contains(r.Stdout, nothing) || !strings.Contains(r.Stdout, pool) {
		t.Fatalf("diff before apply: %s", r)
	}
	before := hostState(t)
	if r := Run(t, xgo, "apply", "--check", file); r.ExitCode != 6 {
		t.Errorf("apply --check before apply: exit %d, want 6 (would change)\n%s", r.ExitCode, r)
	}
	if after := hostState(t); after != before {
		t.Fatalf("apply --check changed the host:\n%s", diffLines(before, after))
	}
	if r := Run(t, xgo, "apply", file); r.ExitCode != 0 {
		t.Fatalf("apply: %s", r)
	}
	list := MustRun(t, "xl", "cpupool-list", "-c")
	if !regexp.MustCompile(`(?m)^`+pool+`\s+2,3$`).MatchString(list) || !regexp.MustCompile(`(?m)^Pool-0\s+0,1$`).MatchString(list) {
		t.Errorf("xl cpupool-list -c after apply:\n%s", list)
	}
	if sc := MustRun(t, "xl", "sched-credit2", "-d", d.Name); !strings.Contains(sc, " 384") {
		t.Errorf("the domU's weight after apply:\n%s", sc)
	}
	applied := hostState(t)
	for _, args := range [][]string{{"apply", file}, {"diff", file}} {
		r := Run(t, xgo, args...)
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, nothing) {
			t.Errorf("%s again: %s", args[0], r)
		}
	}
	if r := Run(t, xgo, "apply", "--check", file); r.ExitCode != 0 {
		t.Errorf("apply --check in sync: exit %d\n%s", r.ExitCode, r)
	}
	if after := hostState(t); after != applied {
		t.Errorf("a second apply changed the host:\n%s", diffLines(applied, after))
	}
	exp := Run(t, xgo, "export")
	if exp.ExitCode != 0 {
		t.Fatalf("export: %s", exp)
	}
	expFile := filepath.Join(t.TempDir(), "export.yaml")
	must(t, os.WriteFile(expFile, []byte(exp.Stdout), 0o644))
	if r := Run(t, xgo, "diff", "--prune", expFile); r.ExitCode != 0 || !strings.Contains(r.Stdout, nothing) {
		t.Errorf("diff --prune of the export:\n%s\nexport:\n%s", r, exp.Stdout)
	}
}
