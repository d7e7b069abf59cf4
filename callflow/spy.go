package callflow

import (
	"context"
	"strconv"
)

// SpyRequest rings a supervisor's line; when it answers, it hears the
// target line's call or the target channel.
type SpyRequest struct {
	Source        LineSelector
	Target        LineSelector
	TargetChannel string
	SpyCid        string
	SpyName       string
}

// Spy starts listening in.
func (s *Service) Spy(ctx context.Context, r SpyRequest) error {
	if r.Source.given() == 0 {
		return &Error{Kind: KindMissing, Role: RoleSource, Detail: "no source line named"}
	}
	if r.Source.given() > 1 {
		return &Error{Kind: KindConflict, Role: RoleSource, Detail: "name the source line one way only"}
	}
	targets := r.Target.given()
	if r.TargetChannel != "" {
		targets++
	}
	if targets == 0 {
		return &Error{Kind: KindMissing, Role: RoleDestination, Detail: "no line or channel to listen to"}
	}
	if targets > 1 {
		return &Error{Kind: KindConflict, Role: RoleDestination, Detail: "name what to listen to one way only"}
	}
	src, err := s.findLine(r.Source, RoleSource)
	if err != nil {
		return err
	}
	var target string
	if r.TargetChannel != "" {
		if !channelRE.MatchString(r.TargetChannel) {
			return &Error{Kind: KindChannelNotFound, Role: RoleDestination, Param: "dstChannelName", Detail: "destination channel not found"}
		}
		if !s.channelExists(r.TargetChannel) {
			return &Error{Kind: KindChannelNotFound, Role: RoleDestination, Param: "dstChannelName", Detail: "destination channel " + r.TargetChannel + " not found"}
		}
		target = r.TargetChannel
	} else {
		line, err := s.findLine(r.Target, RoleDestination)
		if err != nil {
			return err
		}
		// ChanSpy takes a prefix: "PJSIP/1001-" is every call of the line.
		target = line.Endpoint() + "-"
	}
	cid := r.SpyCid
	if cid == "" {
		cid = "000"
	}
	if err := CheckNumber("spyCid", cid); err != nil {
		return err
	}
	name := r.SpyName
	if name == "" {
		name = "Spy"
		if r.SpyCid != "" {
			name = cid
		}
	}
	if err := CheckText("spyName", name, 80); err != nil {
		return err
	}
	return s.startCall(ctx, "spying", map[string]string{
		"Channel":  src.Endpoint(),
		"Context":  ctxSpy,
		"Exten":    "s",
		"Priority": "1",
		"Timeout":  strconv.Itoa(s.cfg.SrcRingTimeout * 1000),
		"CallerID": callerID(name, cid),
	}, map[string]string{"CALLCTL_SPY_TARGET": target})
}

// channelExists reports whether a channel of that name is up.
func (s *Service) channelExists(name string) bool {
	for _, c := range s.calls.Live() {
		for _, ch := range c.Channels {
			if ch.Name == name {
				return true
			}
		}
	}
	return false
}
