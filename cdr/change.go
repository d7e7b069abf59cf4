package cdr

import "time"

// ChangeKind is what happened to a call.
type ChangeKind int

// The changes Tracker.Apply and Tracker.Resync report.
const (
	// CallArrived: a call from a trunk reached the PBX (its first channel).
	CallArrived ChangeKind = iota + 1
	// LegRinging: a line (or a call flow, Leg.Kind "flow") took part in
	// the call and started ringing (a flow: the call entered it).
	LegRinging
	// LegAnswered: a line answered (or joined answered: a pickup, a
	// transfer target).
	LegAnswered
	// LegHungUp: a line's part ended; Leg.Status says how (ANSWER when it
	// had answered, else BUSY, NOANSWER, CANCEL, CONGESTION, CHANUNAVAIL,
	// PICKEDUP …).
	LegHungUp
	// DialledOut: a number outside the PBX was dialled for the call
	// (Number): a line's outbound call, or, with Forwarded, an inbound call
	// sent back out (forward, transfer to a number; Leg is its external leg).
	DialledOut
	// CallAnswered: someone other than the caller answered, the first time.
	CallAnswered
	// CallFinished: the call is over; Record is its record.
	CallFinished
)

var changeNames = [...]string{"", "call_arrived", "leg_ringing", "leg_answered", "leg_hungup", "dialled_out", "call_answered", "call_finished"}

// String names the change kind (call_arrived, leg_ringing …).
func (k ChangeKind) String() string {
	if k > 0 && int(k) < len(changeNames) {
		return changeNames[k]
	}
	return "unknown"
}

// Change is one thing that happened to a call. Changes of a call are
// numbered 1, 2, 3 … (Seq) in the order they happened, CallFinished last,
// so that receivers can order them and drop duplicates.
type Change struct {
	Kind ChangeKind
	Seq  int
	Time time.Time // Asterisk's time of the event
	Call CallInfo  // the call as it stands at this change
	// Leg is the line's (or flow's) part, for the Leg* changes and a
	// forwarded DialledOut; its ID is 0 otherwise.
	Leg LegInfo
	// Number is the number dialled out (DialledOut).
	Number    string
	Forwarded bool    // DialledOut of an inbound call
	Record    *Record // CallFinished
}

// CallInfo is what a change tells of its call.
type CallInfo struct {
	ID       uint64 // the main record's id
	Linkedid string
	Start    time.Time
	Inbound  bool // from a trunk
	// Caller is the caller's number (a line's number for calls from lines),
	// CallerName the name Asterisk shows; CallerLine is the calling line.
	Caller, CallerName, CallerLine string
	// Dialled is what the caller dialled: the DID of an inbound call.
	Dialled   string
	FlowExten string // the call flow's technical extension, if any
	IVRDigits string
	Tags      string // the custom_field
	CCCall    int
	CustomCDR [4]string
}

// LegInfo is what a change tells of a leg.
type LegInfo struct {
	ID     uint64 // the sub-record's id
	Kind   string // direct, group, queue, transfer, pickup, flow, external
	Exten  string // the line (or the flow's technical extension)
	UserID int
	Src    string // the number the line sees calling
	Dst    string // external legs: the number dialled
	Queue  string
	Start  time.Time
	Answer time.Time
	Hangup time.Time
	Status string
	// Recording is the leg's recording file, when it had one.
	Recording string
}

// emit records a change of c (Seq is c's next number).
func (t *Tracker) emit(kind ChangeKind, c *call, l *leg, at time.Time) *Change {
	c.Seq++
	t.changes = append(t.changes, Change{Kind: kind, Seq: c.Seq, Time: at, Call: t.callInfo(c)})
	ch := &t.changes[len(t.changes)-1]
	if l != nil {
		ch.Leg = legInfo(l)
	}
	return ch
}

func (t *Tracker) callInfo(c *call) CallInfo {
	v := c.vars()
	ci := CallInfo{ID: c.ID, Linkedid: c.Linkedid, Start: c.Start, FlowExten: v.FlowExten,
		IVRDigits: v.IVRDigits, Tags: v.Tags, CCCall: v.CCCall, CustomCDR: v.CustomCDR}
	if o := c.origin(); o != nil {
		ci.Inbound = o.Kind == kindTrunk
		ci.Caller, ci.CallerName, ci.Dialled = o.CallerNum, o.CallerName, o.Exten
		if o.Kind == kindExtension {
			ci.Caller, ci.CallerLine = o.Line.Number, o.Line.Number
		}
	}
	return ci
}

func legInfo(l *leg) LegInfo { return legInfoOf(l.Leg) }

func legInfoOf(l Leg) LegInfo {
	return LegInfo{ID: l.ID, Kind: l.Kind, Exten: l.Exten, UserID: l.DstUserID, Src: l.Src, Dst: l.Dst, Queue: l.Queue,
		Start: l.Start, Answer: l.Answer, Hangup: l.Hangup, Status: l.Status, Recording: l.RecordingPath}
}

// Records returns the records of the CallFinished changes.
func Records(changes []Change) []Record {
	var out []Record
	for i := range changes {
		if changes[i].Kind == CallFinished {
			out = append(out, *changes[i].Record)
		}
	}
	return out
}
