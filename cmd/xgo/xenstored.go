package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/xenstore/xenstored"
)

type xenstoredOptions struct {
	Socket string // Unix socket to listen on
}

func xenstoredCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:     "xenstored",
		Category: "developer",
		Usage:    "Run an in-process XenStore daemon on a Unix socket, for demos and development",
		Description: `Serves a fresh, empty XenStore (the tree C xenstored starts with:
/, /tool, /tool/xenstored, owned by dom0) on a Unix socket until
interrupted. Every connection is privileged, as on xenstored's own socket.
Point the xenstore commands at it with XENSTORED_PATH. The socket defaults
to $XENSTORED_PATH. This is not a replacement for xenstored on a Xen host.
With the first example running, "XENSTORED_PATH=/tmp/xs.sock xgo xenstore
ls /tool" lists its tree.

EXAMPLES:
   xgo xenstored --socket /tmp/xs.sock &
   XENSTORED_PATH=/tmp/xs.sock xgo xenstored`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "socket", Aliases: []string{"s"}, Usage: "listen on the Unix socket `PATH` (default: $XENSTORED_PATH)"},
		},
		Action: func(c *cli.Context) error {
			if _, err := checkArgs(c, 0, 0); err != nil {
				return err
			}
			opts := xenstoredOptions{Socket: c.String("socket")}
			if opts.Socket == "" {
				opts.Socket = e.getenv("XENSTORED_PATH")
			}
			if opts.Socket == "" {
				return usagef("xenstored: no socket: give --socket PATH or set XENSTORED_PATH")
			}
			return runXenstored(c.Context, opts, e)
		},
	}
}

// runXenstored serves until ctx ends (Ctrl-C), then closes every
// connection and removes the socket.
func runXenstored(ctx context.Context, opts xenstoredOptions, e *env) error {
	var logMu sync.Mutex
	cfg := &xenstored.Config{}
	if e.global.Verbose {
		cfg.Logf = func(format string, args ...any) {
			logMu.Lock()
			defer logMu.Unlock()
			e.logf("xenstored: "+format, args...)
		}
	}
	srv := xenstored.New(cfg)
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe(opts.Socket) }()

	// Say when the socket is there, so a script can wait for the line.
	if err := waitForSocket(ctx, opts.Socket, errc); err != nil {
		srv.Close()
		return err
	}
	logMu.Lock()
	e.logf("xenstored: listening on %s", opts.Socket)
	logMu.Unlock()

	select {
	case err := <-errc:
		srv.Close()
		return err
	case <-ctx.Done():
		srv.Close()
		if err := <-errc; err != nil && !errors.Is(err, xenstored.ErrServerClosed) {
			return err
		}
		return nil
	}
}

// waitForSocket returns once path accepts connections, or the server's
// error if it failed to listen. (The socket file appears at bind, a moment
// before listen.)
func waitForSocket(ctx context.Context, path string, errc chan error) error {
	for {
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-errc:
			if err == nil {
				err = fmt.Errorf("xenstored: stopped before listening on %s", path)
			}
			errc <- err // for the caller's select
			return err
		case <-ctx.Done():
			return nil
		case <-time.After(5 * time.Millisecond):
		}
	}
}
