package cdr

import "time"

// Event is one AMI event as the tracker reads it: the headers it uses, with
// Asterisk's C escaping undone where Asterisk applies it. The tracker does
// not read AMI text: package cdrfeed translates AMI messages into Events
// (cdrfeed.ParseEvent).
type Event struct {
	Name     string
	Time     time.Time // Asterisk's Timestamp header
	Channel  string
	Uniqueid string
	Linkedid string
	State    string // ChannelStateDesc: Down, Ring, Ringing, Up, Busy …

	CallerNum    string
	CallerName   string // unescaped
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

// ChannelSnapshot is one live channel as CoreShowChannels lists it, for
// resynchronisation.
type ChannelSnapshot struct {
	Channel    string
	Uniqueid   string
	Linkedid   string
	State      string
	CallerNum  string
	CallerName string
	Context    string
	Exten      string
	// Age is how long the channel has existed (CoreShowChannel's Duration).
	Age time.Duration
}
