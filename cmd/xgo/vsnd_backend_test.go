package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	if r := runXgo(t, testDeps(t), "--sim="+state, "sim", "init"); r.code != 0 {
		t.Fatalf("sim init: %+v", r)
	}
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

// TestVsndDetachSimWithBackend: with `xgo --sim vsnd-backend` running,
// `xgo --sim vsnd-detach` of a connected card lets the backend take its
// turns while it waits, so the close handshake ends as on Xen (closed-ok)
// instead of running into its timeout.
func TestVsndDetachSimWithBackend(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	state := filepath.Join(dir, "sim.yaml")
	if r := runXgo(t, testDeps(t), "--sim="+state, "sim", "init"); r.code != 0 {
		t.Fatalf("sim init: %+v", r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var beErr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		d := testDeps(t)
		d.Stdout, d.Stderr = new(bytes.Buffer), &beErr
		done <- execute(ctx, newApp(d), []string{"xgo", "--sim=" + state, "vsnd-backend"}, &beErr)
	}()
	r := runXgo(t, testDeps(t), "--sim="+state, "vsnd-attach", "domu1", "PCM, name=a", "STREAM, unique-id=wav:a.wav, type=p", "--wait=20s")
	if r.code != 0 {
		t.Fatalf("vsnd-attach --wait: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	start := time.Now()
	r = runXgo(t, testDeps(t), "--sim="+state, "vsnd-detach", "domu1", "0", "--timeout", "8s", "-o", "json")
	took := time.Since(start)
	if r.code != 0 || !strings.Contains(r.stdout, `"outcome": "closed-ok"`) || took > 5*time.Second {
		t.Errorf("vsnd-detach with the backend running: code %d after %v\n%s%s", r.code, took, r.stdout, r.stderr)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("vsnd-backend: exit %d\n%s", code, beErr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "vsnd", "domu1")); err != nil {
		t.Errorf("the simulated backend's default WAV directory: %v", err)
	}
}
