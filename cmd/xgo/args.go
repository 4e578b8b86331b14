package main

import "strings"

// Argument normalisation.
//
// urfave/cli (like Go's flag package) stops parsing flags at the first
// positional argument, and a command's flag set knows nothing of the
// global flags. Admins type flags anywhere, as GNU getopt allows:
//
//	xgo pcpu-list -o json
//	xgo xenstore read /a -o json
//	xgo xenstore ls /local -fp
//
// normalizeArgs rewrites such a command line into the one order urfave/cli
// understands:
//
//	argv0 GLOBAL-FLAGS... CMD [CMD-FLAGS...] SUBCMD [SUBCMD-FLAGS...] -- POSITIONALS...
//
// It knows which flags take a value (so "-o json" stays together), splits
// bundled short flags ("-fp" to "-f -p", "-n5" to "-n=5"), treats
// everything after "--" as positional, and turns -h/--help anywhere before
// "--" into "xgo help CMD...". A flag with an optional value (--sim) only
// binds a value written as --sim=VALUE.
//
// After a command's name, the command's own flags shadow global flags of
// the same name: xl's "sched-rtds -v ID" is rtds's vCPU id, while
// "xgo -v sched-rtds" (before the command) is the global --verbose, as is
// "--verbose" anywhere, since the command defines only "-v". Commands
// shadow globals only where they follow xl (TestCommandTree lists them).
//
// It reports two mistakes itself, naming the token as the user typed it:
// a flag that neither the command nor the globals define, and a value flag
// at the end of the line with no value.

// flagInfo describes one flag name.
type flagInfo struct {
	canon string // the flag's first name: every alias is rewritten to it
	value bool   // the flag takes a value ("-o json")
	// optional, for a flag whose value is optional (--wait[=TIMEOUT]),
	// says whether the next word is its value ("--wait 30s"); nil for a
	// flag that binds a value only as --flag=VALUE (--sim).
	optional func(string) bool
}

// optionalValueFlag is a flag whose value may follow as the next word
// when it looks like one.
type optionalValueFlag interface {
	isValue(word string) bool
}

// isValue: --wait's next word is its TIMEOUT when it reads as one, so
// "--wait 1s" works like "--timeout 30s".
func (f *waitFlag) isValue(word string) bool {
	_, err := parseTimeout(word)
	return err == nil
}

// flagTable maps each flag name and alias without dashes ("o", "output").
// Aliases are rewritten to the canonical name so that "-o json ...
// --output yaml" means "last one wins" rather than a parse error.
type flagTable map[string]flagInfo

// cmdSpec is what normalizeArgs needs to know about a command.
type cmdSpec struct {
	flags flagTable
	subs  map[string]*cmdSpec // by name and alias; nil for a leaf
}

// argSpec describes the whole command line grammar.
type argSpec struct {
	global flagTable
	root   *cmdSpec
}

type argLevel struct {
	name  string   // command word; "" for the root
	flags []string // flags that belong to this command
}

// Unknown flags are reported at once (see normalizeArgs), so every flag
// left in a level is one the command defines.

func normalizeArgs(spec argSpec, args []string) ([]string, error) {
	if len(args) == 0 {
		return args, nil
	}
	var (
		globals []string
		pos     []string
		help    bool
		node    = spec.root
		levels  = []argLevel{{}}
	)
	cur := func() *argLevel { return &levels[len(levels)-1] }

	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !isFlagToken(a) {
			if len(pos) == 0 && node.subs != nil {
				if sub, ok := node.subs[a]; ok {
					node = sub
					levels = append(levels, argLevel{name: a})
					continue
				}
			}
			pos = append(pos, a)
			continue
		}

		next := func() (string, bool) {
			if i+1 < len(args) {
				i++
				return args[i], true
			}
			return "", false
		}
		peek := func() (string, bool) {
			if i+1 < len(args) && args[i+1] != "--" {
				return args[i+1], true
			}
			return "", false
		}
		toks, isGlobal, isHelp, known, missing := classifyFlag(spec.global, node.flags, a, next, peek)
		switch {
		case missing:
			return nil, usagef("flag %s needs a value", a)
		case isHelp:
			help = true
		case !known:
			where := ""
			for _, l := range levels[1:] {
				where += l.name + " "
			}
			if where != "" {
				where = where[:len(where)-1] + ": "
			}
			return nil, usagef("%sunknown flag %s", where, a)
		default:
			for j, t := range toks {
				if isGlobal[j] {
					globals = append(globals, t)
				} else {
					cur().flags = append(cur().flags, t)
				}
			}
		}
	}

	out := append([]string{args[0]}, globals...)
	if help {
		out = append(out, "help")
		for _, l := range levels[1:] {
			out = append(out, l.name)
		}
		if node.subs != nil && len(pos) > 0 {
			out = append(out, pos[0])
		}
		return out, nil
	}
	out = append(out, levels[0].flags...)
	for _, l := range levels[1:] {
		out = append(out, l.name)
		out = append(out, l.flags...)
	}
	if len(pos) > 0 {
		out = append(out, "--")
		out = append(out, pos...)
	}
	return out, nil
}

// isFlagToken reports whether a looks like a flag: "-x", "--x", but not a
// lone "-" (often stdin) or "--".
func isFlagToken(a string) bool {
	return len(a) > 1 && a[0] == '-' && a != "--"
}

// classifyFlag splits one flag token into normalised tokens, taking the
// flag's value from next() when it needs one. For each token it reports
// whether it is a global flag. local are the flags of the command the
// token follows (none before the first command word); a name defined
// there shadows the global one. known is false when a names no flag of
// this command or the globals; isHelp when it asks for help; missing when
// it needs a value and none is left.
func classifyFlag(global, local flagTable, a string, next, peek func() (string, bool)) (toks []string, isGlobal []bool, isHelp, known, missing bool) {
	dashes := "-"
	body := a[1:]
	if strings.HasPrefix(a, "--") {
		dashes, body = "--", a[2:]
	}
	name, val, hasVal := strings.Cut(body, "=")

	lookup := func(n string) (fi flagInfo, glob, ok bool) {
		if fi, ok := local[n]; ok {
			return fi, false, true
		}
		if fi, ok := global[n]; ok {
			return fi, true, true
		}
		return flagInfo{}, false, false
	}
	isHelpName := func(n string) bool {
		if _, defined := local[n]; defined {
			return false
		}
		_, defined := global[n]
		return !defined && (n == "h" || n == "help")
	}

	if isHelpName(name) {
		return nil, nil, true, true, false
	}
	if fi, glob, ok := lookup(name); ok {
		tok := flagToken(fi.canon)
		switch {
		case hasVal:
			tok += "=" + val
		case fi.value:
			v, ok := next()
			if !ok {
				return nil, nil, false, true, true
			}
			tok += "=" + v
		case fi.optional != nil:
			if v, ok := peek(); ok && fi.optional(v) {
				next()
				tok += "=" + v
			}
		}
		return []string{tok}, []bool{glob}, false, true, false
	}

	// A bundle of single-letter flags: -fp, -qo json, -n5.
	if dashes != "-" || hasVal || len(name) < 2 {
		return nil, nil, false, false, false
	}
	for j := 0; j < len(name); j++ {
		c := name[j : j+1]
		if isHelpName(c) {
			isHelp = true
			continue
		}
		fi, glob, ok := lookup(c)
		if !ok {
			return nil, nil, false, false, false
		}
		tok := flagToken(fi.canon)
		if !fi.value {
			toks = append(toks, tok)
			isGlobal = append(isGlobal, glob)
			continue
		}
		if rest := name[j+1:]; rest != "" {
			tok += "=" + rest
		} else if v, ok := next(); ok {
			tok += "=" + v
		} else {
			return nil, nil, false, true, true
		}
		toks = append(toks, tok)
		isGlobal = append(isGlobal, glob)
		break
	}
	return toks, isGlobal, isHelp, true, false
}

// flagToken spells a flag name as users read it in messages: "-o" for a
// single letter, "--output" otherwise.
func flagToken(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}
