package main

import (
	"context"
	"errors"

	"xgo.dev/xgo/host"
	"xgo.dev/xgo/xensim"
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

// openHost opens the host the command acts on (package host): the
// simulated host, locked until Close, with --sim; this machine's Xen
// otherwise. save says whether the command may change the host: a
// simulated host is then saved by Close, unless this is a dry run, and
// otherwise left as it was.
func (e *env) openHost(save bool) (*host.Host, error) {
	opts := host.Options{
		Save:  save && !e.global.DryRun,
		Note:  func(l string) { e.logOncef("%s", l) },
		Trace: func(l string) { e.logf("%s", l) },
	}
	if e.global.Sim {
		path, err := e.simPath()
		if err != nil {
			return nil, err
		}
		opts.Sim, opts.SimPath = true, path
	}
	if e.deps.dialXenstore != nil {
		opts.DialXenstore = func(ctx context.Context) (host.Store, error) { return e.deps.dialXenstore(ctx, e) }
	}
	h, err := host.Open(opts)
	if errors.Is(err, host.ErrNoSimHost) {
		// Only "xgo sim init" makes a host: a mistyped path or a failed
		// "sim init --spec" would otherwise act on a host nobody asked
		// for. Like any file named on the line that cannot be read, a
		// usage error.
		return nil, usagef("no simulated host at %s: create one with \"xgo --sim=%s sim init\"", cutArg(opts.SimPath), cutArg(opts.SimPath))
	}
	return h, err
}

// openSim opens the simulated host (see openHost); the returned function
// releases it.
func (e *env) openSim(save bool) (*xensim.Sim, func() error, error) {
	h, err := e.openHost(save)
	if err != nil {
		return nil, nil, err
	}
	return h.Sim(), h.Close, nil
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
