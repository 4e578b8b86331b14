package xenstore

import (
	"fmt"
	"strconv"
	"strings"
)

// Access is the access letter of a permission entry.
type Access byte

// Access letters as XenStore spells them.
const (
	AccessNone  Access = 'n'
	AccessRead  Access = 'r'
	AccessWrite Access = 'w'
	AccessBoth  Access = 'b'
)

// CanRead reports whether a allows reading.
func (a Access) CanRead() bool { return a == AccessRead || a == AccessBoth }

// CanWrite reports whether a allows writing.
func (a Access) CanWrite() bool { return a == AccessWrite || a == AccessBoth }

// Perm is one permission entry, e.g. "r1": domain 1 may read.
type Perm struct {
	Access Access
	Domain uint32
}

// String gives the wire form, e.g. "b0".
func (p Perm) String() string {
	return string(rune(p.Access)) + strconv.FormatUint(uint64(p.Domain), 10)
}

// PermError reports a permission string that does not parse.
type PermError struct {
	Token  string
	Reason string
}

func (e *PermError) Error() string {
	return fmt.Sprintf("invalid xenstore permission %q: %s", e.Token, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *PermError) Unwrap() error { return ErrInvalid }

// ParsePerm parses one entry: an access letter (n, r, w, b) followed by a
// decimal domain id.
func ParsePerm(s string) (Perm, error) {
	if s == "" {
		return Perm{}, &PermError{s, "empty"}
	}
	a := Access(s[0])
	switch a {
	case AccessNone, AccessRead, AccessWrite, AccessBoth:
	default:
		return Perm{}, &PermError{s, fmt.Sprintf("unknown access letter %q (want n, r, w or b)", s[0])}
	}
	digits := s[1:]
	if digits == "" {
		return Perm{}, &PermError{s, "missing domain id after the access letter"}
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return Perm{}, &PermError{s, fmt.Sprintf("domain id %q is not a decimal number", digits)}
		}
	}
	id, err := strconv.ParseUint(digits, 10, 16)
	if err != nil {
		return Perm{}, &PermError{s, fmt.Sprintf("domain id %s is out of range (0-65535)", digits)}
	}
	return Perm{Access: a, Domain: uint32(id)}, nil
}

// Perms is a node's permission list. The first entry names the owner, who
// has full access; its letter is the access of every domain not listed
// later. Later entries grant access to one domain each.
type Perms []Perm

// ParsePerms parses entries such as []string{"n0", "r1"}, naming the first
// bad one in the error.
func ParsePerms(entries []string) (Perms, error) {
	if len(entries) == 0 {
		return nil, &PermError{"", "a permission list needs at least the owner entry"}
	}
	ps := make(Perms, len(entries))
	for i, e := range entries {
		p, err := ParsePerm(e)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	return ps, nil
}

// Owner is the domain that owns the node.
func (ps Perms) Owner() uint32 {
	if len(ps) == 0 {
		return 0
	}
	return ps[0].Domain
}

// Strings gives the wire form of each entry.
func (ps Perms) Strings() []string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return s
}

// String joins the entries with commas, as xenstore-ls -p prints them
// between parentheses.
func (ps Perms) String() string { return strings.Join(ps.Strings(), ",") }

// AccessFor returns the access the list gives domain d, ignoring
// privilege: the owner has both, a later entry naming d gives its letter,
// everyone else gets the owner entry's letter.
func (ps Perms) AccessFor(d uint32) Access {
	if len(ps) == 0 {
		return AccessNone
	}
	if ps[0].Domain == d {
		return AccessBoth
	}
	for _, p := range ps[1:] {
		if p.Domain == d {
			return p.Access
		}
	}
	return ps[0].Access
}
