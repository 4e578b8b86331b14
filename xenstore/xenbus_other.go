//go:build !linux

package xenstore

import (
	"fmt"
	"runtime"
)

// DialXenbus is implemented only on Linux, whose xenbus device semantics
// it relies on; elsewhere it returns an error naming the platform. The
// socket transport (DialSocket, NewConn) works everywhere.
func DialXenbus(path string, cfg *Config) (*Conn, error) {
	return nil, fmt.Errorf("xenstore: %s: the xenbus device transport is not implemented on %s/%s: %w",
		path, runtime.GOOS, runtime.GOARCH, ErrNotSupported)
}
