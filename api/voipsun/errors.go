package voipsun

import (
	"errors"
	"net/http"
	"strings"

	"github.com/callctl/callctl/callflow"
)

// apiError is the seed's error answer; status is the HTTP status (200 for
// the seed's own errors).
type apiError struct {
	Success string `json:"success"`
	Errno   string `json:"errno"`
	Reason  string `json:"reason"`
	status  int
}

func newError(errno, reason string) *apiError {
	return &apiError{Success: "false", Errno: errno, Reason: reason, status: http.StatusOK}
}

// The seed's general errors, and callctl's 130.
var (
	errUnauthorized  = newError("100", "Unauthorized user or bad permissions")
	errUnknownAction = newError("110", "Unknown action")
	errMissing       = newError("120", "Missing required parameters")
)

func errInvalid(detail string) *apiError {
	return newError("130", "Invalid parameter value: "+detail)
}

// The seed's texts (typos included) by error number.
const (
	textOneSource     = "Use only one of next variables: srcExtenPublicNum, srcExtenInternalNum, srcExtenId, srcSipUsername"
	textOneTarget     = "Use only one of next variables: dstExtenPublicNum, dstExtenInternalNum, dstExtenId, dstSipUsername, dstChannelName"
	textDialplanName  = "Parameter dialPlanName missing"
	textExtenNotFound = "Extension not found"
	textDialplanNF    = "Dialplan not found"
	textBadAgent      = "Agent not found, or bad authorization credentials!"
)

// lineStates are checkExten's answers: Asterisk's channel states.
var lineStates = map[callflow.LineState]*apiError{
	callflow.LineUnreachable: newError("220", "SIP channel is unreacheable"),
	"Rsrvd":                  newError("221", "SIP channel status - Channel is down, but reservered"),
	"OffHook":                newError("222", "SIP channel status - Channel is off hook"),
	"Dialing":                newError("223", "SIP channel status - Digits (or equivalent) have been dialed"),
	"Ring":                   newError("224", "SIP channel status - Line is ringing"),
	"Ringing":                newError("225", "SIP channel status - Remote end is ringing"),
	"Up":                     newError("226", "SIP channel status - Line is up"),
	"Busy":                   newError("227", "SIP channel status - Line is busy"),
	"Down":                   newError("228", "SIP channel stauts - Channel is down and available"),
}

// lookupCodes are the numbers of a line lookup's failures, per action and role.
type lookupCodes struct {
	conflict, ambiguous, notFound, dialplan *apiError
}

var (
	originateLookup = lookupCodes{newError("200", textOneSource), newError("201", textDialplanName),
		newError("202", textExtenNotFound), newError("203", textDialplanNF)}
	spySource = lookupCodes{newError("300", textOneSource), newError("302", "Source parameter srcDialplanName missing"),
		newError("303", "Source extension not found"), newError("304", "Source dialplan not found")}
	spyTarget = lookupCodes{newError("301", textOneTarget), newError("310", "Destination parameter dstDialplanName missing"),
		newError("311", "Destination extension not found"), newError("312", "Destination dialplan not found")}
	agentLoginLookup = lookupCodes{newError("501", textOneSource+"."), newError("502", textDialplanName),
		newError("503", textExtenNotFound), newError("504", textDialplanNF)}
)

// codes are an action's error numbers where they depend on the action.
type codes struct {
	lookups map[string]lookupCodes // line lookups, by role
	agent   string                 // unknown agent or wrong PIN
	queue   string                 // unknown queue
}

// translate turns a core error into the dialect's answer.
func translate(err error, c codes) *apiError {
	lookups, agent := c.lookups, c.agent
	var e *callflow.Error
	if !errors.As(err, &e) {
		return &apiError{Success: "false", Errno: "900", Reason: "Asterisk did not carry the action out: " + err.Error(), status: http.StatusServiceUnavailable}
	}
	codes, hasLookup := lookups[e.Role]
	if !hasLookup && len(lookups) == 1 {
		for _, c := range lookups {
			codes, hasLookup = c, true
		}
	}
	switch e.Kind {
	case callflow.KindMissing:
		return errMissing
	case callflow.KindInvalid:
		return errInvalid(e.Detail)
	case callflow.KindConflict:
		if hasLookup && e.Role != "" {
			return codes.conflict
		}
		return errInvalid(e.Detail)
	case callflow.KindAmbiguous:
		return codes.ambiguous
	case callflow.KindNotFound:
		return codes.notFound
	case callflow.KindDialplanNotFound:
		return codes.dialplan
	case callflow.KindHostMismatch:
		return newError("210", "SIP host IP address mismatch. Channel "+e.Device+" is registered from IP "+e.Actual+" but requested IP address is "+e.Requested)
	case callflow.KindContactMismatch:
		return newError("211", "SIP host contact IP address mismatch. Contact IP address of the channel "+e.Device+" is "+e.Actual+", but requested IP address is "+e.Requested)
	case callflow.KindLineState:
		if a, ok := lineStates[e.State]; ok {
			return a
		}
		return lineStates[callflow.LineUnreachable]
	case callflow.KindOutRouteNotFound:
		return newError("250", "Outroute not found!")
	case callflow.KindChannelNotFound:
		if hasLookup && e.Role == callflow.RoleDestination {
			return codes.notFound
		}
		return newError("401", "Channel not found")
	case callflow.KindBadAgent:
		return newError(agent, textBadAgent)
	case callflow.KindQueueNotFound:
		return newError(c.queue, "Queue "+e.Requested+" not found!")
	case callflow.KindCDRNotFound:
		return newError("800", "CDR record not found!")
	case callflow.KindNoRecording:
		return newError("801", "CDR not contain any information about audio record!")
	case callflow.KindMkdir:
		return newError("810", "Destination folder does not exist and mkdir command failed. Please check parent folder permissions!")
	case callflow.KindSourceUnreadable:
		return newError("811", "Source file ("+e.Actual+") not exist or insufficient permissions to read them!")
	case callflow.KindMoveFailed:
		return newError("812", "Cannot move file to ("+e.Requested+"). Check destination folder permissions!")
	}
	return &apiError{Success: "false", Errno: "900", Reason: "Asterisk did not carry the action out: " + strings.TrimPrefix(e.Error(), "callflow: "), status: http.StatusServiceUnavailable}
}
