package callflow

import (
	"context"
	"regexp"
	"strconv"
	"time"

	"github.com/callctl/callctl/pbx"
)

// ctxOutboundIVR is where an answered outbound IVR call goes
// (test/asterisk/etc/extensions_vipex.conf): the flow's language is set,
// the digits are read out, then the call goes on in the flow.
const ctxOutboundIVR = "callctl-outbound-ivr"

// digitsRE are what SayDigits reads out.
var digitsRE = regexp.MustCompile(`^[0-9*#]{1,32}$`)

// OutboundIVRRequest calls a number; when it answers, it hears Digits
// read out in the call flow's language, then the call goes on in the call
// flow of technical extension Flow.
type OutboundIVRRequest struct {
	Destination string
	Flow        string
	// Digits (optional) are read out with SayDigits: 0-9, * and #, at
	// most 32.
	Digits string
}

// techExten finds the technical extension exten and its language: the
// stored flow's (the single source of a stored flow's language), else
// pbx.flows' (technical extensions only the dialplan has, e.g. the test
// bed's 700 and 701).
func (c *Calls) techExten(exten string) (pbx.Flow, bool) {
	if c.Flows != nil {
		lang, ok, err := c.Flows.FlowLanguage(exten)
		switch {
		case err != nil:
			c.log.Warn().Err(err).Str("exten", exten).Msg("reading the flow store: trying pbx.flows")
		case ok:
			return pbx.Flow{Exten: exten, Language: lang}, true
		}
	}
	return c.Directory.Flow(exten)
}

// OutboundIVR starts an outbound IVR call. The number is dialled as a
// click-to-call's destination is (a line directly, anything else through
// the first outbound route).
func (c *Calls) OutboundIVR(ctx context.Context, r OutboundIVRRequest) (CallRef, error) {
	if r.Destination == "" {
		return CallRef{}, Missing(FieldDestination)
	}
	if err := checkNumber(FieldDestination, r.Destination); err != nil {
		return CallRef{}, err
	}
	if r.Flow == "" {
		return CallRef{}, Missing(FieldFlow)
	}
	flow, ok := c.techExten(r.Flow)
	if !ok {
		return CallRef{}, NotFound(FieldFlow, r.Flow)
	}
	if r.Digits != "" && !digitsRE.MatchString(r.Digits) {
		return CallRef{}, Invalid(FieldDigits, "%s: 0-9, * and # only, at most 32", quote(r.Digits))
	}
	vars, err := c.callVariables(CallOptions{})
	if err != nil {
		return CallRef{}, err
	}
	timeout, _ := strconv.Atoi(vars["CALLCTL_DST_TIMEOUT"])
	vars["CALLCTL_DIAL_OPTIONS"] = ""
	vars["CALLCTL_DIAL"] = c.dialString(r.Destination)
	vars["CALLCTL_DST"] = r.Destination
	vars["CALLCTL_CONTEXT"] = ctxOutboundIVR
	vars["CALLCTL_EXTEN"] = flow.Exten
	vars["CALLCTL_HANGUP_CONTEXT"] = ""
	vars["CALLCTL_SAY_LANGUAGE"] = flow.Language
	vars["CALLCTL_SAY_DIGITS"] = r.Digits
	return c.start(ctx, ActionDialToContext, originate{
		// As Dial's: the ;2 half rings the number, this one goes on in
		// callctl-dial-answered once it answers.
		headers: map[string]string{
			"Channel":  "Local/" + r.Destination + "@" + ctxDial + "/n",
			"Context":  ctxDialAnswered,
			"Exten":    "s",
			"Priority": "1",
		},
		vars: vars, local: true,
		ring: time.Duration(timeout+5) * time.Second,
	})
}
