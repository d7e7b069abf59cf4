package users

import "errors"

// Sentinel errors. Errors from this package wrap them with details (test with
// errors.Is), except ErrUnauthorized, which is always returned as is.
var (
	// ErrUnauthorized is the single answer to a failed authentication: unknown
	// user, wrong password, or an action the user may not perform. It carries
	// no hint of which; never add one (that would let a caller enumerate user
	// names or probe permissions without the password).
	ErrUnauthorized = errors.New("users: unauthorized")
	// ErrExists is returned by Add when a user of that name exists.
	ErrExists = errors.New("users: user already exists")
	// ErrNotFound is returned by Delete when there is no user of that name.
	ErrNotFound = errors.New("users: no such user")
	// ErrInvalid is returned for a bad user name, password or action name
	// (see Add for the rules); the wrapping error says which.
	ErrInvalid = errors.New("users: invalid input")
	// ErrBusy is returned by a check that could not get a turn at the
	// password hashing (too many checks waiting): the request may be
	// repeated later. Dialects answer it with HTTP 503.
	ErrBusy = errors.New("users: too many password checks waiting")
	// ErrThrottled is returned, without checking the password, while a
	// client or a user name is backing off after failed logins. Dialects
	// answer it with HTTP 429.
	ErrThrottled = errors.New("users: too many failed logins; try again later")
)
