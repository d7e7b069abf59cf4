package agents

import "errors"

// Sentinel errors. Errors from this package wrap them with details (test with
// errors.Is), except ErrBadCredentials, which is always returned as is.
var (
	// ErrBadCredentials is the single answer of Check to an unknown agent
	// number or a wrong PIN; it does not say which.
	ErrBadCredentials = errors.New("agents: bad agent number or PIN")
	// ErrBusy is returned by a Checker when too many secret checks wait for
	// the hashing: the request may be repeated later.
	ErrBusy = errors.New("agents: too many PIN checks waiting")
	// ErrThrottled is returned by a Checker, without checking the PIN, while
	// the client, the agent number or the pair backs off after failures.
	ErrThrottled = errors.New("agents: too many failed PIN checks; try again later")
	// ErrExists is returned by Add when an agent of that number exists.
	ErrExists = errors.New("agents: agent already exists")
	// ErrNotFound is returned when there is no agent of that number.
	ErrNotFound = errors.New("agents: no such agent")
	// ErrInvalid is returned for a bad number, PIN, name, queue, penalty or
	// login channel (see Add and SetLogin for the rules); the wrapping error
	// says which.
	ErrInvalid = errors.New("agents: invalid input")
)
