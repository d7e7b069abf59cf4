package cdrfeed

import (
	"strconv"
	"strings"
	"time"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr"
)

// tracked are the AMI events the tracker acts on (and the ami package's own
// synthetic events); ParseEvent ignores every other one. The test bed's
// manager.conf asks Asterisk for these only (its eventfilter lines).
var tracked = map[string]bool{
	"Newchannel": true, "Newstate": true, "NewCallerid": true, "NewConnectedLine": true,
	"DialBegin": true, "DialEnd": true, "BridgeEnter": true, "BridgeLeave": true,
	"HangupRequest": true, "Hangup": true, "VarSet": true,
	"Pickup": true, "BlindTransfer": true, "AttendedTransfer": true,
	"QueueCallerJoin": true, "QueueCallerLeave": true, "QueueCallerAbandon": true,
	"AgentComplete": true, "AgentRingNoAnswer": true,
	ami.EventConnected: true, ami.EventDisconnected: true, ami.EventsLost: true,
}

// trackedVariable: the VarSet variables the tracker keeps.
func trackedVariable(name string) bool {
	return strings.HasPrefix(name, "CALLCTL_") || name == "MIXMONITOR_FILENAME"
}

// ParseEvent translates an AMI event into the tracker's Event. It reports
// false, without further work, for events the tracker does not use.
func ParseEvent(m ami.Message) (cdr.Event, bool) {
	name := m["Event"]
	if !tracked[name] {
		return cdr.Event{}, false
	}
	if name == "VarSet" && !trackedVariable(strings.TrimLeft(m["Variable"], "_")) {
		return cdr.Event{}, false
	}
	e := cdr.Event{
		Name:         name,
		Time:         ami.ParseTimestamp(m["Timestamp"]),
		Channel:      m["Channel"],
		Uniqueid:     m["Uniqueid"],
		Linkedid:     m["Linkedid"],
		State:        m["ChannelStateDesc"],
		CallerNum:    number(m["CallerIDNum"]),
		CallerName:   callerName(m["CallerIDName"]),
		ConnectedNum: number(m["ConnectedLineNum"]),
		Context:      m["Context"],
		Exten:        m["Exten"],
		Truncated:    m[ami.HeaderTruncated] == "1",
	}
	switch name {
	case "DialBegin", "DialEnd", "AgentComplete", "AgentRingNoAnswer":
		e.DestUniqueid = m["DestUniqueid"]
		e.DialString = m["DialString"]
		e.DialStatus = m["DialStatus"]
		e.Queue = m["Queue"]
		e.Reason = m["Reason"]
	case "BridgeEnter", "BridgeLeave":
		e.Bridge = m["BridgeUniqueid"]
	case "Hangup", "HangupRequest":
		e.Cause, _ = strconv.Atoi(m["Cause"])
	case "VarSet":
		e.Variable = strings.TrimLeft(m["Variable"], "_")
		e.Value = ami.Unescape(m["Value"])
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
	case ami.EventsLost:
		e.Count, _ = strconv.Atoi(m["Count"])
	case ami.EventDisconnected:
		e.Reason = m["Reason"]
	}
	return e, true
}

// ParseChannel translates one CoreShowChannel list item, for Tracker.Resync.
func ParseChannel(m ami.Message) cdr.ChannelSnapshot {
	return cdr.ChannelSnapshot{
		Channel: m["Channel"], Uniqueid: m["Uniqueid"], Linkedid: m["Linkedid"],
		State: m["ChannelStateDesc"], CallerNum: number(m["CallerIDNum"]), CallerName: callerName(m["CallerIDName"]),
		Context: m["Context"], Exten: m["Exten"], Age: parseHMS(m["Duration"]),
	}
}

// parseHMS reads "00:01:05".
func parseHMS(s string) time.Duration {
	var d time.Duration
	for p := range strings.SplitSeq(s, ":") {
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

// callerName is a caller name without Asterisk's escaping and placeholder.
func callerName(s string) string {
	if s == "<unknown>" || s == "" {
		return ""
	}
	return ami.Unescape(s)
}
