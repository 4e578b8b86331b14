package completion

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/xensim"
)

// Command is one command of the tree as completion needs it. cmd/xgo
// builds it from its urfave/cli tree, so completion and help cannot
// disagree about names, flags or argument slots.
type Command struct {
	Name    string
	Aliases []string
	// ArgsUsage is the command's argument synopsis, e.g. "<pool>
	// <cpu-list>"; its placeholders name the argument slots (see Slots).
	ArgsUsage string
	Flags     []Flag
	Subs      []*Command
	Hidden    bool // not offered, but still walked when typed
}

// Flag is one flag of a command or of the global set.
type Flag struct {
	// Names are the flag's names without dashes; the first is canonical.
	Names []string
	// TakesValue: the flag needs a value ("-o json").
	TakesValue bool
	// OptionalValue: the flag takes a value only as --name=VALUE
	// (--sim[=STATE]).
	OptionalValue bool
}

func (c *Command) hasName(n string) bool {
	if c.Name == n {
		return true
	}
	for _, a := range c.Aliases {
		if a == n {
			return true
		}
	}
	return false
}

func (c *Command) sub(n string) *Command {
	for _, s := range c.Subs {
		if s.hasName(n) {
			return s
		}
	}
	return nil
}

// Result is what the shell is given: candidate words, and whether it
// should complete file names itself instead.
type Result struct {
	Words []string
	Files bool
}

// Target says which host the command line acts on: --sim[=STATE] on the
// line (or $XGO_SIM, which the caller applies) selects the simulated one.
type Target struct {
	Sim      bool
	SimState string
}

// Opener opens a read-only view of the host the line acts on. It is
// called at most once, and only when a candidate needs the host.
type Opener func(ctx context.Context, t Target) (Host, error)

// Complete returns the candidates for the last word of words, the words
// typed after "xgo" (the last one may be empty: the cursor is after a
// space). root's Subs are xgo's commands, globals its global flags.
// Anything the host cannot tell (no Xen, no permission) gives no
// candidates, never an error.
func Complete(ctx context.Context, root *Command, globals []Flag, words []string, open Opener) Result {
	if len(words) == 0 {
		words = []string{""}
	}
	l := parseLine(root, globals, words[:len(words)-1])
	cur := words[len(words)-1]
	h := &lazyHost{open: open, target: l.target}
	defer h.close()
	var r Result
	switch {
	case l.pendingFlag != "":
		r = flagValues(ctx, h, l.pendingFlag, "", cur)
	case !l.dashdash && strings.HasPrefix(cur, "-"):
		r = flagNames(ctx, h, l, globals, cur)
	case !l.dashdash && len(l.pos) == 0 && len(l.cmd.Subs) > 0:
		r.Words = subNames(l.cmd, cur)
	default:
		r = argValues(ctx, h, l, cur)
	}
	if !r.Files {
		r.Words = filter(r.Words, cur)
	}
	return r
}

// line is what the words before the cursor say.
type line struct {
	root        *Command
	cmd         *Command
	path        []string // canonical command names walked, e.g. ["xenstore", "read"]
	pos         []string // positional arguments typed so far
	flags       map[string]string
	dashdash    bool
	pendingFlag string // canonical name of a flag whose value is the current word
	target      Target
}

func lookupFlag(fs []Flag, name string) (Flag, bool) {
	for _, f := range fs {
		for _, n := range f.Names {
			if n == name {
				return f, true
			}
		}
	}
	return Flag{}, false
}

func parseLine(root *Command, globals []Flag, words []string) *line {
	l := &line{root: root, cmd: root, flags: map[string]string{}}
	// After a command's name its own flags shadow global ones of the same
	// name (xl's "sched-rtds -v VCPUID"), as cmd/xgo's normalizeArgs has it.
	find := func(name string) (Flag, bool) {
		if f, ok := lookupFlag(l.cmd.Flags, name); ok {
			return f, true
		}
		return lookupFlag(globals, name)
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if l.dashdash || w == "-" || !strings.HasPrefix(w, "-") {
			if !l.dashdash && len(l.pos) == 0 {
				if s := l.cmd.sub(w); s != nil {
					l.cmd = s
					l.path = append(l.path, s.Name)
					continue
				}
			}
			l.pos = append(l.pos, w)
			continue
		}
		if w == "--" {
			l.dashdash = true
			continue
		}
		long := strings.HasPrefix(w, "--")
		body := strings.TrimLeft(w, "-")
		name, val, hasVal := strings.Cut(body, "=")
		if f, ok := find(name); ok && (long || len(name) == 1 || hasVal) {
			canon := f.Names[0]
			switch {
			case hasVal:
				l.flags[canon] = val
			case f.TakesValue:
				if i+1 < len(words) {
					i++
					l.flags[canon] = words[i]
				} else {
					l.pendingFlag = canon
				}
			default:
				l.flags[canon] = ""
			}
			if canon == "sim" {
				l.target = Target{Sim: true, SimState: val}
			}
			continue
		}
		if long {
			continue // unknown: ignore
		}
		// A bundle of short flags: -fp, -qo json, -n5.
		for j := 0; j < len(name); j++ {
			f, ok := find(name[j : j+1])
			if !ok {
				break
			}
			if !f.TakesValue {
				l.flags[f.Names[0]] = ""
				continue
			}
			if rest := name[j+1:]; rest != "" {
				l.flags[f.Names[0]] = rest
			} else if i+1 < len(words) {
				i++
				l.flags[f.Names[0]] = words[i]
			} else {
				l.pendingFlag = f.Names[0]
			}
			break
		}
	}
	return l
}

// subNames are the visible subcommands of c.
func subNames(c *Command, cur string) []string {
	var out []string
	for _, s := range c.Subs {
		if s.Hidden {
			continue
		}
		out = append(out, s.Name)
		for _, a := range s.Aliases {
			if cur != "" && strings.HasPrefix(a, cur) {
				out = append(out, a)
			}
		}
	}
	return out
}

// flagNames completes "-..." with the flags of the command and the
// global ones, or the value of "--flag=...".
func flagNames(ctx context.Context, h *lazyHost, l *line, globals []Flag, cur string) Result {
	if name, val, ok := strings.Cut(strings.TrimLeft(cur, "-"), "="); ok && strings.HasPrefix(cur, "--") {
		f, found := lookupFlag(append(append([]Flag{}, l.cmd.Flags...), globals...), name)
		if !found || !(f.TakesValue || f.OptionalValue) {
			return Result{}
		}
		r := flagValues(ctx, h, f.Names[0], "--"+name+"=", val)
		return r
	}
	var out []string
	for i, fs := range [][]Flag{l.cmd.Flags, globals} {
		for _, f := range fs {
			for _, n := range f.Names {
				if _, shadowed := lookupFlag(l.cmd.Flags, n); i == 1 && shadowed {
					continue
				}
				if len(n) == 1 {
					out = append(out, "-"+n)
				} else {
					out = append(out, "--"+n)
				}
			}
		}
	}
	return Result{Words: out}
}

// flagValueSlots maps a flag's canonical name to the kind of value it
// takes, like the placeholders of ArgsUsage.
var flagValueSlots = map[string]string{
	"output":    "format",
	"domain":    "domain",
	"backend":   "domain",
	"cpupool":   "pool",
	"spec":      "file",
	"file":      "file",
	"defconfig": "file",
	"socket":    "file",
	"sim":       "file",
}

func flagValues(ctx context.Context, h *lazyHost, flag, prefix, cur string) Result {
	slot, ok := flagValueSlots[flag]
	if !ok {
		return Result{}
	}
	r := slotValues(ctx, h, &line{root: &Command{}, cmd: &Command{}}, slot, cur)
	if prefix != "" && !r.Files {
		words := make([]string, len(r.Words))
		for i, w := range r.Words {
			words[i] = prefix + w
		}
		r.Words = words
	}
	return r
}

// argValues completes a positional argument from the slot its position
// has in the command's ArgsUsage.
func argValues(ctx context.Context, h *lazyHost, l *line, cur string) Result {
	slots := Slots(l.cmd.ArgsUsage)
	slot := slots.At(len(l.pos))
	if slot == "" {
		return Result{}
	}
	return slotValues(ctx, h, l, slot, cur)
}

// slotValues returns the candidates for one kind of argument.
func slotValues(ctx context.Context, h *lazyHost, l *line, slot, cur string) Result {
	kind, ok := slotKinds[slot]
	if !ok {
		return Result{}
	}
	switch kind {
	case kindFormat:
		return Result{Words: []string{"table", "json", "yaml"}}
	case kindFile:
		return Result{Files: true}
	case kindShell:
		return Result{Words: append([]string(nil), Shells...)}
	case kindFaultOp:
		var words []string
		for _, n := range xensim.OpNames() {
			if !strings.Contains(n, " ") { // one word: the shells split the others
				words = append(words, n)
			}
		}
		return Result{Words: words}
	case kindErrno:
		return Result{Words: xensim.ErrnoNames()}
	case kindCommand:
		// "xgo help <command>...": the commands under those named so far.
		c := l.cmd
		if len(l.path) > 0 && l.path[0] == "help" {
			c = l.root
			for _, p := range l.pos {
				if s := c.sub(p); s != nil {
					c = s
				}
			}
		}
		return Result{Words: subNames(c, cur)}
	}
	host := h.get(ctx)
	if host == nil {
		return Result{}
	}
	var words []string
	var err error
	switch kind {
	case kindPool:
		words, err = host.Pools(ctx)
	case kindDomain:
		words, err = host.Domains(ctx)
		if noDom0Commands[strings.Join(l.path, " ")] {
			words = slices.DeleteFunc(slices.Clone(words), func(w string) bool { return w == "Domain-0" || w == "0" })
		}
	case kindScheduler:
		words, err = host.Schedulers(ctx)
	case kindCPUList:
		var ids []int
		ids, err = cpuCandidates(ctx, host, l)
		head := ""
		if i := strings.LastIndexAny(cur, ",^"); i >= 0 {
			head = cur[:i+1]
		}
		// After "2," the ids the list already has are not offered
		// again; after "0-7,^" only those are.
		if typed, perr := cpuset.Parse(strings.TrimRight(head, ",^"), nil); head != "" && perr == nil {
			negate := strings.HasSuffix(head, "^")
			ids = slices.DeleteFunc(slices.Clone(ids), func(id int) bool { return typed.Has(id) != negate })
		}
		for _, id := range ids {
			words = append(words, head+strconv.Itoa(id))
		}
	case kindDevID:
		dom := firstArgOfSlot(l, "domain")
		if dom == "" {
			dom = l.flags["domain"]
		}
		if dom != "" {
			words, err = host.VsndDevices(ctx, dom)
		}
	case kindXenStorePath:
		dir := "/"
		if i := strings.LastIndex(cur, "/"); i > 0 {
			dir = cur[:i]
		}
		var names []string
		names, err = host.XenStoreChildren(ctx, dir)
		base := strings.TrimSuffix(dir, "/") + "/"
		for _, n := range names {
			words = append(words, base+n)
		}
	}
	if err != nil {
		return Result{}
	}
	return Result{Words: words}
}

// cpuCandidates are the cpus a <cpu-list> of the command l offers, in id
// order: offline ones for pcpu-online, else online ones, narrowed for
// the cpupool commands by the pool on the line (cpuPoolFilter).
func cpuCandidates(ctx context.Context, host Host, l *line) ([]int, error) {
	cmd := strings.Join(l.path, " ")
	ids, err := host.CPUs(ctx, !offlineCPUCommands[cmd])
	if err != nil {
		return nil, err
	}
	filter := cpuPoolFilter[cmd]
	pool := firstArgOfSlot(l, "pool")
	if filter == 0 || filter != cpusFree && pool == "" {
		return ids, nil
	}
	of, err := host.CPUPools(ctx)
	if err != nil {
		return ids, nil
	}
	return slices.DeleteFunc(slices.Clone(ids), func(id int) bool {
		p, in := of[id]
		switch filter {
		case cpusFree:
			return in
		case cpusInPool:
			return p != pool
		}
		return p == pool
	}), nil
}

// firstArgOfSlot returns the positional argument typed in the first slot
// named slot, or "".
func firstArgOfSlot(l *line, slot string) string {
	s := Slots(l.cmd.ArgsUsage)
	for i, a := range l.pos {
		if s.At(i) == slot {
			return a
		}
	}
	return ""
}

// filter keeps the words that start with cur, in order, without
// duplicates (the shells sort them).
func filter(words []string, cur string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range words {
		if strings.HasPrefix(w, cur) && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}
