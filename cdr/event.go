package cdr

import (
	"strconv"
	"strings"
	"time"

	"github.com/callctl/callctl/internal/amitext"
)

// Event is one AMI event as the tracker reads it: the headers it uses, with
// Asterisk's C escaping undone where Asterisk applies it.
type Event struct {
	Name     string
	Time     time.Time // Asterisk's Timestamp header
	Channel  string
	Uniqueid string
	Linkedid string
	State    string // ChannelStateDesc: Down, Ring, Ringing, Up, Busy …

	CallerNum    string
	ConnectedNum string
	Context      string
	Exten        string

	// DialBegin, DialEnd, AgentCalled …: the dialled channel.
	DestUniqueid string
	DialString   string
	DialStatus   string

	Bridge string // BridgeEnter, BridgeLeave
	Cause  int    // Hangup, HangupRequest, SoftHangupRequest

	Variable, Value string // VarSet

	Queue  string // Queue*, Agent*
	Reason string // AgentComplete: caller or agent; Disconnected: why

	// Pickup: the channel that was ringing. BlindTransfer: the transferer.
	// AttendedTransfer: the original transferer.
	OtherUniqueid string
	// BlindTransfer and AttendedTransfer: the channel transferred.
	TransfereeUniqueid string
	// AttendedTransfer: the target and the second transferer.
	TargetUniqueid, TargetLinkedid string
	SecondUniqueid                 string
	Extension                      string // BlindTransfer: where to

	Count     int  // EventsLost
	Truncated bool // a line of this event was cut by the AMI reader
}

// Event names the tracker acts on. Everything else is ignored by ParseAMI.
var tracked = map[string]bool{
	"Newchannel": true, "Newstate": true, "NewCallerid": true, "NewConnectedLine": true,
	"DialBegin": true, "DialEnd": true, "BridgeEnter": true, "BridgeLeave": true,
	"HangupRequest": true, "SoftHangupRequest": true, "Hangup": true, "VarSet": true,
	"Pickup": true, "BlindTransfer": true, "AttendedTransfer": true,
	"QueueCallerJoin": true, "QueueCallerLeave": true, "QueueCallerAbandon": true,
	"AgentCalled": true, "AgentConnect": true, "AgentComplete": true, "AgentRingNoAnswer": true,
	// synthetic events of the ami package
	"CallctlConnected": true, "CallctlDisconnected": true, "CallctlEventsLost": true,
}

// VarSet variables the tracker keeps; others are ignored.
func trackedVariable(name string) bool {
	return strings.HasPrefix(name, "CALLCTL_") || name == "MIXMONITOR_FILENAME"
}

// ParseAMI converts an AMI event (header → value) into an Event. It reports
// false for events the tracker does not use, without further work.
func ParseAMI(m map[string]string) (Event, bool) {
	name := m["Event"]
	if !tracked[name] {
		return Event{}, false
	}
	if name == "VarSet" && !trackedVariable(strings.TrimLeft(m["Variable"], "_")) {
		return Event{}, false
	}
	e := Event{
		Name:         name,
		Time:         amitext.Timestamp(m["Timestamp"]),
		Channel:      m["Channel"],
		Uniqueid:     m["Uniqueid"],
		Linkedid:     m["Linkedid"],
		State:        m["ChannelStateDesc"],
		CallerNum:    number(m["CallerIDNum"]),
		ConnectedNum: number(m["ConnectedLineNum"]),
		Context:      m["Context"],
		Exten:        m["Exten"],
		Truncated:    m["CallctlTruncated"] == "1",
	}
	switch name {
	case "DialBegin", "DialEnd", "AgentCalled", "AgentConnect", "AgentComplete", "AgentRingNoAnswer":
		e.DestUniqueid = m["DestUniqueid"]
		e.DialString = m["DialString"]
		e.DialStatus = m["DialStatus"]
		e.Queue = m["Queue"]
		e.Reason = m["Reason"]
	case "BridgeEnter", "BridgeLeave":
		e.Bridge = m["BridgeUniqueid"]
	case "Hangup", "HangupRequest", "SoftHangupRequest":
		e.Cause, _ = strconv.Atoi(m["Cause"])
	case "VarSet":
		e.Variable = strings.TrimLeft(m["Variable"], "_")
		e.Value = amitext.Unescape(m["Value"])
	case "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon":
		e.Queue = m["Queue"]
	case "Pickup":
		e.OtherUniqueid = m["TargetUniqueid"]
		e.TargetLinkedid = m["TargetLinkedid"]
	case "BlindTransfer":
		e.OtherUniqueid = m["TransfererUniqueid"]
		e.TransfereeUniqueid = m["TransfereeUniqueid"]
		e.Extension = m["Extension"]
		e.DialStatus = m["Result"]
	case "AttendedTransfer":
		e.OtherUniqueid = m["OrigTransfererUniqueid"]
		e.SecondUniqueid = m["SecondTransfererUniqueid"]
		e.TransfereeUniqueid = m["TransfereeUniqueid"]
		e.TargetUniqueid = m["TransferTargetUniqueid"]
		e.TargetLinkedid = m["TransferTargetLinkedid"]
		e.DialStatus = m["Result"]
		// The transferee's call is where the target ends up.
		e.Linkedid = m["TransfereeLinkedid"]
	case "CallctlEventsLost":
		e.Count, _ = strconv.Atoi(m["Count"])
	case "CallctlDisconnected":
		e.Reason = m["Reason"]
	}
	return e, true
}

// ChannelSnapshot is one live channel as CoreShowChannels lists it, for
// resynchronisation.
type ChannelSnapshot struct {
	Channel   string
	Uniqueid  string
	Linkedid  string
	State     string
	CallerNum string
	Context   string
	Exten     string
	// Age is how long the channel has existed (CoreShowChannel's Duration).
	Age time.Duration
}

// ParseCoreShowChannel converts one CoreShowChannel list item.
func ParseCoreShowChannel(m map[string]string) ChannelSnapshot {
	return ChannelSnapshot{
		Channel: m["Channel"], Uniqueid: m["Uniqueid"], Linkedid: m["Linkedid"],
		State: m["ChannelStateDesc"], CallerNum: number(m["CallerIDNum"]),
		Context: m["Context"], Exten: m["Exten"], Age: parseHMS(m["Duration"]),
	}
}

// parseHMS reads "00:01:05".
func parseHMS(s string) time.Duration {
	parts := strings.Split(s, ":")
	var d time.Duration
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return 0
		}
		d = d*60 + time.Duration(n)
	}
	return d * time.Second
}

// number drops Asterisk's placeholder for an unknown number.
func number(s string) string {
	if s == "<unknown>" {
		return ""
	}
	return s
}
