package completion

import (
	"regexp"
	"strings"
)

// Argument slots come from the placeholders of a command's ArgsUsage, so
// one table (slotKinds) covers every command, including commands added
// later: a command that uses a known placeholder gets its completion
// without code here.
//
//	"<pool> <cpu-list>"                      → pool, cpu-list
//	"<domain>..."                            → domain, domain, ...
//	"<pool> <scheduler> [<param>=<value>...]" → pool, scheduler, param=value, ...
//	"[-f <file>] [<file>] [<key>=<value>...]" → file, key=value, ...
//	"<path> <value> [<path> <value>]..."     → path, value, path, value, ...
//
// Bracketed groups that begin with a flag ("[-c]", "[-d <domain>]",
// "[--spec <file> | --lab]") describe flags, not positions, and are
// skipped; flags get their values from flagValueSlots.

// Slot kinds.
const (
	kindNone = iota
	kindPool
	kindCPUList
	kindDomain
	kindScheduler
	kindDevID
	kindFile
	kindCommand
	kindFormat
	kindXenStorePath
	kindShell
	kindFaultOp
	kindErrno
)

// slotKinds maps each placeholder name xgo's commands use to what
// completes it. Placeholders that take free text (a new name, a value)
// map to kindNone: they are known, so the command-tree test accepts
// them, but offer nothing.
var slotKinds = map[string]int{
	"pool":        kindPool,
	"cpu-list":    kindCPUList,
	"domain":      kindDomain,
	"scheduler":   kindScheduler,
	"devid":       kindDevID,
	"file":        kindFile,
	"file|-":      kindFile,
	"command":     kindCommand,
	"format":      kindFormat,
	"path":        kindXenStorePath,
	"shell":       kindShell,
	"new-name":    kindNone,
	"param=value": kindNone,
	"key=value":   kindNone,
	"key":         kindNone,
	"item":        kindNone,
	"value":       kindNone,
	"perm":        kindNone,
	"op":          kindFaultOp,
	"errno":       kindErrno,
	"args":        kindNone,
	"vcpu":        kindNone,
	"period":      kindNone,
	"budget":      kindNone,
	"id|all":      kindNone,
	"0|1":         kindNone,
	"weight":      kindNone,
	"cap":         kindNone,
	"ms":          kindNone,
	"us":          kindNone,
	"duration":    kindNone,
	"dir":         kindNone,
}

// offlineCPUCommands complete <cpu-list> with offline CPUs; every other
// command with online ones, narrowed by cpuPoolFilter.
var offlineCPUCommands = map[string]bool{"pcpu-online": true}

// Which online cpus a cpupool command's <cpu-list> offers, given the
// <pool> on the line.
const (
	cpusFree        = iota + 1 // in no pool (cpupool-cpu-add)
	cpusInPool                 // in the pool (cpupool-cpu-remove)
	cpusOutsidePool            // not in the pool (cpupool-cpu-move)
)

var cpuPoolFilter = map[string]int{
	"cpupool-cpu-add":    cpusFree,
	"cpupool-cpu-remove": cpusInPool,
	"cpupool-cpu-move":   cpusOutsidePool,
}

// noDom0Commands complete <domain> without Domain-0, which they refuse
// (Xen does not let a domain move itself between pools).
var noDom0Commands = map[string]bool{"cpupool-migrate": true}

// KnownPlaceholder reports whether name (without angle brackets) is a
// placeholder the completion table knows. The command-tree test uses it
// so that every placeholder in ArgsUsage is covered.
func KnownPlaceholder(name string) bool {
	_, ok := slotKinds[name]
	return ok
}

// SlotList is the positional slots of a command: Fixed, then Repeat
// over and over (Repeat may be empty).
type SlotList struct {
	Fixed  []string
	Repeat []string
}

// At returns the slot of the i-th positional argument, "" if none.
func (s SlotList) At(i int) string {
	if i < len(s.Fixed) {
		return s.Fixed[i]
	}
	if len(s.Repeat) == 0 {
		return ""
	}
	return s.Repeat[(i-len(s.Fixed))%len(s.Repeat)]
}

var placeholderRE = regexp.MustCompile(`<([^<>]+)>(=<([^<>]+)>)?`)

// Placeholders returns every placeholder name in an ArgsUsage, flag
// values included, in order ("<key>=<value>" is one: "key=value").
func Placeholders(argsUsage string) []string {
	var out []string
	for _, m := range placeholderRE.FindAllStringSubmatch(argsUsage, -1) {
		name := m[1]
		if m[3] != "" {
			name += "=" + m[3]
		}
		out = append(out, name)
	}
	return out
}

// Slots parses an ArgsUsage into positional slots.
func Slots(argsUsage string) SlotList {
	var s SlotList
	for _, g := range groups(argsUsage) {
		body := g.text
		if g.bracket {
			body = strings.TrimSpace(body[1 : len(body)-1])
		}
		if strings.HasPrefix(body, "-") {
			continue // a flag group
		}
		// "<x>..." inside the group also repeats.
		repeat := g.repeat || strings.HasSuffix(body, "...")
		names := Placeholders(body)
		if len(names) == 0 {
			continue
		}
		if repeat {
			s.Repeat = names
			break // nothing positional can follow a repeated group
		}
		s.Fixed = append(s.Fixed, names...)
	}
	return s
}

type group struct {
	text    string // "<pool>" or "[<pool> <x>]"
	bracket bool
	repeat  bool // followed by "..."
}

// groups splits an ArgsUsage at top-level spaces, keeping brackets
// together.
func groups(u string) []group {
	var out []group
	depth, start := 0, -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		t := u[start:end]
		g := group{}
		if strings.HasSuffix(t, "...") {
			g.repeat = true
			t = strings.TrimSuffix(t, "...")
		}
		g.text = t
		g.bracket = strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]")
		if g.bracket {
			g.repeat = g.repeat || strings.HasSuffix(strings.TrimSuffix(t, "]"), "...")
		}
		out = append(out, g)
		start = -1
	}
	for i := 0; i < len(u); i++ {
		switch c := u[i]; {
		case c == '[' || c == '{':
			if start < 0 {
				start = i
			}
			depth++
		case c == ']' || c == '}':
			depth--
		case c == ' ' && depth == 0:
			flush(i)
		default:
			if start < 0 {
				start = i
			}
		}
	}
	flush(len(u))
	return out
}
