package rest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/api"
	"github.com/callctl/callctl/api/oauth"
	"github.com/callctl/callctl/api/rest"
	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/extevents"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
)

// noUsers refuses every user: the REST dialect never asks it.
type noUsers struct{}

func (noUsers) Check(context.Context, users.Credentials, string) error { return users.ErrUnauthorized }

type bed struct {
	t      *testing.T
	db     *store.DB
	srv    *httptest.Server
	events *extevents.Service
	app    oauth.NewApp
}

// newBed serves the REST dialect and the token endpoint as the daemon does,
// on the test bed's PBX (extensions 1000–1009 with ids 1–10), with a small
// body limit.
func newBed(t *testing.T, ttl time.Duration) *bed {
	db := storetest.New(t)
	events, err := extevents.New(db, extevents.ExtensionsOf(pbx.DefaultConfig()), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	tokens := oauth.NewTokens(db, ttl)
	s := api.New(api.Options{Auth: noUsers{}, Tokens: tokens, TokenUnauthorized: oauth.ErrUnauthorized, MaxBodyBytes: 4096})
	s.Mount(rest.Path, rest.New(events))
	s.MountHandler(oauth.Path, "oauth", &oauth.Handler{Tokens: tokens})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	app, err := oauth.Add(db, "crm", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &bed{t: t, db: db, srv: srv, events: events, app: app}
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (b *bed) do(method, path, token, contentType, body string) reply {
	b.t.Helper()
	req, err := http.NewRequest(method, b.srv.URL+path, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(data)}
}

const form = "application/x-www-form-urlencoded"

// token gets an access token with the client's credentials in the body.
func (b *bed) token() string {
	b.t.Helper()
	r := b.do("POST", "/oauth/token", "", form, url.Values{"grant_type": {"client_credentials"},
		"client_id": {b.app.ClientID}, "client_secret": {b.app.ClientSecret}}.Encode())
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if r.status != 200 || json.Unmarshal([]byte(r.body), &tok) != nil || tok.AccessToken == "" || tok.TokenType != "Bearer" {
		b.t.Fatalf("token: %d %s", r.status, r.body)
	}
	return tok.AccessToken
}

func errorOf(t *testing.T, r reply) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.body), &e); err != nil || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("not a JSON error: %d %q", r.status, r.body)
	}
	return e.Error
}

// The seed's example: three events of extension 175 (here 1001, id 2),
// each answered with the object and its id; listed, read, changed and
// deleted one by one and all at once.
func TestEventRoutes(t *testing.T) {
	b := newBed(t, time.Hour)
	tok := b.token()
	var ids []float64
	for _, typ := range []string{"dial-out", "answer", "hangup"} {
		body := `{"url": "https://somehost.com/fordel/show.php?myid=175", "method": "GET", "event_type": "` + typ + `"}`
		r := b.do("POST", "/api/ver1.0/extension/2/event/", tok, "application/json", body)
		if r.status != 200 {
			t.Fatalf("POST: %d %s", r.status, r.body)
		}
		var got map[string]any
		json.Unmarshal([]byte(r.body), &got)
		if got["url"] != "https://somehost.com/fordel/show.php?myid=175" || got["method"] != "GET" || got["event_type"] != typ || got["id"] == nil {
			t.Errorf("POST answered %s", r.body)
		}
		// The seed's field order: url, method, event_type, id.
		if !strings.HasPrefix(r.body, `{"url":`) || !strings.Contains(r.body, `"event_type":"`+typ+`","id":`) {
			t.Errorf("POST answered %s: want the seed's field order", r.body)
		}
		ids = append(ids, got["id"].(float64))
	}
	r := b.do("GET", "/api/ver1.0/extension/2/event/", tok, "", "")
	var list []map[string]any
	if r.status != 200 || json.Unmarshal([]byte(r.body), &list) != nil || len(list) != 3 {
		t.Fatalf("GET list: %d %s", r.status, r.body)
	}
	if r := b.do("GET", "/api/ver1.0/extension/3/event/", tok, "", ""); r.status != 200 || strings.TrimSpace(r.body) != "[]" {
		t.Errorf("another extension's list: %d %s", r.status, r.body)
	}
	item := "/api/ver1.0/extension/2/event/" + jsonNumber(ids[1])
	if r := b.do("GET", item, tok, "", ""); r.status != 200 || !strings.Contains(r.body, `"event_type":"answer"`) {
		t.Errorf("GET item: %d %s", r.status, r.body)
	}
	r = b.do("PUT", item, tok, "application/json", `{"url":"http://crm.example/ev","method":"POST","event_type":"dial-in"}`)
	if r.status != 200 || !strings.Contains(r.body, `"url":"http://crm.example/ev","method":"POST","event_type":"dial-in","id":`+jsonNumber(ids[1])) {
		t.Errorf("PUT: %d %s", r.status, r.body)
	}
	// The same item under another extension is not found.
	if r := b.do("GET", "/api/ver1.0/extension/3/event/"+jsonNumber(ids[1]), tok, "", ""); r.status != 404 || errorOf(t, r) != "not_found" {
		t.Errorf("foreign item: %d %s", r.status, r.body)
	}
	if r := b.do("DELETE", item, tok, "", ""); r.status != 204 {
		t.Errorf("DELETE item: %d %s", r.status, r.body)
	}
	if r := b.do("GET", item, tok, "", ""); r.status != 404 {
		t.Errorf("GET deleted item: %d %s", r.status, r.body)
	}
	if r := b.do("DELETE", "/api/ver1.0/extension/2/event/", tok, "", ""); r.status != 204 {
		t.Errorf("DELETE all: %d %s", r.status, r.body)
	}
	if subs, _ := b.events.List(2); len(subs) != 0 {
		t.Errorf("after DELETE all: %v", subs)
	}
}

func jsonNumber(f float64) string { b, _ := json.Marshal(f); return string(b) }

// Refused requests answer their status and a JSON error, and change
// nothing.
func TestEventRequestsRefused(t *testing.T) {
	b := newBed(t, time.Hour)
	tok := b.token()
	sub, err := b.events.Add(2, extevents.Spec{URL: "http://crm.example/a", Method: "GET", EventType: "answer"})
	if err != nil {
		t.Fatal(err)
	}
	good := `{"url":"http://crm.example/x","method":"POST","event_type":"hangup"}`
	coll := "/api/ver1.0/extension/2/event/"
	item := coll + "1"
	big := `{"url":"http://crm.example/` + strings.Repeat("a", 5000) + `","method":"GET","event_type":"answer"}`
	for _, c := range []struct {
		name, method, path, token, ctype, body string
		status                                 int
		code                                   string
	}{
		{"no token", "GET", coll, "", "", "", 401, "invalid_token"},
		{"wrong token", "GET", coll, "nope", "", "", 401, "invalid_token"},
		{"no token, bad body", "POST", coll, "", "application/json", "{", 401, "invalid_token"},
		{"unknown path", "GET", "/api/ver1.0/extension/2/events/", tok, "", "", 404, "not_found"},
		{"unknown resource", "GET", "/api/ver1.0/trunk/1/event/", tok, "", "", 404, "not_found"},
		{"non-numeric extension", "GET", "/api/ver1.0/extension/abc/event/", tok, "", "", 404, "not_found"},
		{"unknown extension", "GET", "/api/ver1.0/extension/99/event/", tok, "", "", 404, "not_found"},
		{"unknown extension, POST", "POST", "/api/ver1.0/extension/99/event/", tok, "application/json", good, 404, "not_found"},
		{"unknown id", "GET", coll + "999", tok, "", "", 404, "not_found"},
		{"unknown id, PUT", "PUT", coll + "999", tok, "application/json", good, 404, "not_found"},
		{"unknown id, DELETE", "DELETE", coll + "999", tok, "", "", 404, "not_found"},
		{"id zero", "GET", coll + "0", tok, "", "", 404, "not_found"},
		{"PUT on the collection", "PUT", coll, tok, "application/json", good, 405, "method_not_allowed"},
		{"POST on an item", "POST", item, tok, "application/json", good, 405, "method_not_allowed"},
		{"PATCH", "PATCH", item, tok, "application/json", good, 405, "method_not_allowed"},
		{"bad JSON", "POST", coll, tok, "application/json", `{"url":`, 400, "invalid_request"},
		{"empty body", "POST", coll, tok, "application/json", ``, 400, "invalid_request"},
		{"two objects", "POST", coll, tok, "application/json", good + good, 400, "invalid_request"},
		{"array", "POST", coll, tok, "application/json", `[` + good + `]`, 400, "invalid_request"},
		{"unknown field", "POST", coll, tok, "application/json", `{"url":"http://a.example/","method":"GET","event_type":"answer","x":1}`, 400, "invalid_request"},
		{"missing event_type", "POST", coll, tok, "application/json", `{"url":"http://a.example/","method":"GET"}`, 400, "invalid_request"},
		{"bad method", "POST", coll, tok, "application/json", `{"url":"http://a.example/","method":"PUT","event_type":"answer"}`, 400, "invalid_request"},
		{"lower-case method", "POST", coll, tok, "application/json", `{"url":"http://a.example/","method":"get","event_type":"answer"}`, 400, "invalid_request"},
		{"bad event_type", "POST", coll, tok, "application/json", `{"url":"http://a.example/","method":"GET","event_type":"message-in"}`, 400, "invalid_request"},
		{"url not http", "POST", coll, tok, "application/json", `{"url":"ftp://a.example/","method":"GET","event_type":"answer"}`, 400, "invalid_request"},
		{"url with CR LF", "POST", coll, tok, "application/json", `{"url":"http://a.example/\r\nX-Evil: 1","method":"GET","event_type":"answer"}`, 400, "invalid_request"},
		{"url with NUL", "POST", coll, tok, "application/json", `{"url":"http://a.example/\u0000","method":"GET","event_type":"answer"}`, 400, "invalid_request"},
		{"link-local url", "POST", coll, tok, "application/json", `{"url":"http://169.254.169.254/","method":"GET","event_type":"answer"}`, 400, "invalid_request"},
		{"not JSON content", "POST", coll, tok, form, "url=http://a.example/", 400, "invalid_request"},
		{"id of another", "PUT", item, tok, "application/json", `{"url":"http://a.example/","method":"GET","event_type":"answer","id":7}`, 400, "invalid_request"},
		{"oversized body", "POST", coll, tok, "application/json", big, 413, "request_too_large"},
	} {
		r := b.do(c.method, c.path, c.token, c.ctype, c.body)
		if r.status != c.status || errorOf(t, r) != c.code {
			t.Errorf("%s: %d %s; want %d %s", c.name, r.status, r.body, c.status, c.code)
		}
		if c.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", c.name, r.header.Get("WWW-Authenticate"))
		}
		if c.status == 405 && r.header.Get("Allow") == "" {
			t.Errorf("%s: no Allow header", c.name)
		}
	}
	subs, _ := b.events.List(2)
	if len(subs) != 1 || subs[0] != sub {
		t.Errorf("subscriptions changed: %+v", subs)
	}
	// A PUT may send the id back as GET showed it.
	r := b.do("PUT", coll+"1", tok, "application/json", `{"url":"http://a.example/","method":"GET","event_type":"answer","id":1}`)
	if r.status != 200 {
		t.Errorf("PUT with its own id: %d %s", r.status, r.body)
	}
}

// A token stops working when its application is deleted, and after it
// expires.
func TestTokenLifetime(t *testing.T) {
	b := newBed(t, 300*time.Millisecond)
	tok := b.token()
	if r := b.do("GET", "/api/ver1.0/extension/2/event/", tok, "", ""); r.status != 200 {
		t.Fatalf("fresh token: %d %s", r.status, r.body)
	}
	time.Sleep(400 * time.Millisecond)
	if r := b.do("GET", "/api/ver1.0/extension/2/event/", tok, "", ""); r.status != 401 || errorOf(t, r) != "invalid_token" {
		t.Errorf("expired token: %d %s", r.status, r.body)
	}
	tok = b.token()
	if _, err := oauth.Delete(b.db, "crm"); err != nil {
		t.Fatal(err)
	}
	if r := b.do("GET", "/api/ver1.0/extension/2/event/", tok, "", ""); r.status != 401 {
		t.Errorf("token of a deleted application: %d %s", r.status, r.body)
	}
}

// The token endpoint: client credentials in the body or as HTTP Basic
// (form-encoded first, RFC 6749 §2.3.1); failures as RFC 6749 §5.2.
func TestTokenEndpoint(t *testing.T) {
	b := newBed(t, time.Hour)
	id, secret := b.app.ClientID, b.app.ClientSecret
	basic := func(user, pass string) string {
		r := http.Request{Header: http.Header{}}
		r.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
		return r.Header.Get("Authorization")
	}
	post := func(auth, ctype, body string) reply {
		req, _ := http.NewRequest("POST", b.srv.URL+"/oauth/token", strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return reply{resp.StatusCode, resp.Header, string(data)}
	}
	r := post(basic(id, secret), form, "grant_type=client_credentials")
	if r.status != 200 || !strings.Contains(r.body, `"token_type":"Bearer","expires_in":3600`) || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Basic: %d %v %s", r.status, r.header, r.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal([]byte(r.body), &tok)
	if rr := b.do("GET", "/api/ver1.0/extension/1/event/", tok.AccessToken, "", ""); rr.status != 200 {
		t.Errorf("token from Basic: %d %s", rr.status, rr.body)
	}
	creds := "&client_id=" + url.QueryEscape(id) + "&client_secret=" + url.QueryEscape(secret)
	for _, c := range []struct {
		name, auth, ctype, body string
		status                  int
		code                    string
	}{
		{"wrong secret", "", form, "grant_type=client_credentials&client_id=" + id + "&client_secret=x", 401, "invalid_client"},
		{"unknown client", "", form, "grant_type=client_credentials&client_id=x&client_secret=" + secret, 401, "invalid_client"},
		{"wrong Basic secret", basic(id, "x"), form, "grant_type=client_credentials", 401, "invalid_client"},
		{"no credentials", "", form, "grant_type=client_credentials", 401, "invalid_client"},
		{"Bearer instead", "Bearer x", form, "grant_type=client_credentials", 401, "invalid_client"},
		{"both ways", basic(id, secret), form, "grant_type=client_credentials" + creds, 400, "invalid_request"},
		{"no grant_type", "", form, strings.TrimPrefix(creds, "&"), 400, "invalid_request"},
		{"password grant", "", form, "grant_type=password" + creds, 400, "unsupported_grant_type"},
		{"grant_type twice", "", form, "grant_type=client_credentials&grant_type=client_credentials" + creds, 400, "invalid_request"},
		{"JSON body", "", "application/json", `{"grant_type":"client_credentials"}`, 400, "invalid_request"},
		{"oversized", "", form, "grant_type=client_credentials" + creds + "&pad=" + strings.Repeat("a", 5000), 413, "invalid_request"},
	} {
		r := post(c.auth, c.ctype, c.body)
		if r.status != c.status || errorOf(t, r) != c.code {
			t.Errorf("%s: %d %s; want %d %s", c.name, r.status, r.body, c.status, c.code)
		}
		if c.status == 401 && r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", c.name)
		}
	}
	if r := b.do("GET", "/oauth/token", "", "", ""); r.status != 405 || errorOf(t, r) != "invalid_request" {
		t.Errorf("GET: %d %s", r.status, r.body)
	}
}
