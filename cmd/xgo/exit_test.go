package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"testing"

	"xgo.dev/xgo/batch"
	"xgo.dev/xgo/cpupool"
	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/pcpu"
	"xgo.dev/xgo/sched"
	"xgo.dev/xgo/xenstore"
)

func TestExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, exitOK},
		{"plain error", errors.New("boom"), exitFailure},
		{"usage", usagef("missing %q", "x"), exitUsage},
		{"wrapped usage", fmt.Errorf("ctx: %w", usagef("bad")), exitUsage},
		{"invalid path from xenstore, marked usage", asUsage(xenstore.ValidatePath("/a//b")), exitUsage},
		{"invalid perm from xenstore, marked usage", asUsage(func() error { _, err := xenstore.ParsePerm("x1"); return err }()), exitUsage},
		{"xenstore EINVAL from the daemon is a failure", &xenstore.Error{Op: "READ", Path: "/a", Name: "EINVAL", Err: xenstore.ErrInvalid}, exitFailure},
		{"xenstore ENOENT", &xenstore.Error{Op: "READ", Path: "/a", Name: "ENOENT", Err: xenstore.ErrNotExist}, exitFailure},
		{"xenstore EACCES", &xenstore.Error{Op: "READ", Path: "/a", Name: "EACCES", Err: xenstore.ErrPermission}, exitPermission},
		{"xenstore EPERM", &xenstore.Error{Op: "SET_PERMS", Path: "/a", Name: "EPERM", Err: xenstore.ErrNotPermitted}, exitPermission},
		{"xenstore ENOSYS", &xenstore.Error{Op: "RESET_WATCHES", Name: "ENOSYS", Err: xenstore.ErrNotSupported}, exitNotSupported},
		{"socket EACCES", &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.EACCES)}, exitPermission},
		{"fs permission", &fs.PathError{Op: "open", Path: "/dev/xen/privcmd", Err: fs.ErrPermission}, exitPermission},
		{"no xenstored at all", &xenstore.DialError{Tried: []xenstore.DialAttempt{
			{Path: xenstore.SocketPath, Err: syscall.ENOENT},
			{Path: xenstore.XenbusPath, Err: syscall.ENOENT},
		}}, exitPermission},
		{"hypercall: no Xen", fmt.Errorf("open: %w", hypercall.ErrNoXen), exitPermission},
		{"hypercall: not dom0", hypercall.ErrNotDom0, exitPermission},
		{"hypercall: not root", hypercall.ErrPermission, exitPermission},
		{"hypercall: not supported", fmt.Errorf("sched: %w", hypercall.ErrNotSupported), exitNotSupported},
		{"hypercall: not supported wins over its EACCES", errors.Join(hypercall.ErrNotSupported, syscall.EACCES), exitNotSupported},
		{"not supported", &notSupportedError{"no"}, exitNotSupported},
		{"wrapped not supported", fmt.Errorf("x: %w", &notSupportedError{"no"}), exitNotSupported},
		{"interrupted", context.Canceled, exitFailure},
		{"batch failed, rolled back", fmt.Errorf("x: %w", batch.ErrFailed), exitFailure},
		{"batch rollback failed", errors.Join(batch.ErrFailed, batch.ErrRollbackFailed), exitRollback},
		// Exit 5 means "the host is left partly changed" for every command.
		{"cpupool plan undone", &cpupool.StepError{What: "move", Err: errors.New("EBUSY"), RolledBack: make([]cpupool.Step, 1)}, exitFailure},
		{"cpupool rollback failed", &cpupool.StepError{What: "move", Err: errors.New("EBUSY"), RollbackErrs: []error{errors.New("EBUSY")}}, exitRollback},
		{"cpupool-cpu-add none done", &cpupool.PartialError{What: "add", Failed: []cpupool.CPUFailure{{CPU: 3, Err: errors.New("EBUSY")}}}, exitFailure},
		{"cpupool-cpu-add some done", &cpupool.PartialError{What: "add", Done: []int{2}, Failed: []cpupool.CPUFailure{{CPU: 3, Err: errors.New("EBUSY")}}}, exitRollback},
		{"pcpu-offline none changed", &pcpu.FailedError{Failed: []*pcpu.CPUError{{CPU: 2}}, Total: 2}, exitFailure},
		{"pcpu-offline one changed", &pcpu.FailedError{Failed: []*pcpu.CPUError{{CPU: 2}}, Total: 2, Changed: 1}, exitRollback},
		{"pcpu-offline stranded", &pcpu.FailedError{Failed: []*pcpu.CPUError{{CPU: 2, Stranded: true}}, Total: 1}, exitRollback},
		// The domain packages' bad arguments are usage errors, whoever wraps them.
		{"cpupool invalid", fmt.Errorf("x: %w", cpupool.ErrInvalid), exitUsage},
		{"sched invalid", &sched.InvalidError{Param: "weight", Value: "0", Reason: "r"}, exitUsage},
		{"sched refused for this domain", &sched.InvalidError{Param: "cap", Value: "300", Reason: "r", Host: true}, exitFailure},
		{"cpu list absent from this host", &cpupool.AbsentError{Err: &cpuset.ParseError{List: "node:7", Item: "node:7", Reason: "r", Absent: true}}, exitFailure},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("%s: exitCode(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestErrorLine(t *testing.T) {
	t.Parallel()
	for err, want := range map[error]string{
		errors.New("boom"):                         "xgo: boom",
		errors.New("first\nsecond\r\n  third  \n"): "xgo: first; second; third",
		fmt.Errorf("watch: %w", context.Canceled):  "xgo: interrupted",
	} {
		if got := errorLine(err); got != want {
			t.Errorf("errorLine(%q) = %q, want %q", err, got, want)
		}
	}
}
