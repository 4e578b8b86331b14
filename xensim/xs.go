package xensim

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/naming"
	"xgo.dev/xgo/xenstore"
	"xgo.dev/xgo/xenstore/xenstored"
)

// This file builds and persists the simulated host's XenStore, which is
// served by the in-process daemon (package xenstore/xenstored).

// perms of the nodes libxl creates (libxl__domain_make in
// tools/libs/light/libxl_create.c): noperm [n0], roperm [n0, r<domid>]
// (dom0 owns, the guest reads), rwperm [n<domid>] (the guest owns).
func noperm() xenstore.Perms { return xenstore.Perms{{Access: xenstore.AccessNone, Domain: 0}} }

func roperm(domid uint32) xenstore.Perms {
	return xenstore.Perms{{Access: xenstore.AccessNone, Domain: 0}, {Access: xenstore.AccessRead, Domain: domid}}
}

func rwperm(domid uint32) xenstore.Perms {
	return xenstore.Perms{{Access: xenstore.AccessNone, Domain: domid}}
}

// xsOps is what both a Conn and a Tx offer.
type xsOps interface {
	Write(ctx context.Context, path string, value []byte) error
	Mkdir(ctx context.Context, path string) error
	Rm(ctx context.Context, path string) error
	SetPerms(ctx context.Context, path string, perms xenstore.Perms) error
}

// mknod is libxl__xs_mknod: mkdir, then set the permissions.
func mknod(ctx context.Context, t xsOps, path string, perms xenstore.Perms) error {
	if err := t.Mkdir(ctx, path); err != nil {
		return err
	}
	return t.SetPerms(ctx, path, perms)
}

// rmQuiet is libxl's unchecked xs_rm: a missing parent (ENOENT) does not
// matter.
func rmQuiet(ctx context.Context, t xsOps, path string) error {
	if err := t.Rm(ctx, path); err != nil && !errors.Is(err, xenstore.ErrNotExist) {
		return err
	}
	return nil
}

func write(ctx context.Context, t xsOps, path, value string) error {
	return t.Write(ctx, path, []byte(value))
}

// bootStore writes what a freshly booted host has in XenStore: what
// xen-init-dom0 writes (tools/helpers/xen-init-dom0.c: Domain-0's domid
// and name, and Pool-<id> for every pool), pools named by `xl
// cpupool-create` (libxl_cpupool_create: uuid and name), and each guest
// as `xl create` leaves it (libxl__domain_make and libxl__build_post),
// introduced to the store at the end as libxl does.
func bootStore(ctx context.Context, c *xenstore.Conn, srv *xenstored.Server, h *Host) error {
	// xen-init-dom0
	if err := write(ctx, c, "/local/domain/0/domid", "0"); err != nil {
		return err
	}
	if err := write(ctx, c, "/local/domain/0/name", "Domain-0"); err != nil {
		return err
	}
	pools, err := hypercall.ListCpupools(h)
	if err != nil {
		return err
	}
	names := map[uint32]string{}
	for _, p := range h.hw.pools {
		names[p.id] = p.name
	}
	for _, p := range pools {
		base := naming.PoolPath(p.ID)
		name := names[p.ID]
		if name == "" || name == "Pool-"+strconv.FormatUint(uint64(p.ID), 10) || p.ID == 0 {
			if err := write(ctx, c, base+"/name", "Pool-"+strconv.FormatUint(uint64(p.ID), 10)); err != nil {
				return err
			}
			if p.ID == 0 && name != "" && name != "Pool-0" {
				// renamed later with xl cpupool-rename
				if err := write(ctx, c, base+"/name", name); err != nil {
					return err
				}
			}
			continue
		}
		uuid := derivedUUID("xgo-sim-pool:" + name)
		err := c.Transact(ctx, func(tx *xenstore.Tx) error {
			if err := tx.Mkdir(ctx, base); err != nil {
				return err
			}
			if err := write(ctx, tx, base+"/uuid", formatUUID(uuid)); err != nil {
				return err
			}
			return write(ctx, tx, base+"/name", name)
		})
		if err != nil {
			return err
		}
	}
	for _, d := range h.hw.domains {
		if d.Domid == 0 {
			continue
		}
		introduce := func() { srv.IntroduceDomain(uint32(d.Domid)) }
		if err := createDomainNodes(ctx, c, d, introduce); err != nil {
			return fmt.Errorf("xensim: xenstore nodes of %s: %w", d.Name, err)
		}
	}
	return nil
}

// createDomainNodes writes a guest's nodes as xl create does, introducing
// the domain where libxl__build_post does; then what the guest's Linux and
// xenconsoled write as it boots.
func createDomainNodes(ctx context.Context, c *xenstore.Conn, d hwDomain, introduce func()) error {
	domid := uint32(d.Domid)
	dom := naming.DomainPath(uint32(domid))
	uuid := formatUUID(d.uuid)
	vm := "/vm/" + uuid
	lx := "/libxl/" + strconv.FormatUint(uint64(domid), 10)
	ro, rw := roperm(domid), rwperm(domid)

	// libxl__domain_make: one transaction, retried on EAGAIN.
	err := c.Transact(ctx, func(t *xenstore.Tx) error {
		steps := []func() error{
			func() error { return rmQuiet(ctx, t, dom) },
			func() error { return mknod(ctx, t, dom, ro) },
			func() error { return rmQuiet(ctx, t, vm) },
			func() error { return mknod(ctx, t, vm, ro) },
			func() error { return rmQuiet(ctx, t, lx) },
			func() error { return mknod(ctx, t, lx, noperm()) },
			func() error { return mknod(ctx, t, lx+"/device", noperm()) },
			func() error { return write(ctx, t, dom+"/vm", vm) },
			// libxl__domain_rename
			func() error { return write(ctx, t, dom+"/name", d.Name) },
			func() error { return write(ctx, t, vm+"/name", d.Name) },
			func() error { return mknod(ctx, t, dom+"/cpu", ro) },
			func() error { return mknod(ctx, t, dom+"/memory", ro) },
			func() error { return mknod(ctx, t, dom+"/device", ro) },
			func() error { return mknod(ctx, t, dom+"/device/suspend/event-channel", rw) },
			func() error { return mknod(ctx, t, dom+"/control", ro) },
		}
		if d.hvm {
			steps = append(steps, func() error { return mknod(ctx, t, dom+"/hvmloader", ro) })
		}
		for _, n := range []string{"shutdown", "feature-poweroff", "feature-reboot", "feature-suspend"} {
			steps = append(steps, func() error { return mknod(ctx, t, dom+"/control/"+n, rw) })
		}
		if d.hvm {
			for _, n := range []string{"feature-s3", "feature-s4"} {
				steps = append(steps, func() error { return mknod(ctx, t, dom+"/control/"+n, rw) })
			}
		}
		steps = append(steps, func() error { return mknod(ctx, t, dom+"/control/sysrq", rw) })
		for _, n := range []string{"data", "drivers", "feature", "attr", "error"} {
			steps = append(steps, func() error { return mknod(ctx, t, dom+"/"+n, rw) })
		}
		steps = append(steps,
			func() error { return write(ctx, t, vm+"/uuid", uuid) },
			func() error { return write(ctx, t, vm+"/name", d.Name) },
			func() error {
				return write(ctx, t, dom+"/control/platform-feature-multiprocessor-suspend", "1")
			},
			func() error { return write(ctx, t, dom+"/control/platform-feature-xs_reset_watches", "1") },
			func() error { return write(ctx, t, lx+"/type", d.typ) },
		)
		for _, s := range steps {
			if err := s(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// initiate_domain_create: store_libxl_entry, outside a transaction.
	if err := write(ctx, c, lx+"/dm-version", "qemu_xen"); err != nil {
		return err
	}

	// libxl__build_post: the domain's entries and the /vm entries.
	err = c.Transact(ctx, func(t *xenstore.Tx) error {
		video := uint64(0)
		if d.hvm {
			video = 8192
		}
		ents := [][2]string{
			{"memory/static-max", strconv.FormatUint(d.maxKB, 10)},
			{"memory/target", strconv.FormatUint(d.memKB-video, 10)},
			{"memory/videoram", strconv.FormatUint(video, 10)},
			{"domid", strconv.FormatUint(uint64(domid), 10)},
			{"store/port", "1"},
			{"store/ring-ref", strconv.FormatUint(0xfefff-uint64(domid)*0x100, 10)},
		}
		for i := uint32(0); i < d.VCPUs; i++ {
			ents = append(ents, [2]string{"cpu/" + strconv.FormatUint(uint64(i), 10) + "/availability", "online"})
		}
		for _, e := range ents {
			if err := write(ctx, t, dom+"/"+e[0], e[1]); err != nil {
				return err
			}
		}
		vments := [][2]string{{"start_time", "1700000000.00"}}
		if d.typ == "pv" {
			vments = [][2]string{
				{"image/ostype", "linux"},
				{"image/kernel", "/var/lib/xen/images/" + d.Name + "/vmlinuz"},
				{"start_time", "1700000000.00"},
				{"image/ramdisk", "/var/lib/xen/images/" + d.Name + "/initrd.img"},
				{"image/cmdline", "root=/dev/xvda1 ro console=hvc0"},
			}
		} else if d.typ == "hvm" {
			vments = [][2]string{{"rtc/timeoffset", ""}, {"image/ostype", "hvm"}, {"start_time", "1700000000.00"}}
		}
		for _, e := range vments {
			if err := write(ctx, t, vm+"/"+e[0], e[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	introduce() // libxl__build_post: xs_introduce_domain

	// domcreate_launch_dm: the primary console, served by xenconsoled in
	// dom0 (init_console_info), as libxl__device_console_add and
	// libxl__device_generic_add write it in one transaction. Console 0's
	// frontend directory is read-only to the guest.
	fe := dom + "/console"
	be := "/local/domain/0/backend/console/" + strconv.FormatUint(uint64(domid), 10) + "/0"
	dev := lx + "/device/console/0"
	bents := [][2]string{{"frontend-id", strconv.FormatUint(uint64(domid), 10)}, {"online", "1"}, {"state", "1"}, {"protocol", "vt100"}}
	err = c.Transact(ctx, func(t *xenstore.Tx) error {
		if err := rmQuiet(ctx, t, dev); err != nil {
			return err
		}
		steps := []func() error{
			func() error { return write(ctx, t, dev+"/frontend", fe) },
			func() error { return write(ctx, t, dev+"/backend", be) },
			func() error { return rmQuiet(ctx, t, fe) },
			func() error { return mknod(ctx, t, fe, roperm(domid)) },
			func() error { return write(ctx, t, fe+"/backend", be) },
			func() error {
				return writePerms(ctx, t, fe+"/backend-id", "0", xenstore.Perms{{Access: xenstore.AccessNone, Domain: domid}, {Access: xenstore.AccessRead, Domain: 0}})
			},
		}
		for _, e := range [][2]string{{"limit", "1048576"}, {"type", "xenconsoled"}, {"output", "pty"}, {"tty", ""},
			{"port", "2"}, {"ring-ref", strconv.FormatUint(0xfefff-uint64(domid)*0x100-1, 10)}} {
			steps = append(steps, func() error { return writePerms(ctx, t, fe+"/"+e[0], e[1], roperm(domid)) })
		}
		steps = append(steps,
			func() error { return rmQuiet(ctx, t, be) },
			func() error { return mknod(ctx, t, be, roperm(domid)) },
			func() error { return write(ctx, t, be+"/frontend", fe) })
		for _, e := range bents {
			steps = append(steps, func() error { return write(ctx, t, be+"/"+e[0], e[1]) })
		}
		for _, e := range bents {
			steps = append(steps, func() error { return write(ctx, t, dev+"/"+e[0], e[1]) })
		}
		for _, s := range steps {
			if err := s(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// xenconsoled gives the console a pty; the guest's Linux announces
	// its shutdown features (drivers/xen/manage.c setup_shutdown_watcher).
	writes := [][2]string{{fe + "/tty", "/dev/pts/" + strconv.FormatUint(uint64(domid-1), 10)}}
	for _, f := range []string{"poweroff", "reboot", "suspend"} {
		writes = append(writes, [2]string{dom + "/control/feature-" + f, "1"})
	}
	for _, w := range writes {
		if err := write(ctx, c, w[0], w[1]); err != nil {
			return err
		}
	}
	return nil
}

// writePerms is libxl__xs_writev_perms for one node: write it, then set
// its permissions.
func writePerms(ctx context.Context, t xsOps, path, value string, perms xenstore.Perms) error {
	if err := write(ctx, t, path, value); err != nil {
		return err
	}
	return t.SetPerms(ctx, path, perms)
}

// storeNode is one saved XenStore node.
type storeNode struct {
	path  string
	perms []string
	value []byte
}

// The saved tree is one YAML block of lines, one node per line, parents
// first: the path, the permissions joined by commas, and the value as a Go
// string literal when the node has one:
//
//	/local/domain/1 n0,r1
//	/local/domain/1/name n0,r1 "domu1"
//
// Paths and permissions never contain spaces, and a quoted value can hold
// any bytes. One scalar instead of a YAML mapping per node keeps large
// trees quick to save and load.
func formatNodes(nodes []storeNode) string {
	var b strings.Builder
	for _, n := range nodes {
		b.WriteString(n.path)
		b.WriteByte(' ')
		b.WriteString(strings.Join(n.perms, ","))
		if len(n.value) > 0 {
			b.WriteByte(' ')
			b.WriteString(strconv.Quote(string(n.value)))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func parseNodes(text string) ([]storeNode, error) {
	var out []storeNode
	for i, line := range strings.Split(text, "\n") {
		if line == "" {
			continue
		}
		path, rest, _ := strings.Cut(line, " ")
		perms, quoted, hasValue := strings.Cut(rest, " ")
		n := storeNode{path: path, perms: strings.Split(perms, ",")}
		if err := xenstore.ValidatePath(path); err != nil || perms == "" {
			return nil, fmt.Errorf("xenstore node line %d: %q: want PATH PERMS [\"VALUE\"]", i+1, line)
		}
		if hasValue {
			v, err := strconv.Unquote(quoted)
			if err != nil {
				return nil, fmt.Errorf("xenstore node line %d: value %s: %w", i+1, quoted, err)
			}
			n.value = []byte(v)
		}
		out = append(out, n)
	}
	return out, nil
}

// saveStore copies the daemon's tree (Server.Dump: parents first, children
// in directory order).
func saveStore(srv *xenstored.Server) ([]storeNode, error) {
	tree := srv.Dump()
	out := make([]storeNode, len(tree))
	for i, n := range tree {
		out[i] = storeNode{path: n.Path, perms: n.Perms.Strings(), value: n.Value}
	}
	return out, nil
}

// restoreStore rebuilds a saved tree in the daemon with Server.Restore,
// before it serves any connection. Restore applies what writing each node
// over the wire as dom0 would (path, permission and owner checks,
// ownership and quota accounting, new generation counts) without the
// round trips: rebuilding the 70 000 nodes of a 4096-pCPU host over a
// pipe took most of a second, and every `xgo --sim` command pays it.
func restoreStore(srv *xenstored.Server, nodes []storeNode) error {
	tree := make([]xenstored.Node, len(nodes))
	for i, n := range nodes {
		ps, err := xenstore.ParsePerms(n.perms)
		if err != nil {
			return fmt.Errorf("xenstore node %s: %w", n.path, err)
		}
		tree[i] = xenstored.Node{Path: n.path, Perms: ps, Value: n.value}
	}
	return srv.Restore(tree)
}

// tap sits between the daemon and one connection it serves and counts
// the commits failed by FailNextCommits, so that the number still pending
// can be saved: xenstored does not report it. A commit is a
// TRANSACTION_END request with payload "T"; the injected failure is its
// ERROR EAGAIN reply (the daemon checks the injected failures before any
// real conflict).
type tap struct {
	net.Conn
	onFail func()

	mu      sync.Mutex
	in, out []byte
	commits map[uint32]bool
}

func newTap(c net.Conn, onFail func()) *tap {
	return &tap{Conn: c, onFail: onFail, commits: map[uint32]bool{}}
}

func (t *tap) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	if n > 0 {
		t.mu.Lock()
		t.in = frames(append(t.in, p[:n]...), func(m *xenstore.Message) {
			if m.Type == xenstore.TypeTransactionEnd && bytes.Equal(m.Payload, []byte("T\x00")) {
				t.commits[m.ReqID] = true
			}
		})
		t.mu.Unlock()
	}
	return n, err
}

func (t *tap) Write(p []byte) (int, error) {
	t.mu.Lock()
	var failed int
	t.out = frames(append(t.out, p...), func(m *xenstore.Message) {
		if m.Type == xenstore.TypeWatchEvent || !t.commits[m.ReqID] {
			return
		}
		delete(t.commits, m.ReqID)
		if m.Type == xenstore.TypeError && bytes.Equal(m.Payload, []byte("EAGAIN\x00")) {
			failed++
		}
	})
	t.mu.Unlock()
	for range failed {
		t.onFail()
	}
	return t.Conn.Write(p)
}

// frames calls fn for each complete message at the start of b and
// returns the incomplete rest.
func frames(b []byte, fn func(*xenstore.Message)) []byte {
	for len(b) >= xenstore.HeaderSize {
		n := int(binary.LittleEndian.Uint32(b[12:]))
		if n > xenstore.PayloadMax {
			return nil // the daemon drops such a connection
		}
		if len(b) < xenstore.HeaderSize+n {
			break
		}
		fn(&xenstore.Message{
			Type:    xenstore.MsgType(binary.LittleEndian.Uint32(b[0:])),
			ReqID:   binary.LittleEndian.Uint32(b[4:]),
			Payload: b[xenstore.HeaderSize : xenstore.HeaderSize+n],
		})
		b = b[xenstore.HeaderSize+n:]
	}
	if len(b) == 0 {
		return b[:0]
	}
	return append([]byte(nil), b...)
}
