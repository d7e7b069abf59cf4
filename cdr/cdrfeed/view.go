package cdrfeed

import (
	"context"
	"sync"

	"github.com/callctl/callctl/cdr"
)

// View is the CDR engine's live view: the calls in progress, built from
// the tracker's state when read (a call in progress keeps no copy of its
// view: listing calls is rarer than their events, and memory per call is
// what a busy PBX runs out of). The feed holds mu for writing while it
// changes the tracker; readers hold it for reading while they build. The
// calls handed out are the reader's own. Safe for concurrent use.
type View struct {
	mu      sync.RWMutex
	tracker *cdr.Tracker
	wmu     sync.Mutex // waiters; taken before mu
	waiters map[string][]chan *cdr.LiveCall
}

func newView(t *cdr.Tracker) *View {
	return &View{tracker: t, waiters: map[string][]chan *cdr.LiveCall{}}
}

// change runs fn, which changes the tracker, with the readers kept out.
func (v *View) change(fn func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fn()
}

// Calls returns the calls in progress, in no particular order.
func (v *View) Calls() []*cdr.LiveCall {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.tracker.Live()
}

// Len returns the number of calls in progress.
func (v *View) Len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.tracker.Len()
}

// Channel returns the call a live channel (by Asterisk uniqueid) is in.
func (v *View) Channel(uniqueid string) (*cdr.LiveCall, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.tracker.LiveOf(uniqueid)
}

// WaitChannel returns the call the channel uniqueid is in, waiting until
// the CDR engine has seen the channel or ctx ends.
func (v *View) WaitChannel(ctx context.Context, uniqueid string) (*cdr.LiveCall, error) {
	v.wmu.Lock()
	if c, ok := v.Channel(uniqueid); ok {
		v.wmu.Unlock()
		return c, nil
	}
	ch := make(chan *cdr.LiveCall, 1)
	v.waiters[uniqueid] = append(v.waiters[uniqueid], ch)
	v.wmu.Unlock()
	select {
	case c := <-ch:
		return c, nil
	case <-ctx.Done():
		v.wmu.Lock()
		ws := v.waiters[uniqueid]
		for i, w := range ws {
			if w == ch {
				ws = append(ws[:i], ws[i+1:]...)
				break
			}
		}
		if len(ws) == 0 {
			delete(v.waiters, uniqueid)
		} else {
			v.waiters[uniqueid] = ws
		}
		v.wmu.Unlock()
		// It may have arrived meanwhile.
		select {
		case c := <-ch:
			return c, nil
		default:
		}
		return nil, ctx.Err()
	}
}

// notify hands the waiters whose channel the tracker now has its call
// (the feed calls it after a burst of events: a cost per waiter, not per
// call).
func (v *View) notify() {
	v.wmu.Lock()
	defer v.wmu.Unlock()
	for id, ws := range v.waiters {
		if c, ok := v.Channel(id); ok {
			for _, w := range ws {
				w <- c
			}
			delete(v.waiters, id)
		}
	}
}
