//go:build xenlab

package suite

import (
	"strings"
	"testing"
)

// TestXenXgoVersion checks that the xgo built for this run starts in dom0.
func TestXenXgoVersion(t *testing.T) {
	r := Xgo(t, "version")
	if r.ExitCode != 0 {
		t.Fatalf("%s", r)
	}
	if strings.TrimSpace(r.Stdout) == "" {
		t.Errorf("xgo version printed nothing on stdout\n%s", r)
	}
	t.Logf("xgo version: %s", strings.TrimSpace(r.Stdout))
}
