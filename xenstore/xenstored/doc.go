// Package xenstored is an in-process XenStore daemon that behaves on the
// wire like C xenstored 4.17 (tools/xenstore/xenstored_*.c at
// RELEASE-4.17.7, the version Debian bookworm ships).
//
// Tests use it to give the xenstore client real bytes to talk to, the
// simulated Xen host (xgo --sim) uses it as its XenStore, and the CLI can
// run it as a stand-alone daemon for demos:
//
//	s := xenstored.New(nil)           // C xenstored's defaults
//	go s.ListenAndServe(sockPath)     // Unix socket clients are dom0
//	go s.ServeConn(guestConn, 5)      // a connection acting as domain 5
//	s.IntroduceDomain(5)              // fires @introduceDomain
//	s.FailNextCommits(1)              // next TRANSACTION_END T → EAGAIN
//	saved := s.Dump()                 // the whole tree, parents first
//	t := xenstored.New(nil)
//	t.Restore(saved)                  // the same tree, built in-process
//
// Messages are the xenstore package's (ReadMessage, WriteMessage); the
// errors sent are the xsd_errors names.
//
// # What it mirrors
//
// Rules are taken from the C source; the function a rule comes from is
// named in the comment of the Go code implementing it. In short:
//
//   - Dispatch (process_message): unknown types, WATCH_EVENT, ERROR and
//     type 20 answer ENOSYS; CONTROL, INTRODUCE, RELEASE,
//     IS_DOMAIN_INTRODUCED, RESUME and SET_TARGET answer EACCES to an
//     unprivileged domain; an unknown tx_id answers ENOENT (WATCH and
//     UNWATCH ignore the tx_id). Replies echo req_id and tx_id; a reply
//     over 4096 bytes becomes E2BIG (send_reply); a client announcing a
//     payload over 4096 bytes is disconnected (handle_input).
//   - Arguments: one-string requests need exactly one NUL, at the end
//     (onearg); otherwise C answers with a stale errno, which is ENOENT
//     on 4.17.7 (READ, DIRECTORY, GET_PERMS) and so ENOMEM from MKDIR
//     and RM, as the lab showed; paths follow is_valid_nodename, including its path-max
//     check counting only after "/local/domain/<id>/" (for dom0 too);
//     relative paths resolve against /local/domain/<domid>, and against
//     /local/domain/0 on the socket (get_implicit_path).
//   - Tree (read_node, construct_node, create_node, do_write, do_mkdir,
//     do_rm, rm_node): initial nodes "/", "/tool", "/tool/xenstored" (n0);
//     WRITE and MKDIR create missing parents, each inheriting its parent's
//     permissions with an unprivileged creator as owner; children keep
//     insertion order; RM of a missing node is OK if the parent exists,
//     else ENOENT; RM "/" is EINVAL.
//   - Permissions (perm_for_conn, get_node, errno_from_parents,
//     do_set_perms): privileged connections and the owner have all rights;
//     a refused or missing node answers EACCES unless the nearest existing
//     ancestor grants the requested right (then ENOENT for a missing
//     node); SET_PERMS needs owner rights, an unprivileged owner may not
//     change the owner (EPERM); ids are parsed with strtol(…, 0) and
//     printed with "%i". Entries naming a domain that is gone, or that
//     appeared after the node was written, are kept but ignored
//     (domain_adjust_node_perms, XSA-322).
//   - Generation counts (access_node, DIRECTORY_PART's gencnt): one global
//     counter bumped by every node write or delete, transaction start and
//     committed node.
//   - Transactions (xenstored_transaction.c): every node a transaction
//     reads, present or not, is checked at commit against its generation
//     then; a mismatch is EAGAIN and discards the transaction. Creating
//     children of the same parent in two transactions therefore
//     conflicts; writing two different existing nodes does not. A
//     transaction that hit an error while writing commits as ENOMEM
//     (trans->fail). Ids start at 1 per connection. TRANSACTION_START
//     inside a transaction is EBUSY.
//   - Watches (xenstored_watch.c): the OK reply, then the initial event; a
//     request's own events are queued before its reply; a change fires
//     watches on the node and above, a removal fires exactly-matching
//     watches for every removed node below; events go only to connections
//     that could read the node (old or new permissions) or its parent;
//     @introduceDomain/@releaseDomain only to those the special-path
//     permissions allow (dom0 by default; SET_PERMS on the @ path changes
//     that); an identical non-special event still queued is not queued
//     again (send_event); EEXIST for a duplicate, ENOENT for an unknown
//     UNWATCH.
//   - Domains (xenstored_domain.c): INTRODUCE/IntroduceDomain, RELEASE/
//     ReleaseDomain (removing the nodes the domain owns before
//     @releaseDomain fires), RESUME, SET_TARGET, IS_DOMAIN_INTRODUCED (T
//     for DOMID_SELF), GET_DOMAIN_PATH (atoi, no check).
//   - Quotas for unprivileged domains, with C's comparisons: nodes owned
//     (ENOSPC; checked at commit inside transactions), watches (E2BIG;
//     quota+1 fit), transactions per connection (ENOSPC; quota+1 fit),
//     node size counted as C's TDB record (24-byte header, 8 bytes per
//     permission, value and children; ENOSPC), permissions per node
//     (ENOSPC), nodes per transaction (ENOSPC, the commit then ENOMEM),
//     outstanding requests (flow control: the connection is not read),
//     watch events not sent within 20 s are dropped.
//   - CONTROL: check, log, print, help and quota (show, set, per domain);
//     live-update, logfile and memreport answer ENOSYS.
//
// Verified from source, not yet against a running daemon: everything
// above. Assumed, to be checked in the lab: that Debian's 4.17.7 build
// has no patches changing these paths; the exact event order between
// connections; the gencnt values (ours start from the same counter but a
// real daemon has seen more history).
//
// # Known differences from C xenstored 4.17
//
//   - Not implemented: the memory quota (ENOMEM at 2.5 MiB per domain),
//     write rate limiting (delays, never errors), live update, the
//     --keep-orphans, --master-domid and --priv-domid options, the ring
//     page and its error field, XS_RESTRICT.
//   - Whether a domain "exists" is asked from Config.DomainExists (nil:
//     every domain exists) instead of the hypervisor.
//   - A connection made with ServeConn before the domain is introduced
//     is served (C has no ring until INTRODUCE). Several connections may
//     act as the same domain; the per-domain counts are shared.
//   - Re-introducing an introduced domain drops its connections' watches
//     and transactions (domain_conn_reset), but a first introduction does
//     not touch connections made before it.
//   - The watch event timeout only drops events not yet taken by the
//     writer goroutine.
//
// # Differences of oxenstored 4.17 (read in tools/ocaml/xenstored, not run)
//
// oxenstored answers quota errors with "EQUOTA" (not an xsd_errors name;
// libxenstore maps it to EINVAL), has no DIRECTORY_PART (ENOSYS), refuses
// an owner change by a guest with EACCES rather than EPERM, detects
// transaction conflicts by comparing the lowest common read and write
// paths (coarser than C's per-node check), and has other default quotas
// (100 watches, 1024 outstanding requests, path-max 1024 in the shipped
// oxenstored.conf). This package follows C xenstored.
//
// # Concurrency
//
// A Server is safe for concurrent use. Each connection has a reader
// goroutine, which handles its requests one at a time in order, and a
// writer goroutine draining its output queue, so a slow client delays
// only itself (and, through the outstanding-request quota, the guest
// whose request caused its events). All request processing takes one
// server-wide mutex, as C xenstored is single threaded: every request is
// atomic with respect to every other. Get, Walk and the domain methods
// take the same mutex; Walk calls its function on a snapshot, without the
// lock.
package xenstored
