package conformance_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xgo.dev/xgo/internal/conformance"
)

var update = flag.Bool("update", false, "rewrite testdata/*.txt from the in-process daemon")

// TestInProcess runs every scenario against the in-process daemon and
// compares each transcript with the committed one (no override: the
// in-process daemon mirrors C xenstored). With -update it writes them.
func TestInProcess(t *testing.T) {
	ip, err := conformance.NewInProcess(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ip.Close()
	for _, sc := range conformance.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			got, err := conformance.Run(ctx, sc, ip.Env)
			if err != nil {
				t.Fatalf("%v\ntranscript so far:\n%s", err, got)
			}
			if *update {
				if err := os.WriteFile(filepath.Join("testdata", sc.Name+".txt"), []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if report := conformance.Check(sc, conformance.DaemonInProcess, got); report != "" {
				t.Error(report)
			}
		})
	}
}

// TestOverridesMatch checks that every per-daemon override applies to the
// committed transcript and names a known daemon and a reason.
func TestOverridesMatch(t *testing.T) {
	for _, sc := range conformance.Scenarios() {
		for _, o := range sc.Overrides {
			if o.Daemon != conformance.DaemonC && o.Daemon != conformance.DaemonOCaml {
				t.Errorf("%s: override for unknown daemon %q", sc.Name, o.Daemon)
			}
			if strings.TrimSpace(o.Why) == "" {
				t.Errorf("%s: override without a reason:\n%s", sc.Name, o.Match)
			}
		}
		for _, d := range []string{conformance.DaemonC, conformance.DaemonOCaml} {
			if _, err := conformance.Expected(sc, d); err != nil {
				t.Error(err)
			}
		}
	}
}

// TestNoStrayGoldens fails on committed transcripts of scenarios that no
// longer exist.
func TestNoStrayGoldens(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		if conformance.Lookup(name) == nil {
			t.Errorf("%s: no scenario %s", f, name)
		}
	}
}
