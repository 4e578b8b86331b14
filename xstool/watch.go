package xstool

import (
	"context"
	"errors"
	"fmt"

	"xgo.dev/xgo/xenstore"
)

// Watcher sets watches; a *xenstore.Conn is one.
type Watcher interface {
	Watch(ctx context.Context, path, token string) (*xenstore.Watch, error)
}

var _ Watcher = (*xenstore.Conn)(nil)

// Watch sets a watch on each path, its token the path as xenstore-watch
// does, calling set after each, and passes the events of all of them to
// fn in the order they arrive: count of them (0: no limit), or until ctx
// ends (the normal way to stop: nil) or a watch ends (an error). When it
// returns every watch is removed.
func Watch(ctx context.Context, c Watcher, paths []string, count int, set func(path string), fn func(xenstore.WatchEvent) error) error {
	done := make(chan struct{})
	var watches []*xenstore.Watch
	defer func() {
		close(done) // first release the forwarders, then unwatch
		for _, w := range watches {
			w.Close()
		}
	}()
	events := make(chan xenstore.WatchEvent)
	ended := make(chan error, len(paths))
	for _, p := range paths {
		w, err := c.Watch(ctx, p, p)
		if err != nil {
			return err
		}
		watches = append(watches, w)
		set(p)
		go func() {
			for ev := range w.Events() {
				select {
				case events <- ev:
				case <-done:
					return
				}
			}
			ended <- w.Err()
		}()
	}
	for n := 0; count == 0 || n < count; n++ {
		select {
		case <-ctx.Done():
			return nil
		case err := <-ended:
			if err == nil {
				err = errors.New("ended")
			}
			return fmt.Errorf("xenstore watch: %w", err)
		case ev := <-events:
			if err := fn(ev); err != nil {
				return err
			}
		}
	}
	return nil
}
