package callflow

import (
	"fmt"
	"strconv"
)

// Kind is what went wrong.
type Kind int

// Error kinds.
const (
	KindMissing        Kind = iota + 1 // a required part of the request is missing (Field)
	KindInvalid                        // a value is not acceptable (Field; Detail says why)
	KindConflict                       // named several ways where one is allowed (Field)
	KindAmbiguous                      // the number is in several dialplans: name one (Field: the line)
	KindNotFound                       // no such thing (Field: the line, dialplan, route, channel, queue or record; Requested)
	KindBadCredentials                 // unknown agent or wrong PIN: the two are never told apart
	KindMismatch                       // the source line's address is not the one required (FieldCheckHost, FieldCheckContact; Device, Actual, Requested)
	KindLineBusy                       // the source line is not free (State)
	KindNoRecording                    // the call record has no recording
	KindMkdir                          // the recording's new directory cannot be made (Requested)
	KindUnreadable                     // the recording cannot be read (Actual)
	KindMoveFailed                     // the recording cannot be moved there (Requested)
	KindUnavailable                    // Asterisk or the store failed or did not answer: the action may have been carried out
	KindBusy                           // too many secret checks wait (an agent's PIN): nothing was done, try again later
	KindThrottled                      // the client or the agent backs off after failed PIN checks: nothing was done
)

var kindNames = map[Kind]string{
	KindMissing: "missing", KindInvalid: "invalid", KindConflict: "conflict", KindAmbiguous: "ambiguous",
	KindNotFound: "not found", KindBadCredentials: "bad credentials", KindMismatch: "mismatch",
	KindLineBusy: "line busy", KindNoRecording: "no recording", KindMkdir: "mkdir failed",
	KindUnreadable: "unreadable", KindMoveFailed: "move failed", KindUnavailable: "unavailable",
	KindBusy: "busy", KindThrottled: "throttled",
}

func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return "kind " + strconv.Itoa(int(k))
}

// Field is the part of a request an error is about. Dialects name fields
// in their own parameters.
type Field int

// Fields.
const (
	FieldNone                    Field = iota
	FieldSource                        // the line rung first: click-to-call's and spying's source, an agent's line
	FieldSourceDialplan                // the dialplan the source line's number is looked up in
	FieldTarget                        // spying: the line listened to
	FieldTargetDialplan                // spying: the dialplan of that line
	FieldTargetChannel                 // spying: the channel listened to
	FieldDestination                   // the number dialled
	FieldSourceRing                    // how long the source line rings
	FieldDestinationRing               // how long the destination rings
	FieldSourceCallerNumber            // the caller number the source line's phone shows
	FieldSourceCallerName              // the caller name the source line's phone shows
	FieldDestinationCallerNumber       // the caller number the destination sees
	FieldDestinationCallerName         // the caller name the destination sees
	FieldCustom1                       // values kept in the call's CDR: FieldCustom1+i is Custom[i]
	FieldCustom2
	FieldCustom3
	FieldCustom4
	FieldRecordingFile   // a recording's file name
	FieldRecordingDir    // a recording's directory
	FieldPreDial         // the routine run on the destination before it rings
	FieldCheckHost       // the address the source line's phone must be registered from
	FieldCheckContact    // the address the source line's contact must have
	FieldOutRoute        // the outbound route
	FieldContext         // dial: where an answered call goes on
	FieldFailContext     // dial: what runs when the number does not answer
	FieldChannel         // a channel (hangup)
	FieldAgent           // an agent's number and PIN
	FieldQueue           // a queue
	FieldPenalty         // an agent's penalty in a queue
	FieldRecord          // a call record (main or sub-record id)
	FieldFlow            // a call flow's technical extension (outbound IVR)
	FieldDigits          // digits read out to a callee (outbound IVR)
	FieldUser            // a PBX user
	FieldStatus          // an operator status
	FieldFrom            // the start of a time range
	FieldTo              // the end of a time range
	FieldForwardType     // a call forward's type
	FieldDestinationType // a call forward's destination type
	FieldCallType        // the calls a forward applies to
	FieldEntry           // a phonebook entry (its telephone number)
	FieldCustomField     // a phonebook entry's custom field values
	FieldOffset          // where a list starts
	FieldLimit           // how long a list is at most
)

var fieldNames = [...]string{
	"", "source", "source dialplan", "target", "target dialplan", "target channel", "destination",
	"source ring time", "destination ring time", "source caller number", "source caller name",
	"destination caller number", "destination caller name", "custom 1", "custom 2", "custom 3", "custom 4",
	"recording file", "recording directory", "pre-dial routine", "check host", "check contact",
	"outbound route", "context", "fail context", "channel", "agent", "queue", "penalty", "record",
	"call flow", "digits", "user", "status", "from", "to", "forward type", "destination type", "call type",
	"phonebook entry", "custom fields", "offset", "limit",
}

func (f Field) String() string {
	if f >= 0 && int(f) < len(fieldNames) {
		return fieldNames[f]
	}
	return "field " + strconv.Itoa(int(f))
}

// Error is an action's failure.
type Error struct {
	Kind  Kind
	Field Field
	// State is the line's state (KindLineBusy).
	State LineState
	// Device, Actual and Requested describe a mismatch (the line's device,
	// PJSIP/1000, the address it has and the one asked for); Requested is
	// also what was not found or where a recording could not go, Actual
	// the recording that could not be read.
	Device, Actual, Requested string
	// Detail is a human-readable account, in the core's words (no
	// dialect's parameter names).
	Detail string
	// Err is the cause, if any.
	Err error
}

func (e *Error) Error() string {
	s := "callflow: " + e.Kind.String()
	if e.Field != FieldNone {
		s += " (" + e.Field.String() + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Missing is the error of a required field left empty.
func Missing(f Field) *Error {
	return &Error{Kind: KindMissing, Field: f, Detail: "missing " + f.String()}
}

// Invalid is the error of a value that is not acceptable; dialects use it
// for what they cannot decode (a ring time that is not a number).
func Invalid(f Field, format string, a ...any) *Error {
	return &Error{Kind: KindInvalid, Field: f, Detail: fmt.Sprintf(format, a...)}
}

// NotFound is the error of a field that names nothing (requested: what it
// named).
func NotFound(f Field, requested string) *Error {
	return &Error{Kind: KindNotFound, Field: f, Requested: requested, Detail: f.String() + " not found"}
}

// unavailable wraps a failure of Asterisk or the store.
func unavailable(what string, err error) *Error {
	return &Error{Kind: KindUnavailable, Detail: what + ": " + err.Error(), Err: err}
}
