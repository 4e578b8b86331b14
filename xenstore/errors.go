package xenstore

import (
	"errors"
	"fmt"
	"syscall"
)

// Sentinel errors. Each is the errno xenstored names in its XS_ERROR reply,
// so errors.Is matches the sentinel, the syscall.Errno and, where the
// standard library defines one, the io/fs error (fs.ErrNotExist,
// fs.ErrPermission, fs.ErrExist).
var (
	ErrInvalid      error = syscall.EINVAL    // EINVAL: malformed request or path
	ErrPermission   error = syscall.EACCES    // EACCES: the node's permissions refuse it
	ErrExist        error = syscall.EEXIST    // EEXIST
	ErrIsDir        error = syscall.EISDIR    // EISDIR
	ErrNotExist     error = syscall.ENOENT    // ENOENT: no such node (or parent)
	ErrNoMem        error = syscall.ENOMEM    // ENOMEM
	ErrQuota        error = syscall.ENOSPC    // ENOSPC: a quota is exhausted
	ErrIO           error = syscall.EIO       // EIO
	ErrNotEmpty     error = syscall.ENOTEMPTY // ENOTEMPTY
	ErrNotSupported error = syscall.ENOSYS    // ENOSYS: unknown message type
	ErrReadOnly     error = syscall.EROFS     // EROFS
	ErrBusy         error = syscall.EBUSY     // EBUSY
	ErrAgain        error = syscall.EAGAIN    // EAGAIN: transaction conflict, redo it
	ErrIsConn       error = syscall.EISCONN   // EISCONN
	ErrTooBig       error = syscall.E2BIG     // E2BIG: value or request too large
	ErrNotPermitted error = syscall.EPERM     // EPERM: operation needs privilege
)

// xsdErrors is xsd_errors[] from xs_wire.h, in its order: the names the
// daemon sends in XS_ERROR payloads.
var xsdErrors = []struct {
	name  string
	errno syscall.Errno
}{
	{"EINVAL", syscall.EINVAL},
	{"EACCES", syscall.EACCES},
	{"EEXIST", syscall.EEXIST},
	{"EISDIR", syscall.EISDIR},
	{"ENOENT", syscall.ENOENT},
	{"ENOMEM", syscall.ENOMEM},
	{"ENOSPC", syscall.ENOSPC},
	{"EIO", syscall.EIO},
	{"ENOTEMPTY", syscall.ENOTEMPTY},
	{"ENOSYS", syscall.ENOSYS},
	{"EROFS", syscall.EROFS},
	{"EBUSY", syscall.EBUSY},
	{"EAGAIN", syscall.EAGAIN},
	{"EISCONN", syscall.EISCONN},
	{"E2BIG", syscall.E2BIG},
	{"EPERM", syscall.EPERM},
}

// ErrnoForName maps an XS_ERROR name ("ENOENT") to its errno. An unknown
// name gives EINVAL and false, as libxenstore does.
func ErrnoForName(name string) (syscall.Errno, bool) {
	for _, e := range xsdErrors {
		if e.name == name {
			return e.errno, true
		}
	}
	return syscall.EINVAL, false
}

// xsdName is the xsd_errors name of errno, or "" if it has none.
func xsdName(errno syscall.Errno) string {
	for _, e := range xsdErrors {
		if e.errno == errno {
			return e.name
		}
	}
	return ""
}

// ErrorName gives the XS_ERROR name for err: the name of the first errno of
// xsd_errors that err matches, else "EINVAL". The in-process daemon uses it
// to answer requests.
func ErrorName(err error) string {
	for _, e := range xsdErrors {
		if errors.Is(err, e.errno) {
			return e.name
		}
	}
	return "EINVAL"
}

// Error is a request that failed: refused by xenstored (Name is the
// XS_ERROR name and Err its errno), refused by the client's own validation
// before sending (Err is a *PathError, *PayloadError, ...), or cut short by
// the connection or the context (Err matches ErrClosed, ErrDisconnected,
// context.Canceled, ...). It unwraps to Err, so errors.Is(err,
// ErrNotExist) works.
type Error struct {
	Op   string // the request, e.g. "READ"
	Path string // the path it named, if any
	Name string // the XS_ERROR name, e.g. "ENOENT"; "" if xenstored did not answer
	Err  error  // the errno, or the local cause
}

func (e *Error) Error() string {
	s := "xenstore " + e.Op
	var pe *PathError
	if e.Path != "" && !errors.As(e.Err, &pe) { // a PathError names the path itself
		s += " " + e.Path
	}
	if e.Name != "" {
		return fmt.Sprintf("%s: %s (%v)", s, e.Name, e.Err)
	}
	return fmt.Sprintf("%s: %v", s, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// replyError turns an XS_ERROR payload into an *Error.
func replyError(op MsgType, path string, payload []byte) *Error {
	name := string(payload)
	if i := indexNUL(payload); i >= 0 {
		name = string(payload[:i])
	}
	errno, _ := ErrnoForName(name)
	return &Error{Op: op.String(), Path: path, Name: name, Err: errno}
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}
