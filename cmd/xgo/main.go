package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// The first Ctrl-C cancels the context, which ends watch and
	// xenstored cleanly; once it has, the default handling is restored so
	// that a second Ctrl-C kills a command that does not stop. AfterFunc
	// starts no goroutine until then: in a PV dom0 every thread costs a
	// trip through Xen, and most commands are never interrupted.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
