package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/completion"
	"xgo.dev/xgo/suggest"
)

// deps is everything a command may touch outside the process. main fills
// it from the real process; tests fill it with buffers and fakes.
type deps struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Term   termInfo // what stdout is; the zero value means a pipe

	// dialXenstore connects to xenstored; nil means xenstore.Dial, which
	// honours $XENSTORED_PATH of the process.
	dialXenstore func(ctx context.Context, e *env) (xsConn, error)
}

// globalOptions are the flags accepted before or after any command.
type globalOptions struct {
	Output   string // formatTable, formatJSON or formatYAML
	Quiet    bool   // print identifiers only
	Verbose  bool   // say more on stderr
	DryRun   bool   // validate and show what would change, change nothing
	Sim      bool   // act on the simulated host
	SimState string // state file for the simulated host ("" = built-in default)
}

// env is what every runX function gets: the injected deps plus the parsed
// global options and the renderer they select.
type env struct {
	deps
	global globalOptions
	out    *renderer

	logged map[string]bool // lines logOncef printed
}

// logf prints a diagnostic line on stderr when -v is given.
func (e *env) logf(format string, args ...any) {
	if e.global.Verbose {
		fmt.Fprintf(e.Stderr, "xgo: "+format+"\n", args...)
	}
}

// logOncef is logf for a line that a command may reach on every round
// of a loop (pcpu-watch polling the simulated host): it is printed the
// first time only.
func (e *env) logOncef(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if e.logged[line] {
		return
	}
	if e.logged == nil {
		e.logged = map[string]bool{}
	}
	e.logged[line] = true
	e.logf("%s", line)
}

// warnf prints a warning line on stderr.
func (e *env) warnf(format string, args ...any) {
	fmt.Fprintln(e.Stderr, "xgo: warning: "+oneLine(fmt.Sprintf(format, args...)))
}

func (e *env) getenv(key string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(key)
}

const appDescription = `xgo does for pCPUs, cpupools, schedulers, PV sound and XenStore what xl,
xen-hptool and the xenstore-* tools do, as one static binary: every
argument is checked before anything is sent to Xen, every command can
print JSON or YAML (-o json|yaml), and -q prints identifiers only.

Global options may be given before or after the command and its
arguments: "xgo -o json version" and "xgo version -o json" are the same.
Use "--" to end option processing. Run "xgo help <command>" (or add -h)
for a command's options and examples.`

// appHelpTemplate is urfave/cli's app template plus the exit codes.
var appHelpTemplate = cli.AppHelpTemplate + "\n" + exitCodesHelp

// newApp builds the command tree. Each call returns a fresh tree, so
// tests can run commands in-process and in parallel.
// buildCommands are the commands of build-time binaries only (the man
// page generator, -tags manpages).
var buildCommands []func(*env) *cli.Command

func newApp(d deps) *cli.App {
	e := &env{deps: d}
	sim := &simFlag{}
	app := &cli.App{
		Name:                  "xgo",
		HelpName:              "xgo",
		Usage:                 "Manage Xen pCPUs, cpupools, schedulers, PV sound and XenStore from dom0",
		Description:           appDescription,
		Reader:                d.Stdin,
		Writer:                d.Stdout,
		ErrWriter:             d.Stderr,
		HideHelp:              true, // help is our own command; see helpCommand
		HideHelpCommand:       true,
		HideVersion:           true, // "xgo version" instead; -v is --verbose
		CustomAppHelpTemplate: appHelpTemplate,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: formatTable, Usage: "output `FORMAT`: table, json or yaml"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print identifiers only", DisableDefaultText: true},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print diagnostics on stderr", DisableDefaultText: true},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"N"}, Usage: "check the arguments and show what would change; change nothing", DisableDefaultText: true},
			sim,
		},
		Before: func(c *cli.Context) error {
			return e.parseGlobals(c, sim)
		},
		Action: rootAction,
		// Errors are printed and mapped to exit codes by execute, never
		// by urfave/cli (which would call os.Exit).
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
		Commands: []*cli.Command{
			helpCommand(),
			versionCommand(e),
			infoCommand(e),
			pcpuListCommand(e),
			pcpuHotplugCommand(e, true),
			pcpuHotplugCommand(e, false),
			pcpuWatchCommand(e),
			topologyCommand(e),
			xenstoreCommand(e),
			xenstoredCommand(e),
			simCommand(e),
			completionCommand(),
		},
	}
	app.Metadata = map[string]any{"env": e} // for execute's error format
	app.Commands = append(app.Commands, cpupoolCommands(e)...)
	app.Commands = append(app.Commands, vsndCommands(e)...)
	app.Commands = append(app.Commands, batchCommand(e), exportCommand(e), diffCommand(e), applyCommand(e))
	for _, c := range buildCommands {
		app.Commands = append(app.Commands, c(e))
	}
	prepareTree(app.Commands, "")
	guardMutating(e, app.Commands, "")
	return app
}

// parseGlobals validates the global flags and sets up the renderer.
func (e *env) parseGlobals(c *cli.Context, sim *simFlag) error {
	g := globalOptions{
		Output:   c.String("output"),
		Quiet:    c.Bool("quiet"),
		Verbose:  c.Bool("verbose"),
		DryRun:   c.Bool("dry-run"),
		Sim:      sim.value.set,
		SimState: sim.value.state,
	}
	applySimEnv(e, &g)
	switch g.Output {
	case formatTable, formatJSON, formatYAML:
	default:
		return usagef("unknown output format %q for -o/--output (want table, json or yaml)", g.Output)
	}
	if g.Quiet && g.Output != formatTable {
		return usagef("-q/--quiet prints identifiers only and cannot be combined with -o %s", g.Output)
	}
	e.global = g
	e.out = &renderer{w: e.Stdout, format: g.Output, quiet: g.Quiet, term: e.Term}
	return nil
}

// prepareTree applies what every command needs: our usage-error handler,
// no urfave-generated help flag or help subcommand (they share global
// state), full help names, and for groups an action that reports an
// unknown subcommand. parent is the help name of the parent command, ""
// at the top (urfave/cli names those "xgo <name>" itself).
func prepareTree(cmds []*cli.Command, parent string) {
	for _, c := range cmds {
		c.OnUsageError = onUsageError
		c.HideHelp = true
		c.HideHelpCommand = true
		full := "xgo " + c.Name
		if parent != "" {
			full = parent + " " + c.Name
			c.HelpName = full
		}
		if len(c.Subcommands) > 0 {
			c.Action = groupAction
			prepareTree(c.Subcommands, full)
		}
	}
}

// rootAction runs for "xgo" with no command, or an unknown one.
func rootAction(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("unknown command %q%s (see \"xgo help\")", c.Args().First(), didYouMean(c.Args().First(), c.App.Commands))
	}
	return cli.ShowAppHelp(c)
}

// groupAction runs when a command that only groups others (xgo xenstore)
// is given no known subcommand: a usage error either way, so that a
// script with a typo does not go on as if it had worked. The message
// lists the subcommands.
func groupAction(c *cli.Context) error {
	var subs []string
	for _, sc := range c.Command.Subcommands {
		if !sc.Hidden {
			subs = append(subs, sc.Name)
		}
	}
	if c.Args().Present() {
		return usagef("unknown command %q for \"xgo %s\"%s (want %s; see \"xgo help %s\")", c.Args().First(), cmdName(c), didYouMean(c.Args().First(), c.Command.Subcommands), strings.Join(subs, ", "), cmdName(c))
	}
	return usagef("%s: missing command (want %s; see \"xgo help %s\")", cmdName(c), strings.Join(subs, ", "), cmdName(c))
}

// didYouMean is ` (did you mean "name"?)` for the visible command whose
// name is closest to word, or "".
func didYouMean(word string, cmds []*cli.Command) string {
	var names []string
	for _, c := range cmds {
		if !c.Hidden {
			names = append(names, c.Names()...)
		}
	}
	if s := suggest.Closest(word, names); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// cmdName is the command path without "xgo", e.g. "xenstore read"; "" for
// the root.
func cmdName(c *cli.Context) string {
	if c.Command == nil {
		return ""
	}
	name := c.Command.HelpName
	if name == "" {
		name = c.Command.Name
	}
	name = strings.TrimPrefix(name, "xgo")
	return strings.TrimSpace(name)
}

// onUsageError turns flag-parsing errors into one-line usage errors that
// name the flag.
func onUsageError(c *cli.Context, err error, _ bool) error {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "flag provided but not defined: -"):
		msg = "unknown flag " + flagToken(strings.TrimPrefix(msg, "flag provided but not defined: -"))
	case strings.HasPrefix(msg, "flag needs an argument: -"):
		msg = "flag " + flagToken(strings.TrimPrefix(msg, "flag needs an argument: -")) + " needs a value"
	case strings.HasPrefix(msg, "invalid value "), strings.HasPrefix(msg, "invalid boolean value "):
		// `invalid value "x" for flag -n: parse error`
		// `invalid boolean value "" for -sim: empty state file name`
		rest := strings.TrimPrefix(strings.TrimPrefix(msg, "invalid value "), "invalid boolean value ")
		if v, f, ok := strings.Cut(rest, " for "); ok {
			f = strings.TrimPrefix(strings.TrimPrefix(f, "flag "), "-")
			name, _, _ := strings.Cut(f, ":")
			msg = fmt.Sprintf("invalid value %s for flag %s", v, flagToken(name))
		}
	}
	if name := cmdName(c); name != "" {
		msg = name + ": " + msg
	}
	return &usageError{msg}
}

// checkArgs returns c's positional arguments after checking that there are
// at least min and, unless max < 0, at most max of them.
func checkArgs(c *cli.Context, min, max int) ([]string, error) {
	args := c.Args().Slice()
	name := cmdName(c)
	if len(args) < min {
		usage := strings.TrimSpace("xgo " + name + " " + c.Command.ArgsUsage)
		return nil, usagef("%s: missing argument (usage: %s)", name, usage)
	}
	if max >= 0 && len(args) > max {
		return nil, usagef("%s: unexpected argument %q", name, args[max])
	}
	return args, nil
}

// helpCommand replaces urfave/cli's help command (which mutates shared
// package state and answers unknown topics with exit code 3).
func helpCommand() *cli.Command {
	return &cli.Command{
		Name:      "help",
		Usage:     "Show help for xgo or for one command",
		ArgsUsage: "[<command>...]",
		Action: func(c *cli.Context) error {
			cmds := c.App.Commands
			var cmd *cli.Command
			for _, word := range c.Args().Slice() {
				var next *cli.Command
				for _, cc := range cmds {
					if cc.HasName(word) {
						next = cc
						break
					}
				}
				if next == nil {
					if cmd != nil {
						return usagef("unknown command %q for %s%s", word, cmd.HelpName, didYouMean(word, cmds))
					}
					return usagef("unknown command %q%s (see \"xgo help\")", word, didYouMean(word, cmds))
				}
				cmd, cmds = next, next.Subcommands
			}
			if cmd == nil {
				return cli.ShowAppHelp(c)
			}
			tmpl := cli.CommandHelpTemplate
			if len(cmd.Subcommands) > 0 {
				tmpl = groupHelpTemplate
			}
			cli.HelpPrinter(c.App.Writer, tmpl, cmd)
			return nil
		},
	}
}

// groupHelpTemplate is urfave/cli's help for a command with subcommands,
// listing them from the tree: its own list comes from state urfave/cli
// sets up only while running the command, so "xgo help xenstore" showed
// none.
var groupHelpTemplate = func() string {
	old := `{{if .VisibleCommands}}

COMMANDS:{{template "visibleCommandCategoryTemplate" .}}{{end}}`
	list := `{{if .Subcommands}}

COMMANDS:{{range .Subcommands}}{{if not .Hidden}}
   {{join .Names ", "}}{{"\t"}}{{.Usage}}{{end}}{{end}}{{end}}`
	if !strings.Contains(cli.SubcommandHelpTemplate, old) { // a new urfave/cli: list them last
		return cli.SubcommandHelpTemplate + list + "\n"
	}
	return strings.Replace(cli.SubcommandHelpTemplate, old, list, 1)
}()

// specFromApp derives the normaliser's grammar from the command tree, so
// the two cannot disagree.
func specFromApp(app *cli.App) argSpec {
	return argSpec{global: flagsOf(app.Flags), root: &cmdSpec{flags: flagTable{}, subs: subsOf(app.Commands)}}
}

func subsOf(cmds []*cli.Command) map[string]*cmdSpec {
	if len(cmds) == 0 {
		return nil
	}
	m := make(map[string]*cmdSpec)
	for _, c := range cmds {
		s := &cmdSpec{flags: flagsOf(c.Flags), subs: subsOf(c.Subcommands)}
		for _, n := range c.Names() {
			m[n] = s
		}
	}
	return m
}

func flagsOf(flags []cli.Flag) flagTable {
	t := flagTable{}
	for _, f := range flags {
		names := f.Names()
		if len(names) == 0 {
			continue
		}
		takes := false
		if d, ok := f.(cli.DocGenerationFlag); ok {
			takes = d.TakesValue()
		}
		var optional func(string) bool
		if o, ok := f.(optionalValueFlag); ok {
			optional = o.isValue
		}
		for _, n := range names {
			t[n] = flagInfo{canon: names[0], value: takes, optional: optional}
		}
	}
	return t
}

// run is main without the exit: it runs one xgo command line and returns
// the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	d := deps{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: getenv}
	if len(args) > 1 && args[1] == completion.CompleteCommand {
		return runComplete(ctx, d, args[2:])
	}
	if f, ok := stdout.(*os.File); ok {
		d.Term = stdoutTerm(f)
	}
	return execute(ctx, newApp(d), args, stderr)
}

// execute normalises args, runs app and turns the outcome into an exit
// code and at most one line on stderr. A panic anywhere below is reported
// the same way, without a stack trace.
func execute(ctx context.Context, app *cli.App, args []string, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "xgo: internal error: %s (this is a bug in xgo; please report it)\n", oneLine(fmt.Sprint(r)))
			code = exitFailure
		}
	}()
	norm, err := normalizeArgs(specFromApp(app), args)
	if err == nil {
		err = app.RunContext(ctx, norm)
	}
	if err != nil {
		if f := errorFormat(app, args); f != formatTable {
			writeErrorJSON(stderr, err)
		} else {
			fmt.Fprintln(stderr, errorLine(err))
		}
	}
	return exitCode(err)
}

// errorFormat is the -o format of the command line, for its error: the
// one the command ran with, else (when the line did not parse as far as
// the global options) the last -o/--output value on it.
func errorFormat(app *cli.App, args []string) string {
	if e, ok := app.Metadata["env"].(*env); ok && e.out != nil {
		return e.global.Output
	}
	f := formatTable
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		switch {
		case (a == "-o" || a == "--output") && i+1 < len(args):
			f = args[i+1]
			i++
		case strings.HasPrefix(a, "--output="):
			f = strings.TrimPrefix(a, "--output=")
		case strings.HasPrefix(a, "-o"):
			f = strings.TrimPrefix(strings.TrimPrefix(a, "-o"), "=")
		}
	}
	if f != formatJSON && f != formatYAML {
		return formatTable
	}
	return f
}

// simFlag is --sim[=STATE]: a flag whose value is optional. Go's flag
// package treats a flag whose Value says IsBoolFlag as taking no separate
// argument, so "--sim" alone is accepted and only "--sim=STATE" binds one.
type simFlag struct {
	value simValue
}

type simValue struct {
	set   bool
	state string
}

func (v *simValue) String() string   { return v.state }
func (v *simValue) IsBoolFlag() bool { return true }
func (v *simValue) Set(s string) error {
	switch s {
	case "true":
		v.set, v.state = true, ""
	case "false":
		v.set, v.state = false, ""
	case "":
		return errors.New("empty state file name")
	default:
		v.set, v.state = true, s
	}
	return nil
}

func (f *simFlag) Apply(set *flag.FlagSet) error {
	set.Var(&f.value, "sim", f.GetUsage())
	return nil
}
func (f *simFlag) Names() []string        { return []string{"sim"} }
func (f *simFlag) IsSet() bool            { return f.value.set }
func (f *simFlag) String() string         { return "--sim[=STATE]\t" + f.GetUsage() }
func (f *simFlag) TakesValue() bool       { return false }
func (f *simFlag) GetValue() string       { return f.value.state }
func (f *simFlag) GetDefaultText() string { return "" }
func (f *simFlag) GetEnvVars() []string   { return nil }
func (f *simFlag) IsVisible() bool        { return true }
func (f *simFlag) GetUsage() string {
	return "act on the simulated host instead of this machine; --sim=STATE loads STATE"
}
