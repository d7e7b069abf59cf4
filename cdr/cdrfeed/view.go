package cdrfeed

import (
	"context"
	"sync"

	"github.com/callctl/callctl/cdr"
)

// View is the CDR engine's live view: the calls in progress, each an
// immutable *cdr.LiveCall replaced when the call changes. The feed updates
// it once per burst of events, at a cost proportional to the calls that
// changed; readers copy pointers, never calls. Safe for concurrent use.
type View struct {
	mu      sync.RWMutex
	calls   map[string]*cdr.LiveCall // by linkedid
	chans   map[string]string        // live channel uniqueid → linkedid
	waiters map[string][]chan *cdr.LiveCall
}

func newView() *View {
	return &View{calls: map[string]*cdr.LiveCall{}, chans: map[string]string{}, waiters: map[string][]chan *cdr.LiveCall{}}
}

// Calls returns the calls in progress, in no particular order. The calls
// are shared: do not modify them.
func (v *View) Calls() []*cdr.LiveCall {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]*cdr.LiveCall, 0, len(v.calls))
	for _, c := range v.calls {
		out = append(out, c)
	}
	return out
}

// Len returns the number of calls in progress.
func (v *View) Len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.calls)
}

// Channel returns the call a live channel (by Asterisk uniqueid) is in.
func (v *View) Channel(uniqueid string) (*cdr.LiveCall, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	c := v.calls[v.chans[uniqueid]]
	return c, c != nil
}

// WaitChannel returns the call the channel uniqueid is in, waiting until
// the CDR engine has seen the channel or ctx ends.
func (v *View) WaitChannel(ctx context.Context, uniqueid string) (*cdr.LiveCall, error) {
	v.mu.Lock()
	if c := v.calls[v.chans[uniqueid]]; c != nil {
		v.mu.Unlock()
		return c, nil
	}
	ch := make(chan *cdr.LiveCall, 1)
	v.waiters[uniqueid] = append(v.waiters[uniqueid], ch)
	v.mu.Unlock()
	select {
	case c := <-ch:
		return c, nil
	case <-ctx.Done():
		v.mu.Lock()
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
		v.mu.Unlock()
		// It may have arrived meanwhile.
		select {
		case c := <-ch:
			return c, nil
		default:
		}
		return nil, ctx.Err()
	}
}

// update applies changed calls.
func (v *View) update(changes []cdr.Changed) {
	if len(changes) == 0 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, ch := range changes {
		if old := v.calls[ch.Linkedid]; old != nil {
			for _, lc := range old.Channels {
				if v.chans[lc.Uniqueid] == ch.Linkedid {
					delete(v.chans, lc.Uniqueid)
				}
			}
		}
		if ch.Live == nil {
			delete(v.calls, ch.Linkedid)
			continue
		}
		v.calls[ch.Linkedid] = ch.Live
		for _, lc := range ch.Live.Channels {
			v.chans[lc.Uniqueid] = ch.Linkedid
			if ws, ok := v.waiters[lc.Uniqueid]; ok {
				for _, w := range ws {
					w <- ch.Live
				}
				delete(v.waiters, lc.Uniqueid)
			}
		}
	}
}
