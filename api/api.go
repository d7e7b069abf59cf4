package api

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/callflow"
)

// Authenticator checks a user's credentials and permission for a core
// action (*users.Authenticator). It answers users.ErrUnauthorized,
// users.ErrBusy, users.ErrThrottled, or another error when it cannot tell.
type Authenticator interface {
	Check(ctx context.Context, c users.Credentials, action string) error
}

// TokenChecker checks an OAuth access token and its permission for a core
// action (*oauth.Tokens). Its refusal is Options.TokenUnauthorized; other
// errors are failures of callctl.
type TokenChecker interface {
	Check(ctx context.Context, token, action string) error
}

// Dialect is one wire format of the API, mounted on a Server.
type Dialect interface {
	// Name labels the dialect's metrics and logs ("voipsun").
	Name() string
	// Style is how the dialect carries failures (see Status).
	Style() Style
	// Decode reads a request into a Call. An error (ReadForm's, or
	// ErrUnknownAction) is answered with Encode, with the Call if any.
	Decode(r *http.Request) (*Call, error)
	// Encode writes the answer: the result of the Call, or err, with the
	// HTTP status given (from Status).
	Encode(w http.ResponseWriter, status int, c *Call, result any, err error)
}

// Call is a decoded request.
type Call struct {
	// Action is the dialect's name of the action (a metric label).
	Action string
	// Core is the core action the user must be permitted.
	Core        callflow.Action
	Credentials users.Credentials
	// Bearer: the request is authorized by the OAuth access token Token
	// (Options.Tokens) instead of a user's Credentials.
	Bearer bool
	Token  string
	// Run calls the core. Its result goes to Encode.
	Run func(ctx context.Context) (any, error)
	// State is the dialect's own, for Encode (the decoded parameters).
	State any
}

// Options configure a Server.
type Options struct {
	Auth Authenticator
	// Tokens checks Bearer calls' access tokens (nil: they are refused).
	Tokens TokenChecker
	// TokenUnauthorized is the error Tokens answers for a token it
	// refuses (errors.Is); other errors are failures of callctl.
	TokenUnauthorized error
	// MaxBodyBytes bounds every request body (0: 1 MiB).
	MaxBodyBytes int64
	Log          zerolog.Logger
	// Metrics may be nil (nothing is exported).
	Metrics *Metrics
}

// Server is the mux of every dialect. It is an http.Handler.
type Server struct {
	opts    Options
	mux     *http.ServeMux
	log     zerolog.Logger
	metrics *Metrics
	// Refused requests are logged at most a few lines a second: those
	// before authentication (anyone can send them), and failures after.
	preAuth, failures *sampler
}

// Log sampling: a burst of lines, then at most this many a second.
const (
	logBurst = 5
	logRate  = 2
)

// New returns a Server with no dialect.
func New(o Options) *Server {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	return &Server{opts: o, mux: http.NewServeMux(), log: o.Log.With().Str("pkg", "api").Logger(),
		metrics: o.Metrics, preAuth: newSampler(), failures: newSampler()}
}

// Mount serves d at pattern (http.ServeMux's patterns).
func (s *Server) Mount(pattern string, d Dialect) {
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, d) }))
}

// MountHandler serves h at pattern with the server's body limit and
// request metrics (dialect name, action "request", result by HTTP status):
// for endpoints that are no dialect's calls, as the OAuth token endpoint.
func (s *Server) MountHandler(pattern, name string, h http.Handler) {
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		s.metrics.observe(name, "request", resultOfStatus(sw.status), time.Since(start))
	}))
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// resultOfStatus is the Result label of a handler's HTTP status.
func resultOfStatus(code int) string {
	switch {
	case code < 300:
		return "ok"
	case code == http.StatusUnauthorized, code == http.StatusForbidden:
		return "unauthorized"
	case code == http.StatusTooManyRequests:
		return "throttled"
	case code >= 500:
		return "unavailable"
	}
	return "bad_request"
}

// ServeHTTP routes a request to its dialect.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// serve runs one request: decode, authorize, run, encode, observe.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, d Dialect) {
	start := time.Now()
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	call, err := d.Decode(r)
	authorized := false
	var res any
	if err == nil {
		if err = s.authorize(r.Context(), call); err == nil {
			authorized = true
			res, err = call.Run(callflow.WithClient(r.Context(), call.Credentials.ClientIP))
		}
	}
	d.Encode(w, Status(err, d.Style()), call, res, err)

	action := "unknown"
	if call != nil && call.Action != "" {
		action = call.Action
	}
	result := Result(err)
	s.metrics.observe(d.Name(), action, result, time.Since(start))
	if err != nil {
		s.logFailure(r, d.Name(), action, result, authorized, err)
	}
}

// authorize checks the user's permission for the call's core action.
func (s *Server) authorize(ctx context.Context, c *Call) error {
	var err error
	if c.Bearer {
		if s.opts.Tokens == nil || c.Token == "" {
			return ErrUnauthorized
		}
		err = s.opts.Tokens.Check(ctx, c.Token, string(c.Core))
		if err != nil && s.opts.TokenUnauthorized != nil && errors.Is(err, s.opts.TokenUnauthorized) {
			return ErrUnauthorized
		}
	} else {
		err = s.opts.Auth.Check(ctx, c.Credentials, string(c.Core))
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, users.ErrBusy):
		return ErrBusy
	case errors.Is(err, users.ErrThrottled):
		return ErrThrottled
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ErrBusy // the request ended waiting for its check
	case !errors.Is(err, users.ErrUnauthorized):
		// Still unauthorized for the client, with no hint why.
		if ok, suppressed := s.failures.allow(); ok {
			s.log.Error().Err(err).Int64("suppressed", suppressed).Msg("checking credentials")
		}
	}
	return ErrUnauthorized
}

// logFailure logs a refused or failed request, sampled. A wrong password
// is not logged: it is the commonest flood.
func (s *Server) logFailure(r *http.Request, dialect, action, result string, authorized bool, err error) {
	smp, msg := s.preAuth, "request refused before authentication"
	if authorized {
		switch result {
		case "invalid", "unavailable", "failed":
		default:
			return // the client's business: not found, refused …
		}
		smp, msg = s.failures, "request failed"
	} else if result == "unauthorized" {
		return
	}
	ok, suppressed := smp.allow()
	if !ok {
		return
	}
	ev := s.log.Warn().Str("dialect", dialect).Str("action", action).Str("result", result).
		Str("client", ClientIP(r)).Str("reason", Clip(err.Error(), 4*MaxEcho))
	if suppressed > 0 {
		ev = ev.Int64("suppressed", suppressed)
	}
	ev.Msg(msg)
}

// sampler lets a burst of log lines through, then a few a second, and
// counts the lines it holds back.
type sampler struct {
	lim        *rate.Limiter
	suppressed atomic.Int64
}

func newSampler() *sampler { return &sampler{lim: rate.NewLimiter(logRate, logBurst)} }

// allow reports whether a line may be logged now, and how many were held
// back since the last one.
func (s *sampler) allow() (bool, int64) {
	if !s.lim.Allow() {
		s.suppressed.Add(1)
		return false, 0
	}
	return true, s.suppressed.Swap(0)
}
