// Package xenstore is a pure-Go XenStore client: the wire protocol of
// xen/include/public/io/xs_wire.h spoken over xenstored's Unix socket, over
// Linux's /dev/xen/xenbus device, or over any io.ReadWriteCloser.
//
// Dial finds xenstored the way libxenstore does ($XENSTORED_PATH, the
// xenstored socket, then /dev/xen/xenbus); DialSocket, DialXenbus and
// NewConn pick the transport explicitly. A Conn reads and writes nodes,
// lists children, gets and sets permissions, runs transactions and
// registers watches:
//
//	c, err := xenstore.Dial(nil)
//	if err != nil { ... }
//	defer c.Close()
//	name, err := c.Read(ctx, "/local/domain/0/name")
//
// Errors are *Error values naming the request and the path. A refusal by
// xenstored carries the XS_ERROR name and unwraps to its errno, so
// errors.Is(err, xenstore.ErrNotExist) (or fs.ErrNotExist, or
// syscall.ENOENT) tests for a missing node. Requests the daemon would
// refuse or that would break the connection are refused before anything is
// sent: invalid paths (*PathError), payloads over the limit
// (*PayloadError), tokens with a NUL.
//
// The package also holds what the client and the in-process daemon
// (package xenstore/xenstored) share: the message codec (Message,
// ReadMessage, WriteMessage), the error names, and the path and permission
// rules.
//
// # Concurrency
//
// A Conn is safe for concurrent use, and concurrent requests are
// pipelined: each gets its own req_id, and one reader goroutine matches
// replies to requests, so a slow request does not hold up others. Every
// reply is checked against its request (tx_id, and type equal to the
// request's or ERROR). Watch events are handed to their Watch by token
// through a per-watch queue, so a consumer that stops reading cannot stall
// the connection; see Watch for what happens when its queue fills.
//
// Contexts bound the wait for one reply. A request whose context ends
// after it was written still takes effect in xenstored.
//
// Close interrupts every waiting call (errors.Is(err, ErrClosed)) and ends
// every Watch. A broken transport fails every pending and later call with
// an error matching ErrDisconnected; Conn.Done and Conn.Err tell when and
// why. There is no automatic reconnection, since watches and transactions
// do not survive one.
//
// # Transactions
//
// Begin starts a transaction; the Tx has the same methods as the Conn
// (both implement Ops) plus Commit and Abort. xenstored checks for
// conflicts at commit and answers EAGAIN if another connection changed
// what the transaction touched; the whole transaction must then be redone.
// Transact does that:
//
//	err := c.Transact(ctx, func(tx *xenstore.Tx) error {
//		v, err := tx.Read(ctx, "/local/pool/0/name")
//		if err != nil {
//			return err
//		}
//		return tx.Write(ctx, "/local/pool/0/name", append(v, '-', 'x'))
//	})
//
// It retries only a commit refused with EAGAIN, at most
// Config.MaxTxAttempts times, with jittered exponential backoff, and
// aborts the transaction if the function returns an error.
//
// # Debugging
//
// With XGODEBUG=xenstore in the environment (a comma-separated list, so
// XGODEBUG=hypercall,xenstore works too) every Conn writes one line per
// message to stderr:
//
//	xenstore: 12:00:00.000001 -> READ req_id=7 tx_id=0 len=21 "/local/domain/0/name\x00"
//	xenstore: 12:00:00.000112 <- ERROR req_id=7 tx_id=0 len=7 err=ENOENT
//
// giving direction, type, req_id, tx_id, payload length, the error name of
// ERROR replies and the start of other payloads. Lines with "!!" report
// what the client did on its own: dropped events, unmatched replies,
// retried transactions. Config.Trace sends the same lines elsewhere.
//
// # Transports and privileges
//
// xenstored's socket is normally mode 0600 root, and every connection on
// it acts as dom0; /dev/xen/xenbus also needs root, and acts as the domain
// the kernel runs in (dom0, or a driver domain with only its own rights).
//
// On /dev/xen/xenbus the payload limit is 4080 bytes rather than 4096
// (the driver buffers the header too), a WATCH xenstored refuses is
// reported by write() rather than by a reply, watch events may be read
// before the WATCH reply, and transactions are tracked by the kernel per
// open file; xenbus_linux.go lists what was checked in the Linux driver.
// DialXenbus exists only on Linux; elsewhere it returns an error.
package xenstore
