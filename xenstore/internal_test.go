package xenstore

import (
	"testing"
	"time"
)

func TestDebugEnabled(t *testing.T) {
	for _, tt := range []struct {
		v    string
		want bool
	}{
		{"", false},
		{"xenstore", true},
		{"hypercall,xenstore", true},
		{"xenstore,hypercall", true},
		{" hypercall , xenstore ", true},
		{"xenstore=1", true},
		{"xenstore=0", false},
		{"xenstore,xenstore=0", false},
		{"xenstore=off", false},
		{"hypercall", false},
		{"xenstored", false},
		{"xen", false},
	} {
		if got := debugEnabled(tt.v, "xenstore"); got != tt.want {
			t.Errorf("debugEnabled(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	base := time.Millisecond
	for n := 2; n <= 20; n++ {
		shift := min(n-2, 6)
		lo, hi := (base<<shift)/2, (base<<shift)*3/2
		for range 100 {
			if d := backoff(base, n); d < lo || d >= hi {
				t.Fatalf("backoff(%v, %d) = %v, want in [%v, %v)", base, n, d, lo, hi)
			}
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	var nilCfg *Config
	if nilCfg.maxTxAttempts() != 16 || nilCfg.txBackoff() != time.Millisecond || nilCfg.watchBuffer() != 256 {
		t.Fatal("nil Config defaults")
	}
	cfg := &Config{MaxTxAttempts: 3, TxBackoff: time.Second, WatchBuffer: 1}
	if cfg.maxTxAttempts() != 3 || cfg.txBackoff() != time.Second || cfg.watchBuffer() != 1 {
		t.Fatal("Config values ignored")
	}
}
