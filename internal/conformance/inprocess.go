package conformance

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"

	"xgo.dev/xgo/xenstore"
	"xgo.dev/xgo/xenstore/xenstored"
)

// InProcessDomU is the domid of the guest in the in-process environment.
const InProcessDomU = 5

// InProcess is the in-process daemon set up like the lab's dom0 after a
// guest was created with xl: dom0's nodes as xen-init-dom0 writes them,
// and the guest's home /local/domain/5 with the permissions libxl gives
// it (n0 r5; data owned by the guest). The guest's connection is served
// as domain 5 over a socket pair.
type InProcess struct {
	Server *xenstored.Server
	Sock   string
	Env    *Env

	domU *Executor
}

// NewInProcess starts the daemon with its socket in dir.
func NewInProcess(dir string) (*InProcess, error) {
	s := xenstored.New(&xenstored.Config{
		// Like Xen: only dom0 and the guest exist.
		DomainExists: func(id uint32) bool { return id == 0 || id == InProcessDomU },
	})
	sock := filepath.Join(dir, "socket")
	l, err := net.Listen("unix", sock)
	if err != nil {
		return nil, err
	}
	go s.Serve(l)
	ip := &InProcess{Server: s, Sock: sock}
	dial := func() (io.ReadWriteCloser, error) { return net.Dial("unix", sock) }

	// What xen-init-dom0 and xl create leaves behind.
	rwc, err := dial()
	if err != nil {
		s.Close()
		return nil, err
	}
	c := xenstore.NewConn(rwc, nil)
	defer c.Close()
	ctx := context.Background()
	id := strconv.Itoa(InProcessDomU)
	home := "/local/domain/" + id
	setup := []func() error{
		func() error { return c.Write(ctx, "/local/domain/0/domid", []byte("0")) },
		func() error { return c.Write(ctx, "/local/domain/0/name", []byte("Domain-0")) },
		func() error { return c.Mkdir(ctx, home) },
		func() error {
			return c.SetPerms(ctx, home, xenstore.Perms{{Access: 'n', Domain: 0}, {Access: 'r', Domain: InProcessDomU}})
		},
		func() error { return c.Write(ctx, home+"/domid", []byte(id)) },
		func() error { return c.Write(ctx, home+"/name", []byte("xgo-conformance")) },
		func() error { return c.Mkdir(ctx, home+"/data") },
		func() error {
			return c.SetPerms(ctx, home+"/data", xenstore.Perms{{Access: 'n', Domain: InProcessDomU}})
		},
	}
	for _, f := range setup {
		if err := f(); err != nil {
			s.Close()
			return nil, fmt.Errorf("setting up the in-process daemon: %w", err)
		}
	}
	s.IntroduceDomain(InProcessDomU)

	cli, srv := net.Pipe()
	go s.ServeConn(srv, InProcessDomU)
	tap := NewTap()
	ip.domU = NewExecutor(xenstore.NewConn(cli, &xenstore.Config{Trace: tap}), tap)

	ip.Env = &Env{
		Daemon:   DaemonInProcess,
		DialDom0: dial,
		DomU:     ip.domU,
		DomUID:   InProcessDomU,
	}
	return ip, nil
}

// Close stops the daemon.
func (ip *InProcess) Close() error {
	ip.domU.Close()
	return ip.Server.Close()
}
