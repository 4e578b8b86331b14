package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/completion"
)

// examples returns the example lines of a Description: the lines after
// "EXAMPLES:".
func examples(desc string) []string {
	_, ex, ok := strings.Cut(desc, "EXAMPLES:")
	if !ok {
		return nil
	}
	var out []string
	cont := false // the previous line ended in a backslash
	for _, l := range strings.Split(ex, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case cont:
			out[len(out)-1] += " " + l
		default:
			out = append(out, l)
		}
		if strings.HasSuffix(l, "\\") {
			cont = true
			out[len(out)-1] = strings.TrimSuffix(out[len(out)-1], "\\")
		} else {
			cont = false
		}
	}
	return out
}

// exampleNames reports whether the example line runs the command at
// path (by any of its names): "xgo", then global flags, then the path.
func exampleNames(app *cli.App, line, path string, names [][]string) bool {
	global := specFromApp(app).global
	for _, seg := range strings.Split(line, "xgo ")[1:] {
		words := strings.Fields(seg)
		i := 0
		for i < len(words) && isFlagToken(words[i]) {
			name, _, hasVal := strings.Cut(strings.TrimLeft(words[i], "-"), "=")
			fi, ok := global[name]
			if !ok {
				break
			}
			i++
			if fi.value && !hasVal {
				i++
			}
		}
		ok := true
		for j, alts := range names {
			if i+j >= len(words) || !contains(alts, strings.TrimRight(words[i+j], ")|;")) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func contains(s []string, w string) bool {
	for _, x := range s {
		if x == w {
			return true
		}
	}
	return false
}

// TestHelpTree walks the whole command tree and checks what "xgo help"
// and the man pages are made of: every visible command has a one-line
// Usage and a Description; every leaf command has examples that run that
// very command; every placeholder in ArgsUsage is one the completion
// table knows (so it is spelled one way everywhere and completes) and is
// explained in the Description; and "xgo help X" prints what
// "xgo X --help" prints.
func TestHelpTree(t *testing.T) {
	t.Parallel()
	app := newApp(testDeps(t))
	var names [][]string
	var walk func(cmds []*cli.Command, prefix string)
	walk = func(cmds []*cli.Command, prefix string) {
		for _, c := range cmds {
			path := strings.TrimSpace(prefix + " " + c.Name)
			names = append(names, c.Names())
			checkCommandHelp(t, app, path, c, names)
			walk(c.Subcommands, path)
			names = names[:len(names)-1]
		}
	}
	walk(app.Commands, "")
}

var descPlaceholderRE = regexp.MustCompile(`<([a-z][a-z_-]*)>`)

func normPlaceholder(p string) string {
	return strings.NewReplacer("-", "", "_", "").Replace(p)
}

func checkCommandHelp(t *testing.T, app *cli.App, path string, c *cli.Command, names [][]string) {
	t.Helper()
	if c.Hidden || c.Name == "help" {
		return
	}
	{
		{
			if c.Description == "" {
				t.Errorf("%s: no Description", path)
			}
			leaf := len(c.Subcommands) == 0
			if leaf {
				ex := examples(c.Description)
				if len(ex) == 0 {
					t.Errorf("%s: no EXAMPLES in the Description", path)
				}
				for _, l := range ex {
					if !exampleNames(app, l, path, names) {
						t.Errorf("%s: example %q does not run %q", path, l, "xgo "+path)
					}
				}
			}
			for _, p := range completion.Placeholders(c.ArgsUsage) {
				if !completion.KnownPlaceholder(p) {
					t.Errorf("%s: placeholder <%s> in ArgsUsage %q is not in completion's slot table (completion/slots.go): use a known one or add it there", path, p, c.ArgsUsage)
				}
			}
			// The Description names the arguments as ArgsUsage spells
			// them: <cpu-list> in one and <cpulist> in the other is a
			// mistake.
			usage := map[string]string{}
			for _, p := range completion.Placeholders(c.ArgsUsage) {
				for _, part := range strings.Split(p, "=") {
					usage[normPlaceholder(part)] = part
				}
			}
			for _, m := range descPlaceholderRE.FindAllStringSubmatch(c.Description, -1) {
				if want, ok := usage[normPlaceholder(m[1])]; ok && want != m[1] {
					t.Errorf("%s: the Description says <%s> where ArgsUsage says <%s>", path, m[1], want)
				}
			}
			args := append(strings.Fields(path), "--help")
			h := runXgo(t, testDeps(t), append([]string{"help"}, strings.Fields(path)...)...)
			x := runXgo(t, testDeps(t), args...)
			if h != x || h.code != 0 || h.stdout == "" {
				t.Errorf("xgo help %s and xgo %s --help differ or fail:\n%+v\n%+v", path, path, h, x)
			}
		}
	}
}
