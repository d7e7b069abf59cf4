// Package vipex is the VIPeX REST API dialect (seeds/vipex-rest-api-hu.txt):
// GET or POST /?rt=api&action=… (and /api?rt=api) with HTTP Basic auth,
// parameters in the query or in a JSON, urlencoded or multipart body,
// answered inside onvipex_result in JSON, XML or PHP serialize() (the
// format parameter), with the seed's types: integers stay integers, null
// stays null, lists stay lists when empty or of one element.
//
// The dialect only translates: Decode reads the parameters, checks rt,
// version and format, and picks the action; the api.Server authorizes the
// action's core action and runs it (the subscription's vipex_id is checked
// first); Encode writes the answer, or the reason of a failure from the
// one table in reasons.go. Business rules live in the core.
//
// Actions not listed in actions answer the unknown-action reason (README
// lists what is not done yet).
package vipex

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/callctl/callctl/api"
	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/callflow"
	"github.com/callctl/callctl/recording"
)

// Paths the dialect is served at (with rt=api in the query).
const (
	PathRoot = "/{$}"
	PathAPI  = "/api"
)

// Options configure the dialect.
type Options struct {
	// SubscriptionID is the vipex_id every request of a subscription
	// names; "" refuses every such request.
	SubscriptionID string
	// Location is the zone of the times answered (the PBX's).
	Location *time.Location
	// References verifies get_record's recording references
	// (*recording.RefSigner, the outbound clients' signer); nil refuses
	// every reference.
	References References
}

// References verifies a signed recording reference (*recording.RefSigner).
type References interface {
	Verify(ref string, now time.Time) (recording.Ref, error)
}

// Handler is the dialect (an api.Dialect).
type Handler struct {
	svc  api.Services
	opts Options
}

// New returns the dialect on the core's services.
func New(svc api.Services, o Options) *Handler {
	if o.Location == nil {
		o.Location = time.Local
	}
	return &Handler{svc: svc, opts: o}
}

// Name implements api.Dialect.
func (h *Handler) Name() string { return "vipex" }

// Style implements api.Dialect: failures are answered with HTTP 200 and
// result 0.
func (h *Handler) Style() api.Style { return api.Envelope }

// action is one of the dialect's actions.
type action struct {
	core callflow.Action
	run  func(h *Handler, ctx context.Context, p params) (any, error)
	// params names the core's fields in the action's parameters.
	params map[callflow.Field]string
	// anySubscription: the action names no vipex_id (get_record's
	// reference is the subscription's proof).
	anySubscription bool
}

// actions are the dialect's actions.
var actions = map[string]action{
	"dial_phonenumber": {callflow.ActionClickToCall, (*Handler).dialPhonenumber,
		map[callflow.Field]string{callflow.FieldSource: "exten", callflow.FieldDestination: "phonenumber"}, false},
	"outbound_ivr": {callflow.ActionDialToContext, (*Handler).outboundIVR,
		map[callflow.Field]string{callflow.FieldFlow: "exten", callflow.FieldDestination: "phonenumber", callflow.FieldDigits: "digits"}, false},
	"get_extens_current_calls": {callflow.ActionListCalls, (*Handler).extensCurrentCalls,
		map[callflow.Field]string{callflow.FieldSource: "exten"}, false},
	"get_record":               {callflow.ActionGetRecording, (*Handler).getRecord, map[callflow.Field]string{callflow.FieldRecord: "rec"}, true},
	"get_vipex_user":           {callflow.ActionReadUsers, (*Handler).getUser, map[callflow.Field]string{callflow.FieldUser: "id"}, false},
	"get_vipex_user_list":      {callflow.ActionReadUsers, (*Handler).getUserList, nil, false},
	"get_operator_status_list": {callflow.ActionReadUsers, (*Handler).getStatusList, nil, false},
	"get_operator_status_history": {callflow.ActionReadUsers, (*Handler).getStatusHistory,
		map[callflow.Field]string{callflow.FieldUser: "id", callflow.FieldFrom: "date_from", callflow.FieldTo: "date_to"}, false},
	"set_call_forward":                {callflow.ActionCallForwards, (*Handler).setForward, forwardParams, false},
	"get_call_forward_list":           {callflow.ActionCallForwards, (*Handler).getForwards, forwardParams, false},
	"del_call_forward":                {callflow.ActionCallForwards, (*Handler).delForward, forwardParams, false},
	"set_phonebook_entry":             {callflow.ActionPhonebook, (*Handler).setPhonebookEntry, phonebookParams, false},
	"get_phonebook_entry":             {callflow.ActionPhonebook, (*Handler).getPhonebookEntry, phonebookParams, false},
	"del_phonebook_entry":             {callflow.ActionPhonebook, (*Handler).delPhonebookEntry, phonebookParams, false},
	"get_phonebook_list":              {callflow.ActionPhonebook, (*Handler).getPhonebookList, phonebookParams, false},
	"get_phonebook_custom_field_list": {callflow.ActionPhonebook, (*Handler).getPhonebookFields, phonebookParams, false},
	"set_operator_status": {callflow.ActionSetOperator, (*Handler).setStatus,
		map[callflow.Field]string{callflow.FieldUser: "user_id", callflow.FieldStatus: "status_id"}, false},
}

// CoreActions returns the core action of each of the dialect's actions.
func CoreActions() map[string]callflow.Action {
	out := make(map[string]callflow.Action, len(actions))
	for name, a := range actions {
		out[name] = a.core
	}
	return out
}

// state is what Encode needs of a request.
type state struct {
	format string
	p      params
}

// Decode implements api.Dialect. A Call comes back with every error after
// the format is known, so that the error is answered in it.
func (h *Handler) Decode(r *http.Request) (*api.Call, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	st := &state{format: formatJSON, p: p}
	call := &api.Call{State: st}
	switch f := p.get("format"); f {
	case "", formatJSON, formatXML, formatPHP:
		if f != "" {
			st.format = f
		}
	default:
		return call, refuse(reasonFormat, f)
	}
	if rt := p.get("rt"); rt != "api" {
		return call, refuse(reasonRT, rt)
	}
	if v := p.get("version"); v != "" && v != "1.0" {
		return call, refuse(reasonVersion, v)
	}
	name := p.get("action")
	if name == "" {
		return call, refuse(reasonNoAction, "")
	}
	a, ok := actions[name]
	if !ok {
		return call, api.ErrUnknownAction
	}
	user, pass, _ := r.BasicAuth()
	call.Action = name
	call.Core = a.core
	call.Credentials = users.Credentials{Name: user, Password: pass, ClientIP: api.ClientIP(r)}
	call.Run = func(ctx context.Context) (any, error) {
		if !a.anySubscription {
			if err := h.checkSubscription(p); err != nil {
				return nil, err
			}
		}
		res, err := a.run(h, ctx, p)
		if err != nil {
			return nil, err
		}
		return res, nil // never a typed nil: Encode tells answers by type
	}
	return call, nil
}

// checkSubscription refuses a request that does not name the
// subscription.
func (h *Handler) checkSubscription(p params) error {
	id := p.get("vipex_id")
	if id == "" {
		return refuse(reasonMissing, "vipex_id")
	}
	if h.opts.SubscriptionID == "" || id != h.opts.SubscriptionID {
		return refuse(reasonSubscription, id)
	}
	return nil
}

// Encode implements api.Dialect.
func (h *Handler) Encode(w http.ResponseWriter, status int, c *api.Call, result any, err error) {
	format, name := formatJSON, ""
	var p params
	if c != nil {
		if st, ok := c.State.(*state); ok {
			format, p = st.format, st.p
		}
		name = c.Action
	}
	var body object
	if err == nil {
		if f, ok := result.(callflow.RecordingFile); ok {
			writeFile(w, f)
			return
		}
		body = append(object{{"result", 1}}, result.(object)...)
	} else {
		if errors.Is(err, api.ErrMethodNotAllowed) {
			w.Header().Set("Allow", "GET, POST")
		}
		body = object{{"result", 0}, {"reason", reasonOf(name, p, err)}}
	}
	w.Header().Set("Content-Type", contentTypes[format])
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(encode(format, envelope(body)))
}

// quote shows a request's value in a reason, clipped.
func quote(v string) string { return strconv.Quote(api.Clip(v, api.MaxEcho)) }
