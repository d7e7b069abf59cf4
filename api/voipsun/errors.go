package voipsun

import (
	"errors"
	"strconv"

	"github.com/callctl/callctl/api"
	"github.com/callctl/callctl/callflow"
)

// apiError is the seed's error answer.
type apiError struct {
	Success string `json:"success"`
	Errno   string `json:"errno"`
	Reason  string `json:"reason"`
}

func newError(errno, reason string) *apiError {
	return &apiError{Success: "false", Errno: errno, Reason: reason}
}

// The seed's general errors, and callctl's.
var (
	errUnauthorized  = newError("100", "Unauthorized user or bad permissions")
	errUnknownAction = newError("110", "Unknown action")
	errMissing       = newError("120", "Missing required parameters")
	errMethod        = newError("405", "Method not allowed")
	errTooLarge      = newError("413", "Request body too large")
	errThrottled     = newError("429", "Too many failed logins; try again later")
	errBusy          = newError("503", "Too many requests waiting; try again later")
)

func errInvalid(detail string) *apiError {
	return newError("130", "Invalid parameter value: "+detail)
}

func errAsterisk(detail string) *apiError {
	return newError("900", "Asterisk did not carry the action out: "+detail)
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

// lookupCodes are the numbers of a line lookup's failures, per action and line.
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
	lookups map[callflow.Field]lookupCodes // line lookups, by the line's field
	agent   string                         // unknown agent or wrong PIN
	queue   string                         // unknown queue
}

// lineOf is the line a dialplan field belongs to.
var lineOf = map[callflow.Field]callflow.Field{
	callflow.FieldSourceDialplan: callflow.FieldSource,
	callflow.FieldTargetDialplan: callflow.FieldTarget,
	callflow.FieldTargetChannel:  callflow.FieldTarget,
}

// answer is the seed's answer to a failed request: the api layer's errors,
// the core's (by kind and field, with the action's own numbers), anything
// else as 900. p are the request's parameters (nil before they are read).
func answer(actionName string, p params, err error) *apiError {
	switch {
	case errors.Is(err, api.ErrMethodNotAllowed):
		return errMethod
	case errors.Is(err, api.ErrBodyTooLarge):
		return errTooLarge
	case errors.Is(err, api.ErrUnknownAction):
		return errUnknownAction
	case errors.Is(err, api.ErrUnauthorized):
		return errUnauthorized
	case errors.Is(err, api.ErrBusy):
		return errBusy
	case errors.Is(err, api.ErrThrottled):
		return errThrottled
	}
	var re *api.RequestError
	if errors.As(err, &re) {
		return errInvalid(re.Detail)
	}
	var e *callflow.Error
	if !errors.As(err, &e) {
		return errAsterisk(err.Error())
	}
	c := actions[actionName].codes
	lookup, hasLookup := c.lookups[e.Field]
	if !hasLookup {
		lookup, hasLookup = c.lookups[lineOf[e.Field]]
	}
	or := func(a *apiError) *apiError {
		if a == nil || !hasLookup {
			return errAsterisk(e.Detail) // no number for it: cannot happen in this action
		}
		return a
	}
	switch e.Kind {
	case callflow.KindMissing:
		if e.Field == callflow.FieldChannel {
			return newError("400", "Parameter channelName is empty")
		}
		return errMissing
	case callflow.KindInvalid:
		if e.Field == callflow.FieldNone {
			return errInvalid(e.Detail)
		}
		return errInvalid(paramName(actionName, p, e.Field) + ": " + e.Detail)
	case callflow.KindConflict:
		switch {
		case e.Field == callflow.FieldOutRoute:
			return errInvalid("use only one of outrouteName, outrouteId")
		case hasLookup:
			return lookup.conflict
		}
		return errInvalid(e.Detail)
	case callflow.KindAmbiguous:
		return or(lookup.ambiguous)
	case callflow.KindNotFound:
		switch e.Field {
		case callflow.FieldSource, callflow.FieldTarget, callflow.FieldTargetChannel:
			return or(lookup.notFound)
		case callflow.FieldSourceDialplan, callflow.FieldTargetDialplan:
			return or(lookup.dialplan)
		case callflow.FieldChannel:
			return newError("401", "Channel not found")
		case callflow.FieldOutRoute:
			return newError("250", "Outroute not found!")
		case callflow.FieldQueue:
			if c.queue == "" {
				return errAsterisk(e.Detail)
			}
			return newError(c.queue, "Queue "+e.Requested+" not found!")
		case callflow.FieldRecord:
			return newError("800", "CDR record not found!")
		}
	case callflow.KindBusy:
		return errBusy
	case callflow.KindThrottled:
		return errThrottled
	case callflow.KindBadCredentials:
		if c.agent == "" {
			return errAsterisk(e.Detail)
		}
		return newError(c.agent, textBadAgent)
	case callflow.KindMismatch:
		if e.Field == callflow.FieldCheckContact {
			return newError("211", "SIP host contact IP address mismatch. Contact IP address of the channel "+e.Device+" is "+e.Actual+", but requested IP address is "+e.Requested)
		}
		return newError("210", "SIP host IP address mismatch. Channel "+e.Device+" is registered from IP "+e.Actual+" but requested IP address is "+e.Requested)
	case callflow.KindLineBusy:
		if a, ok := lineStates[e.State]; ok {
			return a
		}
		return lineStates[callflow.LineUnreachable]
	case callflow.KindNoRecording:
		return newError("801", "CDR not contain any information about audio record!")
	case callflow.KindMkdir:
		return newError("810", "Destination folder does not exist and mkdir command failed. Please check parent folder permissions!")
	case callflow.KindUnreadable:
		return newError("811", "Source file ("+e.Actual+") not exist or insufficient permissions to read them!")
	case callflow.KindMoveFailed:
		return newError("812", "Cannot move file to ("+e.Requested+"). Check destination folder permissions!")
	}
	return errAsterisk(e.Detail)
}

// paramName is the dialect's parameter for a core field, in an action.
func paramName(action string, p params, f callflow.Field) string {
	spying, moving := action == "spying", action == "moverecord"
	switch f {
	case callflow.FieldDestination:
		return "dstNum"
	case callflow.FieldSourceRing:
		return "srcRingTimeout"
	case callflow.FieldDestinationRing:
		return "dstRingTimeout"
	case callflow.FieldSourceCallerNumber:
		if spying {
			return "spyCid"
		}
		return "dialerCid"
	case callflow.FieldSourceCallerName, callflow.FieldDestinationCallerName:
		if spying {
			return "spyName"
		}
		return "dialerName"
	case callflow.FieldDestinationCallerNumber:
		if action == "dial" && p.get("overrideCallerId") == "" {
			return "dialerCid"
		}
		return "overrideCallerId"
	case callflow.FieldCustom1, callflow.FieldCustom2, callflow.FieldCustom3, callflow.FieldCustom4:
		return "customCDR" + strconv.Itoa(int(f-callflow.FieldCustom1)+1)
	case callflow.FieldRecordingFile:
		if moving {
			return "filename"
		}
		return "monitorFilename"
	case callflow.FieldRecordingDir:
		if moving {
			return "path"
		}
		return "monitorPath"
	case callflow.FieldPreDial:
		return "macro"
	case callflow.FieldCheckHost:
		return "checkIpHost"
	case callflow.FieldCheckContact:
		return "checkIpContact"
	case callflow.FieldOutRoute:
		if p.get("outrouteId") != "" {
			return "outrouteId"
		}
		return "outrouteName"
	case callflow.FieldContext:
		return "context"
	case callflow.FieldFailContext:
		return "hangupContext"
	case callflow.FieldChannel:
		return "channelName"
	case callflow.FieldTargetChannel:
		return "dstChannelName"
	case callflow.FieldAgent:
		return "agentNumber"
	case callflow.FieldQueue:
		return "queueName"
	case callflow.FieldPenalty:
		return "penalty"
	case callflow.FieldRecord:
		return "cdrId"
	case callflow.FieldSourceDialplan:
		if spying {
			return "srcDialplanName"
		}
		return "dialplanName"
	case callflow.FieldTargetDialplan:
		return "dstDialplanName"
	}
	return f.String()
}
