package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/callflow"
)

// echo is a dialect for tests: GET /NAME?action=A answers "NAME A ok" or
// the error, as plain text; the action "fail" fails with a core error.
type echo struct{ name string }

func (d echo) Name() string { return d.name }
func (d echo) Style() Style { return REST }
func (d echo) Decode(r *http.Request) (*Call, error) {
	form, err := ReadForm(r)
	if err != nil {
		return nil, err
	}
	a := form.Get("action")
	if a == "" {
		return nil, ErrUnknownAction
	}
	return &Call{Action: a, Core: callflow.ActionListCalls, Credentials: users.Credentials{Name: form.Get("user")},
		Run: func(context.Context) (any, error) {
			if a == "fail" {
				return nil, callflow.NotFound(callflow.FieldQueue, "q")
			}
			return d.name + " " + a + " ok", nil
		}}, nil
}
func (d echo) Encode(w http.ResponseWriter, status int, c *Call, res any, err error) {
	w.WriteHeader(status)
	if err != nil {
		fmt.Fprint(w, err)
		return
	}
	fmt.Fprint(w, res)
}

type allow struct{}

func (allow) Check(_ context.Context, c users.Credentials, action string) error {
	if c.Name == "nobody" {
		return users.ErrUnauthorized
	}
	return nil
}

// Two dialects on one server, and a second server on the same registry:
// the request metric is registered once and counts each dialect.
func TestSecondDialectSharesTheMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := New(Options{Auth: allow{}, Log: zerolog.Nop(), Metrics: NewMetrics(reg)})
	s.Mount("/one", echo{"one"})
	s.Mount("/two", echo{"two"})
	again := New(Options{Auth: allow{}, Log: zerolog.Nop(), Metrics: NewMetrics(reg)}) // must not panic
	again.Mount("/one", echo{"one"})
	for _, c := range []struct {
		h      http.Handler
		target string
		status int
		body   string
	}{
		{s, "/one?action=a", 200, "one a ok"},
		{s, "/two?action=b", 200, "two b ok"},
		{s, "/two?action=fail", 404, "callflow: not found (queue): queue not found"},
		{s, "/two?action=b&user=nobody", 401, "api: unauthorized"},
		{s, "/two", 404, "api: unknown action"},
		{s, "/two?action=b&action=c", 400, "api: parameter action given more than once"},
		{again, "/one?action=a", 200, "one a ok"},
	} {
		rec := httptest.NewRecorder()
		c.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.target, nil))
		if rec.Code != c.status || rec.Body.String() != c.body {
			t.Errorf("%s: %d %q, want %d %q", c.target, rec.Code, rec.Body, c.status, c.body)
		}
	}
	if n, _ := testutil.GatherAndCount(reg, "callctl_api_request_duration_seconds"); n != 6 {
		t.Errorf("%d series, want 6", n)
	}
	// one/a was counted by both servers in the one series.
	mfs, _ := reg.Gather()
	var count uint64
	for _, m := range mfs[0].GetMetric() {
		l := m.GetLabel() // sorted: action, dialect, result
		if l[0].GetValue() == "a" && l[1].GetValue() == "one" && l[2].GetValue() == "ok" {
			count = m.GetHistogram().GetSampleCount()
		}
	}
	if count != 2 {
		t.Errorf("one/a/ok: %d requests, want 2", count)
	}
}

func TestStatusAndResult(t *testing.T) {
	core := func(k callflow.Kind) error { return &callflow.Error{Kind: k} }
	for _, c := range []struct {
		err            error
		envelope, rest int
		result         string
	}{
		{nil, 200, 200, "ok"},
		{ErrUnknownAction, 200, 404, "unknown_action"},
		{ErrMethodNotAllowed, 405, 405, "bad_request"},
		{ErrBodyTooLarge, 413, 413, "bad_request"},
		{&RequestError{"x"}, 200, 400, "bad_request"},
		{ErrUnauthorized, 200, 401, "unauthorized"},
		{ErrBusy, 503, 503, "busy"},
		{ErrThrottled, 429, 429, "throttled"},
		{core(callflow.KindMissing), 200, 400, "invalid"},
		{core(callflow.KindInvalid), 200, 400, "invalid"},
		{core(callflow.KindNotFound), 200, 404, "not_found"},
		{core(callflow.KindBadCredentials), 200, 403, "refused"},
		{core(callflow.KindLineBusy), 200, 409, "refused"},
		{core(callflow.KindMoveFailed), 200, 409, "failed"},
		{core(callflow.KindUnavailable), 503, 503, "unavailable"},
		{core(callflow.KindBusy), 503, 503, "busy"},
		{core(callflow.KindThrottled), 429, 429, "throttled"},
		{errors.New("ami: not connected"), 503, 503, "unavailable"},
		{fmt.Errorf("wrapped: %w", core(callflow.KindNotFound)), 200, 404, "not_found"},
	} {
		if e, r, res := Status(c.err, Envelope), Status(c.err, REST), Result(c.err); e != c.envelope || r != c.rest || res != c.result {
			t.Errorf("%v: %d %d %s, want %d %d %s", c.err, e, r, res, c.envelope, c.rest, c.result)
		}
	}
}

// Refused requests before authentication: a burst is logged, then the
// rest is counted and the count given with the next line logged.
func TestPreAuthLogSampled(t *testing.T) {
	var logs bytes.Buffer
	s := New(Options{Auth: allow{}, Log: zerolog.New(&logs)})
	s.Mount("/one", echo{"one"})
	for i := 0; i < 100; i++ {
		s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/one?"+strings.Repeat("n", 10000)+"=1&"+strings.Repeat("n", 10000)+"=2", nil))
	}
	if lines := strings.Count(logs.String(), "\n"); lines > logBurst+1 || logs.Len() > 4000 {
		t.Errorf("100 refused requests logged %d lines, %d bytes", lines, logs.Len())
	}
	if s.preAuth.suppressed.Load() < 90 {
		t.Errorf("%d suppressed", s.preAuth.suppressed.Load())
	}
}

func TestClip(t *testing.T) {
	for in, want := range map[string]string{
		"short":                       "short",
		strings.Repeat("a", 70):       strings.Repeat("a", 64) + "…",
		strings.Repeat("é", 40):       strings.Repeat("é", 32) + "…",
		"a" + strings.Repeat("é", 40): "a" + strings.Repeat("é", 31) + "…",
	} {
		if got := Clip(in, 64); got != want {
			t.Errorf("Clip(%q) = %q, want %q", in, got, want)
		}
	}
}

// The client's address reaches the core (agent PIN checks back off by it).
func TestClientAddressReachesTheCore(t *testing.T) {
	s := New(Options{Auth: allow{}, Log: zerolog.Nop()})
	got := make(chan string, 1)
	s.Mount("/c", client{got})
	req := httptest.NewRequest(http.MethodGet, "/c", nil)
	req.RemoteAddr = "192.0.2.7:40000"
	s.ServeHTTP(httptest.NewRecorder(), req)
	if addr := <-got; addr != "192.0.2.7" {
		t.Fatalf("core saw client %q, want 192.0.2.7", addr)
	}
}

type client struct{ got chan string }

func (client) Name() string { return "client" }
func (client) Style() Style { return REST }
func (d client) Decode(r *http.Request) (*Call, error) {
	return &Call{Action: "x", Core: callflow.ActionListCalls, Credentials: users.Credentials{Name: "u", ClientIP: ClientIP(r)},
		Run: func(ctx context.Context) (any, error) { d.got <- callflow.ClientFrom(ctx); return "ok", nil }}, nil
}
func (client) Encode(w http.ResponseWriter, status int, _ *Call, _ any, _ error) {
	w.WriteHeader(status)
}

// bearerEcho is echo whose calls carry the token of ?token= instead of a user.
type bearerEcho struct{ echo }

func (d bearerEcho) Decode(r *http.Request) (*Call, error) {
	c, err := d.echo.Decode(r)
	if c != nil {
		c.Bearer, c.Token = true, r.URL.Query().Get("token")
	}
	return c, err
}

var errBadToken = errors.New("bad token")

type tokenCheck struct{}

func (tokenCheck) Check(_ context.Context, tok, action string) error {
	switch tok {
	case "good":
		return nil
	case "broken":
		return errors.New("store failed")
	}
	return errBadToken
}

// Bearer calls are checked by the token checker, never by the user
// authenticator: a good token runs, a refused one and a checker failure are
// unauthorized, and without a checker every Bearer call is.
func TestBearerCalls(t *testing.T) {
	s := New(Options{Auth: allow{}, Tokens: tokenCheck{}, TokenUnauthorized: errBadToken, Log: zerolog.Nop()})
	s.Mount("/b", bearerEcho{echo{"b"}})
	none := New(Options{Auth: allow{}, Log: zerolog.Nop()})
	none.Mount("/b", bearerEcho{echo{"b"}})
	for _, c := range []struct {
		srv    *Server
		query  string
		status int
	}{
		{s, "action=x&token=good", 200},
		{s, "action=x&token=nope", 401},
		{s, "action=x&token=broken", 401},
		{s, "action=x", 401},
		{none, "action=x&token=good", 401},
	} {
		w := httptest.NewRecorder()
		c.srv.ServeHTTP(w, httptest.NewRequest("GET", "/b?"+c.query, nil))
		if w.Code != c.status {
			t.Errorf("%s: %d %s, want %d", c.query, w.Code, w.Body, c.status)
		}
	}
}
