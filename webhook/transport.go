package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// Transport sends rendered requests. It decides what a failure means: the
// returned error is a *SendError saying whether the same request may
// succeed later. The caller sets the deadline in ctx.
type Transport interface {
	Send(ctx context.Context, req *Request) (*Reply, error)
}

// Reply is a receiver's answer.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte // at most MaxReplyBytes
}

// MaxReplyBytes is how much of a receiver's answer is read.
const MaxReplyBytes = 64 << 10

// Reason says why an attempt ended as it did (a metric label).
type Reason string

// Reasons.
const (
	ReasonOK       Reason = "ok"
	ReasonNetwork  Reason = "network"  // no connection, reset, bad TLS …
	ReasonTimeout  Reason = "timeout"  // the client's timeout passed
	ReasonStatus   Reason = "status"   // the receiver answered other than 2xx
	ReasonRefused  Reason = "refused"  // a destination callctl may not call
	ReasonRender   Reason = "render"   // the delivery could not be rendered
	ReasonGone     Reason = "gone"     // its client or record was deleted
	ReasonShutdown Reason = "shutdown" // interrupted by callctl stopping: not counted
)

// SendError is a failed attempt, classified.
type SendError struct {
	Reason Reason
	Retry  bool          // the same request may succeed later
	After  time.Duration // the receiver's Retry-After (0: none)
	Status int           // the HTTP status, 0 if none
	Err    error
}

func (e *SendError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	return e.Err.Error()
}

func (e *SendError) Unwrap() error { return e.Err }

// HTTPTransport sends over HTTP(S): no proxy, no redirects followed (a
// 3xx is a failure like a 4xx), link-local addresses refused at connect
// time unless allowed, keep-alive connections reused.
type HTTPTransport struct {
	client *http.Client
}

// NewHTTPTransport returns the HTTP transport.
func NewHTTPTransport(allowLinkLocal bool) *HTTPTransport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowLinkLocal {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err == nil && isLinkLocal(ap.Addr()) {
				return fmt.Errorf("%s: %w", address, ErrLinkLocal)
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   maxConcurrency,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: MaxTimeout,
	}
	return &HTTPTransport{client: &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Send implements Transport.
func (t *HTTPTransport) Send(ctx context.Context, r *Request) (*Reply, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, &SendError{Reason: ReasonRender, Err: err}
	}
	req.Header = r.Header.Clone()
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, classifyNetError(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxReplyBytes))
	if err != nil && ctx.Err() != nil {
		return nil, classifyNetError(ctx, err)
	}
	// Drain a little more so the connection can be reused.
	io.CopyN(io.Discard, resp.Body, MaxReplyBytes)
	reply := &Reply{Status: resp.StatusCode, Header: resp.Header, Body: data}
	return reply, classifyStatus(resp.StatusCode, resp.Header, time.Now())
}

func classifyNetError(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, ErrLinkLocal):
		return &SendError{Reason: ReasonRefused, Err: err}
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return &SendError{Reason: ReasonTimeout, Retry: true, Err: fmt.Errorf("no answer within the timeout: %w", err)}
	case ctx.Err() != nil:
		return &SendError{Reason: ReasonShutdown, Retry: true, Err: err}
	}
	return &SendError{Reason: ReasonNetwork, Retry: true, Err: err}
}

// classifyStatus: 2xx is delivered; 408, 429 and 5xx may succeed later
// (with the receiver's Retry-After); anything else will not.
func classifyStatus(status int, h http.Header, now time.Time) error {
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		return &SendError{Reason: ReasonStatus, Retry: true, Status: status, After: retryAfter(h.Get("Retry-After"), now),
			Err: errors.New(http.StatusText(status))}
	}
	return &SendError{Reason: ReasonStatus, Status: status, Err: errors.New(http.StatusText(status))}
}

// retryAfter parses Retry-After: seconds or an HTTP date; 0 if absent or bad.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, 7*24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
