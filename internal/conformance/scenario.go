package conformance

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"xgo.dev/xgo/xenstore"
)

// Daemons the suite knows. The in-process daemon (package
// xenstore/xenstored) mirrors C xenstored: it is expected to give exactly
// the committed transcripts, with no override.
const (
	DaemonInProcess = "in-process"
	DaemonC         = "xenstored"
	DaemonOCaml     = "oxenstored"
)

// Scenario is one conformance scenario: a sequence of client operations
// over one or more connections whose transcript is compared with
// testdata/NAME.txt.
type Scenario struct {
	Name string
	Doc  string
	// DomU marks scenarios that need a guest connection (Env.DomU).
	DomU bool
	// Overrides are the lines a daemon is known to answer differently,
	// each with the reason.
	Overrides []Override
	Run       func(s *S)
}

// Override records where a daemon genuinely differs from C xenstored:
// the lines Match of the committed transcript (one or more whole lines,
// which must occur exactly once) read Want on that daemon ("" removes
// them).
type Override struct {
	Daemon string
	Match  string
	Want   string
	Why    string
}

// Endpoint runs operations on one client connection: an *Executor in
// this process, or a Remote in a guest.
type Endpoint interface {
	Do(ctx context.Context, op Op) Result
}

// Env is where scenarios run.
type Env struct {
	// Daemon is DaemonInProcess, DaemonC or DaemonOCaml.
	Daemon string
	// DialDom0 opens a new privileged connection (xenstored's socket).
	DialDom0 func() (io.ReadWriteCloser, error)
	// DomU is a connection of an unprivileged guest, DomUID its domid
	// and DomUWatches the number of watches its domain holds before the
	// scenarios (a Linux guest's kernel has a few). Nil: scenarios
	// marked DomU cannot run.
	DomU        Endpoint
	DomUID      uint32
	DomUWatches int
}

// Base is the node under which every scenario works, in Base/NAME.
const Base = "/xgo-conf"

// S runs one scenario and records its transcript.
type S struct {
	ctx   context.Context
	env   *Env
	sc    *Scenario
	lines []string
	step  int

	local    map[string]*Executor
	raws     map[string]*RawConn
	watching map[string]int // endpoint name → watches set through the scenario
	rawWatch map[string]bool
	order    []string // endpoint names in the order first used
}

// harnessError stops a scenario: the environment failed, not the daemon.
type harnessError struct{ err error }

// Run runs sc in env and returns its transcript. An error means the
// harness could not run it (the transcript so far is returned too).
func Run(ctx context.Context, sc *Scenario, env *Env) (transcript string, err error) {
	s := &S{ctx: ctx, env: env, sc: sc, local: map[string]*Executor{}, raws: map[string]*RawConn{},
		watching: map[string]int{}, rawWatch: map[string]bool{}}
	defer func() {
		for _, e := range s.local {
			e.Close()
		}
		for _, r := range s.raws {
			r.Close()
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			he, ok := r.(harnessError)
			if !ok {
				panic(r)
			}
			err = he.err
		}
		transcript = s.transcript()
	}()
	if sc.DomU && env.DomU == nil {
		return "", fmt.Errorf("scenario %s needs a guest connection", sc.Name)
	}
	s.quiet("dom0", Op{Kind: OpRm, Path: s.Path("")})
	s.lines = append(s.lines, "# "+sc.Name)
	sc.Run(s)
	s.quiet("dom0", Op{Kind: OpRm, Path: s.Path("")})
	return s.transcript(), nil
}

func (s *S) transcript() string { return strings.Join(s.lines, "\n") + "\n" }

// Daemon is the daemon the scenario runs against.
func (s *S) Daemon() string { return s.env.Daemon }

// Path returns Base/NAME/rel (Base/NAME for "").
func (s *S) Path(rel string) string {
	p := Base + "/" + s.sc.Name
	if rel != "" {
		p += "/" + rel
	}
	return p
}

// DomUID is the guest's domid (shown as U in transcripts).
func (s *S) DomUID() uint32 { return s.env.DomUID }

// DomUWatches is how many watches the guest's domain had before.
func (s *S) DomUWatches() int { return s.env.DomUWatches }

// Note adds a comment line.
func (s *S) Note(format string, args ...any) {
	s.lines = append(s.lines, "# "+fmt.Sprintf(format, args...))
}

func (s *S) fail(format string, args ...any) {
	panic(harnessError{fmt.Errorf("scenario %s: "+format, append([]any{s.sc.Name}, args...)...)})
}

// Dom0 is the scenario's first privileged connection; Conn("dom0b")
// opens further ones.
func (s *S) Dom0() *C { return s.Conn("dom0") }

// Conn returns the privileged connection called name, opening it on
// first use.
func (s *S) Conn(name string) *C {
	s.endpoint(name)
	return &C{s: s, name: name}
}

// DomU is the guest's connection.
func (s *S) DomU() *C {
	if s.env.DomU == nil {
		s.fail("no guest connection")
	}
	s.use("domU")
	return &C{s: s, name: "domU"}
}

func (s *S) use(name string) {
	for _, n := range s.order {
		if n == name {
			return
		}
	}
	s.order = append(s.order, name)
}

func (s *S) endpoint(name string) Endpoint {
	if name == "domU" {
		return s.env.DomU
	}
	if e := s.local[name]; e != nil {
		return e
	}
	rwc, err := s.env.DialDom0()
	if err != nil {
		s.fail("connecting %s: %v", name, err)
	}
	tap := NewTap()
	e := NewExecutor(xenstore.NewConn(rwc, &xenstore.Config{Trace: tap}), tap)
	s.local[name] = e
	s.use(name)
	return e
}

// Raw returns the raw privileged connection called name (opened on first
// use, and again after the daemon closed it).
func (s *S) Raw(name string) *R {
	s.raw(name)
	return &R{s: s, name: name}
}

func (s *S) raw(name string) *RawConn {
	if r := s.raws[name]; r != nil && !r.Closed() {
		return r
	}
	rwc, err := s.env.DialDom0()
	if err != nil {
		s.fail("connecting %s: %v", name, err)
	}
	r := NewRawConn(rwc)
	s.raws[name] = r
	s.rawWatch[name] = false
	s.use(name)
	return r
}

// quiet runs an operation without recording it (setup and clean-up).
func (s *S) quiet(name string, op Op) string {
	return s.endpoint(name).Do(s.ctx, op).Text
}

// record adds step line text, then the events every connection with
// watches received, connection by connection.
func (s *S) record(who, what, result string, own string, ownEvents []string) {
	if strings.HasPrefix(result, "harness:") {
		s.fail("%s: %s: %s", who, what, result)
	}
	s.step++
	s.lines = append(s.lines, fmt.Sprintf("%02d %s: %s -> %s", s.step, who, shorten(s.norm(what)), shorten(s.norm(result))))
	for _, name := range s.order {
		var evs []string
		switch {
		case name == own:
			evs = ownEvents
		case s.raws[name] != nil:
			if !s.rawWatch[name] || s.raws[name].Closed() {
				continue
			}
			var err error
			evs, err = s.raws[name].Sync(s.ctx)
			if err != nil {
				evs = append(evs, "sync failed: "+err.Error())
			}
		default:
			if s.watching[name] <= 0 {
				continue
			}
			evs = s.endpoint(name).Do(s.ctx, Op{Kind: OpSync}).Events
		}
		for _, ev := range evs {
			if !s.relevant(ev) {
				continue
			}
			s.lines = append(s.lines, fmt.Sprintf("     %s %s", name, shorten(s.norm(ev))))
		}
	}
}

// relevant drops events about nodes outside the suite's base (a watch on
// "/" sees everything other programs write).
func (s *S) relevant(ev string) bool {
	ev = strings.TrimPrefix(ev, "event ")
	path, _, _ := strings.Cut(ev, " ")
	return path == "/" || strings.HasPrefix(path, "@") || path == Base || strings.HasPrefix(path, Base+"/") ||
		!strings.HasPrefix(path, "/") // relative to the watcher's home, or a message
}

var localDomain = regexp.MustCompile(`/local/domain/(\d+)`)
var permToken = regexp.MustCompile(`\b([nrwb])(\d+)\b`)

// norm shows the guest's domid as U.
func (s *S) norm(text string) string {
	if s.env.DomU == nil {
		return text
	}
	id := strconv.FormatUint(uint64(s.env.DomUID), 10)
	text = localDomain.ReplaceAllStringFunc(text, func(m string) string {
		if strings.TrimPrefix(m, "/local/domain/") == id {
			return "/local/domain/U"
		}
		return m
	})
	if text == id {
		return "U"
	}
	if strings.HasPrefix(text, "perms ") || strings.Contains(text, " set-perms ") || strings.HasPrefix(text, "set-perms ") {
		text = permToken.ReplaceAllStringFunc(text, func(m string) string {
			if m[1:] == id {
				return m[:1] + "U"
			}
			return m
		})
	}
	return text
}

// expand turns U back into the guest's domid in what a scenario sends.
func (s *S) expand(text string) string {
	id := strconv.FormatUint(uint64(s.env.DomUID), 10)
	return strings.ReplaceAll(text, "/local/domain/U", "/local/domain/"+id)
}

func (s *S) expandPerms(ps []string) []string {
	id := strconv.FormatUint(uint64(s.env.DomUID), 10)
	out := make([]string, len(ps))
	for i, p := range ps {
		if len(p) == 2 && p[1] == 'U' {
			p = p[:1] + id
		}
		out[i] = p
	}
	return out
}

// ---------------------------------------------------------------- handles

// C is a client connection of a scenario, or one of its transactions.
type C struct {
	s      *S
	name   string
	tx     int
	unless string // daemon on which the next operation is not sent
	why    string
}

func (c *C) who() string {
	if c.tx != 0 {
		return fmt.Sprintf("%s T%d", c.name, c.tx)
	}
	return c.name
}

// Unless returns a handle whose operations are not sent when the suite
// runs against daemon: they are recorded as "not sent" with why. For
// requests that would harm the lab (oxenstored's RM "/" removes every
// node).
func (c *C) Unless(daemon, why string) *C {
	cp := *c
	cp.unless, cp.why = daemon, why
	return &cp
}

func (c *C) do(what string, op Op) string {
	s := c.s
	op.Path = s.expand(op.Path)
	op.Perms = s.expandPerms(op.Perms)
	if op.Kind != OpBegin {
		op.Tx = c.tx
	}
	if c.unless != "" && s.env.Daemon == c.unless {
		s.record(c.who(), what, "not sent to "+c.unless+": "+c.why, "", nil)
		return ""
	}
	r := s.endpoint(c.name).Do(s.ctx, op)
	switch op.Kind {
	case OpWatch:
		if r.Text == "OK" {
			s.watching[c.name]++
		}
	case OpUnwatch:
		if r.Text == "OK" {
			s.watching[c.name]--
		}
	case OpWatchFill:
		s.watching[c.name] += 1000 // keep syncing; unwatch-all resets
	case OpUnwatchAll:
		s.watching[c.name] = 0
	}
	s.record(c.who(), what, r.Text, c.name, r.Events)
	return r.Text
}

// Read reads a node.
func (c *C) Read(path string) string {
	return c.do("read "+path, Op{Kind: OpRead, Path: path})
}

// Write writes a node.
func (c *C) Write(path, value string) string {
	return c.do("write "+path+" "+shortValue(value), Op{Kind: OpWrite, Path: path, Value: value})
}

func shortValue(v string) string {
	if len(v) > 40 {
		return fmt.Sprintf("(%d bytes)", len(v))
	}
	return Quote([]byte(v))
}

// Mkdir creates a node.
func (c *C) Mkdir(path string) string { return c.do("mkdir "+path, Op{Kind: OpMkdir, Path: path}) }

// Rm removes a node.
func (c *C) Rm(path string) string { return c.do("rm "+path, Op{Kind: OpRm, Path: path}) }

// Dir lists a node's children.
func (c *C) Dir(path string) string {
	return c.do("directory "+path, Op{Kind: OpDirectory, Path: path})
}

// GetPerms reads a node's permissions.
func (c *C) GetPerms(path string) string {
	return c.do("get-perms "+path, Op{Kind: OpGetPerms, Path: path})
}

// SetPerms sets a node's permissions; "U" stands for the guest's domid
// (e.g. "rU").
func (c *C) SetPerms(path string, perms ...string) string {
	return c.do("set-perms "+path+" "+strings.Join(perms, " "), Op{Kind: OpSetPerms, Path: path, Perms: perms})
}

// Watch sets a watch.
func (c *C) Watch(path, token string) string {
	return c.do("watch "+path+" "+token, Op{Kind: OpWatch, Path: path, Token: token})
}

// Unwatch removes a watch set with Watch.
func (c *C) Unwatch(path, token string) string {
	return c.do("unwatch "+path+" "+token, Op{Kind: OpUnwatch, Path: path, Token: token})
}

// Begin starts transaction number n (a scenario-local name) and returns
// its handle.
func (c *C) Begin(n int) *C {
	c.do(fmt.Sprintf("begin T%d", n), Op{Kind: OpBegin, Tx: n})
	return &C{s: c.s, name: c.name, tx: n}
}

// Commit commits the transaction of the handle.
func (c *C) Commit() string { return c.do("commit", Op{Kind: OpCommit}) }

// Abort aborts the transaction of the handle.
func (c *C) Abort() string { return c.do("abort", Op{Kind: OpAbort}) }

// DomainPath asks for domain dom's home.
func (c *C) DomainPath(dom uint32) string {
	return c.do("get-domain-path "+c.s.domName(dom), Op{Kind: OpDomainPath, Dom: dom})
}

// Introduced asks whether domain dom is introduced.
func (c *C) Introduced(dom uint32) string {
	return c.do("is-domain-introduced "+c.s.domName(dom), Op{Kind: OpIntroduced, Dom: dom})
}

// Release asks xenstored to release domain dom (privileged).
func (c *C) Release(dom uint32) string {
	return c.do("release "+c.s.domName(dom), Op{Kind: OpRelease, Dom: dom})
}

// Domid reads the relative node "domid": the connection's own domid.
func (c *C) Domid() string {
	return c.do("read domid", Op{Kind: OpDomid})
}

// WatchFill sets watches on path (tokens prefix1, prefix2, ...) until one
// is refused or n are set.
func (c *C) WatchFill(path, prefix string, n int) string {
	return c.do(fmt.Sprintf("watch %s fill-%s1..fill-%s%d", path, prefix, prefix, n), Op{Kind: OpWatchFill, Path: path, Token: prefix, N: n})
}

// UnwatchAll removes the watches of WatchFill.
func (c *C) UnwatchAll() string { return c.do("unwatch the filled watches", Op{Kind: OpUnwatchAll}) }

// TxFill starts transactions until one is refused or n are open.
func (c *C) TxFill(n int) string {
	return c.do(fmt.Sprintf("begin %d transactions", n), Op{Kind: OpTxFill, N: n})
}

// AbortAll aborts the transactions of TxFill.
func (c *C) AbortAll() string { return c.do("abort the filled transactions", Op{Kind: OpAbortAll}) }

func (s *S) domName(dom uint32) string {
	if s.env.DomU != nil && dom == s.env.DomUID {
		return "U"
	}
	return strconv.FormatUint(uint64(dom), 10)
}

// Local returns the executor of a privileged connection, for steps that
// run Go code against the client directly (Transact).
func (c *C) Local() *Executor {
	e, ok := c.s.endpoint(c.name).(*Executor)
	if !ok {
		c.s.fail("%s is not a local connection", c.name)
	}
	return e
}

// Step records a step whose result the scenario computed itself.
func (c *C) Step(what, result string) {
	c.s.record(c.who(), what, result, c.name, nil)
}

// ---------------------------------------------------------------- raw

// R is a raw privileged connection: requests as given, every message
// received recorded in wire order.
type R struct {
	s      *S
	name   string
	unless string
	why    string
}

// Unless returns a handle whose requests are not sent when the suite runs
// against daemon (recorded as "not sent" with why): for requests that
// leave that daemon's connection out of step.
func (r *R) Unless(daemon, why string) *R {
	cp := *r
	cp.unless, cp.why = daemon, why
	return &cp
}

// Send sends one request; payload parts are joined with NULs, each
// NUL-terminated (use SendBytes for exact bytes).
func (r *R) Send(typ xenstore.MsgType, tx uint32, parts ...string) string {
	return r.SendBytes(typ, tx, xenstore.JoinPayload(parts...))
}

// SendBytes sends one request with exactly payload.
func (r *R) SendBytes(typ xenstore.MsgType, tx uint32, payload []byte) string {
	s := r.s
	conn := s.raw(r.name)
	if typ == xenstore.TypeWatch {
		s.rawWatch[r.name] = true
	}
	what := typ.String()
	if tx != 0 {
		what += " tx=T"
	}
	what += " " + Quote(payload)
	if r.unless != "" && s.env.Daemon == r.unless {
		s.record(r.name, what, "not sent to "+r.unless+": "+r.why, "", nil)
		return ""
	}
	msgs := conn.Request(s.ctx, typ, tx, payload)
	res := strings.Join(msgs, ", then ")
	s.record(r.name, what, res, r.name, r.syncOwn(conn))
	return lastOf(msgs)
}

// Begin starts a transaction and returns its id (not recorded: ids
// differ between daemons).
func (r *R) Begin() uint32 {
	s := r.s
	conn := s.raw(r.name)
	msgs := conn.Request(s.ctx, xenstore.TypeTransactionStart, 0, []byte{0})
	last := lastOf(msgs)
	id, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(last, `TRANSACTION_START "`), `\x00"`), 10, 32)
	if err != nil {
		s.fail("raw TRANSACTION_START: %v", msgs)
	}
	s.record(r.name, "TRANSACTION_START", "TRANSACTION_START (an id)", r.name, r.syncOwn(conn))
	return uint32(id)
}

// SendOversized sends a header announcing n payload bytes.
func (r *R) SendOversized(typ xenstore.MsgType, n int) string {
	s := r.s
	conn := s.raw(r.name)
	msgs := conn.SendOversized(s.ctx, typ, n)
	res := strings.Join(msgs, ", then ")
	s.record(r.name, fmt.Sprintf("%s with a header announcing %d payload bytes", typ, n), res, r.name, r.syncOwn(conn))
	return lastOf(msgs)
}

func (r *R) syncOwn(conn *RawConn) []string {
	if !r.s.rawWatch[r.name] || conn.Closed() {
		return nil
	}
	evs, err := conn.Sync(r.s.ctx)
	if err != nil {
		evs = append(evs, "sync failed: "+err.Error())
	}
	return evs
}

func lastOf(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[len(ss)-1]
}

// WatchQuota sets watches on path until the guest's domain holds total
// watches (counting those it had before, Env.DomUWatches) or one is
// refused; the transcript counts the domain's watches, so it does not
// depend on how many its kernel holds.
func (c *C) WatchQuota(path string, total int) string {
	s := c.s
	k := s.env.DomUWatches
	n := total - k
	op := Op{Kind: OpWatchFill, Path: s.expand(path), Token: "q", N: n}
	r := s.endpoint(c.name).Do(s.ctx, op)
	s.watching[c.name] += 1000
	var accepted int
	var rest string
	text := r.Text
	if _, err := fmt.Sscanf(r.Text, "%d accepted", &accepted); err == nil {
		if _, after, ok := strings.Cut(r.Text, ", then "); ok {
			rest = after
		}
		text = fmt.Sprintf("the domain's watches up to %d accepted", k+accepted)
		if rest != "" {
			text += fmt.Sprintf(", watch %d: %s", k+accepted+1, rest)
		}
	}
	s.record(c.who(), fmt.Sprintf("watch %s until the domain holds %d watches", path, total), text, c.name, r.Events)
	return text
}

// shorten cuts words of more than 100 bytes (long paths) to their start
// and length.
func shorten(text string) string {
	words := strings.Split(text, " ")
	for i, w := range words {
		if len(w) > 100 {
			words[i] = fmt.Sprintf("%s...(%d bytes)", w[:40], len(w))
		}
	}
	return strings.Join(words, " ")
}
