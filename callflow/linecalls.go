package callflow

import (
	"context"
	"sort"
	"time"

	"github.com/callctl/callctl/cdr"
)

// LineCall is one call a line is in now, from the line's side.
type LineCall struct {
	// ID is the line's sub-record of the call (the main record's id when
	// the line made the call: the caller has no sub-record).
	ID     uint64
	CallID uint64 // the call's main record
	// Inbound: the line was called (or rung by a group, queue, transfer);
	// else it made the call.
	Inbound bool
	// External: the other party is outside the PBX (a trunk's caller, or
	// a number dialled out); else it is a line.
	External bool
	// OtherNumber is the other party's number (a line's number, or a
	// telephone number).
	OtherNumber string
	Start       time.Time
	Answer      time.Time // zero while it rings
}

// LineCalls returns the calls the line is in now, from the CDR engine's
// live view, oldest first; none is an empty list.
func (c *Calls) LineCalls(ctx context.Context, sel LineSelector) ([]LineCall, error) {
	line, err := c.findLine(sel, FieldSource, FieldSourceDialplan)
	if err != nil {
		return nil, err
	}
	out := []LineCall{}
	for _, call := range c.Live.Calls() {
		out = append(out, lineCalls(call, line.Number)...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// lineCalls are the parts line takes in one call: as its caller (while
// its channel is in the call), and in each open sub-record of it.
func lineCalls(call *cdr.LiveCall, line string) []LineCall {
	var out []LineCall
	if !call.Inbound && call.Caller == line && hasLine(call, line) {
		lc := LineCall{ID: call.ID, CallID: call.ID, External: !call.Internal, OtherNumber: call.Dialled, Start: call.Start}
		// Answered when a channel other than the caller's answered (a
		// click-to-call's source line answers first: that is not it).
		for _, ch := range call.Channels {
			if ch.Line != line && !ch.Answered.IsZero() && (lc.Answer.IsZero() || ch.Answered.Before(lc.Answer)) {
				lc.Answer = ch.Answered
			}
		}
		out = append(out, lc)
	}
	for _, leg := range call.Legs {
		if leg.Exten != line || leg.Kind == cdr.KindFlow || leg.Kind == cdr.KindExternal {
			continue
		}
		out = append(out, LineCall{ID: leg.ID, CallID: call.ID, Inbound: true, External: call.Inbound,
			OtherNumber: call.Caller, Start: leg.Start, Answer: leg.Answer})
	}
	return out
}

func hasLine(call *cdr.LiveCall, line string) bool {
	for _, ch := range call.Channels {
		if ch.Line == line {
			return true
		}
	}
	return false
}
