package main

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestDidYouMean: a mistyped command (every one in the tree, with two
// letters swapped), cpupool or domain gets the name that was probably
// meant.
func TestDidYouMean(t *testing.T) {
	t.Parallel()
	app := newApp(testDeps(t))
	var walk func(prefix []string, cmds []*cli.Command)
	walk = func(prefix []string, cmds []*cli.Command) {
		for _, c := range cmds {
			if c.Hidden || len(c.Name) < 4 {
				continue
			}
			b := []byte(c.Name)
			i := len(b) / 2
			b[i-1], b[i] = b[i], b[i-1]
			typo := string(b)
			if typo == c.Name {
				continue
			}
			for _, line := range [][]string{append(append([]string{}, prefix...), typo), append([]string{"help"}, append(append([]string{}, prefix...), typo)...)} {
				r := runXgo(t, testDeps(t), line...)
				if r.code != exitUsage || !strings.Contains(r.stderr, `did you mean "`+c.Name+`"?`) {
					t.Errorf("xgo %q: %+v, want a suggestion of %s", line, r, c.Name)
				}
			}
			walk(append(append([]string{}, prefix...), c.Name), c.Subcommands)
		}
	}
	walk(nil, app.Commands)

	sim := simState(t, cpupoolSpec)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"cpupool-destroy", "sprae"}, "xgo: unknown cpupool 'sprae' (did you mean 'spare'?)"},
		{[]string{"cpupool-list", "pool-0"}, "xgo: Pool 'pool-0' does not exist (did you mean 'Pool-0'?)"},
		{[]string{"cpupool-migrate", "wbe", "spare"}, "xgo: unknown domain 'wbe' (did you mean 'web'?)"},
		{[]string{"sched-credit2", "-d", "rt2"}, "xgo: unknown domain 'rt2' (did you mean 'rt1'?)"},
		{[]string{"cpupool-destroy", "nope"}, "xgo: unknown cpupool 'nope'"},
	} {
		r := runXgo(t, testDeps(t), append([]string{sim}, tt.args...)...)
		if r.code != exitFailure || r.stderr != tt.want+"\n" {
			t.Errorf("xgo %q: exit %d, stderr %q, want %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}
