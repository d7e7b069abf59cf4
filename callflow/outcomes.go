package callflow

import (
	"sync"
	"time"
)

// Result is what became of a call callctl started.
type Result string

// Results.
const (
	ResultPending  Result = "pending"  // Asterisk has not said yet
	ResultAnswered Result = "answered" // the originated channel answered
	ResultFailed   Result = "failed"   // it did not (Reason says how)
	ResultUnknown  Result = "unknown"  // Asterisk never said (ring time and a margin passed, or the AMI session ended)
)

// Outcome is what became of a call callctl started.
type Outcome struct {
	Action Action
	Ref    CallRef
	// Destination is the number a click-to-call dials once its line
	// answers.
	Destination string
	Result      Result
	// Reason is why a call failed (no channel, hung up, no answer, busy,
	// congestion), or why its outcome is unknown.
	Reason  string
	Started time.Time
	Ended   time.Time // zero while pending
}

// maxOutcomes bounds the table of recent outcomes.
const maxOutcomes = 4096

// outcomes is a bounded table of the recent outcomes by CDR id: the oldest
// entry gives way to a new one.
type outcomes struct {
	mu   sync.Mutex
	max  int
	byID map[uint64]Outcome
	ring []uint64 // insertion order, ring buffer of max ids
	next int
}

func newOutcomes(max int) *outcomes {
	return &outcomes{max: max, byID: make(map[uint64]Outcome, max), ring: make([]uint64, 0, max)}
}

// put adds or updates the outcome of o.Ref.CallID (0: not kept, as no one
// can ask for it).
func (t *outcomes) put(o Outcome) {
	id := o.Ref.CallID
	if id == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.byID[id]; !ok {
		if len(t.ring) < t.max {
			t.ring = append(t.ring, id)
		} else {
			delete(t.byID, t.ring[t.next])
			t.ring[t.next] = id
			t.next = (t.next + 1) % t.max
		}
	}
	t.byID[id] = o
}

func (t *outcomes) get(id uint64) (Outcome, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	o, ok := t.byID[id]
	return o, ok
}
