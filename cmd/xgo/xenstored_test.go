package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestXenstored runs "xgo xenstored" in-process, uses it with the
// xenstore commands, and stops it as Ctrl-C would.
func TestXenstored(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "xgo") // short enough for sun_path
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "xs.sock")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	d := testDeps(t)
	d.Stdout, d.Stderr = &stdout, &stderr
	codec := make(chan int, 1)
	go func() {
		codec <- execute(ctx, newApp(d), []string{"xgo", "xenstored", "--socket", sock, "-v"}, &stderr)
	}()
	for !strings.Contains(stderr.String(), "listening on "+sock) {
		select {
		case code := <-codec:
			t.Fatalf("xenstored exited with %d: %s", code, stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	c := xsDeps(t, sock)
	mustXgo(t, c, "xenstore", "write", "/tool/demo", "hello")
	if got := mustXgo(t, c, "xenstore", "read", "/tool/demo"); got != "hello\n" {
		t.Errorf("read: %q", got)
	}
	cancel()
	if code := <-codec; code != 0 {
		t.Errorf("xenstored exit code %d, stderr %q", code, stderr.String())
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket left behind: %v", err)
	}
}

func TestXenstoredBadInput(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"xenstored"}, `xgo: xenstored: no socket: give --socket PATH or set XENSTORED_PATH`},
		{[]string{"xenstored", "extra"}, `xgo: xenstored: unexpected argument "extra"`},
		{[]string{"xenstored", "--socket"}, `xgo: flag --socket needs a value`},
	} {
		r := runXgo(t, testDeps(t), tt.args...)
		if r.code != exitUsage || r.stderr != tt.want+"\n" || r.stdout != "" {
			t.Errorf("xgo %q: %+v, want stderr %q", tt.args, r, tt.want)
		}
	}
	// A socket that cannot be created fails with status 1.
	r := runXgo(t, testDeps(t), "xenstored", "--socket", "/nonexistent-dir/xs.sock")
	if r.code != exitFailure || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "/nonexistent-dir/xs.sock") {
		t.Errorf("unusable socket path: %+v", r)
	}
}
