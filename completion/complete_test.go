package completion

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"xgo.dev/xgo/xensim"
)

// fakeHost answers from fixed data and counts opens.
type fakeHost struct {
	pools, doms, scheds []string
	online, offline     []int
	vsnd                map[string][]string
	cpuPool             map[int]string
}

func (f *fakeHost) CPUPools(context.Context) (map[int]string, error) { return f.cpuPool, nil }

func (f *fakeHost) Pools(context.Context) ([]string, error)      { return f.pools, nil }
func (f *fakeHost) Domains(context.Context) ([]string, error)    { return f.doms, nil }
func (f *fakeHost) Schedulers(context.Context) ([]string, error) { return f.scheds, nil }
func (f *fakeHost) CPUs(_ context.Context, online bool) ([]int, error) {
	if online {
		return f.online, nil
	}
	return f.offline, nil
}
func (f *fakeHost) VsndDevices(_ context.Context, d string) ([]string, error) {
	if v, ok := f.vsnd[d]; ok {
		return v, nil
	}
	return nil, errors.New("no such domain")
}
func (f *fakeHost) XenStoreChildren(_ context.Context, dir string) ([]string, error) {
	if dir == "/" {
		return []string{"local", "tool"}, nil
	}
	return nil, errors.New("none")
}

var testGlobals = []Flag{
	{Names: []string{"output", "o"}, TakesValue: true},
	{Names: []string{"quiet", "q"}},
	{Names: []string{"sim"}, OptionalValue: true},
}

var testTree = &Command{Name: "xgo", Subs: []*Command{
	{Name: "help", ArgsUsage: "[<command>...]"},
	{Name: "cpupool-cpu-add", ArgsUsage: "<pool> <cpu-list>"},
	{Name: "cpupool-cpu-move", ArgsUsage: "<cpu-list> <pool>"},
	{Name: "cpupool-cpu-remove", ArgsUsage: "<pool> <cpu-list>"},
	{Name: "cpupool-migrate", ArgsUsage: "<domain> <pool>"},
	{Name: "sim", Subs: []*Command{{Name: "fault", Subs: []*Command{{Name: "op", ArgsUsage: "<op> <errno> [-n N | --always]"}}}}},
	{Name: "pcpu-online", Aliases: []string{"cpu-online"}, ArgsUsage: "<cpu-list>"},
	{Name: "cpupool-set-sched", ArgsUsage: "<pool> <scheduler> [<param>=<value>...]"},
	{Name: "vsnd-detach", ArgsUsage: "<domain> <devid>", Flags: []Flag{{Names: []string{"force", "F"}}, {Names: []string{"timeout", "t"}, TakesValue: true}}},
	{Name: "vsnd-list", ArgsUsage: "<domain>..."},
	{Name: "sched-credit", ArgsUsage: "[-d <domain>] [-p <pool>]", Flags: []Flag{{Names: []string{"domain", "d"}, TakesValue: true}, {Names: []string{"cpupool", "p"}, TakesValue: true}}},
	{Name: "cpupool-create", ArgsUsage: "[-f <file>] [<file>] [<key>=<value>...]", Flags: []Flag{{Names: []string{"defconfig", "f"}, TakesValue: true}}},
	{Name: "xenstore", ArgsUsage: "<command> [<args>...]", Subs: []*Command{
		{Name: "read", ArgsUsage: "<path>..."},
		{Name: "ls", ArgsUsage: "[<path>...]"},
	}},
	{Name: "secret", Hidden: true},
	// -q here is the command's, taking a value: it shadows the global -q.
	{Name: "grab", ArgsUsage: "<pool>", Flags: []Flag{{Names: []string{"q"}, TakesValue: true}}},
}}

func TestComplete(t *testing.T) {
	host := &fakeHost{
		pools: []string{"Pool-0", "rt"}, doms: []string{"Domain-0", "domu1"}, scheds: []string{"credit2", "credit"},
		online: []int{0, 1, 2}, offline: []int{3}, vsnd: map[string][]string{"domu1": {"0", "2"}},
		cpuPool: map[int]string{0: "Pool-0", 1: "rt"},
	}
	tests := []struct {
		line  string // words separated by spaces; a trailing space means an empty last word
		want  []string
		files bool
	}{
		{"cpupool-cpu-add ", []string{"Pool-0", "rt"}, false},
		{"cpupool-cpu-add r", []string{"rt"}, false},
		// cpu-add offers the free cpus, cpu-remove the pool's, cpu-move
		// (pool not typed yet) every online one; ids typed are not
		// offered again, after "^" only those are.
		{"cpupool-cpu-add rt ", []string{"2"}, false},
		{"cpupool-cpu-remove rt ", []string{"1"}, false},
		{"cpupool-cpu-remove Pool-0 ", []string{"0"}, false},
		{"cpupool-cpu-move ", []string{"0", "1", "2"}, false},
		{"cpupool-cpu-move 0,", []string{"0,1", "0,2"}, false},
		{"cpupool-cpu-move 0-1,^", []string{"0-1,^0", "0-1,^1"}, false},
		{"cpupool-migrate ", []string{"domu1"}, false},
		{"sim fault op ", xensimOps(), false},
		{"sim fault op rmc", []string{"rmcpu"}, false},
		{"sim fault op rmcpu EB", []string{"EBUSY"}, false},
		{"cpupool-cpu-move 1 ", []string{"Pool-0", "rt"}, false},
		{"pcpu-online ", []string{"3"}, false},
		{"cpu-online ", []string{"3"}, false},
		{"-q cpupool-set-sched rt ", []string{"credit2", "credit"}, false},
		{"cpupool-set-sched rt credit ", nil, false},
		{"vsnd-detach ", []string{"Domain-0", "domu1"}, false},
		{"vsnd-detach domu1 ", []string{"0", "2"}, false},
		{"vsnd-detach -F domu1 ", []string{"0", "2"}, false},
		{"vsnd-detach -t 5 domu1 ", []string{"0", "2"}, false},
		{"vsnd-detach nosuch ", nil, false},
		{"vsnd-list domu1 ", []string{"Domain-0", "domu1"}, false},
		{"sched-credit -d ", []string{"Domain-0", "domu1"}, false},
		{"sched-credit --cpupool=", []string{"--cpupool=Pool-0", "--cpupool=rt"}, false},
		{"sched-credit -p r", []string{"rt"}, false},
		{"cpupool-create -f ", nil, true},
		{"cpupool-create ", nil, true},
		{"cpupool-create a.cfg ", nil, false},
		{"-o ", []string{"table", "json", "yaml"}, false},
		{"--output=y", []string{"--output=yaml"}, false},
		{"vsnd-detach --f", []string{"--force"}, false},
		{"cpupool-c", []string{"cpupool-cpu-add", "cpupool-cpu-move", "cpupool-cpu-remove", "cpupool-create"}, false},
		{"s", []string{"sim", "sched-credit"}, false}, // not "secret": hidden
		{"cpu-o", []string{"cpu-online"}, false},
		{"xenstore ", []string{"read", "ls"}, false},
		{"xenstore read /", []string{"/local", "/tool"}, false},
		{"help xenstore ", []string{"read", "ls"}, false},
		{"help cpupool-cpu-a", []string{"cpupool-cpu-add"}, false},
		{"-- ", nil, false},
		{"grab -q ", nil, false},                        // the command's -q: its value
		{"grab -q x ", []string{"Pool-0", "rt"}, false}, // then the pool
		{"-q grab ", []string{"Pool-0", "rt"}, false},   // the global -q
		{"grab -", []string{"-q", "--output", "-o", "--quiet", "--sim"}, false},
	}
	for _, tt := range tests {
		words := strings.Split(tt.line, " ")
		r := Complete(context.Background(), testTree, testGlobals, words, func(context.Context, Target) (Host, error) { return host, nil })
		if !reflect.DeepEqual(r.Words, tt.want) || r.Files != tt.files {
			t.Errorf("%q: got %q files=%v, want %q files=%v", tt.line, r.Words, r.Files, tt.want, tt.files)
		}
	}
}

// TestCompleteSilent: a host that cannot be opened gives no candidates
// where the host is needed, and the host is not opened for flags.
func TestCompleteSilent(t *testing.T) {
	opens := 0
	open := func(context.Context, Target) (Host, error) { opens++; return nil, errors.New("permission denied") }
	for _, line := range []string{"cpupool-cpu-add ", "vsnd-detach domu1 ", "pcpu-online "} {
		if r := Complete(context.Background(), testTree, testGlobals, strings.Split(line, " "), open); len(r.Words) != 0 || r.Files {
			t.Errorf("%q: %+v", line, r)
		}
	}
	if opens != 3 {
		t.Errorf("opened %d times, want once per completion", opens)
	}
	opens = 0
	Complete(context.Background(), testTree, testGlobals, []string{"vsnd-detach", "--"}, open)
	Complete(context.Background(), testTree, testGlobals, []string{"cpu"}, open)
	if opens != 0 {
		t.Errorf("flag and command completion opened the host %d times", opens)
	}
}

// TestCompleteTarget: --sim on the line selects the simulated host.
func TestCompleteTarget(t *testing.T) {
	for line, want := range map[string]Target{
		"cpupool-cpu-add ":                  {},
		"--sim cpupool-cpu-add ":            {Sim: true},
		"cpupool-cpu-add --sim=/s ":         {Sim: true, SimState: "/s"},
		"-o json --sim=/x cpupool-cpu-add ": {Sim: true, SimState: "/x"},
	} {
		var got Target
		Complete(context.Background(), testTree, testGlobals, strings.Split(line, " "), func(_ context.Context, t Target) (Host, error) {
			got = t
			return nil, errors.New("x")
		})
		if got != want {
			t.Errorf("%q: target %+v, want %+v", line, got, want)
		}
	}
}

func TestSlots(t *testing.T) {
	tests := []struct {
		usage string
		want  []string // slots of the first 5 positions
	}{
		{"<pool> <cpu-list>", []string{"pool", "cpu-list", "", "", ""}},
		{"<domain>...", []string{"domain", "domain", "domain", "domain", "domain"}},
		{"<pool> <scheduler> [<param>=<value>...]", []string{"pool", "scheduler", "param=value", "param=value", "param=value"}},
		{"[-f <file>] [<file>] [<key>=<value>...]", []string{"file", "key=value", "key=value", "key=value", "key=value"}},
		{"<path> <value> [<path> <value>]...", []string{"path", "value", "path", "value", "path"}},
		{"[-c] [<pool>]", []string{"pool", "", "", "", ""}},
		{"[-d <domain>] [--vcpuid <id|all>]... [--cpupool=<pool>]", []string{"", "", "", "", ""}},
		{"<op> <errno> [-n N | --always]", []string{"op", "errno", "", "", ""}},
		{"", []string{"", "", "", "", ""}},
	}
	for _, tt := range tests {
		s := Slots(tt.usage)
		var got []string
		for i := 0; i < 5; i++ {
			got = append(got, s.At(i))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Slots(%q) = %q, want %q", tt.usage, got, tt.want)
		}
	}
}

func TestScript(t *testing.T) {
	for _, sh := range Shells {
		s, err := Script(sh)
		if err != nil || !strings.Contains(s, CompleteCommand) {
			t.Errorf("%s: %v", sh, err)
		}
	}
	if _, err := Script("csh"); err == nil {
		t.Error("csh accepted")
	}
}

// xensimOps are the one-word fault operations.
func xensimOps() []string {
	var out []string
	for _, n := range xensim.OpNames() {
		if !strings.Contains(n, " ") {
			out = append(out, n)
		}
	}
	return out
}
