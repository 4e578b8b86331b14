//go:build xenlab

package suite

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// xlInfo parses `xl info` ("key : value" lines).
func xlInfo(t *testing.T) map[string]string {
	t.Helper()
	info := map[string]string{}
	for _, line := range strings.Split(MustRun(t, "xl", "info"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			info[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return info
}

// TestXenDom0Sanity checks that the lab's dom0 is what the other tests
// assume: the Xen release xenlab booted (XGO_LAB_XEN) with 4 pCPUs, a working toolstack, XenStore initialised
// by xen-init-dom0.
func TestXenDom0Sanity(t *testing.T) {
	t.Run("xl-info", func(t *testing.T) {
		info := xlInfo(t)
		if v, want := info["xen_version"], labXen(); !strings.HasPrefix(v, want+".") {
			t.Errorf("xen_version = %q, want %s.x", v, want)
		}
		if v := info["nr_cpus"]; v != "4" {
			t.Errorf("nr_cpus = %q, want 4 (QEMU -smp 4)", v)
		}
	})
	t.Run("xenstore-names", func(t *testing.T) {
		if got := XenstoreRead(t, "/local/domain/0/name"); got != "Domain-0" {
			t.Errorf("/local/domain/0/name = %q, want Domain-0", got)
		}
		if got := XenstoreRead(t, "/local/pool/0/name"); got != "Pool-0" {
			t.Errorf("/local/pool/0/name = %q, want Pool-0", got)
		}
	})
	t.Run("cpupool-list", func(t *testing.T) {
		out := MustRun(t, "xl", "cpupool-list")
		// Name  CPUs  Sched  Active  Domain count
		if !regexp.MustCompile(`(?m)^Pool-0\s+4\s+credit2?\s+y\s+1\s*$`).MatchString(out) {
			t.Errorf("xl cpupool-list: want Pool-0 with 4 CPUs and 1 domain, got:\n%s", out)
		}
	})
	t.Run("xenstored", func(t *testing.T) {
		d := Daemon()
		if d != "xenstored" && d != "oxenstored" {
			t.Fatalf("XGO_XENSTORED = %q", d)
		}
		// Exactly the selected daemon runs, on the usual socket.
		pids := Run(t, "pidof", d)
		if pids.ExitCode != 0 {
			t.Errorf("%s is not running", d)
		}
		other := map[string]string{"xenstored": "oxenstored", "oxenstored": "xenstored"}[d]
		if Run(t, "pidof", other).ExitCode == 0 {
			t.Errorf("%s runs too; want only %s", other, d)
		}
		if _, err := os.Stat("/run/xenstored/socket"); err != nil {
			t.Errorf("XenStore socket: %v", err)
		}
	})
}
