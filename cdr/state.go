package cdr

// State is the tracker's calls in progress, in a form that can be stored
// (JSON) and given back to Restore after a daemon restart.
type State struct {
	Calls    []*call    `json:"calls"`
	Channels []*channel `json:"channels"`
}

// CallState is one call in progress as stored: the call and its channels.
// The daemon keeps one per call and rewrites only those that changed
// (TakeUnsaved).
type CallState struct {
	Call     *call      `json:"call"`
	Channels []*channel `json:"channels"`
}

// Add appends one call's state to s.
func (s *State) Add(cs CallState) {
	if cs.Call == nil {
		return
	}
	s.Calls = append(s.Calls, cs.Call)
	s.Channels = append(s.Channels, cs.Channels...)
}

// State returns a snapshot of the calls in progress. The snapshot shares
// nothing with the tracker.
func (t *Tracker) State() State {
	var s State
	for _, c := range t.calls {
		s.Add(*t.saved(c))
	}
	return s
}

// saved copies one call and its channels out of the tracker.
func (t *Tracker) saved(c *call) *CallState {
	cc := *c
	cc.members, cc.unsaved = nil, false
	if c.Vars != nil {
		v := *c.Vars
		cc.Vars = &v
	}
	cc.Legs = make([]*leg, len(c.Legs))
	for i, l := range c.Legs {
		ll := *l
		cc.Legs[i] = &ll
	}
	cc.Channels = append([]string(nil), c.Channels...)
	cs := &CallState{Call: &cc}
	for _, ch := range c.members {
		if ch.call != c {
			continue // moved to another call: saved with that one
		}
		cp := *ch
		cp.call = nil
		cp.Former = append([]string(nil), ch.Former...)
		cs.Channels = append(cs.Channels, &cp)
	}
	return cs
}

// Restore loads the calls of a State into an empty tracker. Call Resync
// next: what ended while callctl was stopped is closed then.
func (t *Tracker) Restore(s State) {
	for _, c := range s.Calls {
		t.calls[c.Linkedid] = c
		c.members = nil
	}
	for _, ch := range s.Channels {
		c := t.calls[ch.Linkedid]
		if c == nil {
			continue
		}
		ch.call = c
		t.chans[ch.Uniqueid] = ch
		if ch.Kind == kindLocal && ch.live() {
			t.local[ch.Name] = ch
		}
	}
	// Rebuild each call's members in their original order.
	for _, c := range t.calls {
		for _, id := range c.Channels {
			if ch := t.chans[id]; ch != nil && ch.call == c {
				c.members = append(c.members, ch)
			}
		}
		for _, ch := range c.members {
			if ch.Hungup.After(c.hangupMax) {
				c.hangupMax = ch.Hungup
			}
		}
		t.touch(c)
	}
}

// Linkedids returns the linkedids of the calls in progress.
func (t *Tracker) Linkedids() []string {
	out := make([]string, 0, len(t.calls))
	for id := range t.calls {
		out = append(out, id)
	}
	return out
}
