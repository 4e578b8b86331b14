package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestVsndBackendBadInput(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"vsnd-backend", "--wav-dir", "/etc/passwd"}, `xgo: vsnd-backend: --wav-dir "/etc/passwd" is not a directory` + "\n"},
		{[]string{"vsnd-backend", "--wav-dir", "vsnd"}, `xgo: vsnd-backend: --wav-dir "vsnd" is not an absolute path` + "\n"},
		{[]string{"vsnd-backend", "--wav-quota", "12X"}, `xgo: vsnd-backend: --wav-quota "12X": want a number of bytes, with K, M or G` + "\n"},
		{[]string{"vsnd-backend", "--max-grant-pages", "2"}, `xgo: vsnd-backend: --max-grant-pages 2: at least 4 (a stream's rings and one buffer page)` + "\n"},
		{[]string{"vsnd-backend", "extra"}, `xgo: vsnd-backend: unexpected argument "extra"` + "\n"},
	} {
		r := runXgo(t, testDeps(t), tt.args...)
		if r.code != exitUsage || r.stderr != tt.want || r.stdout != "" {
			t.Errorf("xgo %q: code %d, stderr %q, stdout %q", tt.args, r.code, r.stderr, r.stdout)
		}
	}
}

// --domain takes names as vsnd-attach does (sound.Manager.Domain); an
// unknown one is refused before anything is served.
func TestVsndBackendUnknownDomain(t *testing.T) {
	t.Parallel()
	sim, _ := vsndSim(t)
	r := runXgo(t, testDeps(t), sim, "vsnd-backend", "--domain", "domu1", "--domain", "nosuch")
	want := `xgo: vsnd-backend: --domain "nosuch": no such domain` + "\n"
	if r.code != exitUsage || !strings.HasSuffix(r.stderr, want) || r.stdout != "" {
		t.Errorf("code %d, stderr %q, stdout %q; want %d, stderr ending %q", r.code, r.stderr, r.stdout, exitUsage, want)
	}
}

// TestVsndBackendSim runs `xgo --sim=FILE vsnd-backend` and, beside it,
// `xgo --sim=FILE vsnd-attach --wait`: they take turns on the simulated
// host and the device connects; interrupting the backend closes it.
func TestVsndBackendSim(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	state := filepath.Join(dir, "sim.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	var beErr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		d := testDeps(t)
		d.Stdout, d.Stderr = new(bytes.Buffer), &beErr
		done <- execute(ctx, newApp(d), []string{"xgo", "--sim=" + state, "vsnd-backend", "--wav-dir", dir}, &beErr)
	}()
	r := runXgo(t, testDeps(t), "--sim="+state, "vsnd-attach", "domu1", "PCM, name=a", "STREAM, unique-id=wav:a.wav, type=p", "--wait=20s", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"outcome": "connected"`) {
		t.Errorf("vsnd-attach --wait: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("vsnd-backend: exit %d\n%s", code, beErr.String())
	}
	r = runXgo(t, testDeps(t), "--sim="+state, "vsnd-list", "domu1")
	if !strings.Contains(r.stdout, "be-state: 6 (Closed)") {
		t.Errorf("after the backend stopped:\n%s", r.stdout)
	}
	for _, want := range []string{"dom1 vsnd0: Initialising -> InitWait", "dom1 vsnd0: InitWait -> Connected", "dom1 vsnd0: Connected -> Closed"} {
		if !strings.Contains(beErr.String(), want) {
			t.Errorf("backend log lacks %q:\n%s", want, beErr.String())
		}
	}
}
