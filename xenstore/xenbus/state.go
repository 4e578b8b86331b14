package xenbus

import (
	"context"
	"strconv"
	"strings"
)

// State is a xenbus state (enum xenbus_state).
type State int

// The states, with xenbus.h's values.
const (
	Unknown       State = 0
	Initialising  State = 1
	InitWait      State = 2 // backend: ready for the frontend's transport
	Initialised   State = 3 // frontend: transport published
	Connected     State = 4
	Closing       State = 5
	Closed        State = 6
	Reconfiguring State = 7
	Reconfigured  State = 8
)

var names = [...]string{"Unknown", "Initialising", "InitWait", "Initialised", "Connected", "Closing", "Closed", "Reconfiguring", "Reconfigured"}

// String gives the state's name as xenbus.h spells it (without
// XenbusState), or its number when it has none.
func (s State) String() string {
	if s >= 0 && int(s) < len(names) {
		return names[s]
	}
	return strconv.Itoa(int(s))
}

// Valid reports whether s is one of xenbus.h's states.
func (s State) Valid() bool { return s >= Unknown && s <= Reconfigured }

// ParseState reads a state node's value as xenbus_read_driver_state
// does: a value that is not a number is Unknown; any number is kept, so
// a peer writing one outside the enum is seen as such (Valid is false).
func ParseState(v []byte) State {
	n, err := strconv.Atoi(strings.TrimSpace(string(v)))
	if err != nil {
		return Unknown
	}
	return State(n)
}

// Reader is the part of a XenStore connection or transaction ReadState
// needs.
type Reader interface {
	Read(ctx context.Context, path string) ([]byte, error)
}

// ReadState reads the state node at path; a missing or unreadable node
// is Unknown, as in Linux.
func ReadState(ctx context.Context, r Reader, path string) State {
	v, err := r.Read(ctx, path)
	if err != nil {
		return Unknown
	}
	return ParseState(v)
}
