package cdr

import (
	"path/filepath"
	"time"
)

// record builds the finished call's Record; it reports false for a call
// that has nothing of its own (all its channels moved to other calls, as the
// picking-up line's own call of a pickup).
func (t *Tracker) record(c *call) (Record, bool) {
	own := false
	for _, ch := range c.members {
		if ch.call == c && !ch.Moved {
			own = true
		}
	}
	if !own {
		return Record{}, false
	}
	o := c.origin()
	v := c.vars()
	r := Record{
		ID: c.ID, Linkedid: c.Linkedid, Start: c.Start, Hangup: c.hangupMax,
		IVRDigits: v.IVRDigits, CCCall: v.CCCall, Pincode: v.Pincode,
		CustomField: v.Tags, CustomCDR: v.CustomCDR, RecordingPath: v.Recording,
		Resynced: c.Resynced, Adopted: c.Adopted,
	}
	for _, ch := range c.members {
		r.Uniqueids = append(r.Uniqueids, ch.Uniqueid)
		if ch.Hungup.After(r.Hangup) {
			r.Hangup = ch.Hungup
		}
	}
	legs := sortedLegs(c)
	var answering *leg // the first line that answered
	for _, l := range legs {
		if l.Kind != KindFlow && l.Kind != KindExternal && !l.Answer.IsZero() && (answering == nil || l.Answer.Before(answering.Answer)) {
			answering = l
		}
	}
	trunk := t.firstTrunk(c, o)

	switch {
	case o != nil && o.Kind == kindTrunk: // inbound
		r.Direction = MissedInbound
		r.Src, r.Dst = o.CallerNum, o.Exten
		r.OtherPartyNumber = r.Src
		if answering != nil {
			r.Direction, r.Answer = Inbound, answering.Answer
			r.AnsweredBy, r.DstUserID = answering.Exten, answering.DstUserID
		}
		r.Exten = v.FlowExten
		if r.Exten == "" && answering != nil {
			r.Exten = answering.Exten
		}
		if r.Exten == "" {
			r.Exten = lastExten(legs)
		}
		if ln, ok := t.lineOf(c, r.AnsweredBy); ok {
			r.CostLocation, r.UserNumber = ln.CostLocation, ln.UserNumber
		}
	case o != nil && o.Kind == kindExtension && trunk == nil: // internal
		r.Internal, r.Direction = true, Outbound
		r.Src, r.SrcUserID, r.Exten = o.Line.Number, o.Line.UserID, o.Line.Number
		r.CostLocation, r.UserNumber = o.Line.CostLocation, o.Line.UserNumber
		r.Dst = o.Exten
		if answering != nil {
			r.Answer, r.AnsweredBy, r.DstUserID = answering.Answer, answering.Exten, answering.DstUserID
			if r.Dst == "" || r.Dst == "s" {
				r.Dst = answering.Exten
			}
		}
		r.OtherPartyNumber = r.Dst
	default: // outbound: a line, or an API dial, out through a trunk
		r.Direction = Outbound
		if o != nil && o.Kind == kindExtension {
			r.Src, r.SrcUserID, r.Exten = o.Line.Number, o.Line.UserID, o.Line.Number
			r.CostLocation, r.UserNumber = o.Line.CostLocation, o.Line.UserNumber
		} else if o != nil {
			r.Src = o.CallerNum
		}
		if trunk != nil {
			r.Dst = dialledNumber(trunk)
			r.Answer = trunk.Answered
			if !r.Answer.IsZero() {
				r.AnsweredBy = r.Dst
			}
		}
		r.OtherPartyNumber = r.Dst
	}
	r.LastExten = lastExten(legs)
	if r.LastExten == "" && o != nil && o.Kind == kindExtension {
		r.LastExten = o.Line.Number
	}
	r.Duration = seconds(r.Start, r.Hangup)
	if !r.Answer.IsZero() {
		r.Billsec = seconds(r.Answer, r.Hangup)
		r.Ringtime = seconds(r.Start, r.Answer)
	} else {
		r.Ringtime = r.Duration
	}
	if r.Direction == Outbound && !r.Internal && t.opts.Rates != nil {
		r.Price = t.opts.Rates.Price(r.Dst, r.Billsec)
	}
	if r.RecordingPath != "" {
		r.MonitorFileName = filepath.Base(r.RecordingPath)
	}
	r.HangupBy = t.hangupBy(c, o)

	for _, l := range legs {
		out := l.Leg
		if l.Open { // closed by the end of the call
			out.Hangup = r.Hangup
			out.HangupBy = r.HangupBy
		}
		if out.Hangup.IsZero() {
			out.Hangup = r.Hangup
		}
		out.Direction = MissedInbound
		if !out.Answer.IsZero() {
			out.Direction = Inbound
		}
		if r.Direction == Outbound && !r.Internal {
			out.Direction = Outbound
		}
		out.Duration = seconds(out.Start, out.Hangup)
		if !out.Answer.IsZero() {
			out.Billsec = seconds(out.Answer, out.Hangup)
			out.Ringtime = seconds(out.Start, out.Answer)
		} else {
			out.Ringtime = out.Duration
		}
		if out.RecordingPath != "" {
			out.MonitorFileName = filepath.Base(out.RecordingPath)
		}
		r.Legs = append(r.Legs, out)
	}
	return r, true
}

// firstTrunk returns the first trunk channel dialled in the call (not its origin).
func (t *Tracker) firstTrunk(c *call, o *channel) *channel {
	var first *channel
	for _, ch := range c.members {
		if ch != o && ch.Kind == kindTrunk && (first == nil || ch.Created.Before(first.Created)) {
			first = ch
		}
	}
	return first
}

// lineOf finds the line of an extension number among the call's channels.
func (t *Tracker) lineOf(c *call, number string) (Line, bool) {
	if number == "" {
		return Line{}, false
	}
	for _, ch := range c.members {
		if ch.Kind == kindExtension && ch.Line.Number == number {
			return ch.Line, true
		}
	}
	return Line{}, false
}

// lastExten is the extension of the last line that took part.
func lastExten(legs []*leg) string {
	for i := len(legs) - 1; i >= 0; i-- {
		if l := legs[i]; l.Kind != KindFlow && l.Kind != KindExternal && l.Exten != "" {
			return l.Exten
		}
	}
	return ""
}

// hangupBy says who ended the call. The first HangupRequest (a hangup
// coming from the device itself, not one Asterisk asked for) decides: on
// the caller's channel → caller; on an answered callee → callee. A call
// that was never answered and ended with the last dialled party refusing
// (busy, reject) → callee. Otherwise Asterisk ended it → system.
func (t *Tracker) hangupBy(c *call, o *channel) string {
	if c.ByAgent == "caller" {
		return ByCaller
	}
	if c.ByAgent == "agent" {
		return ByCallee
	}
	var first *channel
	var firstAt time.Time
	for _, ch := range c.members {
		if ch.call != c || ch.HangupReq.IsZero() {
			continue
		}
		upThen := !ch.Answered.IsZero() && ch.Answered.Before(ch.HangupReq)
		if ch != o && !upThen {
			continue
		}
		if first == nil || ch.HangupReq.Before(firstAt) {
			first, firstAt = ch, ch.HangupReq
		}
	}
	switch {
	case first == o && first != nil:
		return ByCaller
	case first != nil:
		return ByCallee
	}
	// Never answered: did the last party rung refuse?
	var last *channel
	for _, ch := range c.members {
		if ch.call == c && ch != o && ch.DialedBy != "" && (last == nil || ch.Created.After(last.Created)) {
			last = ch
		}
	}
	if last != nil && !last.HangupReq.IsZero() {
		return ByCallee
	}
	return BySystem
}
