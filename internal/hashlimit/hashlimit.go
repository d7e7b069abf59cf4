// Package hashlimit bounds how many password hashes (bcrypt, ~60 ms of CPU
// each) are checked at once, process-wide, so that a flood of bad
// credentials neither starves the AMI reader and the CDR engine of CPU nor
// piles up without bound: a check waits for a slot only while its request
// lives, and only a few may wait.
package hashlimit

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
)

// ErrBusy is returned, at once, when too many checks already wait.
var ErrBusy = errors.New("hashlimit: too many password checks waiting")

// Limiter runs functions in a few slots with a bounded queue.
type Limiter struct {
	slots   chan struct{}
	queue   int64 // how many may wait
	waiting atomic.Int64
}

// New returns a Limiter of slots slots (at least one) letting at most
// queue calls wait.
func New(slots, queue int) *Limiter {
	return &Limiter{slots: make(chan struct{}, max(1, slots)), queue: int64(max(0, queue))}
}

// Default is the process's limiter: half the CPUs hash at once, and about
// a second of work (at ~60 ms a hash) may wait for them.
var Default = New(runtime.NumCPU()/2, 16*max(1, runtime.NumCPU()/2))

// Do runs f in Default's slots (see Limiter.Do).
func Do(ctx context.Context, f func() error) error { return Default.Do(ctx, f) }

// Do runs f when a slot is free. It returns ErrBusy without waiting if the
// queue is full, and ctx's error if ctx ends while waiting; f is not run
// in either case.
func (l *Limiter) Do(ctx context.Context, f func() error) error {
	select {
	case l.slots <- struct{}{}: // a free slot: no wait
	default:
		if l.waiting.Add(1) > l.queue {
			l.waiting.Add(-1)
			return ErrBusy
		}
		select {
		case l.slots <- struct{}{}:
			l.waiting.Add(-1)
		case <-ctx.Done():
			l.waiting.Add(-1)
			return ctx.Err()
		}
	}
	defer func() { <-l.slots }()
	if err := ctx.Err(); err != nil {
		return err // ended just as the slot came free
	}
	return f()
}

// Waiting is how many calls wait for a slot now.
func (l *Limiter) Waiting() int { return int(l.waiting.Load()) }
