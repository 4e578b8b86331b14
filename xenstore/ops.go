package xenstore

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"sync"
)

// Ops is what both a Conn and a Tx can do. Code that takes an Ops works the
// same inside a transaction and outside one.
type Ops interface {
	// Read returns the value of the node at path.
	Read(ctx context.Context, path string) ([]byte, error)
	// Write sets the value of the node at path, creating it and any
	// missing parents.
	Write(ctx context.Context, path string, value []byte) error
	// Mkdir creates the node at path with an empty value (and any missing
	// parents); it is not an error if it exists.
	Mkdir(ctx context.Context, path string) error
	// Rm removes the node at path and everything below it. A missing
	// node is not an error; a missing parent is (ENOENT).
	Rm(ctx context.Context, path string) error
	// Directory lists the names of the children of path.
	Directory(ctx context.Context, path string) ([]string, error)
	// GetPerms returns the permissions of the node at path.
	GetPerms(ctx context.Context, path string) (Perms, error)
	// SetPerms replaces the permissions of the node at path.
	SetPerms(ctx context.Context, path string, perms Perms) error
}

var (
	_ Ops = (*Conn)(nil)
	_ Ops = (*Tx)(nil)
)

// Read returns the value of the node at path.
func (c *Conn) Read(ctx context.Context, path string) ([]byte, error) {
	return c.read(ctx, 0, path)
}

// Write sets the value of the node at path, creating it and any missing
// parents. path and value together must fit in one message (PayloadMax
// bytes, PayloadMax-16 on /dev/xen/xenbus, counting the NUL between them);
// a longer request is refused before anything is sent.
func (c *Conn) Write(ctx context.Context, path string, value []byte) error {
	return c.write(ctx, 0, path, value)
}

// Mkdir creates the node at path, with an empty value, and any missing
// parents. An existing node is left alone.
func (c *Conn) Mkdir(ctx context.Context, path string) error {
	return c.simple(ctx, TypeMkdir, 0, path)
}

// Rm removes the node at path and all its descendants. A missing node is
// not an error; a missing parent gives ENOENT.
func (c *Conn) Rm(ctx context.Context, path string) error {
	return c.simple(ctx, TypeRm, 0, path)
}

// Directory lists the names (not paths) of the children of path. When the
// list is too long for one reply (C xenstored answers E2BIG for more than
// 4096 bytes of names) it is fetched in parts with DIRECTORY_PART.
func (c *Conn) Directory(ctx context.Context, path string) ([]string, error) {
	return c.directory(ctx, 0, path)
}

// GetPerms returns the permissions of the node at path.
func (c *Conn) GetPerms(ctx context.Context, path string) (Perms, error) {
	return c.getPerms(ctx, 0, path)
}

// SetPerms replaces the permissions of the node at path. The first entry
// names the owner and the access of domains not listed after it.
func (c *Conn) SetPerms(ctx context.Context, path string, perms Perms) error {
	return c.setPerms(ctx, 0, path, perms)
}

func (c *Conn) read(ctx context.Context, tx uint32, path string) ([]byte, error) {
	if err := ValidatePath(path); err != nil {
		return nil, &Error{Op: TypeRead.String(), Path: path, Err: err}
	}
	m, err := c.roundTrip(ctx, request{typ: TypeRead, tx: tx, path: path, payload: JoinPayload(path)})
	if err != nil {
		return nil, err
	}
	return m.Payload, nil
}

func (c *Conn) write(ctx context.Context, tx uint32, path string, value []byte) error {
	if err := ValidatePath(path); err != nil {
		return &Error{Op: TypeWrite.String(), Path: path, Err: err}
	}
	p := make([]byte, 0, len(path)+1+len(value))
	p = append(p, path...)
	p = append(p, 0)
	p = append(p, value...)
	_, err := c.roundTrip(ctx, request{typ: TypeWrite, tx: tx, path: path, payload: p})
	return err
}

// simple sends a request whose payload is `path\0` and whose reply is OK.
func (c *Conn) simple(ctx context.Context, t MsgType, tx uint32, path string) error {
	if err := ValidatePath(path); err != nil {
		return &Error{Op: t.String(), Path: path, Err: err}
	}
	_, err := c.roundTrip(ctx, request{typ: t, tx: tx, path: path, payload: JoinPayload(path)})
	return err
}

func (c *Conn) directory(ctx context.Context, tx uint32, path string) ([]string, error) {
	if err := ValidatePath(path); err != nil {
		return nil, &Error{Op: TypeDirectory.String(), Path: path, Err: err}
	}
	m, err := c.roundTrip(ctx, request{typ: TypeDirectory, tx: tx, path: path, payload: JoinPayload(path)})
	if err == nil {
		return SplitPayload(m.Payload), nil
	}
	var xe *Error
	if !errors.As(err, &xe) || xe.Name != "E2BIG" {
		return nil, err
	}
	names, perr := c.directoryPart(ctx, tx, path)
	if perr != nil {
		var pe *Error
		if errors.As(perr, &pe) && (pe.Name == "ENOSYS" || pe.Name == "EINVAL") {
			return nil, err // the daemon has no DIRECTORY_PART: report the E2BIG
		}
		return nil, perr
	}
	return names, nil
}

// directoryPartRestarts bounds how often directoryPart starts over because
// the directory changed between two parts.
const directoryPartRestarts = 8

// directoryPart fetches a long child list in pieces. Each DIRECTORY_PART
// reply is `generation\0` followed by as many whole `name\0` entries as fit,
// starting at the byte offset asked for; the last piece carries one more
// NUL. If the node's generation changes between pieces, start again.
func (c *Conn) directoryPart(ctx context.Context, tx uint32, path string) ([]string, error) {
restart:
	for range directoryPartRestarts + 1 {
		var names, gen []byte
		for {
			off := strconv.Itoa(len(names))
			m, err := c.roundTrip(ctx, request{typ: TypeDirectoryPart, tx: tx, path: path, payload: JoinPayload(path, off)})
			if err != nil {
				return nil, err
			}
			g, rest, ok := bytes.Cut(m.Payload, []byte{0})
			if !ok || len(rest) == 0 || rest[len(rest)-1] != 0 {
				return nil, protocolError(TypeDirectoryPart, path, "malformed reply %q at offset %s", m.Payload, off)
			}
			if names == nil {
				gen = g
			} else if !bytes.Equal(gen, g) {
				continue restart // the directory changed between parts
			}
			names = append(names, rest...)
			// The list ends with an empty name: a reply that is just the
			// terminator, or one whose names end in two NULs.
			if len(rest) == 1 || names[len(names)-2] == 0 {
				return SplitPayload(names[:len(names)-1]), nil
			}
		}
	}
	return nil, &Error{Op: TypeDirectoryPart.String(), Path: path, Name: "EAGAIN", Err: ErrAgain}
}

func (c *Conn) getPerms(ctx context.Context, tx uint32, path string) (Perms, error) {
	if err := ValidatePath(path); err != nil {
		return nil, &Error{Op: TypeGetPerms.String(), Path: path, Err: err}
	}
	m, err := c.roundTrip(ctx, request{typ: TypeGetPerms, tx: tx, path: path, payload: JoinPayload(path)})
	if err != nil {
		return nil, err
	}
	ps, err := ParsePerms(SplitPayload(m.Payload))
	if err != nil {
		return nil, protocolError(TypeGetPerms, path, "%v", err)
	}
	return ps, nil
}

func (c *Conn) setPerms(ctx context.Context, tx uint32, path string, perms Perms) error {
	op := TypeSetPerms.String()
	if err := ValidatePath(path); err != nil {
		return &Error{Op: op, Path: path, Err: err}
	}
	if len(perms) == 0 {
		return &Error{Op: op, Path: path, Err: &PermError{"", "a permission list needs at least the owner entry"}}
	}
	parts := make([]string, 1, 1+len(perms))
	parts[0] = path
	for _, p := range perms {
		switch p.Access {
		case AccessNone, AccessRead, AccessWrite, AccessBoth:
		default:
			return &Error{Op: op, Path: path, Err: &PermError{p.String(), "unknown access letter (want n, r, w or b)"}}
		}
		parts = append(parts, p.String())
	}
	_, err := c.roundTrip(ctx, request{typ: TypeSetPerms, tx: tx, path: path, payload: JoinPayload(parts...)})
	return err
}

// GetDomainPath returns the home path of domain domid,
// normally /local/domain/<domid>.
func (c *Conn) GetDomainPath(ctx context.Context, domid uint32) (string, error) {
	m, err := c.roundTrip(ctx, request{typ: TypeGetDomainPath, payload: JoinPayload(strconv.FormatUint(uint64(domid), 10))})
	if err != nil {
		return "", err
	}
	return string(trimNUL(m.Payload)), nil
}

// IsDomainIntroduced reports whether xenstored knows domain domid.
func (c *Conn) IsDomainIntroduced(ctx context.Context, domid uint32) (bool, error) {
	m, err := c.roundTrip(ctx, request{typ: TypeIsDomainIntroduced, payload: JoinPayload(strconv.FormatUint(uint64(domid), 10))})
	if err != nil {
		return false, err
	}
	switch string(trimNUL(m.Payload)) {
	case "T":
		return true, nil
	case "F":
		return false, nil
	}
	return false, protocolError(TypeIsDomainIntroduced, "", "reply %q is neither T nor F", m.Payload)
}

// Introduce tells xenstored about a new domain: the frame of its XenStore
// ring page and the event channel port to signal. Only dom0 may do this.
func (c *Conn) Introduce(ctx context.Context, domid uint32, mfn uint64, port uint32) error {
	return c.control(ctx, TypeIntroduce,
		strconv.FormatUint(uint64(domid), 10), strconv.FormatUint(mfn, 10), strconv.FormatUint(uint64(port), 10))
}

// Release tells xenstored that domain domid is gone; it fires
// @releaseDomain watches.
func (c *Conn) Release(ctx context.Context, domid uint32) error {
	return c.control(ctx, TypeRelease, strconv.FormatUint(uint64(domid), 10))
}

// Resume clears the shutdown flag of domain domid after it resumed.
func (c *Conn) Resume(ctx context.Context, domid uint32) error {
	return c.control(ctx, TypeResume, strconv.FormatUint(uint64(domid), 10))
}

// SetTarget gives domain domid (a device model stub domain) the privileges
// of domain target over target's nodes.
func (c *Conn) SetTarget(ctx context.Context, domid, target uint32) error {
	return c.control(ctx, TypeSetTarget, strconv.FormatUint(uint64(domid), 10), strconv.FormatUint(uint64(target), 10))
}

func (c *Conn) control(ctx context.Context, t MsgType, args ...string) error {
	_, err := c.roundTrip(ctx, request{typ: t, payload: JoinPayload(args...)})
	return err
}

// Control sends an XS_CONTROL (formerly XS_DEBUG) request, e.g.
// Control(ctx, "log", "on") or Control(ctx, "quota"), and returns
// xenstored's answer without its trailing NUL. The commands and their
// output are specific to the daemon.
func (c *Conn) Control(ctx context.Context, args ...string) ([]byte, error) {
	m, err := c.roundTrip(ctx, request{typ: TypeControl, payload: JoinPayload(args...)})
	if err != nil {
		return nil, err
	}
	return trimNUL(m.Payload), nil
}

// trimNUL removes one trailing NUL from a string reply.
func trimNUL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == 0 {
		return b[:n-1]
	}
	return b
}

// maxInFlight bounds the requests ReadMany has outstanding at once.
const maxInFlight = 32

// ReadMany reads paths through ops with up to 32 requests in flight on
// the connection, instead of one round trip after another: what
// `xenstore-read P1 P2 ...` does, in a fraction of the time. It returns
// the values in the order of paths up to the first path that failed,
// and that failure (nil if none did).
func ReadMany(ctx context.Context, ops Ops, paths []string) ([][]byte, error) {
	vals, errs := readInFlight(ctx, ops, paths)
	for i, err := range errs {
		if err != nil {
			return vals[:i], err
		}
	}
	return vals, nil
}

// ReadEach reads paths as ReadMany does, for nodes that may be missing:
// a missing node's value is nil (an empty node's is empty, not nil), and
// only another error fails the call, joined with the rest.
func ReadEach(ctx context.Context, ops Ops, paths []string) ([][]byte, error) {
	vals, errs := readInFlight(ctx, ops, paths)
	for i, err := range errs {
		switch {
		case err == nil && vals[i] == nil:
			vals[i] = []byte{}
		case errors.Is(err, ErrNotExist):
			errs[i] = nil
		}
	}
	return vals, errors.Join(errs...)
}

// readInFlight reads every path with up to maxInFlight requests in
// flight on the connection.
func readInFlight(ctx context.Context, ops Ops, paths []string) ([][]byte, []error) {
	vals := make([][]byte, len(paths))
	errs := make([]error, len(paths))
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	for i, p := range paths {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			vals[i], errs[i] = ops.Read(ctx, p)
		})
	}
	wg.Wait()
	return vals, errs
}
