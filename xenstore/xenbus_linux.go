package xenstore

import (
	"fmt"
	"io/fs"
	"os"
)

// xenbusTransport is Linux's /dev/xen/xenbus (drivers/xen/xenbus/
// xenbus_dev_frontend.c), which differs from the socket in these ways:
//
//   - A request is accepted only whole: the driver buffers at most 4096
//     bytes including the 16-byte header, so the payload limit is
//     PayloadMax-HeaderSize, and a longer message fails write() with E2BIG.
//     Writes of concurrent writers are not kept apart, hence one Write per
//     message.
//   - write() reports some refusals itself instead of queueing an ERROR
//     reply: a WATCH xenstored refused returns its errno (EINVAL, EEXIST,
//     ENOSPC, ...) and nothing is read back for it. Only EBADF (or a closed
//     file) ends the connection.
//   - read() copies queued messages out as a byte stream: one call may
//     return part of a message or several; the reader reframes them.
//   - WATCH and UNWATCH are answered by the driver itself, which also
//     registers the watch in the kernel: a watch event may be queued
//     before the WATCH reply. Events for a watch stop before its UNWATCH
//     reply. Kernels before Linux 4.11 send req_id 0 in these replies.
//   - WATCH_EVENT headers carry uninitialised req_id and tx_id.
//   - Transactions are tracked per open file and aborted when it is
//     closed; a tx_id the driver does not know gets an ENOENT reply.
var xenbusTransport = transport{maxPayload: PayloadMax - HeaderSize, xenbus: true}

// DialXenbus opens the Linux xenbus device (normally /dev/xen/xenbus), the
// kernel's own connection to xenstored, which works also where no local
// xenstored socket exists. It requires read-write access to the device
// (root in dom0). Requests on it are limited to PayloadMax-HeaderSize
// (4080) payload bytes.
func DialXenbus(path string, cfg *Config) (*Conn, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeCharDevice == 0 {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("not a character device (mode %v)", fi.Mode())}
	}
	// The driver implements poll, so os.File puts the descriptor in Go's
	// poller: reads do not block a thread and Close interrupts them.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return newConn(f, cfg, xenbusTransport), nil
}
