package completion

import (
	"context"
	"time"
)

// CompleteWithin is Complete bounded by timeout: a hung xenstored, or a
// simulated host locked by another command, must not hang the shell, so
// running out of time gives no candidates, and so does a panic.
func CompleteWithin(ctx context.Context, timeout time.Duration, root *Command, globals []Flag, words []string, open Opener) Result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan Result, 1)
	go func() {
		defer func() {
			if recover() != nil {
				done <- Result{}
			}
		}()
		done <- Complete(ctx, root, globals, words, open)
	}()
	select {
	case r := <-done:
		return r
	case <-ctx.Done():
		return Result{}
	}
}
