package main

import (
	"testing"
)

func TestVsndBackendBadInput(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"vsnd-backend", "--wav-dir", "/nonexistent/xgo"}, `xgo: vsnd-backend: --wav-dir "/nonexistent/xgo" is not a directory` + "\n"},
		{[]string{"vsnd-backend", "extra"}, `xgo: vsnd-backend: unexpected argument "extra"` + "\n"},
	} {
		r := runXgo(t, testDeps(t), tt.args...)
		if r.code != exitUsage || r.stderr != tt.want || r.stdout != "" {
			t.Errorf("xgo %q: code %d, stderr %q, stdout %q", tt.args, r.code, r.stderr, r.stdout)
		}
	}
}
