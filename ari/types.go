package ari

import (
	"encoding/json"
	"time"

	lib "github.com/CyCoreSystems/ari/v5"
)

// Channel is an Asterisk channel as ARI describes it.
type Channel struct {
	ID              string // the uniqueid, also the AMI Uniqueid
	Name            string // e.g. PJSIP/1000-00000001
	State           string // Down, Ring, Ringing, Up, Busy …
	Accountcode     string
	CallerNumber    string
	CallerName      string
	ConnectedNumber string
	ConnectedName   string
	Context         string
	Exten           string
	Priority        int64
	Created         time.Time
	Vars            map[string]string
	// AppName and AppData are the dialplan application the channel runs
	// (Stasis, callctl,did,3612340300), where ARI sends them (a channel's
	// snapshot, Client.Channel).
	AppName string
	AppData string
}

// wireChannel is ARI's Channel as callctl reads it: the library's
// ChannelData decodes the same fields, but through its own UnmarshalJSON,
// which decodes the channel a second time (and its creation time a third).
type wireChannel struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	State       string `json:"state"`
	Accountcode string `json:"accountcode"`
	Caller      *struct {
		Name   string `json:"name"`
		Number string `json:"number"`
	} `json:"caller"`
	Connected *struct {
		Name   string `json:"name"`
		Number string `json:"number"`
	} `json:"connected"`
	Creationtime string `json:"creationtime"`
	Dialplan     *struct {
		Context  string `json:"context"`
		Exten    string `json:"exten"`
		Priority int64  `json:"priority"`
		AppName  string `json:"app_name"`
		AppData  string `json:"app_data"`
	} `json:"dialplan"`
	ChannelVars map[string]string `json:"channelvars"`
}

// channelFrom converts a decoded channel; a creation time that is not
// ARI's format fails the event, as it did with the library's type.
func channelFrom(d *wireChannel) (*Channel, error) {
	if d == nil {
		return nil, nil
	}
	c := &Channel{ID: d.ID, Name: d.Name, State: d.State, Accountcode: d.Accountcode, Vars: d.ChannelVars}
	if d.Caller != nil {
		c.CallerNumber, c.CallerName = d.Caller.Number, d.Caller.Name
	}
	if d.Connected != nil {
		c.ConnectedNumber, c.ConnectedName = d.Connected.Number, d.Connected.Name
	}
	if p := d.Dialplan; p != nil {
		c.Context, c.Exten, c.Priority, c.AppName, c.AppData = p.Context, p.Exten, p.Priority, p.AppName, p.AppData
	}
	if d.Creationtime != "" {
		t, err := time.Parse(lib.DateFormat, d.Creationtime)
		if err != nil {
			return nil, err
		}
		c.Created = time.Unix(t.Unix(), int64(t.Nanosecond()))
	}
	return c, nil
}

// channelFromLib converts the library's channel (REST answers).
func channelFromLib(d *lib.ChannelData) *Channel {
	if d == nil {
		return nil
	}
	c := &Channel{ID: d.ID, Name: d.Name, State: d.State, Accountcode: d.Accountcode, Vars: d.ChannelVars}
	if d.Caller != nil {
		c.CallerNumber, c.CallerName = d.Caller.Number, d.Caller.Name
	}
	if d.Connected != nil {
		c.ConnectedNumber, c.ConnectedName = d.Connected.Number, d.Connected.Name
	}
	if d.Dialplan != nil {
		c.Context, c.Exten, c.Priority = d.Dialplan.Context, d.Dialplan.Exten, d.Dialplan.Priority
	}
	if d.Creationtime != nil {
		c.Created = time.Unix(d.Creationtime.Seconds, int64(d.Creationtime.Nanos))
	}
	return c
}

// Bridge is an ARI bridge.
type Bridge struct {
	ID       string
	Type     string // mixing, holding …
	Name     string
	Channels []string
}

func bridgeFrom(d *lib.BridgeData) *Bridge {
	if d == nil {
		return nil
	}
	return &Bridge{ID: d.ID, Type: d.Type, Name: d.Name, Channels: d.ChannelIDs}
}

// Playback is a media playback on a channel or bridge.
type Playback struct {
	ID        string
	MediaURI  string
	State     string // queued, playing, done, failed …
	TargetURI string // "channel:ID" or "bridge:ID"
}

func playbackFrom(d *lib.PlaybackData) *Playback {
	if d == nil {
		return nil
	}
	return &Playback{ID: d.ID, MediaURI: d.MediaURI, State: d.State, TargetURI: d.TargetURI}
}

// LiveRecording is a recording in progress (or just finished).
type LiveRecording struct {
	Name      string
	Format    string
	State     string // queued, recording, paused, done, failed, canceled
	Cause     string
	Duration  time.Duration
	TargetURI string
}

func liveRecordingFrom(d *lib.LiveRecordingData) *LiveRecording {
	if d == nil {
		return nil
	}
	return &LiveRecording{Name: d.Name, Format: d.Format, State: d.State, Cause: d.Cause,
		Duration: time.Duration(d.Duration), TargetURI: d.TargetURI}
}

// StoredRecording is a finished recording in Asterisk's recording directory.
type StoredRecording struct {
	Name   string
	Format string
}

// Endpoint is a device as ARI sees it (PJSIP/1000 …).
type Endpoint struct {
	Technology string
	Resource   string
	State      string // online, offline, unknown
	Channels   []string
}

func endpointFrom(d *lib.EndpointData) *Endpoint {
	if d == nil {
		return nil
	}
	return &Endpoint{Technology: d.Technology, Resource: d.Resource, State: d.State, Channels: d.ChannelIDs}
}

// Info is what /asterisk/info tells about the running Asterisk.
type Info struct {
	Version     string
	EntityID    string
	StartupTime time.Time
	ReloadTime  time.Time
}

// Synthetic events added to the stream by this package.
const (
	EventConnected         = "CallctlConnected"         // the application's websocket is up (again)
	EventDisconnected      = "CallctlDisconnected"      // the websocket was lost
	EventAsteriskRestarted = "CallctlAsteriskRestarted" // Asterisk's startup time changed
	EventsLost             = "CallctlEventsLost"        // Count events were dropped before this one
)

// Event is one ARI event. The fields used by an event type are set; Raw keeps
// the whole JSON for anything else.
type Event struct {
	Type        string
	Application string
	Timestamp   time.Time
	Channel     *Channel // StasisStart, ChannelStateChange, ChannelDtmfReceived …
	Peer        *Channel // Dial
	Bridge      *Bridge
	Playback    *Playback
	Recording   *LiveRecording
	Endpoint    *Endpoint
	Args        []string // StasisStart
	Digit       string   // ChannelDtmfReceived
	DialStatus  string   // Dial
	Cause       int      // ChannelDestroyed, ChannelHangupRequest
	Count       int      // EventsLost
	Raw         json.RawMessage
}

// wireEvent is the union of the event fields callctl reads, decoded with the
// library's data types in one pass: every event type decodes, known or not.
type wireEvent struct {
	Type        string                 `json:"type"`
	Application string                 `json:"application"`
	Timestamp   string                 `json:"timestamp"`
	Channel     *wireChannel           `json:"channel"`
	Peer        *wireChannel           `json:"peer"`
	Bridge      *lib.BridgeData        `json:"bridge"`
	Playback    *lib.PlaybackData      `json:"playback"`
	Recording   *lib.LiveRecordingData `json:"recording"`
	Endpoint    *lib.EndpointData      `json:"endpoint"`
	Args        []string               `json:"args"`
	Digit       string                 `json:"digit"`
	DialStatus  string                 `json:"dialstatus"`
	Cause       int                    `json:"cause"`
}

// decodeEvent decodes one websocket message; the event keeps data (Raw),
// which the caller must not change afterwards.
func decodeEvent(data []byte) (Event, error) {
	var w wireEvent
	if err := json.Unmarshal(data, &w); err != nil {
		return Event{}, err
	}
	ch, err := channelFrom(w.Channel)
	if err != nil {
		return Event{}, err
	}
	peer, err := channelFrom(w.Peer)
	if err != nil {
		return Event{}, err
	}
	e := Event{
		Type: w.Type, Application: w.Application,
		Channel: ch, Peer: peer, Bridge: bridgeFrom(w.Bridge),
		Playback: playbackFrom(w.Playback), Recording: liveRecordingFrom(w.Recording), Endpoint: endpointFrom(w.Endpoint),
		Args: w.Args, Digit: w.Digit, DialStatus: w.DialStatus, Cause: w.Cause,
		Raw: data,
	}
	e.Timestamp, _ = time.Parse(lib.DateFormat, w.Timestamp)
	return e, nil
}
