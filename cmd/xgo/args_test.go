package main

import (
	"slices"
	"strings"
	"testing"
)

// testSpec is a small grammar independent of the real command tree:
//
//	globals: -o/--output VALUE, -q/--quiet, -v/--verbose, -N/--dry-run, --sim[=STATE]
//	xenstore ls [-f|--flat] [-p|--perms]
//	xenstore watch [-n|--count N]
//	sched-rtds [-d|--domain DOM] [-v|--vcpuid ID]  (-v shadows the global)
//	version
//	help
func testSpec() argSpec {
	return argSpec{
		global: flagTable{
			"output": {canon: "output", value: true}, "o": {canon: "output", value: true},
			"quiet": {canon: "quiet"}, "q": {canon: "quiet"},
			"verbose": {canon: "verbose"}, "v": {canon: "verbose"},
			"dry-run": {canon: "dry-run"}, "N": {canon: "dry-run"},
			"sim": {canon: "sim"},
		},
		root: &cmdSpec{flags: flagTable{}, subs: map[string]*cmdSpec{
			"version": {flags: flagTable{}},
			"help":    {flags: flagTable{}},
			"sched-rtds": {flags: flagTable{
				"domain": {canon: "domain", value: true}, "d": {canon: "domain", value: true},
				"vcpuid": {canon: "vcpuid", value: true}, "v": {canon: "vcpuid", value: true},
			}},
			"xenstore": {flags: flagTable{}, subs: map[string]*cmdSpec{
				"ls": {flags: flagTable{
					"flat": {canon: "flat"}, "f": {canon: "flat"},
					"perms": {canon: "perms"}, "p": {canon: "perms"},
				}},
				"watch": {flags: flagTable{
					"count": {canon: "count", value: true}, "n": {canon: "count", value: true},
				}},
			}},
		}},
	}
}

func TestNormalizeArgs(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "xgo", "xgo"},
		{"global before", "xgo -o json version", "xgo --output=json version"},
		{"global after", "xgo version -o json", "xgo --output=json version"},
		{"global after positional", "xgo xenstore ls /a -o json", "xgo --output=json xenstore ls -- /a"},
		{"global between group and verb", "xgo xenstore -q ls /a", "xgo --quiet xenstore ls -- /a"},
		{"long with =", "xgo xenstore ls /a --output=yaml", "xgo --output=yaml xenstore ls -- /a"},
		{"short with =", "xgo version -o=yaml", "xgo --output=yaml version"},
		{"short with attached value", "xgo version -ojson", "xgo --output=json version"},
		{"value that looks like a flag", "xgo version -o -q", "xgo --output=-q version"},
		{"alias canonicalised, order kept", "xgo -o json version --output yaml", "xgo --output=json --output=yaml version"},
		{"local after positional", "xgo xenstore ls /a -f", "xgo xenstore ls --flat -- /a"},
		{"local before positional", "xgo xenstore ls -p /a", "xgo xenstore ls --perms -- /a"},
		{"bundle of locals", "xgo xenstore ls -fp /a", "xgo xenstore ls --flat --perms -- /a"},
		{"bundle mixing global and local", "xgo xenstore ls -qf /a", "xgo --quiet xenstore ls --flat -- /a"},
		{"local value flag", "xgo xenstore watch /a -n 3", "xgo xenstore watch --count=3 -- /a"},
		{"local value attached in bundle", "xgo xenstore watch -n3 /a", "xgo xenstore watch --count=3 -- /a"},
		{"local long value", "xgo xenstore watch --count 3 /a", "xgo xenstore watch --count=3 -- /a"},
		{"double dash ends flags", "xgo xenstore ls -- -o -f", "xgo xenstore ls -- -o -f"},
		{"double dash after flags", "xgo xenstore ls -f -- /a -q", "xgo xenstore ls --flat -- /a -q"},
		{"lone dash is positional", "xgo xenstore ls -", "xgo xenstore ls -- -"},
		{"sim alone binds nothing", "xgo xenstore ls --sim /a", "xgo --sim xenstore ls -- /a"},
		{"sim with value", "xgo xenstore ls /a --sim=host.yaml", "xgo --sim=host.yaml xenstore ls -- /a"},
		{"sim before command", "xgo --sim version", "xgo --sim version"},
		{"unknown command is positional", "xgo bogus -q", "xgo --quiet -- bogus"},
		{"unknown subcommand is positional", "xgo xenstore bogus /a", "xgo xenstore -- bogus /a"},
		{"command word after positional is positional", "xgo xenstore ls version", "xgo xenstore ls -- version"},
		{"help flag", "xgo -h", "xgo help"},
		{"help flag on command", "xgo xenstore ls /a -f -h", "xgo help xenstore ls"},
		{"long help flag", "xgo version --help -o json", "xgo --output=json help version"},
		{"help in bundle", "xgo xenstore ls -fh", "xgo help xenstore ls"},
		{"help on unknown command", "xgo bogus -h", "xgo help bogus"},
		{"help after -- is positional", "xgo xenstore ls -- -h", "xgo xenstore ls -- -h"},
		{"help command passes through", "xgo help xenstore ls", "xgo help -- xenstore ls"},
		{"command flag shadows global after the command", "xgo sched-rtds -d dom -v all", "xgo sched-rtds --domain=dom --vcpuid=all"},
		{"global before the command is the global", "xgo -v sched-rtds -v 0", "xgo --verbose sched-rtds --vcpuid=0"},
		{"long global name is not shadowed", "xgo sched-rtds --verbose -v 0", "xgo --verbose sched-rtds --vcpuid=0"},
		{"shadowing flag after positional", "xgo sched-rtds extra -v 1", "xgo sched-rtds --vcpuid=1 -- extra"},
		{"shadowing flag in a bundle", "xgo sched-rtds -qv1", "xgo --quiet sched-rtds --vcpuid=1"},
		{"shadowing flag bundled with its value next", "xgo sched-rtds -qv 1", "xgo --quiet sched-rtds --vcpuid=1"},
		{"no shadowing in other commands", "xgo version -v", "xgo --verbose version"},
		{"no shadowing in other subcommands", "xgo xenstore ls -v /a", "xgo --verbose xenstore ls -- /a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := normalizeArgs(testSpec(), strings.Fields(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(out, " ")
			if got != tt.want {
				t.Errorf("normalizeArgs(%q)\n got: %q\nwant: %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeArgsKeepsArgsWithSpaces(t *testing.T) {
	in := []string{"xgo", "xenstore", "ls", "/a b", "-o", "json c"}
	got, _ := normalizeArgs(testSpec(), in)
	want := []string{"xgo", "--output=json c", "xenstore", "ls", "--", "/a b"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestNormalizeArgsMissingValue(t *testing.T) {
	for _, in := range []string{"xgo version -o", "xgo -o", "xgo xenstore watch /a -n", "xgo xenstore watch /a -qn", "xgo sched-rtds -d x -v"} {
		_, err := normalizeArgs(testSpec(), strings.Fields(in))
		f := strings.Fields(in)
		want := "flag " + f[len(f)-1] + " needs a value"
		if err == nil || err.Error() != want || exitCode(err) != exitUsage {
			t.Errorf("normalizeArgs(%q) error = %v, want usage error %q", in, err, want)
		}
	}
}

func TestNormalizeArgsUnknownFlag(t *testing.T) {
	for in, want := range map[string]string{
		"xgo xenstore ls /a --bogus": "xenstore ls: unknown flag --bogus",
		"xgo --bogus version":        "unknown flag --bogus",
		"xgo xenstore ls -fz":        "xenstore ls: unknown flag -fz",
		"xgo xenstore ls -5":         "xenstore ls: unknown flag -5",
		"xgo xenstore -f ls":         "xenstore: unknown flag -f",
		"xgo version --count=3":      "version: unknown flag --count=3",
	} {
		_, err := normalizeArgs(testSpec(), strings.Fields(in))
		if err == nil || err.Error() != want || exitCode(err) != exitUsage {
			t.Errorf("normalizeArgs(%q) error = %v, want usage error %q", in, err, want)
		}
	}
}

func TestNormalizeArgsDoesNotModifyInput(t *testing.T) {
	in := []string{"xgo", "version", "-o", "json"}
	orig := slices.Clone(in)
	normalizeArgs(testSpec(), in)
	if !slices.Equal(in, orig) {
		t.Errorf("input changed to %q", in)
	}
}

// TestSpecFromApp checks the grammar derived from the real command tree:
// global flags with and without values, and the --sim optional value.
func TestSpecFromApp(t *testing.T) {
	spec := specFromApp(newApp(testDeps(t)))
	for name, want := range map[string]flagInfo{
		"o": {canon: "output", value: true}, "output": {canon: "output", value: true},
		"q": {canon: "quiet"}, "v": {canon: "verbose"}, "N": {canon: "dry-run"},
		"sim": {canon: "sim"},
	} {
		if got, ok := spec.global[name]; !ok || got.canon != want.canon || got.value != want.value || got.optional != nil {
			t.Errorf("global %q = %+v, %v; want %+v", name, got, ok, want)
		}
	}
	if _, ok := spec.root.subs["version"]; !ok {
		t.Error("no version command in the spec")
	}
	// sched-rtds's -v is xl's vCPU id after the command, --verbose before.
	for in, want := range map[string]string{
		"xgo sched-rtds -d rt1 -v all -p 10000 -b 4000": "xgo sched-rtds --domain=rt1 --vcpuid=all --period=10000 --budget=4000",
		"xgo -v sched-rtds -d rt1 -v 0":                 "xgo --verbose sched-rtds --domain=rt1 --vcpuid=0",
		"xgo sched-credit -d rt1 -v":                    "xgo --verbose sched-credit --domain=rt1",
	} {
		out, err := normalizeArgs(spec, strings.Fields(in))
		if got := strings.Join(out, " "); err != nil || got != want {
			t.Errorf("normalizeArgs(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestOptionalValueFlags: a flag whose value is optional takes the next
// word when it reads as its value, as a flag with a value does
// ("--wait 1s" like "--timeout 30s"), and leaves any other word alone.
// The real tree is used, so every such flag is covered.
func TestOptionalValueFlags(t *testing.T) {
	spec := specFromApp(newApp(testDeps(t)))
	for in, want := range map[string]string{
		"xgo vsnd-attach d P --wait 1s":  "xgo vsnd-attach --wait=1s -- d P",
		"xgo vsnd-attach d --wait 30 P":  "xgo vsnd-attach --wait=30 -- d P",
		"xgo vsnd-attach d --wait P":     "xgo vsnd-attach --wait -- d P",
		"xgo vsnd-attach d P --wait":     "xgo vsnd-attach --wait -- d P",
		"xgo vsnd-attach d --wait=2s P":  "xgo vsnd-attach --wait=2s -- d P",
		"xgo vsnd-attach d --wait -- 1s": "xgo vsnd-attach --wait -- d 1s",
		"xgo --sim pcpu-list":            "xgo --sim pcpu-list",
		"xgo --sim version":              "xgo --sim version",
	} {
		got, err := normalizeArgs(spec, strings.Fields(in))
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("normalizeArgs(%q) = %q, %v; want %q", in, strings.Join(got, " "), err, want)
		}
	}
	r := runXgo(t, testDeps(t), "vsnd-attach", "d", "PCM, name=x", "--wait", "1s", "--timeout")
	if strings.Contains(r.stderr, `unknown item "1s"`) {
		t.Errorf("--wait 1s: %q", r.stderr)
	}
}
