package main

import (
	"errors"
	"os"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/xensim"
	"xgo.dev/xgo/xenstore"
)

// This file is the one place where a command gets hold of the simulated
// host: --sim[=STATE] or $XGO_SIM=STATE select it, openSim locks and
// loads it for the duration of the command, and the release function it
// returns saves it (a command that may have changed it, not a dry run) or
// leaves the state file untouched.

// simEnvVar names the state file of the simulated host when --sim is not
// given: XGO_SIM=FILE acts like --sim=FILE for every command.
const simEnvVar = "XGO_SIM"

// applySimEnv lets $XGO_SIM select the simulated host when the command
// line did not.
// --sim=STATE wins over it; a bare --sim takes its state file from it
// too, so that following examples with XGO_SIM set never acts on another
// host.
func applySimEnv(e *env, g *globalOptions) {
	if g.Sim && g.SimState != "" {
		return
	}
	if f := e.getenv(simEnvVar); f != "" {
		g.Sim, g.SimState = true, f
	}
}

// simPath is the state file of the simulated host the command acts on.
func (e *env) simPath() (string, error) {
	if e.global.SimState != "" {
		return e.global.SimState, nil
	}
	return xensim.DefaultPath()
}

// openSim locks and loads the simulated host. The returned function
// releases it: it saves the state when save is true and the command is
// not a dry run, and otherwise leaves the state file as it was. Until it
// is called, every other xgo process that wants the host waits, so each
// command's changes are applied whole.
func (e *env) openSim(save bool) (*xensim.Sim, func() error, error) {
	path, err := e.simPath()
	if err != nil {
		return nil, nil, err
	}
	s, err := xensim.Open(path)
	if err != nil {
		return nil, nil, err
	}
	if s.Booted() {
		// Only "xgo sim init" makes a host: a mistyped path or a failed
		// "sim init --spec" would otherwise act on a host nobody asked
		// for. Like any file named on the line that cannot be read, a
		// usage error.
		_ = s.Discard()
		return nil, nil, usagef("no simulated host at %s: create one with \"xgo --sim=%s sim init\"", cutArg(path), cutArg(path))
	}
	save = save && !e.global.DryRun
	if save {
		e.logOncef("simulated host %s (saved when the command ends)", s.Path())
	} else {
		e.logOncef("simulated host %s (read only)", s.Path())
	}
	release := func() error {
		if save {
			return s.Close()
		}
		return s.Discard()
	}
	return s, release, nil
}

// withSim runs fn on the simulated host opened by openSim and releases
// it, reporting a failure to save if fn succeeded.
func (e *env) withSim(save bool, fn func(s *xensim.Sim) error) (err error) {
	s, release, err := e.openSim(save)
	if err != nil {
		return err
	}
	defer func() {
		if rerr := release(); err == nil {
			err = rerr
		}
	}()
	return fn(s)
}

// privcmdPaths are where Linux's privcmd driver appears in a dom0.
var privcmdPaths = []string{"/dev/xen/privcmd", "/proc/xen/privcmd"}

// noXenError replaces the error of a command that found no Xen to talk
// to: one line that says so and how to use the simulated host instead.
// It keeps the cause's chain, so the exit status stays 3.
type noXenError struct {
	why   string // "no /dev/xen/privcmd", "this is a Xen guest"
	cause error
}

func (e *noXenError) Error() string {
	return "this machine is not a Xen dom0 (" + e.why + "): run xgo in dom0 as root, " +
		"or try it on a simulated host with --sim (xgo --sim pcpu-list) or XGO_SIM=FILE"
}

func (e *noXenError) Unwrap() error { return e.cause }

// explainNoXen turns err, the failure to reach the real host, into a
// noXenError when this machine is no dom0 at all: not on Xen or without
// the privcmd driver (then xenstored is missing too), or a Xen guest. A
// XenStore named by $XENSTORED_PATH (read by xenstore.Dial from the
// process) keeps its own error: the user pointed xgo at it.
func explainNoXen(err error) error {
	var de *xenstore.DialError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, hypercall.ErrNotDom0):
		return &noXenError{why: "this is a Xen guest", cause: err}
	case errors.As(err, &de) && os.Getenv("XENSTORED_PATH") != "":
	case errors.Is(err, hypercall.ErrNoXen), errors.As(err, &de):
		if !hasPrivcmd() {
			return &noXenError{why: "no /dev/xen/privcmd", cause: err}
		}
	}
	return err
}

func hasPrivcmd() bool {
	for _, p := range privcmdPaths {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}
