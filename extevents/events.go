package extevents

import (
	"strconv"
	"time"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/webhook"
)

// Call flows: IN for a call the extension receives, OUT for one it makes.
const (
	FlowIn  = "IN"
	FlowOut = "OUT"
)

// role is an extension's part in the event of a change.
type role int

const (
	// asLine: the change's leg is the extension's (it rings, answers, ends).
	asLine role = iota + 1
	// asCaller: the extension made the call.
	asCaller
	// asForwarder: the call came in for the extension and is forwarded out
	// of the PBX (the change's leg is the external one).
	asForwarder
)

// occurrence is one event a change gives: which extension, which type.
type occurrence struct {
	Exten string // the extension's number
	Type  string
	Role  role
}

// occurrences are the events a change gives, whether or not anybody
// subscribed to them.
func (s *Service) occurrences(c *cdr.Change) []occurrence {
	var out []occurrence
	add := func(exten, typ string, r role) {
		if exten != "" {
			out = append(out, occurrence{Exten: exten, Type: typ, Role: r})
		}
	}
	caller := c.Call.CallerLine
	line := c.Leg.ID != 0 && c.Leg.Kind != cdr.KindFlow && c.Leg.Kind != cdr.KindExternal &&
		c.Leg.Exten != caller // the owner's own leg gives no events
	external := c.Leg.ID != 0 && c.Leg.Kind == cdr.KindExternal
	if caller != "" && c.Seq == 1 {
		add(caller, DialOut, asCaller)
	}
	switch c.Kind {
	case cdr.LegRinging:
		if line {
			add(c.Leg.Exten, DialIn, asLine)
		}
	case cdr.LegAnswered:
		if line {
			add(c.Leg.Exten, Answer, asLine)
		} else if external && c.Call.Inbound {
			add(s.forwarder(c), Answer, asForwarder)
		}
	case cdr.LegHungUp:
		if line {
			add(c.Leg.Exten, Hangup, asLine)
		} else if external && c.Call.Inbound {
			add(s.forwarder(c), Hangup, asForwarder)
		}
	case cdr.DialledOut:
		if c.Forwarded && external {
			add(s.forwarder(c), DialOut, asForwarder)
		}
	case cdr.CallAnswered:
		if caller != "" {
			add(caller, Answer, asCaller)
		}
	case cdr.CallFinished:
		if caller != "" {
			add(caller, Hangup, asCaller)
		}
	}
	return out
}

// forwarder is the extension an inbound call came in for: the one whose
// public number (or internal number) was dialled.
func (s *Service) forwarder(c *cdr.Change) string {
	if id, ok := s.exts.byPublic[c.Call.Dialled]; ok {
		return s.exts.byID[id]
	}
	if _, ok := s.exts.byNumber[c.Call.Dialled]; ok {
		return c.Call.Dialled
	}
	return ""
}

// Wants reports, without I/O, whether c gives an event somebody
// subscribed to.
func (s *Service) Wants(c *cdr.Change) bool {
	idx := *s.idx.Load()
	if len(idx) == 0 {
		return false
	}
	for _, o := range s.occurrences(c) {
		if idx[o.Exten][o.Type] {
			return true
		}
	}
	return false
}

// Enqueue queues the events of c for their subscriptions, inside tx (the
// CDR engine's commit transaction).
func (s *Service) Enqueue(tx *store.Tx, c *cdr.Change) error {
	idx := *s.idx.Load()
	for _, o := range s.occurrences(c) {
		if !idx[o.Exten][o.Type] {
			continue
		}
		id := s.exts.byNumber[o.Exten]
		subs, err := list(tx, func(sub *Subscription) bool { return sub.ExtensionID == id && sub.EventType == o.Type })
		if err != nil {
			return err
		}
		if len(subs) == 0 {
			continue
		}
		ev := webhook.FormEvent{CallID: c.Call.ID, SubCallID: subCallID(c, o), Seq: uint64(c.Seq), Type: o.Type,
			Fields: s.fields(c, o)}
		for i := range subs {
			if err := s.out.EnqueueEvent(tx, targetOf(&subs[i]), ev); err != nil {
				return err
			}
		}
	}
	return nil
}

func subCallID(c *cdr.Change, o occurrence) uint64 {
	if o.Role == asCaller {
		return c.Call.ID
	}
	return c.Leg.ID
}

// fields are the event's form fields, in the order of the README's table.
func (s *Service) fields(c *cdr.Change, o occurrence) webhook.Fields {
	str := webhook.StringField
	yesNo := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	flow, calledExt, calledNum := FlowIn, o.Exten, o.Exten
	if o.Role != asLine {
		flow, calledExt, calledNum = FlowOut, "", c.Call.Dialled
		switch {
		case c.Kind == cdr.DialledOut:
			calledNum = c.Number
		case c.Kind == cdr.CallFinished && c.Record != nil:
			calledNum = c.Record.Dst
		case o.Role == asForwarder:
			calledNum = c.Leg.Dst
		case c.Leg.ID != 0 && c.Leg.Kind != cdr.KindExternal && c.Leg.Kind != cdr.KindFlow:
			calledNum = c.Leg.Exten
		case calledNum == "s":
			calledNum = "" // an API call's start: the number is not known yet
		}
		if _, ok := s.exts.byNumber[calledNum]; ok {
			calledExt = calledNum
		}
	}
	calledExtID := ""
	if id, ok := s.exts.byNumber[calledExt]; ok && calledExt != "" {
		calledExtID = strconv.Itoa(id)
	}
	did := ""
	if c.Call.Inbound {
		did = c.Call.Dialled
	}
	fs := webhook.Fields{
		str("EventType", o.Type),
		str("CallID", strconv.FormatUint(c.Call.ID, 10)),
		str("SubCallID", strconv.FormatUint(subCallID(c, o), 10)),
		str("CallerIDNum", c.Call.Caller),
		str("CallerIDName", c.Call.CallerName),
		str("CalledDID", did),
		str("CalledExtension", calledExt),
		str("CalledExtensionID", calledExtID),
		str("CallerExtension", c.Call.CallerLine),
		str("CalledNumber", calledNum),
		str("CallFlow", flow),
		str("CallStatus", s.status(c, o)),
		str("EventTime", micros(c.Time)),
	}
	if o.Type == Hangup {
		dur, bridged, rec := s.ending(c, o)
		fs = append(fs, str("Duration", dur), str("Bridged", yesNo(bridged)))
		fs = append(fs, str("Transfered", yesNo(o.Role == asForwarder)), str("RecID", rec))
	} else {
		fs = append(fs, str("Transfered", yesNo(o.Role == asForwarder)))
	}
	return fs
}

// micros is t in microseconds since the Unix epoch.
func micros(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}

// status is the event's CallStatus: CALLING for dial-in and dial-out,
// ANSWER for answer, and on hangup how it ended.
func (s *Service) status(c *cdr.Change, o occurrence) string {
	switch o.Type {
	case DialIn, DialOut:
		return "CALLING"
	case Answer:
		return "ANSWER"
	}
	if o.Role != asCaller {
		return dialStatus(c.Leg.Status, !c.Leg.Answer.IsZero())
	}
	r := c.Record
	switch {
	case r == nil:
		return "CANCEL"
	case !r.Answer.IsZero():
		return "ANSWER"
	}
	// An internal call that nobody answered: its last line's status.
	for i := len(r.Legs) - 1; i >= 0; i-- {
		if l := r.Legs[i]; l.Kind != cdr.KindFlow && l.Status != "" {
			return dialStatus(l.Status, false)
		}
	}
	switch r.HangupBy {
	case "callee":
		return "BUSY" // the other side refused before answering
	case "system":
		return "CONGESTION"
	}
	return "CANCEL"
}

// dialStatus is a leg's status as the events name it; others (PICKEDUP:
// another line took the call) are CANCEL.
func dialStatus(st string, answered bool) string {
	switch st {
	case "ANSWER", "BUSY", "NOANSWER", "CANCEL", "CONGESTION", "CHANUNAVAIL":
		return st
	case "":
		if answered {
			return "ANSWER"
		}
	}
	return "CANCEL"
}

// ending is a hangup's Duration (microseconds from the start of the leg,
// or of the call for its caller, to the hangup), whether it was answered
// (Bridged), and the signed reference of its recording (RecID).
func (s *Service) ending(c *cdr.Change, o occurrence) (dur string, bridged bool, rec string) {
	var start, end time.Time
	var path string
	var legID uint64
	if o.Role == asCaller && c.Record != nil {
		r := c.Record
		start, end, bridged, path = r.Start, r.Hangup, !r.Answer.IsZero(), r.RecordingPath
	} else {
		start, end, bridged, path, legID = c.Leg.Start, c.Leg.Hangup, !c.Leg.Answer.IsZero(), c.Leg.Recording, c.Leg.ID
	}
	if end.IsZero() {
		end = c.Time
	}
	d := int64(0)
	if !start.IsZero() && end.After(start) {
		d = end.Sub(start).Microseconds()
	}
	if path != "" && s.out != nil {
		rec = s.out.RecordingRef(c.Call.ID, legID, c.Time)
	}
	return strconv.FormatInt(d, 10), bridged, rec
}
