package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/urfave/cli/v2"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// testDeps returns deps writing to buffers, with an empty environment and
// stdout a pipe.
func testDeps(t *testing.T) deps {
	t.Helper()
	return deps{
		Stdin:  strings.NewReader(""),
		Stdout: new(bytes.Buffer),
		Stderr: new(bytes.Buffer),
		Getenv: func(string) string { return "" },
	}
}

// lockedBuffer is a bytes.Buffer safe for a command writing in one
// goroutine while the test reads in another.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type result struct {
	stdout, stderr string
	code           int
}

// runXgo runs one xgo command line in-process with d.
func runXgo(t *testing.T, d deps, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	d.Stdout, d.Stderr = &stdout, &stderr
	code := execute(context.Background(), newApp(d), append([]string{"xgo"}, args...), &stderr)
	return result{stdout.String(), stderr.String(), code}
}

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	plat := runtime.GOOS + "/" + runtime.GOARCH
	for _, args := range [][]string{{"version"}, {"-v", "version"}} {
		r := runXgo(t, testDeps(t), args...)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("xgo %q: code %d, stderr %q", args, r.code, r.stderr)
		}
		if !strings.HasPrefix(r.stdout, "xgo version devel") || !strings.HasSuffix(r.stdout, " "+runtime.Version()+" "+plat+"\n") {
			t.Errorf("xgo %q printed %q", args, r.stdout)
		}
	}
	for _, args := range [][]string{{"version", "-o", "json"}, {"-o", "json", "version"}, {"version", "--output=json"}} {
		r := runXgo(t, testDeps(t), args...)
		for _, want := range []string{`"schemaVersion": 1`, `"version": "devel"`, `"goVersion": "` + runtime.Version() + `"`, `"os": "` + runtime.GOOS + `"`} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("xgo %q: %q lacks %s", args, r.stdout, want)
			}
		}
	}
	if r := runXgo(t, testDeps(t), "version", "-o", "yaml"); !strings.HasPrefix(r.stdout, "schemaVersion: 1\nversion: devel\n") {
		t.Errorf("yaml: %q", r.stdout)
	}
	if r := runXgo(t, testDeps(t), "version", "-q"); r.stdout != "devel\n" {
		t.Errorf("quiet: %q", r.stdout)
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"help"}, {"-h"}, {"--help"}} {
		r := runXgo(t, testDeps(t), args...)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("xgo %q: code %d, stderr %q", args, r.code, r.stderr)
		}
		golden(t, "help.golden", r.stdout)
	}
	r := runXgo(t, testDeps(t), "version", "-h")
	if r.code != 0 || !strings.Contains(r.stdout, "xgo version - Print") {
		t.Errorf("version -h: %+v", r)
	}
	if h := runXgo(t, testDeps(t), "help", "version"); h != r {
		t.Errorf("help version = %+v, version -h = %+v", h, r)
	}
}

// TestBadInput checks that mistakes give one stderr line naming the bad
// token, exit code 2 and nothing on stdout. The xenstore commands add
// their own cases in xenstore_test.go.
func TestBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string // the stderr line
	}{
		{[]string{"bogus"}, `xgo: unknown command "bogus" (see "xgo help")`},
		{[]string{"--bogus"}, `xgo: unknown flag --bogus`},
		{[]string{"-z", "version"}, `xgo: unknown flag -z`},
		{[]string{"version", "--bogus"}, `xgo: version: unknown flag --bogus`},
		{[]string{"version", "extra"}, `xgo: version: unexpected argument "extra"`},
		{[]string{"version", "-o", "xml"}, `xgo: unknown output format "xml" for -o/--output (want table, json or yaml)`},
		{[]string{"version", "-o"}, `xgo: flag -o needs a value`},
		{[]string{"help", "bogus"}, `xgo: unknown command "bogus" (see "xgo help")`},
		{[]string{"bogus", "-h"}, `xgo: unknown command "bogus" (see "xgo help")`},
		{[]string{"--sim=", "version"}, `xgo: invalid value "" for flag --sim`},
	}
	for _, tt := range tests {
		r := runXgo(t, testDeps(t), tt.args...)
		if r.code != exitUsage || r.stderr != tt.want+"\n" || r.stdout != "" {
			t.Errorf("xgo %q:\n got code %d, stderr %q, stdout %q\nwant code 2, stderr %q", tt.args, r.code, r.stderr, r.stdout, tt.want)
		}
	}
}

// TestNoPanicReachesUser runs a command that panics and checks that the
// user sees one line and exit code 1, not a Go stack trace.
func TestNoPanicReachesUser(t *testing.T) {
	t.Parallel()
	d := testDeps(t)
	var stdout, stderr bytes.Buffer
	d.Stdout, d.Stderr = &stdout, &stderr
	app := newApp(d)
	app.Commands = append(app.Commands, &cli.Command{
		Name: "boom",
		Action: func(c *cli.Context) error {
			var s []int
			return fmt.Errorf("%d", s[c.NArg()+3]) // a runtime panic
		},
	})
	code := execute(context.Background(), app, []string{"xgo", "boom"}, &stderr)
	if code != exitFailure {
		t.Errorf("exit code %d, want %d", code, exitFailure)
	}
	want := "xgo: internal error: runtime error: index out of range [3] with length 0 (this is a bug in xgo; please report it)\n"
	if stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
	if strings.Contains(stderr.String(), "goroutine") || stdout.Len() != 0 {
		t.Errorf("stack trace or stdout leaked: %q / %q", stderr.String(), stdout.String())
	}
}

// shadowsGlobal lists the command flags that shadow a global flag of
// the same name after the command name (see normalizeArgs): xl's
// "sched-rtds -v VCPUID".
var shadowsGlobal = map[string][]string{"sched-rtds": {"v"}}

var argsUsageRE = regexp.MustCompile(`^(\[?<[a-z-]+>(\.\.\.)?\]?|\[[^\]]+\]|<[a-z-]+>|\{[a-z|]+\}|\.\.\.| )*$`)

// TestCommandTree lints the command tree as data: usage strings start
// with a capital letter and have no trailing period, ArgsUsage follows the
// <placeholder> [optional] ... syntax, leaf commands show an EXAMPLE, and
// no command has a flag name or alias twice or shadows a global flag
// (except those in shadowsGlobal, where xl spells an option like one).
func TestCommandTree(t *testing.T) {
	t.Parallel()
	app := newApp(testDeps(t))
	global := map[string]bool{"h": true, "help": true}
	for _, f := range app.Flags {
		for _, n := range f.Names() {
			global[n] = true
		}
	}
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := strings.TrimSpace(prefix + " " + c.Name)
			if c.Usage == "" || !unicode.IsUpper(rune(c.Usage[0])) || strings.HasSuffix(c.Usage, ".") {
				t.Errorf("%s: Usage %q should be capitalised, without a trailing period", name, c.Usage)
			}
			if !argsUsageRE.MatchString(c.ArgsUsage) {
				t.Errorf("%s: ArgsUsage %q does not follow <placeholder> [optional] ... syntax", name, c.ArgsUsage)
			}
			if len(c.Subcommands) == 0 && c.Name != "help" && !strings.Contains(c.Description, "EXAMPLES:") {
				t.Errorf("%s: Description has no EXAMPLES", name)
			}
			seen := map[string]bool{}
			for _, f := range c.Flags {
				for _, n := range f.Names() {
					if seen[n] || (global[n] && !slices.Contains(shadowsGlobal[name], n)) {
						t.Errorf("%s: flag name %q used twice or shadows a global flag", name, n)
					}
					seen[n] = true
				}
			}
			walk(name, c.Subcommands)
		}
	}
	walk("", app.Commands)
}
