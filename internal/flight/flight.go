// Package flight runs one call per key at a time; callers that ask for a
// key already in flight wait for its result instead of running their own
// (a "single flight").
package flight

import (
	"context"
	"errors"
	"sync"
)

// Group is a set of calls in flight by key. The zero value is ready.
type Group[K comparable] struct {
	mu    sync.Mutex
	calls map[K]*call
}

type call struct {
	done chan struct{}
	err  error
}

// Do runs f for key, or waits for the run of key already in flight and
// returns its error. A waiter whose ctx ends returns ctx's error (the run
// goes on for the others). f is run with the caller's ctx; if it fails
// because the leader's ctx ended while this waiter's has not, the waiter
// runs f again itself.
func (g *Group[K]) Do(ctx context.Context, key K, f func(context.Context) error) error {
	for {
		g.mu.Lock()
		c, inFlight := g.calls[key]
		if !inFlight {
			c = &call{done: make(chan struct{})}
			if g.calls == nil {
				g.calls = map[K]*call{}
			}
			g.calls[key] = c
		}
		g.mu.Unlock()

		if !inFlight {
			c.err = f(ctx)
			g.mu.Lock()
			delete(g.calls, key)
			g.mu.Unlock()
			close(c.done)
			return c.err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.done:
		}
		if (errors.Is(c.err, context.Canceled) || errors.Is(c.err, context.DeadlineExceeded)) && ctx.Err() == nil {
			continue // the leader gave up, not this caller
		}
		return c.err
	}
}
