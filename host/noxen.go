package host

import (
	"errors"
	"os"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/xenstore"
)

// privcmdPaths are where Linux's privcmd driver appears in a dom0.
var privcmdPaths = []string{"/dev/xen/privcmd", "/proc/xen/privcmd"}

// NoXenError replaces the error of a command that found no Xen to talk
// to: one line that says so and how to use the simulated host instead.
// It keeps the cause's chain, so the exit status stays that of the cause.
type NoXenError struct {
	why   string // "no /dev/xen/privcmd", "this is a Xen guest"
	cause error
}

func (e *NoXenError) Error() string {
	return "this machine is not a Xen dom0 (" + e.why + "): run xgo in dom0 as root, " +
		"or try it on a simulated host with --sim (xgo --sim pcpu-list) or XGO_SIM=FILE"
}

func (e *NoXenError) Unwrap() error { return e.cause }

// ExplainNoXen turns err, the failure to reach the real host, into a
// NoXenError when this machine is no dom0 at all: not on Xen or without
// the privcmd driver (then xenstored is missing too), or a Xen guest. A
// XenStore named by $XENSTORED_PATH (read by xenstore.Dial from the
// process) keeps its own error: the user pointed xgo at it.
func ExplainNoXen(err error) error {
	var de *xenstore.DialError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, hypercall.ErrNotDom0):
		return &NoXenError{why: "this is a Xen guest", cause: err}
	case errors.As(err, &de) && os.Getenv("XENSTORED_PATH") != "":
	case errors.Is(err, hypercall.ErrNoXen), errors.As(err, &de):
		if !hasPrivcmd() {
			return &NoXenError{why: "no /dev/xen/privcmd", cause: err}
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
