package host

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"xgo.dev/xgo/xensim"
)

func TestOpenWithoutSimHost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.json")
	_, err := Open(Options{Sim: true, SimPath: path})
	if !errors.Is(err, ErrNoSimHost) {
		t.Fatalf("Open of a missing host: %v, want ErrNoSimHost", err)
	}
}

// TestSaveOnlyWhenAsked: a host opened read only leaves its state file
// byte for byte as it was, whatever was done through it; one opened with
// Save writes the change.
func TestSaveOnlyWhenAsked(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "host.json")
	if err := xensim.Init(path, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	write := func(save bool, value string) {
		var notes []string
		h, err := Open(Options{Sim: true, SimPath: path, Save: save, Note: func(l string) { notes = append(notes, l) }})
		if err != nil {
			t.Fatal(err)
		}
		xs, err := h.XenStore(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := xs.Write(ctx, "/tool/hosttest", []byte(value)); err != nil {
			t.Fatal(err)
		}
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
		if len(notes) != 1 {
			t.Errorf("notes %q, want one line", notes)
		}
	}
	write(false, "a")
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a read-only host changed its state file")
	}
	write(true, "b")
	h, err := Open(Options{Sim: true, SimPath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	xs, _ := h.XenStore(ctx)
	if v, err := xs.Read(ctx, "/tool/hosttest"); err != nil || string(v) != "b" {
		t.Fatalf("after a saved write: %q, %v", v, err)
	}
	if m, err := h.Pools(ctx); err != nil || m == nil {
		t.Fatalf("Pools: %v", err)
	}
}

// TestRealHostIsLazy: opening a real host opens nothing; asking for
// XenStore uses the injected dialer and still no hypervisor.
func TestRealHostIsLazy(t *testing.T) {
	dialed := 0
	h, err := Open(Options{DialXenstore: func(context.Context) (Store, error) {
		dialed++
		return nil, errors.New("no xenstored here")
	}})
	if err != nil {
		t.Fatal(err)
	}
	if h.hv != nil || h.hvErr != nil || len(h.closers) != 0 {
		t.Fatal("Open opened something")
	}
	for range 2 {
		if _, err := h.XenStore(context.Background()); err == nil {
			t.Fatal("XenStore succeeded")
		}
	}
	if dialed != 1 || h.hv != nil || h.hvErr != nil {
		t.Fatalf("dialed %d times, hypervisor %v/%v", dialed, h.hv, h.hvErr)
	}
	if _, err := h.Pools(context.Background()); err == nil {
		t.Fatal("Pools without Xen succeeded")
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
}
