package api

import (
	"errors"
	"net/http"

	"github.com/callctl/callctl/callflow"
)

// Sentinel errors of the api layer; dialects answer each in their own way.
var (
	// ErrUnknownAction: the request names no action of the dialect.
	ErrUnknownAction = errors.New("api: unknown action")
	// ErrMethodNotAllowed: an HTTP method the dialect does not take.
	ErrMethodNotAllowed = errors.New("api: method not allowed")
	// ErrBodyTooLarge: a body over the server's MaxBodyBytes.
	ErrBodyTooLarge = errors.New("api: request body too large")
	// ErrUnauthorized: unknown user, wrong password or an action the user
	// may not perform, never told apart.
	ErrUnauthorized = errors.New("api: unauthorized")
	// ErrBusy: too many password checks waiting; the client may try again
	// later (HTTP 503).
	ErrBusy = errors.New("api: too many requests waiting")
	// ErrThrottled: the client or user name is backing off after failed
	// logins (HTTP 429).
	ErrThrottled = errors.New("api: too many failed logins")
)

// RequestError is a request whose parameters cannot be read: a malformed
// query or body, a parameter given twice.
type RequestError struct {
	Detail string // in English, echoed values clipped
}

func (e *RequestError) Error() string { return "api: " + e.Detail }

// Style is how a dialect carries failures.
type Style int

// Styles.
const (
	// Envelope dialects (VoIPSUN, VIPeX) answer a refused request with
	// HTTP 200 and their error number in the body, as the seeds show;
	// only failures of callctl itself and load shedding change the status.
	Envelope Style = iota
	// REST dialects answer every failure with its own HTTP status.
	REST
)

// Status is the HTTP status of a request's outcome (err nil: success).
func Status(err error, style Style) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrMethodNotAllowed):
		return http.StatusMethodNotAllowed
	case errors.Is(err, ErrBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrBusy):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrThrottled):
		return http.StatusTooManyRequests
	}
	var ce *callflow.Error
	var re *RequestError
	isCore := errors.As(err, &ce)
	switch {
	case isCore && (ce.Kind == callflow.KindUnavailable || ce.Kind == callflow.KindBusy):
		return http.StatusServiceUnavailable
	case isCore && ce.Kind == callflow.KindThrottled:
		return http.StatusTooManyRequests
	case !isCore && !errors.As(err, &re) && !errors.Is(err, ErrUnknownAction) && !errors.Is(err, ErrUnauthorized):
		return http.StatusServiceUnavailable // not the client's fault: Asterisk or callctl failed
	case style == Envelope:
		return http.StatusOK
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrUnknownAction):
		return http.StatusNotFound
	case re != nil:
		return http.StatusBadRequest
	}
	switch ce.Kind {
	case callflow.KindNotFound, callflow.KindNoRecording, callflow.KindUnreadable:
		return http.StatusNotFound
	case callflow.KindBadCredentials:
		return http.StatusForbidden
	case callflow.KindMismatch, callflow.KindLineBusy, callflow.KindMoveFailed:
		return http.StatusConflict
	case callflow.KindMkdir:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest // missing, invalid, conflict, ambiguous
}

// Result is the metric label of a request's outcome: ok, unknown_action,
// bad_request (method, size, unreadable parameters), unauthorized, busy,
// throttled, invalid (missing, invalid, conflicting or ambiguous values),
// not_found, refused (wrong agent PIN, line not free, address mismatch),
// failed (a recording could not be moved) or unavailable (Asterisk or the
// store failed).
func Result(err error) string {
	var ce *callflow.Error
	var re *RequestError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrUnknownAction):
		return "unknown_action"
	case errors.Is(err, ErrMethodNotAllowed), errors.Is(err, ErrBodyTooLarge), errors.As(err, &re):
		return "bad_request"
	case errors.Is(err, ErrUnauthorized):
		return "unauthorized"
	case errors.Is(err, ErrBusy):
		return "busy"
	case errors.Is(err, ErrThrottled):
		return "throttled"
	case !errors.As(err, &ce):
		return "unavailable"
	}
	switch ce.Kind {
	case callflow.KindMissing, callflow.KindInvalid, callflow.KindConflict, callflow.KindAmbiguous:
		return "invalid"
	case callflow.KindNotFound, callflow.KindNoRecording:
		return "not_found"
	case callflow.KindBadCredentials, callflow.KindMismatch, callflow.KindLineBusy:
		return "refused"
	case callflow.KindMkdir, callflow.KindUnreadable, callflow.KindMoveFailed:
		return "failed"
	case callflow.KindBusy:
		return "busy"
	case callflow.KindThrottled:
		return "throttled"
	}
	return "unavailable"
}
