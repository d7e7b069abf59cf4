package phone

import (
	"fmt"
	"time"
)

// Answer is what a phone does with an incoming call after it has sent
// 180 Ringing. Build one with AnswerAfter, Busy, Reject or NeverAnswer.
type Answer struct {
	answer      bool
	delay       time.Duration
	code        int // final non-2xx response when > 0
	hangupAfter time.Duration
	silent      bool // no 180 Ringing
}

// AnswerAfter answers (200 with SDP) once d has passed since the INVITE.
func AnswerAfter(d time.Duration) Answer { return Answer{answer: true, delay: d} }

// Busy refuses the call at once with 486 Busy Here.
func Busy() Answer { return Reject(486) }

// Reject refuses the call at once with the given final status code (400-699).
func Reject(code int) Answer { return Answer{code: code} }

// NeverAnswer lets the call ring until the caller cancels it or the test
// decides with Call.Answer, Call.Reject or Call.Hangup. It is the default.
func NeverAnswer() Answer { return Answer{} }

// Silent is NeverAnswer without the 180 Ringing: to Asterisk the called
// channel stays in state Down (a phone that got the INVITE and says nothing).
func Silent() Answer { return Answer{silent: true} }

// HangupAfter makes the phone send a BYE d after it has answered.
func (a Answer) HangupAfter(d time.Duration) Answer {
	a.hangupAfter = d
	return a
}

func (a Answer) String() string {
	var s string
	switch {
	case a.answer:
		s = fmt.Sprintf("answer after %v", a.delay)
	case a.code > 0:
		s = fmt.Sprintf("reject with %d", a.code)
	case a.silent:
		s = "never answer, not even 180"
	default:
		s = "never answer"
	}
	if a.hangupAfter > 0 {
		s += fmt.Sprintf(", hang up after %v", a.hangupAfter)
	}
	return s
}

// DialOption changes an outgoing INVITE.
type DialOption func(*dialOptions)

type dialOptions struct {
	callerNumber string
	callerName   string
	headers      [][2]string
}

// WithCallerNumber sets the user part of the From header (default: the
// phone's User). Meant for the carrier phone: an extension must keep its own
// number, as Asterisk identifies extensions by the From user.
func WithCallerNumber(number string) DialOption {
	return func(o *dialOptions) { o.callerNumber = number }
}

// WithCallerName sets the display name of the From header.
func WithCallerName(name string) DialOption {
	return func(o *dialOptions) { o.callerName = name }
}

// WithHeader adds a header to the INVITE.
func WithHeader(name, value string) DialOption {
	return func(o *dialOptions) { o.headers = append(o.headers, [2]string{name, value}) }
}

// reasonPhrase gives the usual reason phrase of a status code.
func reasonPhrase(code int) string {
	switch code {
	case 180:
		return "Ringing"
	case 200:
		return "OK"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 480:
		return "Temporarily Unavailable"
	case 481:
		return "Call/Transaction Does Not Exist"
	case 486:
		return "Busy Here"
	case 487:
		return "Request Terminated"
	case 488:
		return "Not Acceptable Here"
	case 500:
		return "Server Internal Error"
	case 503:
		return "Service Unavailable"
	case 603:
		return "Decline"
	}
	return "Rejected"
}
