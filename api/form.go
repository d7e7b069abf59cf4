package api

import (
	"errors"
	"net"
	"net/http"
	"net/url"
)

// MaxEcho is how many bytes of a request's value an answer or a log line
// repeats.
const MaxEcho = 64

// Clip shortens s to at most max bytes (at a UTF-8 boundary) and marks the
// cut with an ellipsis.
func Clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// ReadForm reads a GET request's query or a POST request's query and form
// body (the body is already limited by the Server), and refuses a
// parameter given more than once.
func ReadForm(r *http.Request) (url.Values, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return nil, ErrMethodNotAllowed
	}
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, ErrBodyTooLarge
		}
		return nil, &RequestError{Detail: "the request cannot be read: " + Clip(err.Error(), 2*MaxEcho)}
	}
	for name, vs := range r.Form {
		if len(vs) > 1 {
			return nil, &RequestError{Detail: "parameter " + Clip(name, MaxEcho) + " given more than once"}
		}
	}
	return r.Form, nil
}

// ClientIP is the request's peer address without the port.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
