package xenstored

import (
	"strings"
	"syscall"

	"xgo.dev/xgo/xenstore"
)

// watch is struct watch of xenstored_watch.c.
type watch struct {
	path     string // canonical path, or the @ name
	token    string
	relative string // implicit path the watch was given relative to, or ""
}

// eventPath is get_watch_path: strip the implicit path from events of a
// relative watch.
func (w *watch) eventPath(name string) string {
	if w.relative == "" {
		return name
	}
	p := strings.TrimPrefix(name, w.relative)
	return strings.TrimPrefix(p, "/")
}

// addWatch is do_watch after parsing: path validation (check_watch_path),
// duplicate check, the watch quota (C compares nbwatch > quota, so quota+1
// watches fit), then the OK reply followed by the initial event.
func (s *Server) addWatch(c *conn, wpath, token string) (*watch, error) {
	w := &watch{token: token}
	if strings.HasPrefix(wpath, "@") {
		// Any @ name is accepted; only @introduceDomain and
		// @releaseDomain ever fire.
		if len(wpath) > xenstore.RelPathMax {
			return nil, syscall.EINVAL
		}
		w.path = wpath
	} else {
		if !strings.HasPrefix(wpath, "/") {
			w.relative = c.implicitPath()
		}
		w.path = c.canonicalize(wpath)
		if !isValidNodename(w.path, s.q.PathMax) {
			return nil, syscall.EINVAL
		}
	}
	for _, x := range c.watches {
		if x.path == w.path && x.token == token {
			return nil, syscall.EEXIST
		}
	}
	if c.unprivileged() && s.q.Watches >= 0 {
		if d := s.domains[c.id]; d != nil && d.nbwatch > s.q.Watches {
			return nil, syscall.E2BIG
		}
	}
	c.watches = append(c.watches, w)
	s.watchCount(c, 1)
	return w, nil
}

// watchCount is domain_watch_inc/dec: the count is per domain, kept for
// domain connections only.
func (s *Server) watchCount(c *conn, delta int) {
	if !c.isDomain {
		return
	}
	if d := s.domains[c.id]; d != nil {
		d.nbwatch = max(d.nbwatch+delta, 0)
	}
}

// removeWatch is do_unwatch: the path is canonicalized but not validated.
func (s *Server) removeWatch(c *conn, wpath, token string) error {
	p := c.canonicalize(wpath)
	for i, w := range c.watches {
		if w.path == p && w.token == token {
			c.watches = append(c.watches[:i:i], c.watches[i+1:]...)
			s.watchCount(c, -1)
			return nil
		}
	}
	return syscall.ENOENT
}

// dropWatches is conn_delete_all_watches.
func (s *Server) dropWatches(c *conn) {
	s.watchCount(c, -len(c.watches))
	c.watches = nil
}

// fireWatches is fire_watches. Inside a transaction the event is queued
// for the commit. Otherwise every connection allowed to see the change
// gets one event per matching watch: exact matches only the watch on name
// itself, non-exact every watch on name or an ancestor. n and parent are
// the changed node and its parent if the caller has them (nil: read them
// from the tree); oldPerms are the node's permissions before the change.
// p is the request the events are charged to (unprivileged requesters
// only, as in C).
func (s *Server) fireWatches(c *conn, tx *transaction, p *pending, name string, n, parent *node, exact bool, oldPerms []perm) {
	if tx != nil {
		tx.queueWatches(name, exact)
		return
	}
	if !c.unprivileged() {
		p = nil
	}
	special := strings.HasPrefix(name, "@")
	for _, wc := range s.conns {
		if len(wc.watches) == 0 {
			continue
		}
		if special {
			if !s.checkPermsSpecial(name, wc) {
				continue
			}
		} else if !s.watchPermitted(wc, name, n, parent, oldPerms) {
			continue
		}
		for _, w := range wc.watches {
			if exact {
				if w.path == name {
					wc.sendEvent(p, w.eventPath(name), w.token)
				}
			} else if isChild(name, w.path) {
				wc.sendEvent(p, w.eventPath(name), w.token)
			}
		}
	}
}

// watchPermitted is watch_permitted: the watcher may read the node under
// its old or new permissions, or may read its parent.
func (s *Server) watchPermitted(wc *conn, name string, n, parent *node, oldPerms []perm) bool {
	if oldPerms != nil && s.permFor(wc, oldPerms)&permRead != 0 {
		return true
	}
	if n == nil {
		var err error
		if n, err = s.readNode(wc, nil, name); err != nil {
			return false
		}
	}
	if s.permFor(wc, n.perms)&permRead != 0 {
		return true
	}
	if parent == nil {
		var err error
		if parent, err = s.readNode(wc, nil, parentOf(n.name)); err != nil {
			return false
		}
	}
	return s.permFor(wc, parent.perms)&permRead != 0
}

// checkPermsSpecial is check_perms_special.
func (s *Server) checkPermsSpecial(name string, wc *conn) bool {
	ps := s.special[name]
	if ps == nil {
		return false
	}
	return s.permFor(wc, ps)&permRead != 0
}

// setPermsSpecial is set_perms_special: only @introduceDomain and
// @releaseDomain, and only by whoever has write and owner rights on them.
func (s *Server) setPermsSpecial(c *conn, name string, ps []perm) error {
	cur := s.special[name]
	if cur == nil {
		return syscall.EINVAL
	}
	if s.permFor(c, cur)&(permWrite|permOwner) != permWrite|permOwner {
		return syscall.EACCES
	}
	s.special[name] = ps
	return nil
}
