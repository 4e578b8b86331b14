package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"xgo.dev/xgo/batch"
	"xgo.dev/xgo/cpupool"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/layout"
	"xgo.dev/xgo/pcpu"
	"xgo.dev/xgo/sched"
	"xgo.dev/xgo/sound"
	"xgo.dev/xgo/xenstore"
)

// Exit codes. They are part of xgo's interface: scripts test them, and
// exitCodesHelp lists them in "xgo help".
const (
	exitOK           = 0 // success
	exitFailure      = 1 // the operation was attempted and failed
	exitUsage        = 2 // bad or missing argument, unknown flag or command
	exitPermission   = 3 // permission denied, not in dom0, no Xen
	exitNotSupported = 4 // this Xen (or this build of xgo) cannot do it
	exitRollback     = 5 // failed part-way and the host is left partly changed
	exitWouldChange  = 6 // apply --check: the host differs from the layout file
)

// exitCodesHelp is appended to "xgo help".
const exitCodesHelp = `EXIT STATUS:
   0  success
   1  failed: this host cannot do it (a cpu, pool or domain it does not
      have, a refusal, Xen's error); nothing changed, or it was undone
   2  usage error: the command line is wrong on any host (bad or missing
      argument, unknown flag or command, unreadable input file)
   3  permission denied, not running in dom0, or no Xen found
   4  not supported by this Xen or by this build of xgo
   5  failed part-way and the host is left partly changed (rolling back
      failed, or some of the cpus were done): look before retrying
   6  apply --check: the host differs from the layout file (nothing changed)
`

// usageError is a mistake on the command line. Nothing has been sent to Xen
// when one is returned. The message names the offending token.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef builds a usageError; format it so that the bad token is quoted.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// asUsage marks err (e.g. a path or permission the xenstore package
// refused before sending anything) as a usage error, keeping its chain.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	return &wrappedUsage{err}
}

type wrappedUsage struct{ err error }

func (e *wrappedUsage) Error() string { return e.err.Error() }
func (e *wrappedUsage) Unwrap() error { return e.err }

// readInputFile reads a file named on the command line ("-" is stdin
// when stdin is given). A file that cannot be read is a usage error, like
// any other bad argument; the message names the file.
func readInputFile(cmd, what, name string, stdin io.Reader) ([]byte, error) {
	if name == "-" && stdin != nil {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, usagef("%s: reading %s from stdin: %v", cmd, what, err)
		}
		return b, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, usagef("%s: cannot read %s %q: %v", cmd, what, name, err)
	}
	return b, nil
}

// notSupportedError is something this Xen or this build cannot do.
type notSupportedError struct{ msg string }

func (e *notSupportedError) Error() string { return e.msg }

// exitCode maps an error to xgo's documented exit codes. It is the only
// place that decides them.
func exitCode(err error) int {
	var ue *usageError
	var wu *wrappedUsage
	var ns *notSupportedError
	var de *xenstore.DialError
	switch {
	case err == nil:
		return exitOK
	case leftChanged(err):
		return exitRollback
	case errors.Is(err, layout.ErrOutOfSync):
		return exitWouldChange
	case errors.As(err, &ue), errors.As(err, &wu),
		// The domain packages' "can never be right" errors: nothing was sent.
		errors.Is(err, cpupool.ErrInvalid),
		errors.Is(err, sched.ErrInvalid),
		errors.Is(err, sound.ErrInvalid),
		errors.Is(err, batch.ErrInvalid):
		return exitUsage
	// Not-supported comes first: hypercall reports an interface version
	// mismatch (EACCES from Xen) as ErrNotSupported. It is not
	// errors.ErrUnsupported: that matches any EOPNOTSUPP or ENOSYS errno,
	// and Xen's EOPNOTSUPP for "cpu 0 cannot go offline" is a refusal.
	case errors.As(err, &ns),
		errors.Is(err, hypercall.ErrNotSupported),
		errors.Is(err, xenstore.ErrNotSupported):
		return exitNotSupported
	case errors.Is(err, hypercall.ErrNoXen),
		errors.Is(err, hypercall.ErrNotDom0),
		errors.As(err, &de): // no xenstored and no xenbus: not dom0, or no Xen
		return exitPermission
	// One test for permission: hypercall.ErrPermission, xenstore's EACCES
	// and EPERM and the OS's refusals all match fs.ErrPermission.
	case errors.Is(err, fs.ErrPermission):
		return exitPermission
	}
	return exitFailure
}

// leftChanged reports whether err says the host is left partly changed:
// undoing the steps done failed, or a best-effort command (xl's
// cpupool-cpu-add, pcpu-offline of several cpus) did some of its cpus.
func leftChanged(err error) bool {
	var cs *cpupool.StepError
	var cp *cpupool.PartialError
	var pf *pcpu.FailedError
	var pc *pcpu.CPUError
	switch {
	case errors.Is(err, batch.ErrRollbackFailed):
		return true
	case errors.As(err, &cs) && len(cs.RollbackErrs) > 0:
		return true
	case errors.As(err, &cp) && len(cp.Done) > 0:
		return true
	case errors.As(err, &pf) && pf.Changed > 0:
		return true
	case errors.As(err, &pc) && pc.Stranded:
		return true
	}
	return false
}

// errorLine formats err as the single line xgo prints on stderr.
func errorLine(err error) string {
	if errors.Is(err, context.Canceled) {
		return "xgo: interrupted"
	}
	return "xgo: " + oneLine(err.Error())
}

// ErrorOutput is what a failed command prints on stderr under -o json or
// -o yaml: one line of JSON (which is YAML too), instead of the "xgo: ..."
// line. Status is the exit status.
type ErrorOutput struct {
	SchemaVersion int       `json:"schemaVersion"`
	Error         ErrorItem `json:"error"`
}

// ErrorItem is the error of an ErrorOutput.
type ErrorItem struct {
	Status  int    `json:"status"`
	Message string `json:"message"` // the "xgo: ..." line without "xgo: "
}

// writeErrorJSON prints err as an ErrorOutput line.
func writeErrorJSON(w io.Writer, err error) {
	msg := strings.TrimPrefix(errorLine(err), "xgo: ")
	_ = writeJSON(w, ErrorOutput{SchemaVersion: schemaVersion, Error: ErrorItem{Status: exitCode(err), Message: msg}}, false)
}

// oneLine folds a possibly multi-line message onto one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	f := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return strings.Join(f, "; ")
}
