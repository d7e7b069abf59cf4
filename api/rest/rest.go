// Package rest is the REST dialect of the API at /api/ver1.0 (the API
// family of seeds/extension-events-api-en.txt): JSON in and out, every
// failure its own HTTP status with an OAuth-style JSON error
// ({"error","error_description"}), requests authorized by Bearer access
// tokens (api/oauth).
//
// Resources today: an extension's event subscriptions (extevents),
//
//	POST|GET|DELETE /api/ver1.0/extension/{extension_id}/event/
//	GET|PUT|DELETE  /api/ver1.0/extension/{extension_id}/event/{id}
//
// with {"url","method","event_type"} in and {"url","method","event_type",
// "id"} out. Any other path is 404 not_found.
package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/callctl/callctl/api"
	"github.com/callctl/callctl/callflow"
	"github.com/callctl/callctl/extevents"
)

// Path is where the dialect is mounted.
const Path = "/api/ver1.0/"

// CoreExtensionEvents is the core action of the event subscription
// resources (a token's application may use every REST action).
const CoreExtensionEvents callflow.Action = "extension_events"

// Subscriptions are the extension event subscriptions (*extevents.Service).
type Subscriptions interface {
	Add(ext int, spec extevents.Spec) (extevents.Subscription, error)
	Update(ext int, id uint64, spec extevents.Spec) (extevents.Subscription, error)
	Get(ext int, id uint64) (extevents.Subscription, error)
	List(ext int) ([]extevents.Subscription, error)
	Delete(ext int, id uint64) error
	DeleteAll(ext int) (int, error)
}

// Dialect is the REST API.
type Dialect struct{ subs Subscriptions }

// New returns the dialect on subs.
func New(subs Subscriptions) *Dialect { return &Dialect{subs: subs} }

// Name implements api.Dialect.
func (*Dialect) Name() string { return "rest" }

// Style implements api.Dialect.
func (*Dialect) Style() api.Style { return api.REST }

// Event is a subscription as the API shows it, in the seed's order.
type Event struct {
	URL       string `json:"url"`
	Method    string `json:"method"`
	EventType string `json:"event_type"`
	ID        uint64 `json:"id"`
}

func eventOf(s extevents.Subscription) Event {
	return Event{URL: s.URL, Method: s.Method, EventType: s.EventType, ID: s.ID}
}

// body is what POST and PUT take. An "id" may come back as GET showed it;
// on PUT it must be the path's.
type body struct {
	URL       *string `json:"url"`
	Method    *string `json:"method"`
	EventType *string `json:"event_type"`
	ID        *uint64 `json:"id"`
}

// state is a decoded request, for Encode.
type state struct {
	deleted bool // answered 204 No Content
}

// Decode implements api.Dialect.
func (d *Dialect) Decode(r *http.Request) (*api.Call, error) {
	ext, id, item, ok := route(r.URL.Path)
	if !ok {
		return nil, api.ErrUnknownAction
	}
	allowed := "GET, POST, DELETE"
	if item {
		allowed = "GET, PUT, DELETE"
	}
	c := &api.Call{Core: CoreExtensionEvents, Bearer: true, State: &state{}}
	st := c.State.(*state)
	if tok, ok := bearer(r); ok {
		c.Token = tok
	}
	switch {
	case !item && r.Method == http.MethodPost:
		c.Action = "event_add"
		spec, specErr := readSpec(r, 0)
		c.Run = func(context.Context) (any, error) {
			if specErr != nil {
				return nil, specErr
			}
			s, err := d.subs.Add(ext, spec)
			return eventOf(s), coreError(err)
		}
	case !item && r.Method == http.MethodGet:
		c.Action = "event_list"
		c.Run = func(context.Context) (any, error) {
			subs, err := d.subs.List(ext)
			out := []Event{}
			for _, s := range subs {
				out = append(out, eventOf(s))
			}
			return out, coreError(err)
		}
	case !item && r.Method == http.MethodDelete:
		c.Action = "event_delete_all"
		st.deleted = true
		c.Run = func(context.Context) (any, error) {
			_, err := d.subs.DeleteAll(ext)
			return nil, coreError(err)
		}
	case item && r.Method == http.MethodGet:
		c.Action = "event_get"
		c.Run = func(context.Context) (any, error) {
			s, err := d.subs.Get(ext, id)
			return eventOf(s), coreError(err)
		}
	case item && r.Method == http.MethodPut:
		c.Action = "event_update"
		spec, specErr := readSpec(r, id)
		c.Run = func(context.Context) (any, error) {
			if specErr != nil {
				return nil, specErr
			}
			s, err := d.subs.Update(ext, id, spec)
			return eventOf(s), coreError(err)
		}
	case item && r.Method == http.MethodDelete:
		c.Action = "event_delete"
		st.deleted = true
		c.Run = func(context.Context) (any, error) {
			return nil, coreError(d.subs.Delete(ext, id))
		}
	default:
		c.State = allowed
		return c, api.ErrMethodNotAllowed
	}
	return c, nil
}

// route reads /api/ver1.0/extension/{ext}/event/[{id}]: item is whether
// an id is given. A trailing slash is optional.
func route(path string) (ext int, id uint64, item, ok bool) {
	rest, found := strings.CutPrefix(path, Path)
	if !found {
		return 0, 0, false, false
	}
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	if len(parts) < 3 || len(parts) > 4 || parts[0] != "extension" || parts[2] != "event" {
		return 0, 0, false, false
	}
	e, ok := number(parts[1])
	if !ok || e > 1<<31-1 {
		return 0, 0, false, false
	}
	if len(parts) == 4 {
		if id, ok = number(parts[3]); !ok {
			return 0, 0, false, false
		}
		return int(e), id, true, true
	}
	return int(e), 0, false, true
}

// number parses a positive decimal id (no sign, no leading zero).
func number(s string) (uint64, bool) {
	if s == "" || len(s) > 15 || s[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n > 0
}

// bearer is the request's Bearer token (RFC 6750 §2.1).
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// readSpec reads a POST or PUT body: one JSON object with url, method and
// event_type, nothing else (an id equal to the path's, on PUT, is allowed).
// Its error is answered after the token is checked, so that a client
// without a valid token learns nothing from its body.
func readSpec(r *http.Request, pathID uint64) (extevents.Spec, error) {
	if mt := strings.ToLower(r.Header.Get("Content-Type")); mt != "" && !strings.HasPrefix(mt, "application/json") {
		return extevents.Spec{}, &api.RequestError{Detail: "the body must be application/json"}
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return extevents.Spec{}, api.ErrBodyTooLarge
		}
		return extevents.Spec{}, &api.RequestError{Detail: "the body cannot be read"}
	}
	return parseSpec(raw, pathID)
}

// parseSpec decodes a body (see readSpec).
func parseSpec(raw []byte, pathID uint64) (extevents.Spec, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var b body
	if err := dec.Decode(&b); err != nil {
		return extevents.Spec{}, &api.RequestError{Detail: "the body is not a JSON object of url, method and event_type: " + api.Clip(err.Error(), 2*api.MaxEcho)}
	}
	if dec.More() {
		return extevents.Spec{}, &api.RequestError{Detail: "the body has more than one JSON value"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return extevents.Spec{}, &api.RequestError{Detail: "the body has more than one JSON value"}
	}
	for name, v := range map[string]*string{"url": b.URL, "method": b.Method, "event_type": b.EventType} {
		if v == nil {
			return extevents.Spec{}, &api.RequestError{Detail: "missing " + name}
		}
	}
	if b.ID != nil && (pathID == 0 || *b.ID != pathID) {
		return extevents.Spec{}, &api.RequestError{Detail: "id is given by the path"}
	}
	return extevents.Spec{URL: *b.URL, Method: *b.Method, EventType: *b.EventType}, nil
}

// coreError maps the subscriptions' errors to the api layer's.
func coreError(err error) error {
	var inv *extevents.InvalidError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, extevents.ErrUnknownExtension):
		return &callflow.Error{Kind: callflow.KindNotFound, Detail: "no extension of that id"}
	case errors.Is(err, extevents.ErrNotFound):
		return &callflow.Error{Kind: callflow.KindNotFound, Detail: "the extension has no event of that id"}
	case errors.As(err, &inv):
		return &api.RequestError{Detail: inv.Field + ": " + inv.Detail}
	}
	return err
}

// Encode implements api.Dialect.
func (d *Dialect) Encode(w http.ResponseWriter, status int, c *api.Call, result any, err error) {
	if err != nil {
		code, desc := errorCode(err)
		switch {
		case errors.Is(err, api.ErrUnauthorized):
			w.Header().Set("WWW-Authenticate", `Bearer realm="callctl", error="invalid_token"`)
		case errors.Is(err, api.ErrMethodNotAllowed):
			if c != nil {
				if allowed, ok := c.State.(string); ok {
					w.Header().Set("Allow", allowed)
				}
			}
		}
		writeJSON(w, status, errorBody{Error: code, Description: desc})
		return
	}
	if st, ok := c.State.(*state); ok && st.deleted {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, status, result)
}

type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// errorCode names a failure for the error body.
func errorCode(err error) (code, desc string) {
	var ce *callflow.Error
	var re *api.RequestError
	switch {
	case errors.Is(err, api.ErrUnknownAction):
		return "not_found", "no such resource"
	case errors.Is(err, api.ErrMethodNotAllowed):
		return "method_not_allowed", "the resource does not take this method"
	case errors.Is(err, api.ErrBodyTooLarge):
		return "request_too_large", "the request body is too large"
	case errors.Is(err, api.ErrUnauthorized):
		return "invalid_token", "the access token is missing, unknown or expired"
	case errors.Is(err, api.ErrBusy):
		return "temporarily_unavailable", "too many requests waiting; try again later"
	case errors.Is(err, api.ErrThrottled):
		return "too_many_requests", "try again later"
	case errors.As(err, &re):
		return "invalid_request", re.Detail
	case errors.As(err, &ce) && ce.Kind == callflow.KindNotFound:
		return "not_found", ce.Detail
	}
	return "temporarily_unavailable", "callctl cannot answer now; try again later"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
