package xenstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"
)

// Tx is a XenStore transaction: its operations see a snapshot of the
// store and their changes become visible, all at once, when Commit
// succeeds. xenstored detects conflicting changes made by others at commit
// time and then answers EAGAIN; the whole transaction must then be redone
// from Begin, which Conn.Transact does.
//
// A Tx may be used from several goroutines, but Commit or Abort must come
// after all its other calls have returned. After either, every method
// returns an error matching ErrTxDone.
type Tx struct {
	c    *Conn
	id   uint32
	done atomic.Bool
}

// Begin starts a transaction (TRANSACTION_START). If ctx ends after the
// request was sent, the transaction xenstored then opens is aborted as soon
// as its id arrives.
func (c *Conn) Begin(ctx context.Context) (*Tx, error) {
	orphan := func(m *Message) {
		if id, err := parseTxID(m.Payload); err == nil && m.Type == TypeTransactionStart {
			c.roundTrip(context.Background(), request{typ: TypeTransactionEnd, tx: id, payload: JoinPayload("F")})
		}
	}
	m, err := c.roundTrip(ctx, request{typ: TypeTransactionStart, payload: JoinPayload(""), onOrphan: orphan})
	if err != nil {
		return nil, err
	}
	id, err := parseTxID(m.Payload)
	if err != nil {
		return nil, protocolError(TypeTransactionStart, "", "%v", err)
	}
	return &Tx{c: c, id: id}, nil
}

func parseTxID(p []byte) (uint32, error) {
	s := string(trimNUL(p))
	id, err := strconv.ParseUint(s, 10, 32)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("transaction id %q is not a non-zero decimal u32", s)
	}
	return uint32(id), nil
}

// ID is the transaction id xenstored assigned; it goes in the tx_id field
// of every request of the transaction.
func (t *Tx) ID() uint32 { return t.id }

// Commit ends the transaction, applying its changes. If another
// connection changed what the transaction read or wrote, xenstored refuses
// with EAGAIN (errors.Is(err, ErrAgain)) and nothing is applied; redo the
// transaction from Begin. If ctx ends after the request was sent, whether
// the changes were applied is unknown.
func (t *Tx) Commit(ctx context.Context) error { return t.end(ctx, "T") }

// Abort ends the transaction, discarding its changes.
func (t *Tx) Abort(ctx context.Context) error { return t.end(ctx, "F") }

func (t *Tx) end(ctx context.Context, commit string) error {
	if !t.done.CompareAndSwap(false, true) {
		return &Error{Op: TypeTransactionEnd.String(), Err: ErrTxDone}
	}
	_, err := t.c.roundTrip(ctx, request{typ: TypeTransactionEnd, tx: t.id, payload: JoinPayload(commit)})
	return err
}

func (t *Tx) check(op MsgType, path string) error {
	if t.done.Load() {
		return &Error{Op: op.String(), Path: path, Err: ErrTxDone}
	}
	return nil
}

// Read is Conn.Read within the transaction.
func (t *Tx) Read(ctx context.Context, path string) ([]byte, error) {
	if err := t.check(TypeRead, path); err != nil {
		return nil, err
	}
	return t.c.read(ctx, t.id, path)
}

// Write is Conn.Write within the transaction.
func (t *Tx) Write(ctx context.Context, path string, value []byte) error {
	if err := t.check(TypeWrite, path); err != nil {
		return err
	}
	return t.c.write(ctx, t.id, path, value)
}

// Mkdir is Conn.Mkdir within the transaction.
func (t *Tx) Mkdir(ctx context.Context, path string) error {
	if err := t.check(TypeMkdir, path); err != nil {
		return err
	}
	return t.c.simple(ctx, TypeMkdir, t.id, path)
}

// Rm is Conn.Rm within the transaction.
func (t *Tx) Rm(ctx context.Context, path string) error {
	if err := t.check(TypeRm, path); err != nil {
		return err
	}
	return t.c.simple(ctx, TypeRm, t.id, path)
}

// Directory is Conn.Directory within the transaction.
func (t *Tx) Directory(ctx context.Context, path string) ([]string, error) {
	if err := t.check(TypeDirectory, path); err != nil {
		return nil, err
	}
	return t.c.directory(ctx, t.id, path)
}

// GetPerms is Conn.GetPerms within the transaction.
func (t *Tx) GetPerms(ctx context.Context, path string) (Perms, error) {
	if err := t.check(TypeGetPerms, path); err != nil {
		return nil, err
	}
	return t.c.getPerms(ctx, t.id, path)
}

// SetPerms is Conn.SetPerms within the transaction.
func (t *Tx) SetPerms(ctx context.Context, path string, perms Perms) error {
	if err := t.check(TypeSetPerms, path); err != nil {
		return err
	}
	return t.c.setPerms(ctx, t.id, path, perms)
}

// Transact runs fn in a new transaction and commits it. When the commit
// fails with EAGAIN (another connection changed something the transaction
// touched) it starts a new transaction and runs fn again, up to
// Config.MaxTxAttempts times in all, waiting a jittered, exponentially
// growing time between attempts; fn must therefore be safe to run more
// than once and should keep no state from a failed attempt. If fn returns
// an error (or panics), the transaction is aborted and that error returned
// (or the panic continued). If all attempts fail, the last error is
// returned; it still matches ErrAgain. ctx bounds the whole loop, backoff
// included.
func (c *Conn) Transact(ctx context.Context, fn func(tx *Tx) error) error {
	max := c.cfg.maxTxAttempts()
	base := c.cfg.txBackoff()
	var err error
	for attempt := 1; attempt <= max; attempt++ {
		if attempt > 1 {
			if werr := sleepCtx(ctx, backoff(base, attempt)); werr != nil {
				return fmt.Errorf("xenstore: transaction: %w (after %d attempts, last: %w)", werr, attempt-1, err)
			}
		}
		var atCommit bool
		atCommit, err = c.transactOnce(ctx, fn)
		// Only a refused commit is retried: an EAGAIN from fn is fn's.
		if err == nil || !atCommit || !errors.Is(err, ErrAgain) {
			return err
		}
		c.trace.note("transaction attempt %d of %d: commit got EAGAIN", attempt, max)
	}
	return fmt.Errorf("xenstore: transaction gave up after %d attempts: %w", max, err)
}

// transactOnce runs one attempt of Transact; atCommit tells whether err
// came from the commit.
func (c *Conn) transactOnce(ctx context.Context, fn func(tx *Tx) error) (atCommit bool, err error) {
	tx, err := c.Begin(ctx)
	if err != nil {
		return false, err
	}
	finished := false
	defer func() {
		if finished {
			return
		}
		// fn failed or panicked: abort, even if ctx has ended, so
		// xenstored does not keep the transaction; but do not make a
		// caller whose context has ended wait for the reply.
		actx := context.WithoutCancel(ctx)
		if ctx.Err() != nil {
			go tx.Abort(actx)
		} else {
			tx.Abort(actx)
		}
	}()
	if err := fn(tx); err != nil {
		return false, err
	}
	finished = true
	return true, tx.Commit(ctx)
}

// backoff is the wait before attempt n (n >= 2): base<<(n-2), at most
// 64*base, scaled by a random factor in [0.5, 1.5).
func backoff(base time.Duration, n int) time.Duration {
	shift := min(n-2, 6)
	d := base << shift
	return d/2 + rand.N(d)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
