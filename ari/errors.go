package ari

import (
	"errors"
	"fmt"
	"net/http"
)

var (
	// ErrInvalidID is returned, before any request, for an id or name that
	// holds characters other than letters, digits, '.', '_' and '-'.
	ErrInvalidID = errors.New("ari: invalid id or name")
	// ErrNotConnected is returned by calls that need the event stream
	// (originating into the application) while it is down.
	ErrNotConnected = errors.New("ari: not connected to Asterisk")
)

// Error is a non-2xx answer from ARI.
type Error struct {
	Operation string
	Status    int    // HTTP status
	Message   string // Asterisk's "message", or the status text
}

func (e *Error) Error() string {
	return fmt.Sprintf("ari: %s: %d %s", e.Operation, e.Status, e.Message)
}

// IsNotFound reports whether err is ARI's 404 (no such channel, bridge,
// recording …).
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// safeID reports whether s may go into a URL path: ARI does not escape ids.
func safeID(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '.' || c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return s != "." && s != ".."
}

func checkIDs(ids ...string) error {
	for _, id := range ids {
		if !safeID(id) {
			return fmt.Errorf("%w: %q", ErrInvalidID, id)
		}
	}
	return nil
}
