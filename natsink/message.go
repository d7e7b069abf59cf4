package natsink

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/callctl/callctl/cdr"
)

// SubjectPrefix is the first token of every subject callctl publishes to;
// a stream callctl creates takes SubjectPrefix + ".>".
const SubjectPrefix = "callctl"

// Subject is where a change of a call is published:
// callctl.<node>.call.finished for a finished call,
// callctl.<node>.call.<change> (call_arrived, leg_ringing …) otherwise.
func Subject(node string, k cdr.ChangeKind) string {
	name := k.String()
	if k == cdr.CallFinished {
		name = "finished"
	}
	return SubjectPrefix + "." + SubjectToken(node) + ".call." + name
}

// SubjectToken makes a node id one subject token: '.', '*', '>' and white
// space become '_' (a host name pbx1.example.com becomes pbx1_example_com).
func SubjectToken(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '*' || r == '>' || r <= ' ' || r == 0x7f {
			return '_'
		}
		return r
	}, s)
}

// Finished is a finished call's message: the seed's end-of-call body
// (cdr.SeedRecord, times in the configured zone) with callctl's fields.
type Finished struct {
	cdr.SeedRecord
	Header
	// Internal: a call between lines (the HTTP call_end leaves these out).
	Internal bool `json:"internal"`
}

// Header is what every message carries: which host, which change of which
// call. Seq numbers a call's changes 1, 2, 3 …, call_finished last.
type Header struct {
	NodeID   string    `json:"node_id"`
	Change   string    `json:"change"`
	Seq      int       `json:"seq"`
	Linkedid string    `json:"linkedid"`
	CallID   uint64    `json:"call_id"`
	Time     time.Time `json:"time"` // Asterisk's time of the change
}

// Change is the message of a change other than a finished call.
type Change struct {
	Header
	Call CallInfo `json:"call"`
	Leg  *LegInfo `json:"leg,omitempty"` // the Leg* changes, a forwarded dialled_out
	// Number is the number dialled out (dialled_out).
	Number    string `json:"number,omitempty"`
	Forwarded bool   `json:"forwarded,omitempty"`
}

// CallInfo is the call as it stands at a change (cdr.CallInfo).
type CallInfo struct {
	Start      time.Time `json:"start"`
	Inbound    bool      `json:"inbound"`
	Caller     string    `json:"caller"`
	CallerName string    `json:"caller_name,omitempty"`
	CallerLine string    `json:"caller_line,omitempty"`
	Dialled    string    `json:"dialled"`
	FlowExten  string    `json:"flow_exten,omitempty"`
	IVRDigits  string    `json:"ivr_digits,omitempty"`
	Tags       string    `json:"custom_field,omitempty"`
	CCCall     int       `json:"cc_call,omitempty"`
	CustomCDR  []string  `json:"custom_cdr,omitempty"`
}

// LegInfo is a line's (or call flow's) part of the call (cdr.LegInfo).
type LegInfo struct {
	ID        uint64     `json:"id"`
	Kind      string     `json:"kind"`
	Exten     string     `json:"exten"`
	UserID    int        `json:"user_id,omitempty"`
	Src       string     `json:"src,omitempty"`
	Dst       string     `json:"dst,omitempty"`
	Queue     string     `json:"queue,omitempty"`
	Start     time.Time  `json:"start"`
	Answer    *time.Time `json:"answer,omitempty"`
	Hangup    *time.Time `json:"hangup,omitempty"`
	Status    string     `json:"status,omitempty"`
	Recording string     `json:"recording,omitempty"`
}

// render is the message body of a change.
func render(node string, loc *time.Location, c *cdr.Change) ([]byte, error) {
	h := Header{NodeID: node, Change: c.Kind.String(), Seq: c.Seq, Linkedid: c.Call.Linkedid, CallID: c.Call.ID, Time: c.Time}
	if c.Kind == cdr.CallFinished && c.Record != nil {
		return json.Marshal(Finished{SeedRecord: c.Record.Seed(loc), Header: h, Internal: c.Record.Internal})
	}
	ci := c.Call
	m := Change{Header: h, Number: c.Number, Forwarded: c.Forwarded, Call: CallInfo{Start: ci.Start, Inbound: ci.Inbound,
		Caller: ci.Caller, CallerName: ci.CallerName, CallerLine: ci.CallerLine, Dialled: ci.Dialled, FlowExten: ci.FlowExten,
		IVRDigits: ci.IVRDigits, Tags: ci.Tags, CCCall: ci.CCCall}}
	if ci.CustomCDR != [4]string{} {
		m.Call.CustomCDR = ci.CustomCDR[:]
	}
	if l := c.Leg; l.ID != 0 || l.Kind != "" {
		m.Leg = &LegInfo{ID: l.ID, Kind: l.Kind, Exten: l.Exten, UserID: l.UserID, Src: l.Src, Dst: l.Dst, Queue: l.Queue,
			Start: l.Start, Answer: timePtr(l.Answer), Hangup: timePtr(l.Hangup), Status: l.Status, Recording: l.Recording}
	}
	return json.Marshal(m)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
