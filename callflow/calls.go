package callflow

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/callctl/callctl/ami"
)

// Hangup hangs a channel up.
func (s *Service) Hangup(ctx context.Context, channel string) error {
	if channel == "" {
		return missing("channelName")
	}
	if !channelRE.MatchString(channel) {
		return &Error{Kind: KindChannelNotFound, Param: "channelName", Detail: "channel not found"}
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.ami.Action(ctx, ami.Action{Name: "Hangup", Headers: map[string]string{"Channel": channel, "Cause": "16"}})
	var re *ami.ResponseError
	if errors.As(err, &re) {
		return &Error{Kind: KindChannelNotFound, Param: "channelName", Detail: "channel " + channel + " not found", Err: err}
	}
	if err != nil {
		return asteriskError("hangup", err)
	}
	return nil
}

// CallChannel is one channel of a call in progress, as listcalls shows it.
type CallChannel struct {
	Name     string
	Context  string
	Src      string // the call's caller
	Dst      string // the line for a line that was rung, else the number dialled
	Seconds  int    // since the channel was created
	Status   string // Asterisk's channel state: Up, Ring, Ringing …
	Trunk    bool   // a trunk's channel, else a line's
	ID       int    // the line's or the trunk's id
	Uniqueid string
}

// ListCalls returns the channels of lines and trunks in calls now, oldest first.
func (s *Service) ListCalls(ctx context.Context) []CallChannel {
	now := s.now()
	var out []CallChannel
	for _, c := range s.calls.Live() {
		for _, ch := range c.Channels {
			cc := CallChannel{Name: ch.Name, Context: ch.Context, Src: c.Caller, Dst: c.Dialled, Status: ch.State,
				Seconds: int(now.Sub(ch.Created).Seconds()), Uniqueid: ch.Uniqueid}
			switch {
			case ch.Line != "":
				e, _ := s.dir.ByEndpoint(ch.Endpoint)
				cc.ID = e.ID
				if c.Inbound || ch.Line != c.Caller {
					cc.Dst = ch.Line // a line that was rung
				}
			case ch.Trunk:
				t, _ := s.dir.Trunk(ch.Endpoint)
				cc.Trunk, cc.ID = true, t.ID
			default:
				continue // Local and other helper channels
			}
			if cc.Seconds < 0 {
				cc.Seconds = 0
			}
			out = append(out, cc)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Seconds != out[j].Seconds {
			return out[i].Seconds > out[j].Seconds
		}
		return strings.Compare(out[i].Name, out[j].Name) < 0
	})
	return out
}

// SIPPeer is a line or a trunk as sipstatus shows it.
type SIPPeer struct {
	Trunk     bool
	ID        int
	User      string // the PJSIP endpoint
	Host      string // where it is registered from ("" when not)
	Port      string
	Status    string // Reachable, Unreachable, NonQualified, Unknown, or "" when not registered
	RTTMicros int
	UserAgent string
	Contact   string
}

// SIPStatus returns every line and trunk with its registration.
func (s *Service) SIPStatus(ctx context.Context) ([]SIPPeer, error) {
	contacts, err := s.contacts(ctx)
	if err != nil {
		return nil, err
	}
	cfg := s.dir.Config()
	var out []SIPPeer
	add := func(trunk bool, id int, ep string) {
		p := SIPPeer{Trunk: trunk, ID: id, User: ep, RTTMicros: -1}
		if c, ok := contacts[ep]; ok {
			p.Host, p.Port, p.Status, p.RTTMicros, p.UserAgent, p.Contact = c.ViaAddr, c.ViaPort, c.Status, c.RTTMicros, c.UserAgent, c.URI
			if trunk && p.Host == "" {
				p.Host = c.URIHost()
			}
		}
		out = append(out, p)
	}
	for _, e := range cfg.Extensions {
		add(false, e.ID, e.SIPUsername)
	}
	for _, t := range cfg.Trunks {
		add(true, t.ID, t.Name)
	}
	return out, nil
}
