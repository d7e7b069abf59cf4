// Package voipsun is the VoIPSUN PBX HTTP API dialect
// (seeds/voipsun-http-api-cs.txt): GET or POST (form) /api/api.php with
// username, password, action and the action's parameters, answered with the
// seed's JSON shapes (string-typed values where the seed shows strings) and
// its errno/reason texts.
//
// The dialect only translates: Decode reads a request into the core's
// typed requests (with the dialect's quirks: string ring times, dialerCid
// naming a customCDR, checkExten's mere presence, the seed's default caller
// ids), the api.Server authorizes and runs it, and Encode writes the result
// or maps the error — the core's *callflow.Error or the api layer's — to
// the seed's error numbers, in one function (answer). Business rules live
// in the core.
//
// Error numbers beyond the seed's (documented in README.md): 130 invalid
// parameter value, 401 channel not found (hangupcall), 640 queue not found
// (queuestatus), 405 method not allowed, 413 request body too large, 429
// too many failed logins, 503 (with HTTP 503) too many requests waiting,
// 900 Asterisk did not carry the action out.
package voipsun

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/callctl/callctl/api"
	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/callflow"
)

// Path is where the dialect is served.
const Path = "/api/api.php"

// Handler is the dialect (an api.Dialect).
type Handler struct {
	svc api.Services
}

// New returns the dialect on the core's services.
func New(svc api.Services) *Handler { return &Handler{svc: svc} }

// Name implements api.Dialect.
func (h *Handler) Name() string { return "voipsun" }

// Style implements api.Dialect: errors are answered with HTTP 200 and the
// seed's numbers.
func (h *Handler) Style() api.Style { return api.Envelope }

// action is one of the dialect's actions: the core action it needs the
// permission of, and how it runs.
type action struct {
	core callflow.Action
	run  func(h *Handler, ctx context.Context, p params) (any, error)
	// codes are the action's own error numbers.
	codes codes
}

// actions are the dialect's actions.
var actions = map[string]action{
	"originate":    {callflow.ActionClickToCall, (*Handler).originate, codes{lookups: map[callflow.Field]lookupCodes{callflow.FieldSource: originateLookup}}},
	"dial":         {callflow.ActionDialToContext, (*Handler).dial, codes{}},
	"hangupcall":   {callflow.ActionHangup, (*Handler).hangupcall, codes{}},
	"listcalls":    {callflow.ActionListCalls, (*Handler).listcalls, codes{}},
	"spying":       {callflow.ActionSpy, (*Handler).spying, codes{lookups: map[callflow.Field]lookupCodes{callflow.FieldSource: spySource, callflow.FieldTarget: spyTarget}}},
	"sipstatus":    {callflow.ActionSIPStatus, (*Handler).sipstatus, codes{}},
	"agentlogin":   {callflow.ActionAgentLogin, (*Handler).agentlogin, codes{lookups: map[callflow.Field]lookupCodes{callflow.FieldSource: agentLoginLookup}, agent: "500"}},
	"agentlogout":  {callflow.ActionAgentLogout, (*Handler).agentlogout, codes{agent: "550"}},
	"agentpause":   {callflow.ActionAgentPause, (*Handler).agentpause, codes{agent: "580"}},
	"agentunpause": {callflow.ActionAgentUnpause, (*Handler).agentunpause, codes{agent: "590"}},
	"agentadd":     {callflow.ActionAgentQueueAdd, (*Handler).agentadd, codes{agent: "601", queue: "600"}},
	"agentremove":  {callflow.ActionAgentQueueDel, (*Handler).agentremove, codes{agent: "611", queue: "610"}},
	"agentstatus":  {callflow.ActionAgentStatus, (*Handler).agentstatus, codes{agent: "620"}},
	"queuestatus":  {callflow.ActionQueueStatus, (*Handler).queuestatus, codes{queue: "640"}},
	"moverecord":   {callflow.ActionMoveRecording, (*Handler).moverecord, codes{}},
}

// CoreActions returns the core action of each of the dialect's actions.
func CoreActions() map[string]callflow.Action {
	out := make(map[string]callflow.Action, len(actions))
	for name, a := range actions {
		out[name] = a.core
	}
	return out
}

// Decode implements api.Dialect.
func (h *Handler) Decode(r *http.Request) (*api.Call, error) {
	form, err := api.ReadForm(r)
	if err != nil {
		return nil, err
	}
	p := params(form)
	name := p.get("action")
	a, ok := actions[name]
	if !ok {
		return nil, api.ErrUnknownAction
	}
	return &api.Call{
		Action:      name,
		Core:        a.core,
		Credentials: users.Credentials{Name: p.get("username"), Password: p.get("password"), ClientIP: api.ClientIP(r)},
		Run:         func(ctx context.Context) (any, error) { return a.run(h, ctx, p) },
		State:       p,
	}, nil
}

// Encode implements api.Dialect.
func (h *Handler) Encode(w http.ResponseWriter, status int, c *api.Call, result any, err error) {
	if err == nil {
		writeJSON(w, status, result)
		return
	}
	if errors.Is(err, api.ErrMethodNotAllowed) {
		w.Header().Set("Allow", "GET, POST")
	}
	var name string
	var p params
	if c != nil {
		name = c.Action
		p, _ = c.State.(params)
	}
	writeJSON(w, status, answer(name, p, err))
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

// quote shows a parameter's value in an answer, clipped.
func quote(v string) string { return strconv.Quote(api.Clip(v, api.MaxEcho)) }
