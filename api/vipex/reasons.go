package vipex

import (
	"errors"

	"github.com/callctl/callctl/api"
	"github.com/callctl/callctl/callflow"
)

// reason is one of the dialect's failure reasons. The seed gives none:
// these are callctl's, in English, listed in README.md. A reason with
// withValue is followed by ": " and the parameter or value it is about.
type reason struct {
	text      string
	withValue bool
}

// The reasons: one table.
var (
	reasonUnauthorized = reason{"Authentication failed or the user may not do this action", false}
	reasonThrottled    = reason{"Too many failed logins; try again later", false}
	reasonBusy         = reason{"Too many requests waiting; try again later", false}
	reasonMethod       = reason{"Method not allowed: use GET or POST", false}
	reasonTooLarge     = reason{"Request body too large", false}
	reasonRequest      = reason{"The request cannot be read", true}
	reasonRT           = reason{"Not the API: rt=api is required, rt is", true}
	reasonVersion      = reason{"Unsupported version (only 1.0)", true}
	reasonFormat       = reason{"Unsupported format (json, xml or php)", true}
	reasonNoAction     = reason{"Missing parameter: action", false}
	reasonUnknown      = reason{"Unknown action", false}
	reasonMissing      = reason{"Missing parameter", true}
	reasonInvalid      = reason{"Invalid parameter value", true}
	reasonSubscription = reason{"Unknown vipex_id", true}
	reasonExten        = reason{"Unknown extension", true}
	reasonAmbiguous    = reason{"The extension is in several dialplans", true}
	reasonFlow         = reason{"Unknown call flow extension", true}
	reasonBadRef       = reason{"Unknown recording reference", false}
	reasonExpiredRef   = reason{"The recording reference has expired", false}
	reasonNoRecording  = reason{"The call has no recording", false}
	reasonUnreadable   = reason{"The recording cannot be read", false}
	reasonUser         = reason{"Unknown user", true}
	reasonStatus       = reason{"Unknown operator status", true}
	reasonNotOperator  = reason{"The user is not an operator", true}
	reasonNoForward    = reason{"No such call forward", true}
	reasonNoEntry      = reason{"No phonebook entry", true}
	reasonNoField      = reason{"Unknown custom field", true}
	reasonPBX          = reason{"The PBX did not carry the action out", true}
)

// Reasons are every reason's text, for README and tests.
func Reasons() []string {
	var out []string
	for _, r := range []reason{reasonUnauthorized, reasonThrottled, reasonBusy, reasonMethod, reasonTooLarge,
		reasonRequest, reasonRT, reasonVersion, reasonFormat, reasonNoAction, reasonUnknown, reasonMissing,
		reasonInvalid, reasonSubscription, reasonExten, reasonAmbiguous, reasonFlow, reasonBadRef, reasonExpiredRef,
		reasonNoRecording, reasonUnreadable, reasonUser, reasonStatus, reasonNotOperator, reasonNoForward, reasonNoEntry,
		reasonNoField, reasonPBX} {
		s := r.text
		if r.withValue {
			s += ": …"
		}
		out = append(out, s)
	}
	return out
}

func (r reason) with(v string) string {
	if !r.withValue {
		return r.text
	}
	return r.text + ": " + v
}

// refused is a request the dialect itself refuses (rt, version, format,
// vipex_id). It is a request error to the api layer (HTTP 200, metric
// bad_request).
type refused struct {
	reason reason
	value  string // shown quoted
	req    *api.RequestError
}

func refuse(r reason, value string) *refused {
	e := &refused{reason: r, value: value}
	e.req = &api.RequestError{Detail: e.text()}
	return e
}

func (e *refused) text() string {
	if e.reason == reasonMissing {
		return e.reason.with(e.value) // a parameter's name, not a value
	}
	return e.reason.with(quote(e.value))
}

func (e *refused) Error() string { return "vipex: " + e.text() }
func (e *refused) Unwrap() error { return e.req }

// reasonOf is the reason of a failed request: the dialect's refusals, the
// api layer's errors, the core's (by kind and field, named in the
// action's parameters); anything else failed in the PBX. p are the
// request's parameters (nil before they are read).
func reasonOf(actionName string, p params, err error) string {
	var rf *refused
	if errors.As(err, &rf) {
		return rf.text()
	}
	switch {
	case errors.Is(err, api.ErrMethodNotAllowed):
		return reasonMethod.text
	case errors.Is(err, api.ErrBodyTooLarge):
		return reasonTooLarge.text
	case errors.Is(err, api.ErrUnknownAction):
		return reasonUnknown.text
	case errors.Is(err, api.ErrUnauthorized):
		return reasonUnauthorized.text
	case errors.Is(err, api.ErrBusy):
		return reasonBusy.text
	case errors.Is(err, api.ErrThrottled):
		return reasonThrottled.text
	}
	var re *api.RequestError
	if errors.As(err, &re) {
		return reasonRequest.with(re.Detail)
	}
	var e *callflow.Error
	if !errors.As(err, &e) {
		return reasonPBX.with(err.Error())
	}
	param := actions[actionName].params[e.Field]
	if param == "" {
		param = e.Field.String()
	}
	switch e.Kind {
	case callflow.KindMissing:
		return reasonMissing.with(param)
	case callflow.KindInvalid:
		if e.Field == callflow.FieldNone {
			return reasonInvalid.with(e.Detail)
		}
		return reasonInvalid.with(param + ": " + e.Detail)
	case callflow.KindConflict:
		if e.Field == callflow.FieldUser {
			return reasonNotOperator.with(quote(p.get(param)))
		}
	case callflow.KindAmbiguous:
		return reasonAmbiguous.with(param)
	case callflow.KindNotFound:
		switch e.Field {
		case callflow.FieldSource, callflow.FieldTarget:
			return reasonExten.with(quote(p.get(param)))
		case callflow.FieldForwardType:
			return reasonNoForward.with(quote(p.get(param)))
		case callflow.FieldEntry:
			return reasonNoEntry.with(quote(p.get(param)))
		case callflow.FieldCustomField:
			return reasonNoField.with(e.Detail)
		case callflow.FieldFlow:
			return reasonFlow.with(quote(e.Requested))
		case callflow.FieldUser:
			return reasonUser.with(quote(p.get(param)))
		case callflow.FieldStatus:
			return reasonStatus.with(quote(p.get(param)))
		case callflow.FieldRecord:
			// A genuine reference to a record that is gone (or never
			// had that sub-record).
			return reasonNoRecording.text
		}
	case callflow.KindNoRecording:
		return reasonNoRecording.text
	case callflow.KindUnreadable:
		return reasonUnreadable.text
	}
	return reasonPBX.with(e.Detail)
}
