//go:build manpages

package main

import (
	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/internal/manpage"
)

// Man pages are generated at build time: "make man" runs the hidden
// "xgo __man <dir>" of a binary built with -tags manpages (package
// internal/manpage renders them); the product binary has no such
// command and links no renderer.

func init() { buildCommands = append(buildCommands, manCommand) }

func manCommand(*env) *cli.Command {
	return &cli.Command{
		Name:      "__man",
		Hidden:    true,
		Usage:     "Write the man pages into a directory (for make man)",
		ArgsUsage: "<dir>",
		Description: `Writes xgo.1 and one page per visible command into <dir>.

EXAMPLES:
   xgo __man bin/man`,
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 1, 1)
			if err != nil {
				return err
			}
			return manpage.Write(args[0], c.App, manInfo())
		},
	}
}

func manInfo() manpage.Info {
	return manpage.Info{Version: version, ExitStatus: exitCodesHelp, Env: []manpage.Env{
		{Name: simEnvVar, Text: "The state file of the simulated host; acts like --sim=FILE for every command (--sim=STATE wins)."},
		{Name: lockEnvVar, Text: "The host lock file of the commands that change the host, instead of " + hostLockPath + " (or the one next to the simulated host's state file)."},
		{Name: lockTimeoutEnvVar, Text: "How long a command that changes the host waits for another xgo to release the lock (a duration such as 30s; default " + defaultLockTimeout.String() + "); batch run has --lock-timeout."},
		{Name: hypercall.EnvDebug, Text: "A comma-separated list of what to trace on stderr: xenstore (every XenStore message), hypercall (every hypercall)."},
		{Name: hypercall.EnvXenVersion, Text: "Use the interface of this Xen release (such as 4.19) instead of the one matching the running hypervisor; for experts."},
		{Name: "XENSTORED_PATH", Text: "The XenStore socket or device to use instead of /run/xenstored/socket, /var/run/xenstored/socket and /dev/xen/xenbus."},
		{Name: "XDG_STATE_HOME", Text: "Where the default state file of the simulated host is kept: $XDG_STATE_HOME/xgo/sim.yaml, else ~/.local/state/xgo/sim.yaml."},
	}}
}
