// Package voipsun is the VoIPSUN PBX HTTP API dialect
// (seeds/voipsun-http-api-cs.txt): GET or POST (form) /api/api.php with
// username, password, action and the action's parameters, answered with the
// seed's JSON shapes (string-typed values where the seed shows strings) and
// its errno/reason texts.
//
// The dialect only translates: it decodes a request into a core action
// (package callflow), calls it, and encodes the result or the error. Input
// rules live in the core.
//
// Error numbers beyond the seed's (documented in README.md): 130 invalid
// parameter value, 401 channel not found (hangupcall), 640 queue not found
// (queuestatus), 405 method not allowed, 413 request body too large, 900
// Asterisk did not carry the action out.
package voipsun

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/callflow"
)

// Path is where the dialect is served.
const Path = "/api/api.php"

// Core is what the dialect needs of the core actions (*callflow.Service).
type Core interface {
	Originate(ctx context.Context, r callflow.OriginateRequest) error
	Dial(ctx context.Context, r callflow.DialRequest) error
	Hangup(ctx context.Context, channel string) error
	ListCalls(ctx context.Context) []callflow.CallChannel
	Spy(ctx context.Context, r callflow.SpyRequest) error
	SIPStatus(ctx context.Context) ([]callflow.SIPPeer, error)
	AgentLogin(ctx context.Context, r callflow.AgentLoginRequest) error
	AgentLogout(ctx context.Context, a callflow.AgentCredentials) error
	AgentPause(ctx context.Context, a callflow.AgentCredentials, paused bool) error
	AgentAdd(ctx context.Context, a callflow.AgentCredentials, queue, penalty string) error
	AgentRemove(ctx context.Context, a callflow.AgentCredentials, queue string) error
	AgentStatus(ctx context.Context, a callflow.AgentCredentials) (callflow.AgentState, error)
	QueueStatus(ctx context.Context, name string) (callflow.Queue, error)
	MoveRecord(ctx context.Context, r callflow.MoveRecordRequest) error
}

// Authenticator checks a user's credentials and permission for an action.
type Authenticator interface {
	Check(ctx context.Context, c users.Credentials, action string) error
}

// Handler serves the dialect.
type Handler struct {
	core    Core
	auth    Authenticator
	maxBody int64
	log     zerolog.Logger
	metrics *prometheus.HistogramVec
}

// New returns the handler; reg may be nil.
func New(core Core, auth Authenticator, maxBody int64, log zerolog.Logger, reg prometheus.Registerer) *Handler {
	h := &Handler{core: core, auth: auth, maxBody: maxBody, log: log.With().Str("pkg", "voipsun").Logger(),
		metrics: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "callctl", Subsystem: "api", Name: "request_duration_seconds",
			Help:    "Duration of API requests by dialect, action and errno (0: success).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"dialect", "action", "errno"}),
	}
	if reg != nil {
		reg.MustRegister(h.metrics)
	}
	return h
}

// actions are the dialect's actions.
var actions = map[string]func(h *Handler, ctx context.Context, p params) (any, *apiError){
	"originate":    (*Handler).originate,
	"dial":         (*Handler).dial,
	"hangupcall":   (*Handler).hangupcall,
	"listcalls":    (*Handler).listcalls,
	"spying":       (*Handler).spying,
	"sipstatus":    (*Handler).sipstatus,
	"agentlogin":   (*Handler).agentlogin,
	"agentlogout":  (*Handler).agentlogout,
	"agentpause":   (*Handler).agentpause,
	"agentunpause": (*Handler).agentunpause,
	"agentadd":     (*Handler).agentadd,
	"agentremove":  (*Handler).agentremove,
	"agentstatus":  (*Handler).agentstatus,
	"queuestatus":  (*Handler).queuestatus,
	"moverecord":   (*Handler).moverecord,
}

// ServeHTTP handles one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	action := ""
	var res any
	var ae *apiError
	defer func() {
		code := "0"
		if ae != nil {
			code = ae.Errno
		}
		label := action
		if _, ok := actions[action]; !ok {
			label = "unknown"
		}
		h.metrics.WithLabelValues("voipsun", label, code).Observe(time.Since(start).Seconds())
	}()

	p, ae := h.parse(w, r)
	if ae == nil {
		action = p.get("action")
		res, ae = h.run(r.Context(), action, p, clientIP(r))
	}
	if ae != nil {
		if ae.status >= 500 || ae.Errno == "130" {
			h.log.Warn().Str("action", action).Str("errno", ae.Errno).Str("reason", ae.Reason).Msg("request failed")
		}
		writeJSON(w, ae.status, ae)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *Handler) parse(w http.ResponseWriter, r *http.Request) (params, *apiError) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		return nil, &apiError{"false", "405", "Method not allowed", http.StatusMethodNotAllowed}
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.maxBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &apiError{"false", "413", "Request body too large", http.StatusRequestEntityTooLarge}
		}
		return nil, errInvalid("the request cannot be read: " + err.Error())
	}
	p := params(r.Form)
	for name, vs := range p {
		if len(vs) > 1 {
			return nil, errInvalid("parameter " + name + " given more than once")
		}
	}
	return p, nil
}

func (h *Handler) run(ctx context.Context, action string, p params, clientIP string) (any, *apiError) {
	do, ok := actions[action]
	if !ok {
		return nil, errUnknownAction
	}
	// Every failure is errno 100, with no hint which check failed; a
	// failure of the database is logged as well.
	if err := h.auth.Check(ctx, users.Credentials{Name: p.get("username"), Password: p.get("password"), ClientIP: clientIP}, action); err != nil {
		if !errors.Is(err, users.ErrUnauthorized) {
			h.log.Error().Err(err).Msg("checking credentials")
		}
		return nil, errUnauthorized
	}
	return do(h, ctx, p)
}

// clientIP is the request's peer address without the port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// params are a request's parameters (query and form).
type params map[string][]string

func (p params) get(name string) string {
	if vs := p[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}
