package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/batch"
)

// This file is the host lock: one xgo job at a time changes a host. A
// batch run and every mutating command take an flock on one file (for
// the real host /run/xgo/lock, for a simulated one a file next to its
// state file) and write their pid and command line into it; read-only
// commands and dry runs never take it. A second xgo waits up to its lock
// timeout and then fails, naming the holder. The lock is wired here, in
// one place, from the table of mutating commands below.

// hostLockPath is the lock file of the real host.
const hostLockPath = "/run/xgo/lock"

// lockEnvVar overrides the lock file (tests, hosts without /run).
const lockEnvVar = "XGO_LOCK"

// lockTimeoutEnvVar sets the lock timeout of the mutating commands other
// than batch run (which has --lock-timeout).
const lockTimeoutEnvVar = "XGO_LOCK_TIMEOUT"

// defaultLockTimeout is how long a second xgo waits for the lock.
const defaultLockTimeout = 10 * time.Second

// mutatingCommands are the commands that change the host, by full name,
// with when they do (nil: always, unless -N): every batch operation (the
// batch registry is the one list of them) plus the few changes a batch
// file cannot make.
var mutatingCommands = func() map[string]func(c *cli.Context) bool {
	m := map[string]func(c *cli.Context) bool{
		"xenstore mkdir": nil,
		"xenstore chmod": nil,
		"batch run":      nil,
	}
	for _, name := range batch.OpNames() {
		if strings.HasPrefix(name, "xenstore-") {
			continue // a batch file's one-word spelling of "xenstore write"
		}
		m[name] = nil
		if strings.HasPrefix(name, "sched-") {
			m[name] = schedSets // sched-* only shows the parameters without a setting
		}
	}
	return m
}()

// schedSets reports whether a sched-* command line sets something.
func schedSets(c *cli.Context) bool {
	for _, f := range []string{"weight", "cap", "ratelimit_us", "tslice_ms", "migration_delay_us", "period", "budget", "extratime"} {
		if c.IsSet(f) {
			return true
		}
	}
	return false
}

// guardMutating wraps the action of every mutating command in cmds (and
// their subcommands) so that it runs holding the host lock.
func guardMutating(e *env, cmds []*cli.Command, parent string) {
	for _, c := range cmds {
		name := strings.TrimSpace(parent + " " + c.Name)
		guardMutating(e, c.Subcommands, name)
		when, ok := mutatingCommands[name]
		if !ok || c.Action == nil {
			continue
		}
		action := c.Action
		c.Action = func(cc *cli.Context) error {
			if e.global.DryRun || (when != nil && !when(cc)) {
				return action(cc)
			}
			timeout, err := e.lockTimeout(cc)
			if err != nil {
				return err
			}
			unlock, err := e.lockHost(timeout)
			if err != nil {
				return err
			}
			defer unlock()
			return action(cc)
		}
	}
}

// lockTimeout is --lock-timeout when the command has it, else
// $XGO_LOCK_TIMEOUT, else the default.
func (e *env) lockTimeout(c *cli.Context) (time.Duration, error) {
	if c.IsSet("lock-timeout") {
		return c.Duration("lock-timeout"), nil
	}
	if c.Command != nil {
		for _, f := range c.Command.Flags {
			if df, ok := f.(*cli.DurationFlag); ok && df.Name == "lock-timeout" {
				return df.Value, nil
			}
		}
	}
	if v := e.getenv(lockTimeoutEnvVar); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return 0, usagef("$%s: want a duration such as 30s, have %q", lockTimeoutEnvVar, v)
		}
		return d, nil
	}
	return defaultLockTimeout, nil
}

// lockPath is the lock file of the host the command acts on.
func (e *env) lockPath() (string, error) {
	if p := e.getenv(lockEnvVar); p != "" {
		return p, nil
	}
	if e.global.Sim {
		p, err := e.simPath()
		if err != nil {
			return "", err
		}
		return p + ".xgo-lock", nil
	}
	return hostLockPath, nil
}

// lockHeldError says who holds the host lock.
type lockHeldError struct {
	path    string
	holder  string
	timeout time.Duration
}

func (e *lockHeldError) Error() string {
	who := e.holder
	if who == "" {
		who = "another process"
	}
	return fmt.Sprintf("another xgo job is changing this host (%s holds %s); gave up after %s (raise --lock-timeout or $%s to wait longer)",
		who, e.path, e.timeout, lockTimeoutEnvVar)
}

// lockHost takes the host lock, waiting up to timeout, and returns the
// function that releases it. Where the lock file cannot be created at
// all (no /run/xgo and no permission: not a dom0 run as root) the
// command goes on unlocked, to fail with its own, better error.
func (e *env) lockHost(timeout time.Duration) (func(), error) {
	path, err := e.lockPath()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		e.logf("no host lock: %v", err)
		return func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		e.logf("no host lock: %v", err)
		return func() {}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("host lock: %w", err)
	}
	deadline := time.Now().Add(timeout)
	delay := 10 * time.Millisecond
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("host lock %s: %w", path, err)
		}
		if !time.Now().Before(deadline) {
			holder, _ := os.ReadFile(path)
			f.Close()
			return nil, &lockHeldError{path: path, holder: strings.TrimSpace(string(holder)), timeout: timeout}
		}
		time.Sleep(delay)
		delay = min(2*delay, 200*time.Millisecond)
	}
	e.logf("host lock %s taken", path)
	who := "pid " + strconv.Itoa(os.Getpid()) + ": " + strings.Join(os.Args, " ")
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(who+"\n"), 0)
	}
	return func() {
		_ = f.Truncate(0)
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
