package callflow

import (
	"context"
	"strconv"

	"github.com/callctl/callctl/ami"
)

const (
	ctxDial         = "callctl-dial"
	ctxDialAnswered = "callctl-dial-answered"
)

// DialRequest dials a number through an outbound route; when it answers,
// the call goes on in Context; when it does not (no answer, busy, failure),
// HangupContext runs.
type DialRequest struct {
	OutrouteName  string
	OutrouteID    string
	Context       string
	HangupContext string
	CallOptions
}

// Dial starts a dial to a context.
func (s *Service) Dial(ctx context.Context, r DialRequest) error {
	if r.DstNum == "" {
		return missing("dstNum")
	}
	if r.Context == "" {
		return missing("context")
	}
	if r.OutrouteName == "" && r.OutrouteID == "" {
		return missing("outrouteName")
	}
	if r.OutrouteName != "" && r.OutrouteID != "" {
		return &Error{Kind: KindConflict, Param: "outrouteName", Detail: "use only one of outrouteName, outrouteId"}
	}
	if err := CheckNumber("dstNum", r.DstNum); err != nil {
		return err
	}
	var id int
	if r.OutrouteID != "" {
		n, err := strconv.Atoi(r.OutrouteID)
		if err != nil || n <= 0 {
			return &Error{Kind: KindOutRouteNotFound, Param: "outrouteId", Detail: "outbound route not found"}
		}
		id = n
	}
	route, err := s.dir.OutRoute(r.OutrouteName, id)
	if err != nil {
		return &Error{Kind: KindOutRouteNotFound, Param: "outrouteName", Detail: "outbound route not found", Err: err}
	}
	for _, c := range []struct{ param, name string }{{"context", r.Context}, {"hangupContext", r.HangupContext}} {
		if c.name == "" {
			continue
		}
		if !nameRE.MatchString(c.name) {
			return invalid(c.param, "%q is not a dialplan context name", c.name)
		}
		if err := s.contextExists(ctx, c.param, c.name); err != nil {
			return err
		}
	}
	vars, err := s.callVariables(ctx, r.CallOptions)
	if err != nil {
		return err
	}
	cid, name, err := dialerID(r.CallOptions, "000", "Dialer")
	if err != nil {
		return err
	}
	if r.OverrideCallerID != "" {
		if err := CheckNumber("overrideCallerId", r.OverrideCallerID); err != nil {
			return err
		}
		cid = r.OverrideCallerID
	}
	if vars["CALLCTL_DIAL_OPTIONS"], err = s.dialOptions(ctx, r.Macro); err != nil {
		return err
	}
	timeout, _ := strconv.Atoi(vars["CALLCTL_DST_TIMEOUT"])
	vars["CALLCTL_DIAL"] = route.DialString(r.DstNum)
	vars["CALLCTL_DST"] = r.DstNum
	vars["CALLCTL_CONTEXT"] = r.Context
	vars["CALLCTL_EXTEN"] = s.entryExten(ctx, r.Context, r.DstNum)
	vars["CALLCTL_HANGUP_CONTEXT"] = r.HangupContext
	// A Local channel: its dialling half rings the number (and runs the
	// hangupContext when it does not answer); the other half goes on in
	// the request's context once it answers.
	return s.startCall(ctx, "dial", map[string]string{
		"Channel":  "Local/" + r.DstNum + "@" + ctxDial + "/n",
		"Context":  ctxDialAnswered,
		"Exten":    "s",
		"Priority": "1",
		"Timeout":  strconv.Itoa((timeout + 5) * 1000),
		"CallerID": callerID(name, cid),
	}, vars)
}

// entryExten is where an answered dial enters its context: the dialled
// number if the context has it, else s.
func (s *Service) entryExten(ctx context.Context, context_, number string) string {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if _, _, err := s.ami.List(ctx, ami.Action{Name: "ShowDialPlan", Headers: map[string]string{"Context": context_, "Extension": number}}); err == nil {
		return number
	}
	return "s"
}
