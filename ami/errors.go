package ami

import (
	"errors"
	"fmt"
)

var (
	// ErrNotConnected is returned when an action is attempted while the AMI
	// connection is down. The action was not sent.
	ErrNotConnected = errors.New("ami: not connected to Asterisk")

	// ErrUnknownOutcome is returned when no response arrived before the
	// context ended, or the connection dropped while waiting. The action may
	// or may not have been executed by Asterisk: never retry an Originate on it.
	ErrUnknownOutcome = errors.New("ami: no response from Asterisk; the action may or may not have run")

	// ErrInvalidValue is returned when an action name, header or variable
	// holds CR, LF or NUL, or a name holds characters AMI cannot carry.
	// Nothing was sent.
	ErrInvalidValue = errors.New("ami: invalid value")

	// ErrBusy is returned when too many actions wait to be sent. Nothing was sent.
	ErrBusy = errors.New("ami: too many actions waiting to be sent")
)

// ResponseError is Asterisk's "Response: Error" to an action.
type ResponseError struct {
	Action   string
	Message  string
	Response Message
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("ami: %s: %s", e.Action, e.Message)
}
