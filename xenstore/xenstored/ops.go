package xenstored

import (
	"strconv"
	"strings"
	"syscall"

	"xgo.dev/xgo/xenstore"
)

// request is one message being processed, with what process_message sets
// up for the handler: the connection, its transaction and the pending
// record the reply and any watch events are charged to.
type request struct {
	c    *conn
	msg  *xenstore.Message
	tx   *transaction
	pend *pending

	after      func()  // runs after the reply is queued (the initial watch event)
	closeConns []*conn // connections to close once s.mu is released (RELEASE)
}

type handlerFunc func(s *Server, r *request) ([]byte, error)

// Flags of wire_funcs in xenstored_core.c.
const (
	flagNoTID = 1 << iota // ignore the tx_id
	flagPriv              // privileged connections only
)

type handlerEntry struct {
	fn    handlerFunc
	flags int
}

// handlers is wire_funcs of xenstored_core.c (4.17). WATCH_EVENT, ERROR
// and the removed type 20 have no handler: ENOSYS, like unknown types.
var handlers = map[xenstore.MsgType]handlerEntry{
	xenstore.TypeControl:            {doControl, flagPriv},
	xenstore.TypeDirectory:          {doDirectory, 0},
	xenstore.TypeRead:               {doRead, 0},
	xenstore.TypeGetPerms:           {doGetPerms, 0},
	xenstore.TypeWatch:              {doWatch, flagNoTID},
	xenstore.TypeUnwatch:            {doUnwatch, flagNoTID},
	xenstore.TypeTransactionStart:   {doTransactionStart, 0},
	xenstore.TypeTransactionEnd:     {doTransactionEnd, 0},
	xenstore.TypeIntroduce:          {doIntroduce, flagPriv},
	xenstore.TypeRelease:            {doRelease, flagPriv},
	xenstore.TypeGetDomainPath:      {doGetDomainPath, 0},
	xenstore.TypeWrite:              {doWrite, 0},
	xenstore.TypeMkdir:              {doMkdir, 0},
	xenstore.TypeRm:                 {doRm, 0},
	xenstore.TypeSetPerms:           {doSetPerms, 0},
	xenstore.TypeIsDomainIntroduced: {doIsDomainIntroduced, flagPriv},
	xenstore.TypeResume:             {doResume, flagPriv},
	xenstore.TypeSetTarget:          {doSetTarget, flagPriv},
	xenstore.TypeResetWatches:       {doResetWatches, 0},
	xenstore.TypeDirectoryPart:      {doDirectoryPart, 0},
}

// handle is process_message: look up the handler (ENOSYS if none), refuse
// privileged types to unprivileged connections (EACCES), resolve the
// tx_id (ENOENT if unknown), run the handler and queue its reply or
// error. Replies echo req_id and tx_id.
func (s *Server) handle(c *conn, m *xenstore.Message) {
	s.mu.Lock()
	if c.closedConn {
		s.mu.Unlock()
		return
	}
	r := &request{c: c, msg: m, pend: s.newPending(c)}
	payload, err := s.dispatch(r)
	if err != nil {
		c.sendReply(m, xenstore.TypeError, errorPayload(err), r.pend)
	} else {
		c.sendReply(m, m.Type, payload, r.pend)
		if r.after != nil {
			r.after()
		}
	}
	s.mu.Unlock()
	for _, x := range r.closeConns {
		x.shutdown()
	}
}

func (s *Server) dispatch(r *request) ([]byte, error) {
	if err := s.injected(r.msg.Type); err != nil {
		return nil, err
	}
	h, ok := handlers[r.msg.Type]
	if !ok {
		return nil, syscall.ENOSYS
	}
	if h.flags&flagPriv != 0 && r.c.unprivileged() {
		return nil, syscall.EACCES
	}
	if h.flags&flagNoTID == 0 {
		tx, err := r.c.lookupTransaction(r.msg.TxID)
		if err != nil {
			return nil, err
		}
		r.tx = tx
	}
	return h.fn(s, r)
}

var okPayload = []byte("OK\x00")

// errMalformed is the answer of READ, DIRECTORY and GET_PERMS to a payload
// that is not one NUL-terminated string (see pathArg); errMalformedNoName
// that of MKDIR and RM.
const (
	errMalformed       = syscall.ENOENT
	errMalformedNoName = syscall.ENOMEM
)

// pathArg is get_node_canonicalized's argument handling: onearg, then
// canonicalize. When the payload is not exactly one NUL-terminated string
// C's onearg gives NULL and get_node_canonicalized returns without
// setting errno: the handler answers with a stale errno, which on C
// xenstored 4.17 is ENOENT (seen in the lab). READ, DIRECTORY and
// GET_PERMS pass it on (errMalformed); MKDIR and RM, seeing "ENOENT"
// without a name, answer ENOMEM.
func (r *request) pathArg() (string, bool) {
	p, ok := onearg(r.msg.Payload)
	if !ok {
		return "", false
	}
	return r.c.canonicalize(p), true
}

// doRead is do_read.
func doRead(s *Server, r *request) ([]byte, error) {
	name, ok := r.pathArg()
	if !ok {
		return nil, errMalformed
	}
	n, err := s.getNode(r.c, r.tx, name, permRead)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), n.value...), nil
}

// doDirectory is send_directory.
func doDirectory(s *Server, r *request) ([]byte, error) {
	name, ok := r.pathArg()
	if !ok {
		return nil, errMalformed
	}
	n, err := s.getNode(r.c, r.tx, name, permRead)
	if err != nil {
		return nil, err
	}
	return n.childBytes(), nil
}

// doDirectoryPart is send_directory_part: "gencnt\0" then as many whole
// children from the byte offset as fit in a payload, with an extra "\0"
// once the list is complete; an offset at or past the end gives
// "gencnt\0\0".
func doDirectoryPart(s *Server, r *request) ([]byte, error) {
	args := getStrings(r.msg.Payload)
	if len(args) != 2 {
		return nil, syscall.EINVAL
	}
	n, err := s.getNode(r.c, r.tx, r.c.canonicalize(args[0]), permRead)
	if err != nil {
		return nil, err
	}
	off := int(uint32(cAtoi(args[1])))
	gen := strconv.AppendUint(nil, n.gen, 10)
	gen = append(gen, 0)
	children := n.childBytes()
	if off >= len(children) {
		return append(gen, 0), nil
	}
	maxlen := xenstore.PayloadMax - len(gen) - 1
	l := 0
	for {
		child := cString(children[off+l:])
		if l+len(child) >= maxlen {
			break
		}
		l += len(child) + 1
		if off+l == len(children) {
			break
		}
	}
	out := append(gen, children[off:off+l]...)
	if off+l == len(children) {
		out = append(out, 0)
	}
	return out, nil
}

// cString is the NUL-terminated string at the start of b.
func cString(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// doGetPerms is do_get_perms.
func doGetPerms(s *Server, r *request) ([]byte, error) {
	name, ok := r.pathArg()
	if !ok {
		return nil, errMalformed
	}
	n, err := s.getNode(r.c, r.tx, name, permRead)
	if err != nil {
		return nil, err
	}
	return permsString(n.perms), nil
}

// doWrite is do_write: "path\0value" (the value may hold NULs); a missing
// node is created with its parents if the nearest existing ancestor grants
// write.
func doWrite(s *Server, r *request) ([]byte, error) {
	args := getStrings(r.msg.Payload)
	if len(args) < 1 {
		return nil, syscall.EINVAL
	}
	value := append([]byte(nil), r.msg.Payload[len(args[0])+1:]...)
	name := r.c.canonicalize(args[0])
	n, err := s.getNode(r.c, r.tx, name, permWrite)
	var parent *node
	if err != nil {
		if err != syscall.ENOENT {
			return nil, err
		}
		if n, parent, err = s.createNode(r.c, r.tx, name, value); err != nil {
			return nil, err
		}
	} else {
		n = n.clone()
		n.value = value
		if err := s.writeNode(r.c, r.tx, n, false); err != nil {
			return nil, err
		}
	}
	s.fireWatches(r.c, r.tx, r.pend, name, n, parent, false, nil)
	return okPayload, nil
}

// doMkdir is do_mkdir: an existing node is fine (if writable).
func doMkdir(s *Server, r *request) ([]byte, error) {
	name, ok := r.pathArg()
	if !ok {
		return nil, errMalformedNoName
	}
	_, err := s.getNode(r.c, r.tx, name, permWrite)
	if err != nil {
		if err != syscall.ENOENT {
			return nil, err
		}
		n, parent, err := s.createNode(r.c, r.tx, name, nil)
		if err != nil {
			return nil, err
		}
		s.fireWatches(r.c, r.tx, r.pend, name, n, parent, false, nil)
	}
	return okPayload, nil
}

// doRm is do_rm: a missing node is fine if its parent exists (else
// ENOENT); "/" cannot be removed (EINVAL).
func doRm(s *Server, r *request) ([]byte, error) {
	name, ok := r.pathArg()
	if !ok {
		return nil, errMalformedNoName
	}
	_, err := s.getNode(r.c, r.tx, name, permWrite)
	if err != nil {
		if err != syscall.ENOENT {
			return nil, err
		}
		if _, perr := s.readNode(r.c, r.tx, parentOf(name)); perr != nil {
			if canPropagate(perr) {
				return nil, perr
			}
			return nil, syscall.ENOENT
		}
		return okPayload, nil
	}
	if name == "/" {
		return nil, syscall.EINVAL
	}
	if err := s.rmNode(r.c, r.tx, r.pend, name); err != nil {
		return nil, err
	}
	return okPayload, nil
}

// doSetPerms is do_set_perms: "path\0perm\0perm\0…". Checks in C's order:
// at least one entry (EINVAL), the per-node entry quota (ENOSPC), the
// syntax (EINVAL), an owner domain that does not exist (ENOENT), then the
// node: write and owner rights needed (EACCES), and an unprivileged
// connection may not change the owner (EPERM).
func doSetPerms(s *Server, r *request) ([]byte, error) {
	args := getStrings(r.msg.Payload)
	if len(args) < 2 {
		return nil, syscall.EINVAL
	}
	num := len(args) - 1
	if r.c.unprivileged() && s.q.NodePerms >= 0 && num > s.q.NodePerms {
		return nil, syscall.ENOSPC
	}
	ps, err := parsePerms(args[1:])
	if err != nil {
		return nil, err
	}
	// domain_alloc_permrefs: entries for domains that do not exist are
	// kept but ignored; a missing owner is refused.
	for i := range ps {
		if s.findOrAllocExisting(ps[i].id) == nil {
			ps[i].ignore = true
		}
	}
	if ps[0].ignore {
		return nil, syscall.ENOENT
	}
	if strings.HasPrefix(args[0], "@") {
		if err := s.setPermsSpecial(r.c, args[0], ps); err != nil {
			return nil, err
		}
		return okPayload, nil
	}
	name := r.c.canonicalize(args[0])
	n, err := s.getNode(r.c, r.tx, name, permWrite|permOwner)
	if err != nil {
		return nil, err
	}
	if r.c.unprivileged() && ps[0].id != n.owner() {
		return nil, syscall.EPERM
	}
	old := n.perms
	n = n.clone()
	s.entryDec(r.c, r.tx, old[0].id)
	n.perms = ps
	if err := s.entryInc(r.c, r.tx, ps[0].id); err != nil {
		s.entryInc(r.c, r.tx, old[0].id)
		return nil, syscall.ENOMEM
	}
	if err := s.writeNode(r.c, r.tx, n, false); err != nil {
		s.entryDec(r.c, r.tx, ps[0].id)
		s.entryInc(r.c, r.tx, old[0].id)
		return nil, err
	}
	s.fireWatches(r.c, r.tx, r.pend, name, n, nil, false, old)
	return okPayload, nil
}

// doWatch is do_watch: "wpath\0token\0" exactly (EINVAL otherwise); the
// initial event follows the OK reply. The tx_id is ignored.
func doWatch(s *Server, r *request) ([]byte, error) {
	args := getStrings(r.msg.Payload)
	if len(args) != 2 {
		return nil, syscall.EINVAL
	}
	w, err := s.addWatch(r.c, args[0], args[1])
	if err != nil {
		return nil, err
	}
	r.after = func() { r.c.sendEvent(nil, w.eventPath(w.path), w.token) }
	return okPayload, nil
}

// doUnwatch is do_unwatch.
func doUnwatch(s *Server, r *request) ([]byte, error) {
	args := getStrings(r.msg.Payload)
	if len(args) != 2 {
		return nil, syscall.EINVAL
	}
	if err := s.removeWatch(r.c, args[0], args[1]); err != nil {
		return nil, err
	}
	return okPayload, nil
}

// doResetWatches is do_reset_watches: drop all watches and transactions.
func doResetWatches(s *Server, r *request) ([]byte, error) {
	s.dropWatches(r.c)
	s.dropTransactions(r.c)
	return okPayload, nil
}

// doTransactionStart is do_transaction_start; the payload is not looked at.
func doTransactionStart(s *Server, r *request) ([]byte, error) {
	tx, err := s.startTransaction(r.c, r.tx)
	if err != nil {
		return nil, err
	}
	return append(strconv.AppendUint(nil, uint64(tx.id), 10), 0), nil
}

// doTransactionEnd is do_transaction_end: "T\0" commits, "F\0" aborts,
// anything else is EINVAL; tx_id 0 is ENOENT.
func doTransactionEnd(s *Server, r *request) ([]byte, error) {
	arg, ok := onearg(r.msg.Payload)
	if !ok || (arg != "T" && arg != "F") {
		return nil, syscall.EINVAL
	}
	if r.tx == nil {
		return nil, syscall.ENOENT
	}
	tx := r.tx
	r.tx = nil
	if err := s.endTransaction(r.c, tx, arg == "T", r.pend); err != nil {
		return nil, err
	}
	return okPayload, nil
}

// doGetDomainPath is do_get_domain_path: atoi of the argument, no check.
func doGetDomainPath(s *Server, r *request) ([]byte, error) {
	arg, ok := onearg(r.msg.Payload)
	if !ok {
		return nil, syscall.EINVAL
	}
	return append([]byte(domainPath(uint32(cAtoi(arg)))), 0), nil
}

// doIsDomainIntroduced is do_is_domain_introduced.
func doIsDomainIntroduced(s *Server, r *request) ([]byte, error) {
	arg, ok := onearg(r.msg.Payload)
	if !ok {
		return nil, syscall.EINVAL
	}
	domid := uint32(cAtoi(arg))
	d := s.domains[domid]
	if domid == domidSelf || (d != nil && d.introduced) {
		return []byte("T\x00"), nil
	}
	return []byte("F\x00"), nil
}

// doIntroduce is do_introduce: "domid\0gfn\0evtchn\0"; the event channel
// must not be 0. There is no ring to map here: the domain just becomes
// introduced.
func doIntroduce(s *Server, r *request) ([]byte, error) {
	args := getStrings(r.msg.Payload)
	if len(args) < 3 {
		return nil, syscall.EINVAL
	}
	domid := uint32(cAtoi(args[0]))
	if uint32(cAtoi(args[2])) == 0 {
		return nil, syscall.EINVAL
	}
	s.introduce(domid)
	return okPayload, nil
}

// connectedDomain is find_connected_domain for onearg_domain and
// SET_TARGET: ENOENT unless introduced.
func (s *Server) connectedDomain(domid uint32) (*domain, error) {
	d := s.domains[domid]
	if d == nil || !d.introduced {
		return nil, syscall.ENOENT
	}
	return d, nil
}

// onearg_domain: one argument, atoi, 0 refused.
func (s *Server) oneargDomain(r *request) (*domain, error) {
	arg, ok := onearg(r.msg.Payload)
	if !ok {
		return nil, syscall.EINVAL
	}
	domid := uint32(cAtoi(arg))
	if domid == 0 {
		return nil, syscall.EINVAL
	}
	return s.connectedDomain(domid)
}

// doRelease is do_release.
func doRelease(s *Server, r *request) ([]byte, error) {
	d, err := s.oneargDomain(r)
	if err != nil {
		return nil, err
	}
	r.closeConns = s.release(d.id)
	return okPayload, nil
}

// doResume is do_resume: @releaseDomain may fire again on the next
// shutdown.
func doResume(s *Server, r *request) ([]byte, error) {
	d, err := s.oneargDomain(r)
	if err != nil {
		return nil, err
	}
	d.shutdown = false
	return okPayload, nil
}

// doSetTarget is do_set_target: domid gets the rights of tdomid.
func doSetTarget(s *Server, r *request) ([]byte, error) {
	args := getStrings(r.msg.Payload)
	if len(args) < 2 {
		return nil, syscall.EINVAL
	}
	d, err := s.connectedDomain(uint32(cAtoi(args[0])))
	if err != nil {
		return nil, err
	}
	t, err := s.connectedDomain(uint32(cAtoi(args[1])))
	if err != nil {
		return nil, err
	}
	d.target, d.hasTarget = t.id, true
	return okPayload, nil
}
