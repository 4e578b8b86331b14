package xenstore

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// Endpoints Dial tries when $XENSTORED_PATH is not set, in order.
const (
	SocketPath       = "/run/xenstored/socket"
	LegacySocketPath = "/var/run/xenstored/socket"
	XenbusPath       = "/dev/xen/xenbus"
)

// Dial connects to xenstored the way libxenstore's xs_open does:
//
//   - $XENSTORED_PATH if set (a socket, or a xenbus device if it is a
//     character device), and nothing else;
//   - otherwise $XENSTORED_RUNDIR/socket if $XENSTORED_RUNDIR is set, then
//     /run/xenstored/socket, /var/run/xenstored/socket and finally
//     /dev/xen/xenbus, the kernel's own connection, which works without
//     a local xenstored (e.g. in a driver domain or with a stub xenstored).
//
// If all fail, the *DialError lists every endpoint tried and why.
func Dial(cfg *Config) (*Conn, error) {
	if p := os.Getenv("XENSTORED_PATH"); p != "" {
		c, err := dialAny(p, cfg)
		if err != nil {
			return nil, &DialError{Tried: []DialAttempt{{Path: p + " ($XENSTORED_PATH)", Err: err}}}
		}
		return c, nil
	}
	var paths []string
	if d := os.Getenv("XENSTORED_RUNDIR"); d != "" {
		paths = append(paths, filepath.Join(d, "socket"))
	}
	paths = append(paths, SocketPath, LegacySocketPath)
	de := &DialError{}
	for _, p := range paths {
		c, err := DialSocket(p, cfg)
		if err == nil {
			return c, nil
		}
		de.Tried = append(de.Tried, DialAttempt{Path: p, Err: err})
	}
	c, err := DialXenbus(XenbusPath, cfg)
	if err == nil {
		return c, nil
	}
	de.Tried = append(de.Tried, DialAttempt{Path: XenbusPath, Err: err})
	return nil, de
}

// dialAny opens p as a xenbus device if it is a character device, as a
// socket otherwise.
func dialAny(p string, cfg *Config) (*Conn, error) {
	if fi, err := os.Stat(p); err == nil && fi.Mode()&fs.ModeCharDevice != 0 {
		return DialXenbus(p, cfg)
	}
	return DialSocket(p, cfg)
}

// DialSocket connects to xenstored's Unix socket at path.
func DialSocket(path string, cfg *Config) (*Conn, error) {
	nc, err := net.Dial("unix", path)
	if err != nil {
		return nil, err
	}
	return NewConn(nc, cfg), nil
}

// DialAttempt is one endpoint Dial tried.
type DialAttempt struct {
	Path string
	Err  error
}

// DialError is Dial's error when no endpoint worked. errors.Is sees every
// attempt's error, so errors.Is(err, fs.ErrPermission) tells that some
// endpoint exists but is closed to this user.
type DialError struct {
	Tried []DialAttempt
}

func (e *DialError) Error() string {
	var b strings.Builder
	b.WriteString("xenstore: cannot connect to xenstored; tried ")
	for i, a := range e.Tried {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Path)
		b.WriteString(" (")
		b.WriteString(errText(a.Err))
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the error of each attempt.
func (e *DialError) Unwrap() []error {
	errs := make([]error, len(e.Tried))
	for i, a := range e.Tried {
		errs[i] = a.Err
	}
	return errs
}

// errText shortens the net and os errors Dial gets to their cause, since
// the path is already printed.
func errText(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		err = se.Err
	}
	return err.Error()
}
