// Package manpage renders xgo's man pages from its urfave/cli command
// tree: xgo.1, and one page per command named after its path
// (xgo-cpupool-cpu-move.1, xgo-xenstore-read.1), so there are no
// hand-kept copies to drift from "xgo help". It runs at build time
// ("make man"); the product binary does not link it.
package manpage

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"
)

// Info is what the pages say beside the command tree.
type Info struct {
	Version    string
	ExitStatus string // the exit codes help: a title line, then "  CODE  text" lines
	Env        []Env  // the ENVIRONMENT section
}

// Env is an environment variable and what it does.
type Env struct{ Name, Text string }

// Write writes every page of app into dir.
func Write(dir string, app *cli.App, info Info) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, page := range Pages(app, info) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(page), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Pages returns every page of app by file name.
func Pages(app *cli.App, info Info) map[string]string {
	pages := map[string]string{}
	var cmds []manCmd
	var walk func(list []*cli.Command, prefix []string)
	walk = func(list []*cli.Command, prefix []string) {
		for _, c := range list {
			if c.Hidden || c.Name == "help" {
				continue
			}
			path := append(append([]string{}, prefix...), c.Name)
			cmds = append(cmds, manCmd{path: path, cmd: c})
			walk(c.Subcommands, path)
		}
	}
	walk(app.Commands, nil)
	pages["xgo.1"] = manRoot(app, cmds, info)
	for _, mc := range cmds {
		pages[mc.page()+".1"] = manCommandPage(mc, info)
	}
	return pages
}

type manCmd struct {
	path []string
	cmd  *cli.Command
}

// page is the page name: xgo-cpupool-cpu-move.
func (m manCmd) page() string { return "xgo-" + strings.Join(m.path, "-") }

func manHeader(b *strings.Builder, title, desc, version string) {
	// The date is left out so that the pages are the same for the same
	// sources (reproducible builds); the version names the release.
	fmt.Fprintf(b, ".TH %s 1 \"\" \"xgo %s\" \"xgo manual\"\n", strings.ToUpper(title), roffEscape(version))
	b.WriteString(".SH NAME\n")
	fmt.Fprintf(b, "%s \\- %s\n", roffEscape(title), roffEscape(desc))
}

func manRoot(app *cli.App, cmds []manCmd, info Info) string {
	var b strings.Builder
	manHeader(&b, "xgo", app.Usage, info.Version)
	b.WriteString(".SH SYNOPSIS\n.B xgo\n[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIcommand options\\fR] [\\fIarguments\\fR]\n")
	b.WriteString(".SH DESCRIPTION\n")
	manText(&b, app.Description)
	b.WriteString(".SH COMMANDS\n")
	for _, mc := range cmds {
		fmt.Fprintf(&b, ".TP\n.BR %s (1)\n%s\n", roffEscape(mc.page()), roffEscape(mc.cmd.Usage))
	}
	b.WriteString(".SH GLOBAL OPTIONS\n")
	manFlags(&b, app.Flags)
	manExitAndEnv(&b, info)
	b.WriteString(".SH SEE ALSO\n")
	b.WriteString(".BR xl (1),\n.BR xenstore (1)\n")
	return b.String()
}

func manCommandPage(mc manCmd, info Info) string {
	var b strings.Builder
	c := mc.cmd
	manHeader(&b, mc.page(), c.Usage, info.Version)
	b.WriteString(".SH SYNOPSIS\n")
	fmt.Fprintf(&b, ".B xgo %s\n", roffEscape(strings.Join(mc.path, " ")))
	if len(c.Subcommands) > 0 {
		b.WriteString("\\fIcommand\\fR [\\fIarguments\\fR]\n")
	} else {
		if len(visibleFlags(c.Flags)) > 0 {
			b.WriteString("[\\fIoptions\\fR]\n")
		}
		if c.ArgsUsage != "" {
			b.WriteString(roffEscape(c.ArgsUsage) + "\n")
		}
	}
	if len(c.Aliases) > 0 {
		fmt.Fprintf(&b, ".PP\nAlso called \\fBxgo %s\\fR.\n", roffEscape(strings.Join(append(mc.path[:len(mc.path)-1:len(mc.path)-1], c.Aliases[0]), " ")))
	}
	desc, ex, _ := strings.Cut(c.Description, "EXAMPLES:")
	b.WriteString(".SH DESCRIPTION\n")
	if strings.TrimSpace(desc) == "" {
		desc = c.Usage + "."
	}
	manText(&b, desc)
	if len(c.Subcommands) > 0 {
		b.WriteString(".SH COMMANDS\n")
		for _, s := range c.Subcommands {
			if s.Hidden {
				continue
			}
			page := manCmd{path: append(append([]string{}, mc.path...), s.Name)}.page()
			fmt.Fprintf(&b, ".TP\n.BR %s (1)\n%s\n", roffEscape(page), roffEscape(s.Usage))
		}
	}
	if fs := visibleFlags(c.Flags); len(fs) > 0 {
		b.WriteString(".SH OPTIONS\n")
		manFlags(&b, fs)
	}
	b.WriteString(".PP\nThe global options of \\fBxgo\\fR(1) (\\fB\\-o\\fR, \\fB\\-q\\fR, \\fB\\-v\\fR, \\fB\\-N\\fR, \\fB\\-\\-sim\\fR) are accepted too.\n")
	if strings.TrimSpace(ex) != "" {
		b.WriteString(".SH EXAMPLES\n.nf\n.RS\n")
		for _, l := range strings.Split(strings.Trim(ex, "\n"), "\n") {
			b.WriteString(roffLine(strings.TrimPrefix(l, "   ")) + "\n")
		}
		b.WriteString(".RE\n.fi\n")
	}
	manExitAndEnv(&b, info)
	b.WriteString(".SH SEE ALSO\n.BR xgo (1)\n")
	return b.String()
}

// manExitAndEnv writes the EXIT STATUS and ENVIRONMENT sections, the
// same on every page.
func manExitAndEnv(b *strings.Builder, info Info) {
	b.WriteString(".SH EXIT STATUS\n")
	lines := strings.Split(strings.TrimSpace(info.ExitStatus), "\n")[1:]
	for i := 0; i < len(lines); i++ {
		code, text, _ := strings.Cut(strings.TrimSpace(lines[i]), "  ")
		text = strings.TrimSpace(text)
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "      ") { // a continued line
			i++
			text += " " + strings.TrimSpace(lines[i])
		}
		fmt.Fprintf(b, ".TP\n.B %s\n%s\n", code, roffEscape(text))
	}
	b.WriteString(".SH ENVIRONMENT\n")
	for _, v := range info.Env {
		fmt.Fprintf(b, ".TP\n.B %s\n%s\n", v.Name, roffEscape(v.Text))
	}
}

func visibleFlags(flags []cli.Flag) []cli.Flag {
	var out []cli.Flag
	for _, f := range flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		out = append(out, f)
	}
	return out
}

// manFlags writes one tagged paragraph per flag: its names (with the
// value placeholder) as "xgo help" prints them, then its usage.
func manFlags(b *strings.Builder, flags []cli.Flag) {
	for _, f := range visibleFlags(flags) {
		names, usage, _ := strings.Cut(f.String(), "\t")
		var parts []string
		for _, n := range strings.Split(names, ", ") {
			flag, val, hasVal := strings.Cut(n, " ")
			p := "\\fB" + roffEscape(flag) + "\\fR"
			if hasVal {
				p += " \\fI" + roffEscape(val) + "\\fR"
			}
			parts = append(parts, p)
		}
		fmt.Fprintf(b, ".TP\n%s\n%s\n", strings.Join(parts, ", "), roffLine(usage))
	}
}

// manText writes a Description: paragraphs of running text are filled;
// a paragraph with indented lines (lists, tables, commands) is kept as
// it is.
func manText(b *strings.Builder, text string) {
	for _, para := range strings.Split(strings.Trim(text, "\n"), "\n\n") {
		para = strings.Trim(para, "\n")
		if strings.TrimSpace(para) == "" {
			continue
		}
		b.WriteString(".PP\n")
		pre := false
		for _, l := range strings.Split(para, "\n") {
			if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
				pre = true
			}
		}
		if pre {
			b.WriteString(".nf\n")
		}
		for _, l := range strings.Split(para, "\n") {
			if !pre {
				l = strings.TrimSpace(l)
			}
			b.WriteString(roffLine(l) + "\n")
		}
		if pre {
			b.WriteString(".fi\n")
		}
	}
}

// roffEscape makes text safe inside a roff line: backslashes and
// hyphens (which must stay ASCII minus signs in commands and flags).
// Other than ASCII characters are written as groff's \[uXXXX] escapes,
// so the pages render the same whatever input encoding groff assumes.
func roffEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r > 0x7e:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// roffLine escapes one line of text, also guarding a leading control
// character ("." or "'") and an empty line (a blank line in roff is a
// paragraph break that groff warns about in some modes).
func roffLine(s string) string {
	s = roffEscape(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	if strings.TrimSpace(s) == "" {
		return ".sp"
	}
	return s
}
