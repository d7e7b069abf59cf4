package cdr

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Line is what the CDR needs to know of an extension.
type Line struct {
	Number       string
	UserID       int
	CostLocation string
	UserNumber   string
}

// Directory tells the tracker what a device (PJSIP endpoint) is.
type Directory interface {
	// Line returns the extension whose endpoint is name.
	Line(endpoint string) (Line, bool)
	// IsTrunk reports whether the endpoint is a trunk to a carrier.
	IsTrunk(endpoint string) bool
	// QueueID returns the call-center id of a queue for cc_call (0: none).
	QueueID(queue string) int
}

// IDSource hands out record ids (main and sub-records share the sequence).
type IDSource interface {
	NextID() uint64
}

// Options configure a Tracker.
type Options struct {
	Directory Directory
	IDs       IDSource
	Rates     *RateTable // nil: every price is 0
}

// Tracker follows calls from AMI events and emits each finished call as a
// Record. It is not safe for concurrent use: one goroutine applies events,
// and readers get copies (Live, State).
type Tracker struct {
	opts  Options
	calls map[string]*call    // by linkedid
	chans map[string]*channel // by uniqueid
	local map[string]*channel // Local channels by name, to pair ;1 and ;2
	// changes are what the current Apply or Resync reports.
	changes []Change
	// unsaved are the calls whose state changed since TakeUnsaved last ran.
	unsaved []*call
}

// call is one call: the channels that share a linkedid.
type call struct {
	ID        uint64     `json:"id"`
	Linkedid  string     `json:"linkedid"`
	Start     time.Time  `json:"start"`
	Channels  []string   `json:"channels"` // uniqueids of every channel that took part, in order
	Legs      []*leg     `json:"legs"`
	Vars      *callVars  `json:"vars,omitempty"`     // nil until one is set: most calls set none
	ByAgent   string     `json:"by_agent,omitempty"` // AgentComplete's Reason: caller or agent
	Seq       int        `json:"seq,omitempty"`      // changes reported so far
	hangupMax time.Time  // latest hangup seen
	members   []*channel // the channels, as pointers (rebuilt on restore)
	Adopted   bool       `json:"adopted,omitempty"`
	Resynced  bool       `json:"resynced,omitempty"`
	Answered  bool       `json:"answered,omitempty"` // CallAnswered reported
	unsaved   bool       // in Tracker.unsaved
}

// vars returns the call's variables (zero when none was set).
func (c *call) vars() callVars {
	if c.Vars == nil {
		return callVars{}
	}
	return *c.Vars
}

// setVars returns the call's variables to change, made on first use.
func (c *call) setVars() *callVars {
	if c.Vars == nil {
		c.Vars = &callVars{}
	}
	return c.Vars
}

type callVars struct {
	FlowExten string    `json:"flow_exten,omitempty"`
	IVRDigits string    `json:"ivr_digits,omitempty"`
	Tags      string    `json:"tags,omitempty"`
	CCCall    int       `json:"cc_call,omitempty"`
	Pincode   string    `json:"pincode,omitempty"`
	CustomCDR [4]string `json:"custom_cdr"`
	Recording string    `json:"recording,omitempty"`
}

type chanKind uint8

const (
	kindOther chanKind = iota
	kindExtension
	kindTrunk
	kindLocal
)

// channel is one Asterisk channel.
type channel struct {
	Uniqueid   string    `json:"uniqueid"`
	Name       string    `json:"name"`
	Linkedid   string    `json:"linkedid"`
	Endpoint   string    `json:"endpoint,omitempty"`
	Line       Line      `json:"line"`
	Created    time.Time `json:"created"`
	Answered   time.Time `json:"answered"`
	Hungup     time.Time `json:"hungup"`
	HangupReq  time.Time `json:"hangup_req"` // first HangupRequest (from its own side)
	State      string    `json:"state"`
	CallerNum  string    `json:"caller_num,omitempty"`
	CallerName string    `json:"caller_name,omitempty"`
	Connected  string    `json:"connected_num,omitempty"`
	Context    string    `json:"context,omitempty"`
	Exten      string    `json:"exten,omitempty"` // the dialled number when it was created
	DialedBy   string    `json:"dialed_by,omitempty"`
	DialString string    `json:"dial_string,omitempty"`
	Queue      string    `json:"queue,omitempty"` // the queue it waits in
	Bridge     string    `json:"bridge,omitempty"`
	Recording  string    `json:"recording,omitempty"`
	Former     []string  `json:"former,omitempty"` // linkedids of the calls it left
	LegIdx     int       `json:"leg,omitempty"`    // 1-based index of its open leg in its call
	FlowIdx    int       `json:"flow,omitempty"`   // 1-based index of its open call-flow leg
	call       *call
	// The small fields last, together: a channel is one of the
	// tracker's largest per-call structures.
	Kind     chanKind `json:"kind"`
	Transfer bool     `json:"transfer,omitempty"` // blind-transferred: its next dial is to the target
	Moved    bool     `json:"moved,omitempty"`    // leaving for another call (transfer, pickup)
	Group    bool     `json:"group,omitempty"`    // a Local channel dialled with others by one dial: a ring group's member (its lines, forwards too, are group legs)
	Cause    int32    `json:"cause,omitempty"`
}

func (c *channel) live() bool { return c.Hungup.IsZero() && !c.Moved }

// leg is a sub-record being built.
type leg struct {
	Leg
	Open     bool   `json:"open"`
	CallerID string `json:"caller"` // uniqueid of the channel that rang it
}

// NewTracker returns an empty tracker.
func NewTracker(opts Options) *Tracker {
	return &Tracker{opts: opts, calls: map[string]*call{}, chans: map[string]*channel{}, local: map[string]*channel{}}
}

// keep copies a string taken from an event before the tracker keeps it: an
// event's strings may share one buffer (the ami package reads each event
// into one string), which a kept substring would hold for the whole call.
func keep(s string) string { return strings.Clone(s) }

// state returns Asterisk's channel state names without keeping the
// event's copy of them.
func state(s string) string {
	if c, ok := channelStates[s]; ok {
		return c
	}
	return keep(s)
}

var channelStates = map[string]string{}

func init() {
	for _, s := range []string{"Down", "Rsrvd", "OffHook", "Dialing", "Ring", "Ringing", "Up", "Busy", "Dialing Offhook", "Pre-ring", "Unknown"} {
		channelStates[s] = s
	}
}

// touch notes that c changed: its saved state is refreshed by the next
// TakeUnsaved.
func (t *Tracker) touch(c *call) {
	if c == nil {
		return
	}
	if !c.unsaved {
		c.unsaved = true
		t.unsaved = append(t.unsaved, c)
	}
}

// Apply feeds one event and returns the changes it made (CallFinished
// carries a finished call's record). The slice is valid until the next
// Apply or Resync.
func (t *Tracker) Apply(e *Event) []Change {
	clear(t.changes)
	t.changes = t.changes[:0]
	t.apply(e)
	if len(t.changes) == 0 {
		return nil
	}
	return t.changes
}

func (t *Tracker) apply(e *Event) {
	if e.Name == "Newchannel" {
		t.newChannel(e)
		return
	}
	ch := t.chans[e.Uniqueid]
	if ch == nil && e.Uniqueid != "" && e.Linkedid != "" && e.Name != "Hangup" {
		// Its Newchannel was missed (lost events, or callctl started mid-call).
		ch = t.newChannel(e)
		ch.call.Adopted = true
	}
	// Asterisk moves a channel into another call's linkedid after some
	// transfers; events may show the old linkedid for a moment after we
	// moved it ourselves (Pickup, AttendedTransfer): only a linkedid it
	// never had, of a call we know, moves it.
	if ch != nil && e.Linkedid != "" && ch.Linkedid != e.Linkedid && !slices.Contains(ch.Former, e.Linkedid) && t.calls[e.Linkedid] != nil {
		t.move(ch, e.Linkedid, e.Time, KindTransfer)
	}
	if ch != nil {
		t.touch(ch.call)
	}
	switch e.Name {
	case "Newstate":
		if ch != nil {
			ch.State = state(e.State)
			if e.State == "Up" {
				t.answered(ch, e.Time)
			}
		}
	case "NewCallerid", "NewConnectedLine":
		if ch != nil {
			if ch.CallerNum == "" {
				ch.CallerNum = keep(e.CallerNum)
			}
			if ch.CallerName == "" {
				ch.CallerName = keep(e.CallerName)
			}
			if ch.Connected != e.ConnectedNum {
				ch.Connected = keep(e.ConnectedNum)
			}
		}
	case "DialBegin":
		t.dialBegin(ch, e)
	case "DialEnd":
		t.dialEnd(ch, e)
	case "BridgeEnter":
		if ch != nil {
			ch.Bridge = keep(e.Bridge)
		}
	case "BridgeLeave":
		if ch != nil && ch.Bridge == e.Bridge {
			ch.Bridge = ""
		}
	case "HangupRequest":
		if ch != nil && ch.HangupReq.IsZero() {
			ch.HangupReq = e.Time
		}
	case "Hangup":
		if ch != nil {
			t.hangup(ch, e.Time, e.Cause)
		}
	case "VarSet":
		if ch != nil {
			t.varSet(ch, e)
		}
	case "Pickup":
		t.pickup(ch, e)
	case "BlindTransfer":
		t.blindTransfer(e)
	case "AttendedTransfer":
		t.attendedTransfer(e)
	case "QueueCallerJoin":
		if ch != nil {
			ch.Queue = keep(e.Queue)
			t.closeFlow(ch, e.Time)
			if id := t.opts.Directory.QueueID(e.Queue); id != 0 && ch.call.vars().CCCall == 0 {
				ch.call.setVars().CCCall = id
			}
		}
	case "QueueCallerLeave", "QueueCallerAbandon":
		if ch != nil {
			ch.Queue = ""
		}
	case "AgentRingNoAnswer":
		if l := t.openLeg(t.chans[e.DestUniqueid]); l != nil && l.Status == "" {
			l.Status = "NOANSWER"
			t.touch(t.chans[e.DestUniqueid].call)
		}
	case "AgentComplete":
		if ch != nil {
			ch.call.ByAgent = keep(e.Reason)
		}
	}
}

func (t *Tracker) newChannel(e *Event) *channel {
	if ch := t.chans[e.Uniqueid]; ch != nil {
		return ch
	}
	ch := &channel{
		Uniqueid: keep(e.Uniqueid), Name: keep(e.Channel), Created: e.Time,
		State: state(e.State), CallerNum: keep(e.CallerNum), CallerName: keep(e.CallerName), Context: keep(e.Context), Exten: keep(e.Exten),
	}
	t.classify(ch)
	t.chans[ch.Uniqueid] = ch
	if ch.Kind == kindLocal {
		t.local[ch.Name] = ch
	}
	c := t.callFor(e.Linkedid, e.Time)
	t.join(ch, c)
	if e.State == "Up" {
		ch.Answered = e.Time
	}
	if len(c.members) == 1 && ch.Kind == kindTrunk && ch.Uniqueid == c.Linkedid {
		t.emit(CallArrived, c, nil, e.Time)
	}
	return ch
}

// classify works out what a channel is from its name: tech/resource-seq.
func (t *Tracker) classify(ch *channel) {
	tech, rest, ok := strings.Cut(ch.Name, "/")
	if !ok {
		return
	}
	if tech == "Local" {
		ch.Kind = kindLocal
		return
	}
	if i := strings.LastIndexByte(rest, '-'); i > 0 {
		rest = rest[:i]
	}
	ch.Endpoint = rest
	if line, ok := t.opts.Directory.Line(rest); ok {
		ch.Kind, ch.Line = kindExtension, line
	} else if t.opts.Directory.IsTrunk(rest) {
		ch.Kind = kindTrunk
	}
}

func (t *Tracker) callFor(linkedid string, at time.Time) *call {
	c := t.calls[linkedid]
	if c == nil {
		linkedid = keep(linkedid)
		c = &call{ID: t.opts.IDs.NextID(), Linkedid: linkedid, Start: at}
		t.calls[linkedid] = c
	}
	return c
}

func (t *Tracker) join(ch *channel, c *call) {
	t.touch(c)
	ch.call, ch.Linkedid = c, c.Linkedid
	c.Channels = append(c.Channels, ch.Uniqueid)
	c.members = append(c.members, ch)
	if ch.Created.Before(c.Start) {
		c.Start = ch.Created
	}
}

// origin is the call's first channel: the one whose uniqueid is the linkedid.
func (c *call) origin() *channel {
	for _, ch := range c.members {
		if ch.Uniqueid == c.Linkedid {
			return ch
		}
	}
	var first *channel
	for _, ch := range c.members {
		if first == nil || ch.Created.Before(first.Created) {
			first = ch
		}
	}
	return first
}

// effectiveCaller follows Local channel pairs back to the channel whose
// dial made them: a queue or an originate may ring a line through Local/….
func (t *Tracker) effectiveCaller(ch *channel) *channel {
	for i := 0; ch != nil && ch.Kind == kindLocal && i < 8; i++ {
		partner := t.local[strings.TrimSuffix(ch.Name, ";2")+";1"]
		if partner == nil || partner == ch || partner.DialedBy == "" {
			break
		}
		ch = t.chans[partner.DialedBy]
	}
	return ch
}

func (t *Tracker) openLeg(ch *channel) *leg {
	if ch == nil || ch.LegIdx == 0 || ch.LegIdx > len(ch.call.Legs) {
		return nil
	}
	if l := ch.call.Legs[ch.LegIdx-1]; l.Open {
		return l
	}
	return nil
}

// callerNumber is the number a line sees calling: the call's caller for an
// inbound call, the calling line's number for an internal one.
func (t *Tracker) callerNumber(caller *channel) string {
	if caller == nil {
		return ""
	}
	if caller.Kind == kindExtension {
		return caller.Line.Number
	}
	if o := caller.call.origin(); o != nil && o.Kind == kindTrunk {
		return o.CallerNum
	}
	return caller.CallerNum
}

func (t *Tracker) newLeg(c *call, kind string, ch, caller *channel, at time.Time) *leg {
	t.touch(c)
	l := &leg{Open: true, Leg: Leg{ID: t.opts.IDs.NextID(), Kind: kind, Start: at}}
	if caller != nil {
		l.CallerID = caller.Uniqueid
		l.Src = t.callerNumber(caller)
		l.Queue = caller.Queue
		if caller.Kind == kindExtension {
			l.SrcUserID = caller.Line.UserID
		}
	}
	if ch != nil {
		l.Channel, l.Uniqueid = ch.Name, ch.Uniqueid
		l.Exten, l.Dst, l.DstUserID = ch.Line.Number, ch.Line.Number, ch.Line.UserID
		c.Legs = append(c.Legs, l)
		ch.LegIdx = len(c.Legs)
	} else {
		c.Legs = append(c.Legs, l)
	}
	if l.Queue != "" {
		l.CCCall = t.opts.Directory.QueueID(l.Queue)
	}
	return l
}

func (t *Tracker) dialBegin(caller *channel, e *Event) {
	dest := t.chans[e.DestUniqueid]
	if dest == nil {
		return
	}
	t.touch(dest.call)
	if caller != nil {
		dest.DialedBy = caller.Uniqueid
		t.closeFlow(caller, e.Time)
	}
	dest.DialString = keep(e.DialString)
	eff := t.effectiveCaller(caller)
	switch dest.Kind {
	case kindLocal:
		// Local channels dialled together by one dial (a call flow's ring
		// group, callctl-flow-member): each is a group member.
		if caller == nil {
			return
		}
		for _, ch := range dest.call.members {
			if ch != dest && ch.Kind == kindLocal && ch.DialedBy == caller.Uniqueid && ch.live() && ch.Answered.IsZero() {
				ch.Group, dest.Group = true, true
			}
		}
	case kindExtension:
		if eff == nil {
			return // an originate rings the line: it is the call's own party
		}
		kind := KindDirect
		switch {
		case eff.Queue != "":
			kind = KindQueue
		case eff.Transfer:
			kind = KindTransfer
		}
		// Several lines rung by one dial make a group; a line rung while a
		// group's line still rings, or by a group member's Local channel
		// (its forward), joins it. A line whose dial has ended (busy: its
		// DialEnd came, its hangup may not have yet) no longer rings: the
		// forward the dialplan rings next is not its group.
		if kind == KindDirect {
			for _, l := range dest.call.Legs {
				if l.Open && l.Answer.IsZero() && l.Status == "" && l.CallerID == eff.Uniqueid && (l.Kind == KindDirect || l.Kind == KindGroup) {
					l.Kind, kind = KindGroup, KindGroup
				}
			}
			if caller != nil && caller.Kind == kindLocal {
				if p := t.local[strings.TrimSuffix(caller.Name, ";2")+";1"]; p != nil && p.Group {
					kind = KindGroup
				}
			}
		}
		l := t.newLeg(dest.call, kind, dest, eff, e.Time)
		t.emit(LegRinging, dest.call, l, e.Time)
	case kindTrunk:
		// An inbound call sent back out (forward, transfer to a number).
		if o := dest.call.origin(); eff != nil && o != nil && o.Kind == kindTrunk {
			l := t.newLeg(dest.call, KindExternal, nil, eff, e.Time)
			l.Channel, l.Uniqueid = dest.Name, dest.Uniqueid
			l.Dst = dialledNumber(dest)
			dest.LegIdx = len(dest.call.Legs)
			ch := t.emit(DialledOut, dest.call, l, e.Time)
			ch.Number, ch.Forwarded = l.Dst, true
		} else {
			t.emit(DialledOut, dest.call, nil, e.Time).Number = dialledNumber(dest)
		}
	}
}

// dialledNumber is the number a trunk channel was dialled for.
func dialledNumber(ch *channel) string {
	if n, _, ok := strings.Cut(ch.DialString, "@"); ok && n != "" {
		return n
	}
	if ch.Exten != "" && ch.Exten != "s" {
		return ch.Exten
	}
	return ch.CallerNum
}

func (t *Tracker) dialEnd(caller *channel, e *Event) {
	dest := t.chans[e.DestUniqueid]
	if dest != nil {
		t.touch(dest.call)
	}
	l := t.openLeg(dest)
	if l != nil && l.Status == "" && e.DialStatus != "" {
		l.Status = e.DialStatus
	}
	if e.DialStatus == "ANSWER" {
		if dest != nil {
			t.answered(dest, e.Time)
		}
		if eff := t.effectiveCaller(caller); eff != nil {
			eff.Transfer = false
		}
	}
}

func (t *Tracker) answered(ch *channel, at time.Time) {
	c := ch.call
	t.touch(c)
	if ch.Answered.IsZero() {
		ch.Answered = at
	}
	if l := t.openLeg(ch); l != nil && l.Answer.IsZero() {
		l.Answer = at
		l.Status = "ANSWER"
		t.emit(LegAnswered, c, l, at)
	}
	if !c.Answered && (ch.Kind == kindExtension || ch.Kind == kindTrunk) && ch != c.origin() {
		c.Answered = true
		t.emit(CallAnswered, c, nil, at)
	}
}

func (t *Tracker) varSet(ch *channel, e *Event) {
	v := ch.call.setVars()
	value := keep(e.Value)
	switch e.Variable {
	case "CALLCTL_FLOW_EXTEN":
		if v.FlowExten == "" {
			v.FlowExten = value
		}
		if ch.FlowIdx == 0 {
			l := t.newLeg(ch.call, KindFlow, nil, ch, e.Time)
			l.Exten = value
			l.Dst = ch.Exten
			if o := ch.call.origin(); o != nil {
				l.Dst = o.Exten
			}
			ch.FlowIdx = len(ch.call.Legs)
			t.emit(LegRinging, ch.call, l, e.Time)
		}
	case "CALLCTL_IVR_DIGITS":
		v.IVRDigits = value
		if ch.FlowIdx > 0 {
			ch.call.Legs[ch.FlowIdx-1].IVRDigits = value
		}
	case "CALLCTL_TAGS":
		v.Tags = value
	case "CALLCTL_CC_CALL":
		v.CCCall, _ = strconv.Atoi(value)
	case "CALLCTL_PINCODE":
		v.Pincode = value
	case "CALLCTL_CUSTOMCDR1", "CALLCTL_CUSTOMCDR2", "CALLCTL_CUSTOMCDR3", "CALLCTL_CUSTOMCDR4":
		v.CustomCDR[e.Variable[len(e.Variable)-1]-'1'] = value
	case "MIXMONITOR_FILENAME", "CALLCTL_RECORDING":
		ch.Recording = value
		if v.Recording == "" {
			v.Recording = value
		}
	}
}

// closeFlow ends the call-flow leg of ch: the flow handed the call on.
func (t *Tracker) closeFlow(ch *channel, at time.Time) {
	if ch.FlowIdx == 0 {
		return
	}
	t.touch(ch.call)
	l := ch.call.Legs[ch.FlowIdx-1]
	if l.Open {
		l.Open, l.Hangup = false, at
		l.HangupBy = t.legHangupBy(ch.call, l, nil)
		t.emit(LegHungUp, ch.call, l, at)
	}
	ch.FlowIdx = 0
}

// closeLeg ends the open leg of ch at at.
func (t *Tracker) closeLeg(ch *channel, at time.Time, status string) {
	l := t.openLeg(ch)
	if l == nil {
		return
	}
	t.touch(ch.call)
	l.Open, l.Hangup = false, at
	if l.Status == "" || l.Answer.IsZero() && status == "BUSY" {
		l.Status = status
	}
	if l.RecordingPath == "" {
		l.RecordingPath = ch.Recording
	}
	l.HangupBy = t.legHangupBy(ch.call, l, ch)
	ch.LegIdx = 0
	t.emit(LegHungUp, ch.call, l, at)
}

func (t *Tracker) hangup(ch *channel, at time.Time, cause int) {
	if !ch.Hungup.IsZero() {
		return
	}
	ch.Hungup, ch.Cause = at, int32(cause)
	t.touch(ch.call)
	t.closeLeg(ch, at, statusFromCause(cause))
	t.closeFlow(ch, at)
	c := ch.call
	if at.After(c.hangupMax) {
		c.hangupMax = at
	}
	if ch.Kind == kindLocal {
		delete(t.local, ch.Name)
	}
	t.finishIfDone(c)
}

// statusFromCause names why a line that never answered stopped ringing.
func statusFromCause(cause int) string {
	switch cause {
	case 17:
		return "BUSY"
	case 18, 19:
		return "NOANSWER"
	case 21:
		return "REJECTED"
	case 34, 38, 41, 42, 44:
		return "CONGESTION"
	case 1, 3, 20, 27:
		return "CHANUNAVAIL"
	default:
		return "CANCEL"
	}
}

func (t *Tracker) pickup(picker *channel, e *Event) {
	target := t.chans[e.OtherUniqueid]
	if picker == nil || target == nil {
		return
	}
	t.closeLeg(target, e.Time, "PICKEDUP")
	caller := t.chans[target.DialedBy]
	t.move(picker, target.call.Linkedid, e.Time, "")
	l := t.newLeg(picker.call, KindPickup, picker, caller, e.Time)
	l.Answer, l.Status = e.Time, "ANSWER"
	picker.DialedBy = target.DialedBy
	t.emit(LegAnswered, picker.call, l, e.Time)
}

func (t *Tracker) blindTransfer(e *Event) {
	if e.DialStatus != "Success" {
		return
	}
	if transferer := t.chans[e.OtherUniqueid]; transferer != nil {
		t.closeTransferer(transferer, e.Time)
	}
	if transferee := t.chans[e.TransfereeUniqueid]; transferee != nil {
		transferee.Transfer = true
		// A Local channel's half (a call flow rings a line through one):
		// the dial it makes is its caller's.
		if eff := t.effectiveCaller(transferee); eff != nil {
			eff.Transfer = true
		}
	}
}

func (t *Tracker) attendedTransfer(e *Event) {
	if e.DialStatus != "Success" {
		return
	}
	transferee, target := t.chans[e.TransfereeUniqueid], t.chans[e.TargetUniqueid]
	if orig := t.chans[e.OtherUniqueid]; orig != nil {
		t.closeTransferer(orig, e.Time)
	}
	if transferee == nil || target == nil {
		return
	}
	t.move(target, transferee.call.Linkedid, e.Time, KindTransfer)
}

// closeTransferer ends the leg of a line that transferred the call away:
// the line itself ended its part.
func (t *Tracker) closeTransferer(ch *channel, at time.Time) {
	if l := t.openLeg(ch); l != nil {
		t.closeLeg(ch, at, "")
		l.HangupBy = ByCallee
	}
}

// move takes a channel into another call (a transfer or a pickup joined it
// there; Asterisk gives it that call's linkedid). An answered line gets a
// leg of the given kind in the new call ("" for none).
func (t *Tracker) move(ch *channel, linkedid string, at time.Time, kind string) {
	old := ch.call
	if old.Linkedid == linkedid {
		return
	}
	t.touch(old)
	t.closeLeg(ch, at, "")
	t.closeFlow(ch, at)
	ch.Former = append(ch.Former, old.Linkedid)
	ch.Moved = true
	t.finishIfDone(old)
	ch.Moved = false
	t.join(ch, t.callFor(linkedid, at))
	if kind != "" && ch.Kind == kindExtension && !ch.Answered.IsZero() {
		caller := ch.call.origin()
		l := t.newLeg(ch.call, kind, ch, caller, at)
		l.Answer, l.Status = at, "ANSWER"
		t.emit(LegAnswered, ch.call, l, at)
	}
}

// finishIfDone emits c once none of its channels is live.
func (t *Tracker) finishIfDone(c *call) {
	for _, ch := range c.members {
		if ch.call == c && ch.live() {
			return
		}
	}
	delete(t.calls, c.Linkedid)
	t.touch(c)
	for _, ch := range c.members {
		if ch.call == c && !ch.Moved {
			delete(t.chans, ch.Uniqueid)
		}
	}
	r, ok := t.record(c)
	if !ok {
		return
	}
	// Legs still open end with the call.
	for i, l := range sortedLegs(c) {
		if l.Open {
			t.emit(LegHungUp, c, nil, r.Hangup).Leg = legInfoOf(r.Legs[i])
		}
	}
	rec := new(Record)
	*rec = r
	t.emit(CallFinished, c, nil, r.Hangup).Record = rec
}

// legHangupBy says who ended a leg: the line itself (callee), the caller of
// the call, or neither (another line answered, a timeout, a transfer).
func (t *Tracker) legHangupBy(c *call, l *leg, ch *channel) string {
	if ch != nil && !ch.HangupReq.IsZero() && !ch.HangupReq.After(l.Hangup) {
		return ByCallee
	}
	if o := c.origin(); o != nil && !o.HangupReq.IsZero() && !o.HangupReq.After(l.Hangup) {
		return ByCaller
	}
	return BySystem
}

// sortedLegs returns the legs in start order (stable).
func sortedLegs(c *call) []*leg {
	legs := append([]*leg(nil), c.Legs...)
	sort.SliceStable(legs, func(i, j int) bool { return legs[i].Start.Before(legs[j].Start) })
	return legs
}
