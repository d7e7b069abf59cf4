package ari

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	lib "github.com/CyCoreSystems/ari/v5"
)

// OriginateParams describes a new outgoing channel. Set either App (the
// channel enters Stasis when answered; AppArgs are its arguments) or
// Context/Exten/Priority.
type OriginateParams struct {
	ID       string        // the new channel's id; required, so events can be matched before the call returns
	Endpoint string        // e.g. PJSIP/1000 or PJSIP/3630111222@carrier
	CallerID string        // "Name" <number>
	Timeout  time.Duration // ring time; required
	App      string        // "" means Context/Exten/Priority
	AppArgs  []string
	Context  string
	Exten    string
	Priority int64
	// OtherID is the id of the second channel of a Local channel pair.
	OtherID string
	// Originator is the channel this one is dialled on behalf of (its
	// linkedid is inherited).
	Originator string
	Variables  map[string]string
}

// Originate creates and dials a channel. It returns once Asterisk accepted
// the request; the channel's progress arrives as events.
func (c *Client) Originate(ctx context.Context, p OriginateParams) (*Channel, error) {
	if err := checkIDs(p.ID); err != nil {
		return nil, err
	}
	if p.OtherID != "" {
		if err := checkIDs(p.OtherID); err != nil {
			return nil, err
		}
	}
	if p.Endpoint == "" || p.Timeout <= 0 {
		return nil, &Error{Operation: "originate", Status: http.StatusBadRequest, Message: "endpoint and timeout are required"}
	}
	req := lib.OriginateRequest{
		Endpoint:       p.Endpoint,
		Timeout:        int((p.Timeout + time.Second - 1) / time.Second),
		CallerID:       p.CallerID,
		Context:        p.Context,
		Extension:      p.Exten,
		Priority:       p.Priority,
		App:            p.App,
		AppArgs:        strings.Join(p.AppArgs, ","),
		ChannelID:      p.ID,
		OtherChannelID: p.OtherID,
		Originator:     p.Originator,
		Variables:      p.Variables,
	}
	var d lib.ChannelData
	if err := c.call(ctx, "channel_originate", http.MethodPost, "/channels/"+p.ID, nil, req, &d); err != nil {
		return nil, err
	}
	return channelFromLib(&d), nil
}

// Channel returns a channel's current state.
func (c *Client) Channel(ctx context.Context, id string) (*Channel, error) {
	if err := checkIDs(id); err != nil {
		return nil, err
	}
	// Not the library's ChannelData: its UnmarshalJSON would take the whole
	// answer, and its dialplan has no app_name and app_data.
	var d wireChannel
	if err := c.call(ctx, "channel_get", http.MethodGet, "/channels/"+id, nil, nil, &d); err != nil {
		return nil, err
	}
	return channelFrom(&d)
}

// AppChannels lists the channels the application is subscribed to: those
// in Stasis(app) among them, also while no websocket is connected (after a
// restart of callctl Asterisk keeps them there and sends no new StasisStart).
func (c *Client) AppChannels(ctx context.Context) ([]string, error) {
	var d lib.ApplicationData
	if err := c.call(ctx, "application_get", http.MethodGet, "/applications/"+url.PathEscape(c.cfg.App), nil, nil, &d); err != nil {
		return nil, err
	}
	return d.ChannelIDs, nil
}

// Channels lists every channel Asterisk has.
func (c *Client) Channels(ctx context.Context) ([]*Channel, error) {
	var ds []lib.ChannelData
	if err := c.call(ctx, "channel_list", http.MethodGet, "/channels", nil, nil, &ds); err != nil {
		return nil, err
	}
	out := make([]*Channel, len(ds))
	for i := range ds {
		out[i] = channelFromLib(&ds[i])
	}
	return out, nil
}

// Hangup hangs a channel up; reason is an ARI reason ("normal", "busy",
// "congestion", "no_answer" …) or "" for normal.
func (c *Client) Hangup(ctx context.Context, id, reason string) error {
	if err := checkIDs(id); err != nil {
		return err
	}
	var q url.Values
	if reason != "" {
		q = url.Values{"reason": {reason}}
	}
	return c.call(ctx, "channel_hangup", http.MethodDelete, "/channels/"+id, q, nil, nil)
}

// HangupCode hangs a channel up with a Q.850 cause code (ARI's reason_code).
func (c *Client) HangupCode(ctx context.Context, id string, cause int) error {
	if err := checkIDs(id); err != nil {
		return err
	}
	q := url.Values{"reason_code": {strconv.Itoa(cause)}}
	return c.call(ctx, "channel_hangup", http.MethodDelete, "/channels/"+id, q, nil, nil)
}

// Answer answers a channel in Stasis.
func (c *Client) Answer(ctx context.Context, id string) error {
	if err := checkIDs(id); err != nil {
		return err
	}
	return c.call(ctx, "channel_answer", http.MethodPost, "/channels/"+id+"/answer", nil, nil, nil)
}

// Ring indicates ringing to a channel in Stasis.
func (c *Client) Ring(ctx context.Context, id string) error {
	if err := checkIDs(id); err != nil {
		return err
	}
	return c.call(ctx, "channel_ring", http.MethodPost, "/channels/"+id+"/ring", nil, nil, nil)
}

// Continue sends a channel out of Stasis to the dialplan; empty values keep
// the channel's current ones.
func (c *Client) Continue(ctx context.Context, id, context_, exten string, priority int64) error {
	if err := checkIDs(id); err != nil {
		return err
	}
	q := url.Values{}
	if context_ != "" {
		q.Set("context", context_)
	}
	if exten != "" {
		q.Set("extension", exten)
	}
	if priority > 0 {
		q.Set("priority", strconv.FormatInt(priority, 10))
	}
	return c.call(ctx, "channel_continue", http.MethodPost, "/channels/"+id+"/continue", q, nil, nil)
}

// SetVar sets a channel variable (or dialplan function).
func (c *Client) SetVar(ctx context.Context, id, name, value string) error {
	if err := checkIDs(id); err != nil {
		return err
	}
	q := url.Values{"variable": {name}, "value": {value}}
	return c.call(ctx, "channel_setvar", http.MethodPost, "/channels/"+id+"/variable", q, nil, nil)
}

// GetVar reads a channel variable (or dialplan function).
func (c *Client) GetVar(ctx context.Context, id, name string) (string, error) {
	if err := checkIDs(id); err != nil {
		return "", err
	}
	var out struct {
		Value string `json:"value"`
	}
	err := c.call(ctx, "channel_getvar", http.MethodGet, "/channels/"+id+"/variable", url.Values{"variable": {name}}, nil, &out)
	return out.Value, err
}

// SnoopParams describes a snoop (spy) channel on another channel.
type SnoopParams struct {
	ID      string // the snoop channel's id; required
	Spy     string // audio to hear: "in", "out", "both" or "none"
	Whisper string // audio to speak into: "in", "out", "both" or "none"
	AppArgs []string
}

// Snoop creates a channel that hears (and may whisper into) the channel id;
// it enters the application with AppArgs.
func (c *Client) Snoop(ctx context.Context, id string, p SnoopParams) (*Channel, error) {
	if err := checkIDs(id, p.ID); err != nil {
		return nil, err
	}
	q := url.Values{"app": {c.cfg.App}}
	if p.Spy != "" {
		q.Set("spy", p.Spy)
	}
	if p.Whisper != "" {
		q.Set("whisper", p.Whisper)
	}
	if len(p.AppArgs) > 0 {
		q.Set("appArgs", strings.Join(p.AppArgs, ","))
	}
	var d lib.ChannelData
	if err := c.call(ctx, "channel_snoop", http.MethodPost, "/channels/"+id+"/snoop/"+p.ID, q, nil, &d); err != nil {
		return nil, err
	}
	return channelFromLib(&d), nil
}

// Play starts playing media ("sound:hello-world", "digits:123" …) on a
// channel; playbackID names the playback for its events.
func (c *Client) Play(ctx context.Context, channelID, playbackID string, media ...string) (*Playback, error) {
	return c.play(ctx, "channels", channelID, playbackID, media)
}

func (c *Client) play(ctx context.Context, kind, id, playbackID string, media []string) (*Playback, error) {
	if err := checkIDs(id, playbackID); err != nil {
		return nil, err
	}
	var d lib.PlaybackData
	op := strings.TrimSuffix(kind, "s") + "_play"
	if err := c.call(ctx, op, http.MethodPost, "/"+kind+"/"+id+"/play/"+playbackID, url.Values{"media": media}, nil, &d); err != nil {
		return nil, err
	}
	return playbackFrom(&d), nil
}

// StopPlayback stops a playback.
func (c *Client) StopPlayback(ctx context.Context, playbackID string) error {
	if err := checkIDs(playbackID); err != nil {
		return err
	}
	return c.call(ctx, "playback_stop", http.MethodDelete, "/playbacks/"+playbackID, nil, nil, nil)
}

// Playback returns a playback's state; ARI's 404 (IsNotFound) once it
// has finished.
func (c *Client) Playback(ctx context.Context, playbackID string) (*Playback, error) {
	if err := checkIDs(playbackID); err != nil {
		return nil, err
	}
	var d lib.PlaybackData
	if err := c.call(ctx, "playback_get", http.MethodGet, "/playbacks/"+playbackID, nil, nil, &d); err != nil {
		return nil, err
	}
	return playbackFrom(&d), nil
}

// RecordParams describes a live recording.
type RecordParams struct {
	Name        string // file name without extension, in Asterisk's recording directory; required
	Format      string // wav, gsm …; required
	MaxDuration time.Duration
	MaxSilence  time.Duration
	Beep        bool
	// IfExists: "fail" (default), "overwrite" or "append".
	IfExists string
}

// Record starts recording a channel.
func (c *Client) Record(ctx context.Context, channelID string, p RecordParams) (*LiveRecording, error) {
	return c.record(ctx, "channels", channelID, p)
}

func (c *Client) record(ctx context.Context, kind, id string, p RecordParams) (*LiveRecording, error) {
	if err := checkIDs(id, p.Name, p.Format); err != nil {
		return nil, err
	}
	q := url.Values{"name": {p.Name}, "format": {p.Format}}
	if p.MaxDuration > 0 {
		q.Set("maxDurationSeconds", strconv.Itoa(int(p.MaxDuration/time.Second)))
	}
	if p.MaxSilence > 0 {
		q.Set("maxSilenceSeconds", strconv.Itoa(int(p.MaxSilence/time.Second)))
	}
	if p.Beep {
		q.Set("beep", "true")
	}
	if p.IfExists != "" {
		q.Set("ifExists", p.IfExists)
	}
	var d lib.LiveRecordingData
	op := strings.TrimSuffix(kind, "s") + "_record"
	if err := c.call(ctx, op, http.MethodPost, "/"+kind+"/"+id+"/record", q, nil, &d); err != nil {
		return nil, err
	}
	return liveRecordingFrom(&d), nil
}
