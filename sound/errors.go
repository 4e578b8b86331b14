package sound

import (
	"errors"
	"fmt"
)

// Sentinel errors. The commands map ErrInvalid to a usage error: nothing
// was written.
var (
	// ErrInvalid: the card or an argument is wrong (*SpecError,
	// SpecErrors, or a bad device id).
	ErrInvalid = errors.New("invalid vsnd request")
	// ErrNotFound: a domain or a device does not exist.
	ErrNotFound = errors.New("not found")
	// ErrNoBackend: no backend answered within the wait.
	ErrNoBackend = errors.New("no backend answered")
	// ErrNotConnected: the device did not reach Connected in time, or
	// one end closed it.
	ErrNotConnected = errors.New("vsnd device did not connect")
)

// NotFoundError names what is missing. It matches ErrNotFound.
type NotFoundError struct {
	Kind string // "domain", "vsnd device"
	Name string
	In   string // e.g. "domain 'guest' (3)" for a device; "" for a domain
}

func (e *NotFoundError) Error() string {
	if e.In != "" {
		return fmt.Sprintf("%s has no %s %s", e.In, e.Kind, e.Name)
	}
	return fmt.Sprintf("%s %s does not exist", e.Kind, e.Name)
}

// Unwrap makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }
