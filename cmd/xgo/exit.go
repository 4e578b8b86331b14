package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"xgo.dev/xgo/batch"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/layout"
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
	exitRollback     = 5 // a batch step failed and undoing the steps before it failed too
)

// exitCodesHelp is appended to "xgo help".
const exitCodesHelp = `EXIT STATUS:
   0  success
   1  the operation failed
   2  usage error: bad or missing argument, unknown flag or command
   3  permission denied, not running in dom0, or no Xen found
   4  not supported by this Xen or by this build of xgo
   5  a batch step failed and rolling back failed too: the host is partly changed
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
	case errors.Is(err, batch.ErrRollbackFailed):
		return exitRollback
	case errors.Is(err, layout.ErrOutOfSync):
		return exitWouldChange
	case errors.As(err, &ue), errors.As(err, &wu):
		return exitUsage
	// Not-supported comes first: hypercall reports an interface version
	// mismatch (EACCES from Xen) as ErrNotSupported.
	case errors.As(err, &ns),
		errors.Is(err, hypercall.ErrNotSupported),
		errors.Is(err, xenstore.ErrNotSupported):
		return exitNotSupported
	case errors.Is(err, hypercall.ErrNoXen),
		errors.Is(err, hypercall.ErrNotDom0),
		errors.Is(err, hypercall.ErrPermission),
		errors.Is(err, xenstore.ErrPermission),
		errors.Is(err, xenstore.ErrNotPermitted),
		errors.Is(err, fs.ErrPermission),
		errors.As(err, &de): // no xenstored and no xenbus: not dom0, or no Xen
		return exitPermission
	}
	return exitFailure
}

// errorLine formats err as the single line xgo prints on stderr.
func errorLine(err error) string {
	if errors.Is(err, context.Canceled) {
		return "xgo: interrupted"
	}
	return "xgo: " + oneLine(err.Error())
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
