package phone

import (
	"context"
	"fmt"
	"time"
)

// EventKind names what happened.
type EventKind string

// Event kinds. Event.By tells which side did it: for EventInvite By is Remote
// on an incoming call and Local on an outgoing one, and so on.
const (
	EventRegistered   EventKind = "registered"   // REGISTER accepted
	EventUnregistered EventKind = "unregistered" // REGISTER with Expires 0 accepted
	EventInvite       EventKind = "invite"       // initial INVITE; Detail "from -> to"
	EventRinging      EventKind = "ringing"      // 180/183 sent (By Local) or received (By Remote)
	EventAnswered     EventKind = "answered"     // 200 sent and ACKed, or 200 received and ACKed
	EventRejected     EventKind = "rejected"     // final non-2xx answer; Detail "486 Busy Here"
	EventCancel       EventKind = "cancel"       // CANCEL of a ringing call
	EventBye          EventKind = "bye"          // BYE of an answered call
	EventFailed       EventKind = "failed"       // call ended by an error; Detail says which
	EventReinvite     EventKind = "reinvite"     // re-INVITE; Detail is the offered direction
	EventUpdate       EventKind = "update"       // UPDATE received
	EventDTMF         EventKind = "dtmf"         // one DTMF digit as SIP INFO; Detail is the digit
	EventRefer        EventKind = "refer"        // REFER sent; Detail "Refer-To -> 202 Accepted"
	EventNotify       EventKind = "notify"       // NOTIFY received; Detail is Event and body's first line
)

// Side says who did something.
type Side string

// Sides.
const (
	Local  Side = "local"  // this phone
	Remote Side = "remote" // the other end (Asterisk)
)

// Event is one thing the phone saw or did.
type Event struct {
	Time   time.Time
	Kind   EventKind
	By     Side
	CallID string // SIP Call-ID, empty for registrations
	Detail string
}

func (e Event) String() string {
	s := fmt.Sprintf("%s %s by %s", e.Time.Format("15:04:05.000"), e.Kind, e.By)
	if e.CallID != "" {
		s += " call " + e.CallID
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// record appends an event and wakes up WaitEvent callers.
func (p *Phone) record(kind EventKind, by Side, callID, detail string) {
	p.mu.Lock()
	p.events = append(p.events, Event{Time: time.Now(), Kind: kind, By: by, CallID: callID, Detail: detail})
	close(p.eventsChanged)
	p.eventsChanged = make(chan struct{})
	p.mu.Unlock()
}

// Events returns a copy of everything recorded so far, oldest first.
func (p *Phone) Events() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Event(nil), p.events...)
}

// WaitEvent returns the first event, recorded before or after the call,
// for which match returns true.
func (p *Phone) WaitEvent(ctx context.Context, match func(Event) bool) (Event, error) {
	seen := 0
	for {
		p.mu.Lock()
		events := p.events[seen:]
		seen = len(p.events)
		changed := p.eventsChanged
		p.mu.Unlock()
		for _, e := range events {
			if match(e) {
				return e, nil
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Event{}, fmt.Errorf("phone %s: waiting for an event: %w", p.cfg.User, ctx.Err())
		}
	}
}
