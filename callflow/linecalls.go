package callflow

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/pbx"
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
	isLine := func(number string) bool {
		_, err := c.Directory.Find(pbx.Selector{InternalNumber: number})
		return err == nil || errors.Is(err, pbx.ErrAmbiguous)
	}
	out := []LineCall{}
	for _, call := range c.Live.Calls() {
		for _, lc := range lineCalls(call, line.Number) {
			if !lc.Inbound && !numberRE.MatchString(lc.OtherNumber) {
				// A click-to-call's line rings before anything is
				// dialled (its exten is s).
				if o, ok := c.outcomes.get(call.ID); ok && o.Destination != "" {
					lc.OtherNumber = o.Destination
				}
			}
			lc.External = call.Inbound && lc.Inbound || !lc.Inbound && !isLine(lc.OtherNumber)
			out = append(out, lc)
		}
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
// External is left to the caller.
func lineCalls(call *cdr.LiveCall, line string) []LineCall {
	var out []LineCall
	if own := lineChannel(call, line); !call.Inbound && call.Caller == line && own != nil {
		out = append(out, LineCall{ID: call.ID, CallID: call.ID, OtherNumber: call.Dialled, Start: call.Start, Answer: call.Answered})
	}
	for _, leg := range call.Legs {
		if leg.Exten != line || leg.Kind == cdr.KindFlow || leg.Kind == cdr.KindExternal {
			continue
		}
		out = append(out, LineCall{ID: leg.ID, CallID: call.ID, Inbound: true, OtherNumber: call.Caller, Start: leg.Start, Answer: leg.Answer})
	}
	return out
}

// lineChannel is the line's channel in the call, nil if none.
func lineChannel(call *cdr.LiveCall, line string) *cdr.LiveChannel {
	for i := range call.Channels {
		if call.Channels[i].Line == line {
			return &call.Channels[i]
		}
	}
	return nil
}
