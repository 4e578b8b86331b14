package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"xgo.dev/xgo/xenstore"
)

// Op is one client operation of a scenario, in a form that can travel to
// an agent in a guest (JSON). Which fields matter depends on Kind.
type Op struct {
	Kind  string   `json:"kind"`
	Path  string   `json:"path,omitempty"`
	Value string   `json:"value,omitempty"` // bytes, as a Go string
	Perms []string `json:"perms,omitempty"` // as written: letter and domid
	Token string   `json:"token,omitempty"`
	Tx    int      `json:"tx,omitempty"` // scenario-local transaction handle, 0: none
	N     int      `json:"n,omitempty"`
	Dom   uint32   `json:"dom,omitempty"`
}

// Result is what an operation gave: its rendered result and the watch
// events the connection received up to a sync after it, in order.
type Result struct {
	Text   string   `json:"text"`
	Events []string `json:"events,omitempty"`
}

// Operation kinds an Executor understands.
const (
	OpRead       = "read"
	OpWrite      = "write"
	OpMkdir      = "mkdir"
	OpRm         = "rm"
	OpDirectory  = "directory"
	OpGetPerms   = "get-perms"
	OpSetPerms   = "set-perms"
	OpWatch      = "watch"
	OpUnwatch    = "unwatch"
	OpBegin      = "begin"
	OpCommit     = "commit"
	OpAbort      = "abort"
	OpDomainPath = "get-domain-path"
	OpIntroduced = "is-domain-introduced"
	OpRelease    = "release"
	OpWatchFill  = "watch-fill"  // watches on Path, tokens Token1.., until refused or N
	OpUnwatchAll = "unwatch-all" // every watch of OpWatchFill
	OpTxFill     = "tx-fill"     // transactions until refused or N
	OpAbortAll   = "abort-all"   // every transaction of OpTxFill
	OpSync       = "sync"        // only collect events
	OpDomid      = "domid"       // read "domid" (relative): who am I
	OpQuit       = "quit"        // end an agent
)

// SyncPath is the node the sync watches are set on. It never exists; a
// new watch fires once at once, after every event queued before it.
const SyncPath = "/xgo-conformance-sync"

const syncTokenPrefix = "xgo-conformance-sync-"

// fillTokenPrefix marks the watches of OpWatchFill, whose events are not
// recorded.
const fillTokenPrefix = "fill-"

// opTimeout bounds one operation.
const opTimeout = 15 * time.Second

// Executor runs operations on one client connection (a *xenstore.Conn
// made with the Config from NewTap) and records the watch events it
// receives in wire order.
type Executor struct {
	c    *xenstore.Conn
	tap  *Tap
	mu   sync.Mutex
	txs  map[int]*xenstore.Tx
	ws   map[string]*xenstore.Watch // by token
	fill []*xenstore.Watch
	txf  []*xenstore.Tx
	sync int
}

// NewExecutor runs operations on c, whose Config.Trace must be tap.
func NewExecutor(c *xenstore.Conn, tap *Tap) *Executor {
	return &Executor{c: c, tap: tap, txs: map[int]*xenstore.Tx{}, ws: map[string]*xenstore.Watch{}}
}

// Conn is the connection the executor uses.
func (e *Executor) Conn() *xenstore.Conn { return e.c }

// Close closes the connection.
func (e *Executor) Close() error { return e.c.Close() }

// Do runs op, then syncs and returns the events received meanwhile.
func (e *Executor) Do(ctx context.Context, op Op) Result {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	e.mu.Lock()
	defer e.mu.Unlock()
	text := e.run(ctx, op)
	switch {
	case op.Kind == OpQuit, op.Kind == OpWatchFill:
		// After a fill the quota leaves no room for a sync watch; the
		// fill's own events are dropped by the tap.
		return Result{Text: text}
	case len(e.ws)+len(e.fill) == 0 && op.Kind != OpSync && op.Kind != OpUnwatch && op.Kind != OpUnwatchAll:
		return Result{Text: text} // no watch, no event
	}
	evs, err := e.syncEvents(ctx)
	if err != nil {
		text += " (sync failed: " + err.Error() + ")"
	}
	return Result{Text: text, Events: evs}
}

func (e *Executor) ops(tx int) (xenstore.Ops, string) {
	if tx == 0 {
		return e.c, ""
	}
	t := e.txs[tx]
	if t == nil {
		return nil, fmt.Sprintf("harness: no transaction T%d", tx)
	}
	return t, ""
}

func (e *Executor) run(ctx context.Context, op Op) string {
	switch op.Kind {
	case OpSync, OpQuit:
		return "OK"
	case OpRead, OpWrite, OpMkdir, OpRm, OpDirectory, OpGetPerms, OpSetPerms:
		ops, bad := e.ops(op.Tx)
		if bad != "" {
			return bad
		}
		switch op.Kind {
		case OpRead:
			v, err := ops.Read(ctx, op.Path)
			if err != nil {
				return ErrText(err)
			}
			return Quote([]byte(v))
		case OpWrite:
			return okOr(ops.Write(ctx, op.Path, []byte(op.Value)))
		case OpMkdir:
			return okOr(ops.Mkdir(ctx, op.Path))
		case OpRm:
			return okOr(ops.Rm(ctx, op.Path))
		case OpDirectory:
			names, err := ops.Directory(ctx, op.Path)
			if err != nil {
				return ErrText(err)
			}
			return DirText(names)
		case OpGetPerms:
			ps, err := ops.GetPerms(ctx, op.Path)
			if err != nil {
				return ErrText(err)
			}
			return "perms " + strings.Join(ps.Strings(), " ")
		case OpSetPerms:
			return okOr(ops.SetPerms(ctx, op.Path, rawPerms(op.Perms)))
		}
	case OpWatch:
		w, err := e.c.Watch(ctx, op.Path, op.Token)
		if err != nil {
			return ErrText(err)
		}
		e.ws[op.Token] = w
		go drain(w)
		return "OK"
	case OpUnwatch:
		w := e.ws[op.Token]
		if w == nil {
			return "harness: no watch " + op.Token
		}
		delete(e.ws, op.Token)
		return okOr(w.Close())
	case OpBegin:
		t, err := e.c.Begin(ctx)
		if err != nil {
			return ErrText(err)
		}
		e.txs[op.Tx] = t
		return "OK"
	case OpCommit, OpAbort:
		t := e.txs[op.Tx]
		if t == nil {
			return fmt.Sprintf("harness: no transaction T%d", op.Tx)
		}
		if op.Kind == OpCommit {
			return okOr(t.Commit(ctx))
		}
		return okOr(t.Abort(ctx))
	case OpDomainPath:
		p, err := e.c.GetDomainPath(ctx, op.Dom)
		if err != nil {
			return ErrText(err)
		}
		return strconv.Quote(p)
	case OpIntroduced:
		ok, err := e.c.IsDomainIntroduced(ctx, op.Dom)
		if err != nil {
			return ErrText(err)
		}
		return strconv.FormatBool(ok)
	case OpRelease:
		return okOr(e.c.Release(ctx, op.Dom))
	case OpDomid:
		v, err := e.c.Read(ctx, "domid")
		if err != nil {
			return ErrText(err)
		}
		return string(v)
	case OpWatchFill:
		for i := 1; i <= op.N; i++ {
			w, err := e.c.Watch(ctx, op.Path, fillTokenPrefix+op.Token+strconv.Itoa(i))
			if err != nil {
				return fmt.Sprintf("%d accepted, then %s", i-1, ErrText(err))
			}
			go drain(w)
			e.fill = append(e.fill, w)
		}
		return fmt.Sprintf("%d accepted", op.N)
	case OpUnwatchAll:
		n := len(e.fill)
		var first error
		for _, w := range e.fill {
			if err := w.Close(); err != nil && first == nil {
				first = err
			}
		}
		e.fill = nil
		if first != nil {
			return ErrText(first)
		}
		if n == 0 {
			return "none to remove"
		}
		return "OK"
	case OpTxFill:
		for i := 1; i <= op.N; i++ {
			t, err := e.c.Begin(ctx)
			if err != nil {
				return fmt.Sprintf("%d accepted, then %s", i-1, ErrText(err))
			}
			e.txf = append(e.txf, t)
		}
		return fmt.Sprintf("%d accepted", op.N)
	case OpAbortAll:
		n := len(e.txf)
		var first error
		for _, t := range e.txf {
			if err := t.Abort(ctx); err != nil && first == nil {
				first = err
			}
		}
		e.txf = nil
		if first != nil {
			return ErrText(first)
		}
		return fmt.Sprintf("%d aborted", n)
	}
	return "harness: unknown operation " + op.Kind
}

// drain consumes a watch's channel: the events are taken from the tap,
// in wire order across all watches of the connection.
func drain(w *xenstore.Watch) {
	for range w.Events() {
	}
}

// syncEvents sets a watch on SyncPath and waits for its initial event:
// xenstored (and Linux's xenbus driver, which passes events on in order)
// delivers it after every event queued for this connection before. It
// returns the events received since the last sync, without its own.
func (e *Executor) syncEvents(ctx context.Context) ([]string, error) {
	e.sync++
	tok := syncTokenPrefix + strconv.Itoa(e.sync)
	seen := e.tap.expect(tok)
	w, err := e.c.Watch(ctx, SyncPath, tok)
	if err != nil {
		return e.tap.take(), err
	}
	go drain(w)
	select {
	case <-seen:
	case <-ctx.Done():
		w.Close()
		return e.tap.take(), fmt.Errorf("no event for the sync watch: %w", ctx.Err())
	}
	cerr := w.Close()
	return e.tap.take(), cerr
}

// rawPerms builds permissions as written, without the client's checks:
// an unknown letter goes through to SetPerms, which must refuse it.
func rawPerms(ss []string) xenstore.Perms {
	ps := make(xenstore.Perms, 0, len(ss))
	for _, s := range ss {
		var p xenstore.Perm
		if s != "" {
			p.Access = xenstore.Access(s[0])
			id, _ := strconv.ParseUint(s[1:], 10, 32)
			p.Domain = uint32(id)
		}
		ps = append(ps, p)
	}
	return ps
}

func okOr(err error) string {
	if err != nil {
		return ErrText(err)
	}
	return "OK"
}

// ErrText renders an error of the client for a transcript: the XS_ERROR
// name when xenstored (or the xenbus driver) refused the request, or what
// the client refused before sending.
func ErrText(err error) string {
	var xe *xenstore.Error
	if errors.As(err, &xe) && xe.Name != "" {
		return xe.Name
	}
	var pathErr *xenstore.PathError
	var payErr *xenstore.PayloadError
	var permErr *xenstore.PermError
	switch {
	case errors.As(err, &pathErr):
		return "client refused: invalid path"
	case errors.As(err, &payErr):
		return fmt.Sprintf("client refused: payload of %d bytes > %d", payErr.Size, payErr.Max)
	case errors.As(err, &permErr):
		return "client refused: invalid permission"
	case errors.Is(err, xenstore.ErrTxDone):
		return "client refused: transaction done"
	case errors.Is(err, xenstore.ErrDisconnected):
		return "connection lost" // also when a reply broke the framing
	case errors.Is(err, xenstore.ErrProtocol):
		return "client refused the reply: protocol violation"
	case errors.Is(err, xenstore.ErrClosed):
		return "connection closed"
	case errors.Is(err, xenstore.ErrExist):
		return "client refused: token in use"
	case errors.Is(err, context.DeadlineExceeded):
		return "no reply (timeout)"
	}
	return "error: " + err.Error()
}

// Quote renders a value: Go-quoted bytes; a long one by its length and
// start.
func Quote(b []byte) string {
	if len(b) > 100 {
		return fmt.Sprintf("(%d bytes) %s...", len(b), strconv.Quote(string(b[:24])))
	}
	return strconv.Quote(string(b))
}

// DirText renders a directory listing; long ones are summarised.
func DirText(names []string) string {
	if len(names) == 0 {
		return "[]"
	}
	if len(names) > 12 {
		n := 0
		for _, s := range names {
			n += len(s) + 1
		}
		return fmt.Sprintf("[%d names, %d bytes: %s %s ... %s]", len(names), n, names[0], names[1], names[len(names)-1])
	}
	return "[" + strings.Join(names, " ") + "]"
}

// ---------------------------------------------------------------- the tap

// Tap is a xenstore.Config.Trace writer that records the WATCH_EVENTs a
// Conn receives, in wire order (the client traces each message before it
// dispatches it), so events of different watches keep their order.
type Tap struct {
	mu      sync.Mutex
	partial []byte
	events  []string
	waits   map[string]chan struct{}
	lines   []string // the last trace lines, for error reports
}

// NewTap returns an empty tap; use it as Config.Trace.
func NewTap() *Tap { return &Tap{waits: map[string]chan struct{}{}} }

var eventLine = regexp.MustCompile(`<- WATCH_EVENT .*len=\d+ (".*")(\.\.\.)?$`)

// Write takes trace output (whole lines, possibly several).
func (t *Tap) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		line := string(t.partial[:i])
		t.partial = t.partial[i+1:]
		t.lines = append(t.lines, line)
		if len(t.lines) > 40 {
			t.lines = t.lines[len(t.lines)-40:]
		}
		m := eventLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		payload, err := strconv.Unquote(m[1])
		if err != nil {
			t.events = append(t.events, "unparsable event "+m[1])
			continue
		}
		parts := strings.SplitN(payload, "\x00", 3)
		path, token := parts[0], ""
		if len(parts) > 1 {
			token = parts[1]
		}
		if m[2] != "" {
			token += "..."
		}
		if strings.HasPrefix(token, fillTokenPrefix) {
			continue
		}
		if strings.HasPrefix(token, syncTokenPrefix) {
			if ch := t.waits[token]; ch != nil {
				close(ch)
				delete(t.waits, token)
			}
			continue
		}
		t.events = append(t.events, "event "+path+" "+token)
	}
	return len(p), nil
}

func (t *Tap) expect(token string) <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	ch := make(chan struct{})
	t.waits[token] = ch
	return ch
}

func (t *Tap) take() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	ev := t.events
	t.events = nil
	return ev
}

// Recent returns the last trace lines, for diagnosing a failure.
func (t *Tap) Recent() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.lines...)
}

// sortedKeys is for deterministic iteration.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
