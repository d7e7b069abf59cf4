package webhook

import (
	"time"
)

// Delivery is one message for one client, kept in the outbox until it is
// delivered (then in the delivery log) or failed for good (then in the
// outbox, state failed, until retried or its client is deleted).
type Delivery struct {
	ID        uint64 `json:"id"`         // its outbox key (big-endian sequence)
	WebhookID string `json:"webhook_id"` // webhook-id: the same on every attempt
	Client    string `json:"client"`     // the client's name, or the target's
	Kind      string `json:"kind"`
	// CallID is the call (for call_end, the record) it is about. The
	// deliveries of one call to one client are sent in order: a later one
	// waits until the earlier one is delivered or failed for good.
	CallID    uint64  `json:"call_id,omitempty"`
	SubCallID uint64  `json:"sub_call_id,omitempty"`
	Seq       uint64  `json:"seq,omitempty"`   // the change's number within its call
	Event     string  `json:"event,omitempty"` // call_notify trigger or event type
	Params    *Params `json:"params,omitempty"`
	Target    *Target `json:"target,omitempty"` // events: where they go
	Fields    Fields  `json:"fields,omitempty"` // events: what they carry

	State    string    `json:"state"` // pending, failed, delivered
	Created  time.Time `json:"created"`
	Attempts int       `json:"attempts"`
	Next     time.Time `json:"next"` // pending: not before
	Last     *Attempt  `json:"last,omitempty"`
	Done     time.Time `json:"done,omitempty"` // delivered or failed for good
}

// Delivery states.
const (
	StatePending   = "pending"
	StateFailed    = "failed"
	StateDelivered = "delivered"
)

// Attempt is the outcome of a delivery's last attempt.
type Attempt struct {
	At       time.Time     `json:"at"`
	Duration time.Duration `json:"duration"`
	Reason   Reason        `json:"reason"`
	Status   int           `json:"status,omitempty"` // HTTP status
	Error    string        `json:"error,omitempty"`
}

// Target is a destination that is not a configured client: an extension
// event subscription's URL. Its events are sent form-encoded (GET: in the
// query, POST: in the body) on the default retry schedule.
type Target struct {
	// Name identifies the target: its deliveries share a concurrency limit
	// and go in order per call.
	Name   string `json:"name"`
	URL    string `json:"url"`
	Method string `json:"method"`
	Secret string `json:"secret,omitempty"`
}

// client is the target as a client of kind event.
func (t *Target) client(concurrency int) Client {
	return Client{Name: t.Name, Kind: kindEvent, URL: t.URL, Method: t.Method, Secret: t.Secret,
		Timeout: DefaultTimeout, Retry: DefaultRetry, Concurrency: concurrency}
}

// lane is the scheduler lane of d: its client, or its target.
func (d *Delivery) lane() string {
	if d.Kind == kindEvent && d.Target != nil {
		return "event/" + d.Target.Name
	}
	return d.Client
}

// CallEvent is a change of a call a call_notify client may be told about.
type CallEvent struct {
	CallID    uint64
	SubCallID uint64
	Seq       uint64 // its number within the call: 1, 2, 3 …
	Trigger   string // arrival, ring or answer
	Params    Params
}

// FormEvent is an event for a Target.
type FormEvent struct {
	CallID    uint64
	SubCallID uint64
	Seq       uint64
	Type      string
	Fields    Fields
}
