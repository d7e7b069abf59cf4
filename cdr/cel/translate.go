package cel

import (
	"encoding/json"
	"path"
	"strings"

	"github.com/callctl/callctl/cdr"
)

// Translator turns CEL rows into the tracker's events, as AMI would have
// shown them. It keeps what it learnt of each channel from earlier rows (its
// name, call, current application, who dialled it), so rows must come in
// the order Asterisk wrote them. Not safe for concurrent use.
//
// CEL carries less than AMI; what the translation rebuilds and what it
// cannot:
//   - CHAN_START is Newchannel; the channel that dials it is the channel of
//     its call that last started Dial or Queue and still runs it (DialBegin,
//     with the dial string's target for this channel). CEL has no dial
//     events: a Dial that rang nobody leaves no trace, and how a line's
//     ringing ended comes from its hangup cause (BUSY 17, NOANSWER 18/19,
//     else CANCEL), or NOANSWER for a queue member that stopped ringing
//     with cause 0 while the caller still waited (AgentRingNoAnswer).
//   - ANSWER is Newstate Up (and DialEnd ANSWER for a dialled channel).
//   - HANGUP is Hangup with its cause; its hangupsource, when a channel of
//     the call, is that channel's HangupRequest (who hung up). Hangups
//     Asterisk requested itself (timeouts, the dialplan) name no channel.
//   - BRIDGE_ENTER/EXIT are BridgeEnter/Leave; PICKUP, BLINDTRANSFER and
//     ATTENDEDTRANSFER (successful ones) are Pickup, BlindTransfer and
//     AttendedTransfer.
//   - APP_START of Queue is QueueCallerJoin (the caller's BRIDGE_ENTER
//     leaves the queue); of Set with a CALLCTL_ variable a VarSet; of
//     MixMonitor the recording's file (relative names in Asterisk's default
//     monitor directory). Variables set any other way (AMI Setvar, ARI,
//     functions, inheritance) are not in CEL: the call flow's extension,
//     IVR digits, tags, PIN and custom CDR fields are then missing.
//   - Caller names and numbers are those of the rows; connected-line
//     numbers (the live view's peer) are not in CEL.
//   - CHAN_END, LINKEDID_END (the translator forgets the call's channels),
//     FORWARD and LOCAL_OPTIMIZE give no event: the tracker reads none
//     like them. Channels ARI originates (callctl's API) have no dialling
//     channel in CEL either: they count as the call's own parties, as an
//     AMI Originate does.
type Translator struct {
	chans  map[string]*chanInfo   // by uniqueid
	byName map[string]*chanInfo   // live channels by name
	byCall map[string][]*chanInfo // by linkedid
	seq    int
	out    []cdr.Event
	// selfHangup: the rows of the HANGUPs that name their own channel
	// (its side hung up), by uniqueid; answers: the ANSWER rows by
	// linkedid. Known ahead from Prepare.
	selfHangup map[string]int64
	answers    map[string][]int64
}

type chanInfo struct {
	uniqueid, name, linkedid string
	callerNum                string
	app, appData             string // the application its last row showed
	appSeq                   int    // when it started its last Dial or Queue
	dialer                   string // uniqueid of the channel that dialled it
	queue                    string // the queue it waits in
	answered, hungup         bool
	requested                bool // HangupRequest given
}

// NewTranslator returns a translator that knows no channel yet.
func NewTranslator() *Translator {
	return &Translator{chans: map[string]*chanInfo{}, byName: map[string]*chanInfo{}, byCall: map[string][]*chanInfo{}, selfHangup: map[string]int64{}, answers: map[string][]int64{}}
}

// Prepare reads ahead the rows of calls about to be translated: a caller
// that gives up while its call rings has its hangup logged after the
// ringing lines', which Asterisk hung up because of it (hangup source
// empty); knowing ahead that the caller hung up itself, the translation
// puts its HangupRequest first, as AMI shows it.
func (t *Translator) Prepare(rows []Row) {
	for i := range rows {
		r := &rows[i]
		switch {
		case r.Type == "HANGUP" && r.Channel != "" && hangupSource(r.Extra) == r.Channel:
			t.selfHangup[r.Uniqueid] = r.ID
		case r.Type == "ANSWER":
			t.answers[r.Linkedid] = append(t.answers[r.Linkedid], r.ID)
		}
	}
}

// gaveUp reports whether caller hangs up itself after row id with no
// answer in its call in between.
func (t *Translator) gaveUp(caller *chanInfo, id int64) bool {
	at, ok := t.selfHangup[caller.uniqueid]
	if !ok || at < id {
		return false
	}
	for _, a := range t.answers[caller.linkedid] {
		if a > id && a < at {
			return false
		}
	}
	return true
}

func hangupSource(extra string) string {
	var x struct {
		Source string `json:"hangupsource"`
	}
	json.Unmarshal([]byte(extra), &x)
	return x.Source
}

// Events returns the events of one row (often one, sometimes none or a
// few). The slice is valid until the next call.
func (t *Translator) Events(r *Row) []cdr.Event {
	t.out = t.out[:0]
	ch := t.chans[r.Uniqueid]
	if r.Type == "CHAN_START" || ch == nil {
		ch = t.start(r)
	}
	if r.Linkedid != "" && r.Linkedid != ch.linkedid {
		ch.linkedid = r.Linkedid // a transfer or pickup moved it
		t.byCall[ch.linkedid] = append(t.byCall[ch.linkedid], ch)
	}
	if ch.callerNum == "" && r.CallerNum != "" && r.Type != "CHAN_START" {
		ch.callerNum = r.CallerNum
		t.add(r, ch, cdr.Event{Name: "NewCallerid", CallerNum: r.CallerNum, CallerName: r.CallerName})
	}
	ch.app, ch.appData = r.App, r.AppData
	switch r.Type {
	case "ANSWER":
		if !ch.answered {
			ch.answered = true
			t.add(r, ch, cdr.Event{Name: "Newstate", State: "Up"})
			if d := t.chans[ch.dialer]; d != nil {
				t.add(r, d, cdr.Event{Name: "DialEnd", DestUniqueid: ch.uniqueid, DialStatus: "ANSWER"})
			}
		}
	case "HANGUP":
		t.hangup(r, ch)
	case "LINKEDID_END":
		t.forget(r.Linkedid)
		delete(t.answers, r.Linkedid)
	case "BRIDGE_ENTER", "BRIDGE_EXIT":
		var x struct {
			Bridge string `json:"bridge_id"`
		}
		json.Unmarshal([]byte(r.Extra), &x)
		name := "BridgeEnter"
		if r.Type == "BRIDGE_EXIT" {
			name = "BridgeLeave"
		}
		t.add(r, ch, cdr.Event{Name: name, Bridge: x.Bridge})
		if name == "BridgeEnter" && ch.queue != "" {
			t.add(r, ch, cdr.Event{Name: "QueueCallerLeave", Queue: ch.queue})
			ch.queue = ""
		}
	case "APP_START":
		t.appStart(r, ch)
	case "PICKUP":
		var x struct {
			Picker string `json:"pickup_channel_uniqueid"`
		}
		json.Unmarshal([]byte(r.Extra), &x)
		if p := t.chans[x.Picker]; p != nil {
			t.add(r, p, cdr.Event{Name: "Pickup", OtherUniqueid: ch.uniqueid, TargetLinkedid: ch.linkedid})
		}
	case "BLINDTRANSFER":
		var x struct {
			Extension  string `json:"extension"`
			Transferee string `json:"transferee_channel_uniqueid"`
		}
		json.Unmarshal([]byte(r.Extra), &x)
		t.out = append(t.out, cdr.Event{Name: "BlindTransfer", Time: r.Time, Linkedid: ch.linkedid,
			OtherUniqueid: ch.uniqueid, TransfereeUniqueid: x.Transferee, Extension: x.Extension, DialStatus: "Success"})
	case "ATTENDEDTRANSFER":
		var x struct {
			Second     string `json:"channel2_uniqueid"`
			Transferee string `json:"transferee_channel_uniqueid"`
			Target     string `json:"transfer_target_channel_uniqueid"`
		}
		json.Unmarshal([]byte(r.Extra), &x)
		e := cdr.Event{Name: "AttendedTransfer", Time: r.Time, OtherUniqueid: ch.uniqueid, SecondUniqueid: x.Second,
			TransfereeUniqueid: x.Transferee, TargetUniqueid: x.Target, DialStatus: "Success"}
		if c := t.chans[x.Transferee]; c != nil {
			e.Linkedid = c.linkedid
		}
		if c := t.chans[x.Target]; c != nil {
			e.TargetLinkedid = c.linkedid
		}
		t.out = append(t.out, e)
	}
	return t.out
}

// add appends an event of channel ch.
func (t *Translator) add(r *Row, ch *chanInfo, e cdr.Event) {
	e.Time, e.Channel, e.Uniqueid, e.Linkedid = r.Time, ch.name, ch.uniqueid, ch.linkedid
	t.out = append(t.out, e)
}

// start is a channel's first row: Newchannel, and DialBegin from the
// channel that dialled it.
func (t *Translator) start(r *Row) *chanInfo {
	if ch := t.chans[r.Uniqueid]; ch != nil {
		return ch
	}
	ch := &chanInfo{uniqueid: r.Uniqueid, name: r.Channel, linkedid: r.Linkedid, callerNum: r.CallerNum}
	t.chans[ch.uniqueid] = ch
	t.byName[ch.name] = ch
	t.byCall[ch.linkedid] = append(t.byCall[ch.linkedid], ch)
	t.add(r, ch, cdr.Event{Name: "Newchannel", State: "Down", CallerNum: r.CallerNum, CallerName: r.CallerName,
		Context: r.Context, Exten: r.Exten})
	// The second half of a Local pair is not dialled: its first half is.
	if strings.HasPrefix(ch.name, "Local/") && strings.HasSuffix(ch.name, ";2") {
		return ch
	}
	var dialer *chanInfo
	for _, c := range t.byCall[ch.linkedid] {
		if c != ch && c.linkedid == ch.linkedid && !c.hungup && (c.app == "Dial" || c.app == "Queue") &&
			(dialer == nil || c.appSeq > dialer.appSeq) {
			dialer = c
		}
	}
	if dialer != nil {
		ch.dialer = dialer.uniqueid
		t.add(r, dialer, cdr.Event{Name: "DialBegin", DestUniqueid: ch.uniqueid, DialString: dialTarget(dialer.appData, ch.name)})
	}
	return ch
}

// dialTarget finds, in Dial's or Queue's data, the resource that made
// channel name (PJSIP/1001&PJSIP/3630111222@carrier,30 → 3630111222@carrier
// for PJSIP/carrier-0000002a).
func dialTarget(data, name string) string {
	targets, _, _ := strings.Cut(data, ",")
	tech, rest, _ := strings.Cut(name, "/")
	if i := strings.LastIndexAny(rest, "-;"); i > 0 {
		rest = rest[:i]
	}
	for _, tg := range strings.Split(targets, "&") {
		ttech, res, ok := strings.Cut(tg, "/")
		if !ok || !strings.EqualFold(ttech, tech) {
			continue
		}
		ep := res
		if _, host, ok := strings.Cut(res, "@"); ok && tech != "Local" {
			ep = host
		}
		if ep == rest || res == rest {
			return res
		}
	}
	return ""
}

func (t *Translator) appStart(r *Row, ch *chanInfo) {
	switch strings.ToLower(r.App) {
	case "dial", "queue":
		t.seq++
		ch.appSeq = t.seq
		if strings.EqualFold(r.App, "queue") {
			q, _, _ := strings.Cut(r.AppData, ",")
			ch.queue = q
			t.add(r, ch, cdr.Event{Name: "QueueCallerJoin", Queue: q})
		}
	case "set":
		name, value, ok := strings.Cut(r.AppData, "=")
		name = strings.TrimLeft(strings.TrimSpace(name), "_")
		if ok && strings.HasPrefix(name, "CALLCTL_") {
			t.add(r, ch, cdr.Event{Name: "VarSet", Variable: name, Value: value})
		}
	case "mixmonitor":
		file, _, _ := strings.Cut(r.AppData, ",")
		if file != "" {
			if !path.IsAbs(file) {
				file = path.Join("/var/spool/asterisk/monitor", file)
			}
			t.add(r, ch, cdr.Event{Name: "VarSet", Variable: "MIXMONITOR_FILENAME", Value: file})
		}
	}
}

func (t *Translator) hangup(r *Row, ch *chanInfo) {
	if ch.hungup {
		return
	}
	var x struct {
		Cause  int    `json:"hangupcause"`
		Source string `json:"hangupsource"`
	}
	json.Unmarshal([]byte(r.Extra), &x)
	if src := t.byName[x.Source]; src != nil && !src.requested && !src.hungup {
		src.requested = true
		t.add(r, src, cdr.Event{Name: "HangupRequest", Cause: x.Cause})
	}
	d := t.chans[ch.dialer]
	if d != nil && x.Source == "" && x.Cause != 0 && !ch.answered && !d.requested && !d.hungup && t.gaveUp(d, r.ID) {
		d.requested = true // the caller gave up while this line rang
		t.add(r, d, cdr.Event{Name: "HangupRequest", Cause: x.Cause})
	}
	if d != nil && !ch.answered && x.Cause == 0 && d.queue != "" && !d.hungup && !d.requested {
		t.add(r, d, cdr.Event{Name: "AgentRingNoAnswer", DestUniqueid: ch.uniqueid, Queue: d.queue})
	}
	ch.hungup = true
	t.add(r, ch, cdr.Event{Name: "Hangup", Cause: x.Cause})
	delete(t.byName, ch.name)
	delete(t.selfHangup, ch.uniqueid)
}

// forget drops the channels of a call that ended: Asterisk retired its
// linkedid. A channel that moved on to another call stays.
func (t *Translator) forget(linkedid string) {
	for _, c := range t.byCall[linkedid] {
		if c.linkedid == linkedid && c.hungup {
			delete(t.chans, c.uniqueid)
		}
	}
	delete(t.byCall, linkedid)
}
