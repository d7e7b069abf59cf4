package cdr

// State is the tracker's calls in progress, in a form that can be stored
// (JSON) and given back to Restore after a daemon restart.
type State struct {
	Calls    []*call    `json:"calls"`
	Channels []*channel `json:"channels"`
}

// State returns a snapshot of the calls in progress. The snapshot shares
// nothing with the tracker.
func (t *Tracker) State() State {
	var s State
	for _, c := range t.calls {
		cc := *c
		cc.members = nil
		cc.Legs = make([]*leg, len(c.Legs))
		for i, l := range c.Legs {
			ll := *l
			cc.Legs[i] = &ll
		}
		cc.Channels = append([]string(nil), c.Channels...)
		s.Calls = append(s.Calls, &cc)
	}
	for _, ch := range t.chans {
		cp := *ch
		cp.call = nil
		s.Channels = append(s.Channels, &cp)
	}
	return s
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
	}
}
