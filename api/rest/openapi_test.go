package rest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/api/openapi/openapitest"
	"github.com/callctl/callctl/api/rest"
)

// codeActions are the dialect's actions, as its Decode finds them for
// every method on both resources.
func codeActions(t *testing.T) []string {
	d := rest.New(nil)
	seen := map[string]bool{}
	for _, path := range []string{rest.Path + "extension/1/event/", rest.Path + "extension/1/event/1"} {
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY"} {
			c, err := d.Decode(httptest.NewRequest(m, path, strings.NewReader("{}")))
			if err == nil && c.Action != "" {
				seen[c.Action] = true
			}
		}
	}
	var out []string
	for a := range seen {
		out = append(out, a)
	}
	if len(out) == 0 {
		t.Fatal("the dialect has no actions")
	}
	return out
}

// Every REST action and the token endpoint answer, on the real server, a
// success and an error that the OpenAPI document (api/openapi/rest.json)
// describes; every request is one the document takes, or one it refuses
// as the server does.
func TestOpenAPIDocument(t *testing.T) {
	doc := openapitest.Load(t, "rest")
	b := newBed(t, time.Hour)
	h := b.srv.Config.Handler
	id, secret := b.app.ClientID, b.app.ClientSecret
	formHeader := http.Header{"Content-Type": {form}}
	creds := "&client_id=" + url.QueryEscape(id) + "&client_secret=" + url.QueryEscape(secret)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))

	rec := doc.Run(t, h, nil, openapitest.Exchange{Action: "token", Method: "POST", Target: "/oauth/token", Header: formHeader, Body: "grant_type=client_credentials" + creds})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &tok); tok.AccessToken == "" {
		t.Fatalf("no token: %s", rec.Body)
	}
	for _, e := range []openapitest.Exchange{
		{Action: "token", Method: "POST", Target: "/oauth/token", Header: http.Header{"Content-Type": {form}, "Authorization": {basic}}, Body: "grant_type=client_credentials"},
		{Action: "token", Error: true, Method: "POST", Target: "/oauth/token", Header: formHeader, Body: "grant_type=client_credentials&client_id=" + id + "&client_secret=x"},
		{Action: "token", Error: true, Method: "POST", Target: "/oauth/token", Header: formHeader, Body: "grant_type=client_credentials"},
		{Action: "token", Error: true, Nonconforming: true, Method: "POST", Target: "/oauth/token", Header: formHeader, Body: "grant_type=password" + creds},
		{Action: "token", Error: true, Nonconforming: true, Method: "POST", Target: "/oauth/token", Header: http.Header{"Content-Type": {"application/json"}}, Body: `{"grant_type":"client_credentials"}`},
		{Action: "token", Error: true, Method: "POST", Target: "/oauth/token", Header: formHeader, Body: "grant_type=client_credentials" + creds + "&client_secret=" + strings.Repeat("a", 5000)},
		{Error: true, Nonconforming: true, Target: "/oauth/token"},
	} {
		doc.Run(t, h, nil, e)
	}

	bearer := http.Header{"Authorization": {"Bearer " + tok.AccessToken}}
	jsonBody := bearer.Clone()
	jsonBody.Set("Content-Type", "application/json")
	coll := rest.Path + "extension/2/event/"
	rec = doc.Run(t, h, nil, openapitest.Exchange{Action: "event_add", Method: "POST", Target: coll, Header: jsonBody,
		Body: `{"url": "https://somehost.com/fordel/show.php?myid=175", "method": "GET", "event_type": "dial-out"}`})
	var ev rest.Event
	if json.Unmarshal(rec.Body.Bytes(), &ev); ev.ID == 0 {
		t.Fatalf("no event: %s", rec.Body)
	}
	item := coll + strconv.FormatUint(ev.ID, 10)
	for _, e := range []openapitest.Exchange{
		{Action: "event_add", Method: "POST", Target: coll, Header: jsonBody, Body: `{"url":"http://crm.example/ev","method":"POST","event_type":"answer"}`},
		{Action: "event_add", Error: true, Nonconforming: true, Method: "POST", Target: coll, Header: jsonBody, Body: `{"url":"http://crm.example/ev","method":"PUT","event_type":"answer"}`},
		{Action: "event_add", Error: true, Method: "POST", Target: rest.Path + "extension/99/event/", Header: jsonBody, Body: `{"url":"http://crm.example/ev","method":"GET","event_type":"answer"}`},
		{Action: "event_add", Error: true, Method: "POST", Target: coll, Header: jsonBody, Body: `{"url":"http://169.254.169.254/","method":"GET","event_type":"answer"}`},
		{Action: "event_add", Error: true, Method: "POST", Target: coll, Header: jsonBody,
			Body: `{"url":"http://crm.example/` + strings.Repeat("a", 1500) + `","method":"GET","event_type":"answer","x":"` + strings.Repeat("b", 3000) + `"}`, Nonconforming: true},
		{Action: "event_list", Target: coll, Header: bearer},
		{Action: "event_list", Target: rest.Path + "extension/3/event/", Header: bearer},
		{Action: "event_list", Error: true, Target: coll},
		{Action: "event_list", Error: true, Target: coll, Header: http.Header{"Authorization": {"Bearer nope"}}},
		{Action: "event_get", Target: item, Header: bearer},
		{Action: "event_get", Error: true, Target: coll + "999", Header: bearer},
		{Action: "event_update", Method: "PUT", Target: item, Header: jsonBody, Body: `{"url":"http://crm.example/ev","method":"POST","event_type":"dial-in","id":` + strconv.FormatUint(ev.ID, 10) + `}`},
		{Action: "event_update", Error: true, Method: "PUT", Target: coll + "999", Header: jsonBody, Body: `{"url":"http://crm.example/ev","method":"POST","event_type":"dial-in"}`},
		{Action: "event_update", Error: true, Nonconforming: true, Method: "PUT", Target: item, Header: jsonBody, Body: `{"url":"http://crm.example/ev","method":"POST"}`},
		{Action: "event_delete", Target: item, Method: "DELETE", Header: bearer},
		{Action: "event_delete", Error: true, Target: item, Method: "DELETE", Header: bearer},
		{Action: "event_delete_all", Target: coll, Method: "DELETE", Header: bearer},
		{Action: "event_delete_all", Error: true, Target: rest.Path + "extension/99/event/", Method: "DELETE", Header: bearer},
		{Error: true, Nonconforming: true, Method: "PATCH", Target: item, Header: jsonBody, Body: `{}`},
		{Error: true, Nonconforming: true, Method: "PUT", Target: coll, Header: jsonBody, Body: `{}`},
		{Error: true, Nonconforming: true, Target: rest.Path + "trunk/1/event/", Header: bearer},
		{Error: true, Nonconforming: true, Target: rest.Path + "extension/abc/event/", Header: bearer},
	} {
		doc.Run(t, h, nil, e)
	}
	doc.Coverage(t, append(codeActions(t), "token"))
	t.Logf("validated answers (ok, error) by action: %v", doc.Counts())
}
