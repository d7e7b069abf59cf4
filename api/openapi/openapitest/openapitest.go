// Package openapitest checks a dialect's server against its OpenAPI
// document (api/openapi) with github.com/getkin/kin-openapi: every
// recorded request and its answer are validated, each action's answers
// are counted, and Coverage fails for an action of the code that the
// document lacks, one of the document that the code lacks, and one
// without a validated success and a validated error answer.
//
// Only tests import it: kin-openapi stays out of the daemon.
package openapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/callctl/callctl/api/openapi"
)

// Doc is a loaded document and what the exchanges checked against it
// showed of each action.
type Doc struct {
	Name   string
	T      *openapi3.T
	router routers.Router
	seen   map[string]*seen
	rpc    bool
}

type seen struct{ ok, failed int }

// Load reads and validates the document name (OpenAPI 3.1).
func Load(t testing.TB, name string) *Doc {
	t.Helper()
	data, ok := openapi.Document(name)
	if !ok {
		t.Fatalf("no OpenAPI document %q", name)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		t.Fatalf("%s.json: %v", name, err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") || !doc.IsOpenAPI31OrLater() {
		t.Fatalf("%s.json: openapi %q, want 3.1.x", name, doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s.json does not validate: %v", name, err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("%s.json: %v", name, err)
	}
	d := &Doc{Name: name, T: doc, router: router, seen: map[string]*seen{}}
	for n := range doc.Components.Schemas {
		if strings.HasPrefix(n, "params.") {
			d.rpc = true
		}
	}
	return d
}

// Exchange is one recorded request, and what its answer must be.
type Exchange struct {
	// Action is the dialect's action the request exercises ("" for none:
	// a request the server refuses before it knows the action).
	Action string
	Method string // GET when empty
	Target string // path and query
	Header http.Header
	Body   string
	// Nonconforming: the request breaks the document (a missing or
	// unknown action, a missing parameter, a wrong type): validating it
	// must fail, as the server must refuse it.
	Nonconforming bool
	// Error: the answer is the dialect's error (RPC documents: the
	// "error" schema; REST: an HTTP status of 400 or more).
	Error bool
}

func (e Exchange) request() *http.Request {
	m := e.Method
	if m == "" {
		m = http.MethodGet
	}
	r := httptest.NewRequest(m, e.Target, strings.NewReader(e.Body))
	for k, vs := range e.Header {
		r.Header[k] = slices.Clone(vs)
	}
	return r
}

func (e Exchange) String() string {
	s := e.Method + " " + e.Target
	if e.Body != "" {
		s += " " + clipN(e.Body, 200)
	}
	return strings.TrimSpace(s)
}

// ParamsFunc reads a request's parameters as the dialect does (the RPC
// dialects), to be checked against params.<action>.
type ParamsFunc func(*http.Request) (map[string]string, error)

// Run sends e to h and validates the request and the answer against the
// document; params is nil for REST documents. It returns the answer.
func (d *Doc) Run(t *testing.T, h http.Handler, params ParamsFunc, e Exchange) *httptest.ResponseRecorder {
	t.Helper()
	ctx := context.Background()
	req := e.request()
	route, pathParams, routeErr := d.router.FindRoute(req)
	for name, v := range pathParams {
		if v == "" && routeErr == nil {
			// kin-openapi's router matches /event/ to /event/{id}: no
			// operation of the document serves it.
			route, routeErr = nil, fmt.Errorf("no operation: path parameter %s is empty", name)
		}
	}
	if !d.rpc && route != nil && e.Action != "" && route.Operation.OperationID != e.Action {
		t.Errorf("%s: %s: the request is operation %s, the exchange says %s", d.Name, e, route.Operation.OperationID, e.Action)
	}
	var reqErr error
	if routeErr != nil {
		reqErr = routeErr
	} else {
		reqErr = openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{
			Request: req, PathParams: pathParams, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, RejectWhenRequestBodyNotSpecified: true, MultiError: true},
		})
	}
	if reqErr == nil && d.rpc && params != nil {
		reqErr = d.checkParams(e, params)
	}
	switch {
	case !e.Nonconforming && reqErr != nil:
		t.Errorf("%s: %s: the request does not conform to the document: %s", d.Name, e, clip(fmt.Sprint(reqErr)))
	case e.Nonconforming && reqErr == nil:
		t.Errorf("%s: %s: the document takes a request the server must refuse", d.Name, e)
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, e.request())
	body := rec.Body.Bytes()

	if route != nil {
		err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: e.request(), PathParams: pathParams, Route: route},
			Status:                 rec.Code, Header: rec.Header(), Body: io.NopCloser(bytes.NewReader(body)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
		})
		if err != nil {
			t.Errorf("%s: %s: the answer does not conform to the document: %s\n%d %s", d.Name, e, clip(err.Error()), rec.Code, clip(string(body)))
		}
	}
	isJSON := false
	if mt, _, err := mime.ParseMediaType(rec.Header().Get("Content-Type")); err == nil && mt == "application/json" {
		isJSON = true
	}
	// What the answer must be beyond the operation's schemas: in an RPC
	// document the action's result or the dialect's error; without an
	// operation (another method, another path), the error schema.
	var want string
	switch {
	case route == nil || d.rpc && e.Error:
		want = "error"
	case d.rpc && e.Action != "":
		want = "result." + e.Action
	}
	if _, ok := d.T.Components.Schemas["error."+e.Action]; ok && want == "error" && e.Action != "" {
		want = "error." + e.Action // the action's own error numbers
	}
	if want != "" && isJSON {
		if err := d.visit(want, body); err != nil {
			t.Errorf("%s: %s: the answer is not %s: %s\n%d %s", d.Name, e, want, clip(err.Error()), rec.Code, clip(string(body)))
		}
	} else if want == "error" && !isJSON && route == nil {
		t.Errorf("%s: %s: an error answer that is not JSON: %d %q", d.Name, e, rec.Code, rec.Header().Get("Content-Type"))
	}
	if !d.rpc {
		if failed := rec.Code >= 400; failed != e.Error {
			t.Errorf("%s: %s: HTTP %d, expected an error: %v", d.Name, e, rec.Code, e.Error)
		}
	}
	if e.Action != "" && route != nil {
		s := d.seen[e.Action]
		if s == nil {
			s = &seen{}
			d.seen[e.Action] = s
		}
		if e.Error {
			s.failed++
		} else {
			s.ok++
		}
	}
	return rec
}

// checkParams validates the parameters the dialect reads against
// params.<action>.
func (d *Doc) checkParams(e Exchange, params ParamsFunc) error {
	p, err := params(e.request())
	if err != nil {
		return fmt.Errorf("the dialect cannot read the parameters: %w", err)
	}
	action := p["action"]
	if _, ok := d.T.Components.Schemas["params."+action]; !ok {
		return fmt.Errorf("no action %q in the document", action)
	}
	if e.Action != "" && action != e.Action {
		return fmt.Errorf("the request is action %q, the exchange says %q", action, e.Action)
	}
	v := map[string]any{}
	for k, s := range p {
		v[k] = s
	}
	data, _ := json.Marshal(v)
	return d.visit("params."+action, data)
}

// visit validates JSON data against a component schema.
func (d *Doc) visit(schema string, data []byte) error {
	ref, ok := d.T.Components.Schemas[schema]
	if !ok || ref.Value == nil {
		return fmt.Errorf("the document has no schema %s", schema)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return ref.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors())
}

// Actions are the document's actions: the params.<action> schemas of an
// RPC document, the operation ids of a REST one.
func (d *Doc) Actions() []string {
	var out []string
	if d.rpc {
		for n := range d.T.Components.Schemas {
			if a, ok := strings.CutPrefix(n, "params."); ok {
				out = append(out, a)
			}
		}
	} else {
		for _, pi := range d.T.Paths.Map() {
			for _, op := range pi.Operations() {
				out = append(out, op.OperationID)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Coverage fails t unless the document's actions are the code's (the
// dialect's action table), each RPC operation's action parameter lists
// exactly them, each has its result schema, and each had a validated
// success and a validated error answer.
func (d *Doc) Coverage(t *testing.T, code []string) {
	t.Helper()
	code = slices.Sorted(slices.Values(code))
	docActions := d.Actions()
	for _, a := range code {
		if !slices.Contains(docActions, a) {
			t.Errorf("%s: action %s is in the code, not in the document", d.Name, a)
		}
	}
	for _, a := range docActions {
		if !slices.Contains(code, a) {
			t.Errorf("%s: action %s is in the document, not in the code", d.Name, a)
		}
	}
	if d.rpc {
		for path, pi := range d.T.Paths.Map() {
			for method, op := range pi.Operations() {
				p := op.Parameters.GetByInAndName("query", "action")
				if p == nil || p.Schema == nil || p.Schema.Value == nil {
					t.Errorf("%s: %s %s has no action parameter", d.Name, method, path)
					continue
				}
				var enum []string
				for _, v := range p.Schema.Value.Enum {
					enum = append(enum, fmt.Sprint(v))
				}
				if slices.Sort(enum); !slices.Equal(enum, code) {
					t.Errorf("%s: %s %s: action takes %v, the code has %v", d.Name, method, path, enum, code)
				}
			}
		}
		for _, a := range code {
			if _, ok := d.T.Components.Schemas["result."+a]; !ok {
				t.Errorf("%s: no schema result.%s", d.Name, a)
			}
		}
	}
	for _, a := range code {
		s := d.seen[a]
		switch {
		case s == nil || s.ok == 0 && s.failed == 0:
			t.Errorf("%s: action %s: no exchange validated", d.Name, a)
		case s.ok == 0:
			t.Errorf("%s: action %s: no successful answer validated", d.Name, a)
		case s.failed == 0:
			t.Errorf("%s: action %s: no error answer validated", d.Name, a)
		}
	}
}

// Counts are how many answers of each action were validated, for logs.
func (d *Doc) Counts() map[string][2]int {
	out := map[string][2]int{}
	for a, s := range d.seen {
		out[a] = [2]int{s.ok, s.failed}
	}
	return out
}

// clip shortens what a failure shows: kin-openapi's messages repeat the
// schema and the value.
func clip(s string) string { return clipN(s, 1500) }

func clipN(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
