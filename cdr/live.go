package cdr

import "time"

// LiveCall is a call in progress, as the API shows it. A LiveCall handed
// out by the tracker is never modified afterwards: a change to the call
// makes a new one.
type LiveCall struct {
	ID       uint64 // the main record's id, fixed for the whole call
	Linkedid string
	Start    time.Time
	Inbound  bool   // it came from a trunk
	Internal bool   // only lines so far
	Caller   string // the caller's number (a line's number for calls from lines)
	Dialled  string // the number the caller dialled
	// Answered is when a channel other than the caller's first answered
	// (kept after that channel hung up); zero while the call rings.
	Answered time.Time
	Channels []LiveChannel
	Legs     []LiveLeg // the lines taking part now
}

// LiveChannel is one channel of a live call.
type LiveChannel struct {
	Name     string
	Uniqueid string
	Created  time.Time
	Answered time.Time
	State    string
	Context  string
	Exten    string
	// Endpoint is the device; Line is set for extensions, Trunk for trunks.
	Endpoint string
	Line     string
	Trunk    bool
	// Peer is the number on the other end as Asterisk shows it.
	Peer   string
	Bridge string
}

// LiveLeg is a line's part in a live call.
type LiveLeg struct {
	ID     uint64 // the sub-record's id
	Kind   string
	Exten  string
	Start  time.Time
	Answer time.Time // zero while ringing
}

// TakeUnsaved reports every call whose state changed since the last
// TakeUnsaved, with a copy of its state to keep across a daemon restart
// (nil when the call is over), once each, and forgets them.
func (t *Tracker) TakeUnsaved(fn func(linkedid string, s *CallState)) {
	for _, c := range t.unsaved {
		c.unsaved = false
		var s *CallState
		if t.calls[c.Linkedid] == c {
			s = t.saved(c)
		}
		fn(c.Linkedid, s)
	}
	clear(t.unsaved)
	t.unsaved = t.unsaved[:0]
}

// Len returns the number of calls in progress.
func (t *Tracker) Len() int { return len(t.calls) }

// LiveOf returns the live view, built anew, of the call the live channel
// uniqueid is in.
func (t *Tracker) LiveOf(uniqueid string) (*LiveCall, bool) {
	ch := t.chans[uniqueid]
	if ch == nil || ch.call == nil || !ch.live() || t.calls[ch.call.Linkedid] != ch.call {
		return nil, false
	}
	return t.live(ch.call), true
}

// Live returns the live view of every call in progress, built anew.
func (t *Tracker) Live() []*LiveCall {
	out := make([]*LiveCall, 0, len(t.calls))
	for _, c := range t.calls {
		out = append(out, t.live(c))
	}
	return out
}

// live builds the live view of one call.
func (t *Tracker) live(c *call) *LiveCall {
	lc := &LiveCall{ID: c.ID, Linkedid: c.Linkedid, Start: c.Start}
	if o := c.origin(); o != nil {
		lc.Inbound = o.Kind == kindTrunk
		lc.Caller = o.CallerNum
		if o.Kind == kindExtension {
			lc.Caller = o.Line.Number
		}
		lc.Dialled = o.Exten
	}
	lc.Internal = !lc.Inbound
	origin := c.origin()
	n := 0
	for _, ch := range c.members {
		if ch.call != c {
			continue
		}
		if ch != origin && !ch.Answered.IsZero() && (lc.Answered.IsZero() || ch.Answered.Before(lc.Answered)) {
			lc.Answered = ch.Answered
		}
		if ch.live() {
			n++
		}
	}
	lc.Channels = make([]LiveChannel, 0, n)
	for _, ch := range c.members {
		if ch.call != c || !ch.live() {
			continue
		}
		if ch.Kind == kindTrunk && !lc.Inbound {
			lc.Internal = false
			if d := dialledNumber(ch); d != "" {
				lc.Dialled = d
			}
		}
		lc.Channels = append(lc.Channels, LiveChannel{
			Name: ch.Name, Uniqueid: ch.Uniqueid, Created: ch.Created, Answered: ch.Answered,
			State: ch.State, Context: ch.Context, Exten: ch.Exten, Endpoint: ch.Endpoint,
			Line: ch.Line.Number, Trunk: ch.Kind == kindTrunk, Peer: ch.Connected, Bridge: ch.Bridge,
		})
	}
	for _, l := range c.Legs {
		if l.Open {
			lc.Legs = append(lc.Legs, LiveLeg{ID: l.ID, Kind: l.Kind, Exten: l.Exten, Start: l.Start, Answer: l.Answer})
		}
	}
	return lc
}
