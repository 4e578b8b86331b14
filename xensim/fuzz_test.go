package xensim

import (
	"os"
	"path/filepath"
	"testing"

	"xgo.dev/xgo/hypercall"
)

// FuzzParseSpec: any spec text is either refused with a *SpecError or boots
// a host whose hypercalls answer without panicking.
func FuzzParseSpec(f *testing.F) {
	f.Add(DefaultSpecYAML())
	f.Add(labSpecYAML)
	f.Add([]byte("cpus: {sockets: 1, coresPerSocket: 1, threadsPerCore: 1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSpec(data, "fuzz.yaml")
		if err != nil {
			if _, ok := err.(*SpecError); !ok {
				t.Fatalf("error %T %v is not a *SpecError", err, err)
			}
			return
		}
		h, err := NewHost(s)
		if err != nil {
			t.Fatalf("a valid spec does not boot: %v", err)
		}
		if _, err := hypercall.ListPCPUs(h); err != nil {
			t.Fatal(err)
		}
		if _, err := hypercall.ListCpupools(h); err != nil {
			t.Fatal(err)
		}
		if _, err := hypercall.ListDomains(h); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzLoadState: a state file edited by hand (or by a fuzzer) is loaded
// or refused with an error, never a panic, and what loads saves again.
func FuzzLoadState(f *testing.F) {
	s, err := New(LabSpec())
	if err != nil {
		f.Fatal(err)
	}
	good, err := s.Snapshot()
	s.Close()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "sim.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Open(path)
		if err != nil {
			return
		}
		if _, err := s.Snapshot(); err != nil {
			t.Errorf("a loaded state does not encode: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("a loaded state does not save: %v", err)
		}
		s, err = Open(path)
		if err != nil {
			t.Fatalf("a saved state does not load: %v", err)
		}
		s.Discard()
	})
}
