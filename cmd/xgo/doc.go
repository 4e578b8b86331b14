// Command xgo manages a Xen host from dom0: physical CPUs, cpupools,
// schedulers, PV sound and XenStore, doing what xl, xen-hptool and the
// xenstore-* tools do, with every argument checked before anything is
// sent and with machine-readable output.
//
// # Layout
//
// main.go only builds the app and exits. newApp (app.go) builds a fresh
// urfave/cli command tree around injected deps (streams, environment,
// terminal, connection factories), so tests run commands in-process. One
// file per command group (version.go, xenstore.go, ...) declares the
// commands; each Action parses its arguments into an options struct and
// calls a runX(ctx, opts, env) function that holds the logic. urfave/cli
// types stay in this package.
//
// # Arguments
//
// args.go normalises the command line before urfave/cli sees it, so global
// flags (-o, -q, -v, -N, --sim) work before the command, after it and
// after its arguments, and command flags work after the arguments, as
// getopt allows. "--" ends option processing; -h/--help anywhere becomes
// "xgo help <command>".
//
// # Output
//
// Commands return exported structs with a schemaVersion field. render.go
// prints them: as JSON or YAML for -o json|yaml, as identifiers for -q, as
// the exact text of the tool they replace where one exists (xenstore-ls,
// xenstore-read, ...), otherwise as a table on a terminal and as aligned
// plain text in a pipe.
//
// # Exit status
//
// exit.go maps errors to the documented exit codes in one place: 0 success,
// 1 this host cannot do it, 2 the command line is wrong on any host, 3
// permission denied / not dom0 / no Xen, 4 not supported, 5 the host is
// left partly changed, 6 apply --check found the host differs from the
// layout file (docs/cli.md states the rule). An error is printed
// as one line, "xgo: ...", on stderr (a JSON object under -o json|yaml);
// a panic is caught and reported the same way.
package main
