package webhook

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testNow = time.Unix(1_800_000_000, 0)

func render(t *testing.T, c Client) *Request {
	t.Helper()
	if err := c.normalize(false, 4); err != nil {
		t.Fatalf("%+v: %v", c, err)
	}
	return c.request(sampleFields(c.Kind), "pbx-1", "msg_test", testNow)
}

func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body\n %s\nwant\n %s", got, want)
	}
}

// The seed's own GET URL and POST body of its notification example.
func TestDefaultFormatsAreTheSeeds(t *testing.T) {
	get := render(t, Client{Name: "n", Kind: KindCallNotify, URL: "https://pelda.crm"})
	if want := "https://pelda.crm?id=91000&start_time=2019-12-02+12%3A46%3A17&src=36709676052&dst=3619996000&exten=252"; get.Method != "GET" || get.URL != want || get.Body != nil {
		t.Errorf("GET %s %s %q\nwant %s", get.Method, get.URL, get.Body, want)
	}
	post := render(t, Client{Name: "n", Kind: KindDataQuery, URL: "https://pelda.crm/q?x=1", Method: "POST"})
	jsonEqual(t, post.Body, `{"id":91000,"start_time":"2019-12-02 12:46:17","src":"36709676052","dst":"3619996000","exten":"252"}`)
	if post.URL != "https://pelda.crm/q?x=1" || post.Header.Get("Content-Type") != "application/json" {
		t.Errorf("POST %s %v", post.URL, post.Header)
	}
	some := render(t, Client{Name: "n", Kind: KindCallNotify, URL: "https://pelda.crm/?a=b", Params: []string{"src", "id"}})
	if some.URL != "https://pelda.crm/?a=b&id=91000&src=36709676052" {
		t.Errorf("chosen params: %s", some.URL)
	}
}

func TestCallEndDefaultBody(t *testing.T) {
	req := render(t, Client{Name: "e", Kind: KindCallEnd, URL: "https://crm.example/end"})
	if req.Method != "POST" {
		t.Fatalf("method %s", req.Method)
	}
	var m map[string]any
	json.Unmarshal(req.Body, &m)
	// The seed's outbound example, field by field, and node_id.
	want := map[string]any{"id": 76355.0, "direction": 0.0, "start_time": "2019-12-03 11:41:56", "answer_time": "2019-12-03 11:42:03",
		"hangup_time": "2019-12-03 11:42:06", "src": "1102", "src_user_id": 6.0, "dst": "36301234576", "dst_user_id": nil,
		"exten": "1102", "duration": 10.0, "billsec": 3.0, "ringtime": 2.0, "pincode": "private", "ivr_digits": nil,
		"cc_call": -1.0, "price": 1.25, "cost_location": "12", "sub_cdrs": []any{}, "node_id": "pbx-1"}
	for k, v := range want {
		if !reflect.DeepEqual(m[k], v) {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	if _, ok := m["monitor_file"]; ok {
		t.Error("monitor_file sent without include_recording")
	}
	chosen := render(t, Client{Name: "e", Kind: KindCallEnd, URL: "https://crm.example/end", Params: []string{"id", "sub_cdrs"}})
	jsonEqual(t, chosen.Body, `{"id":76355,"sub_cdrs":[],"node_id":"pbx-1"}`)
}

func TestTemplates(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    Client
		url  string
		body string
		ct   string
	}{
		{"GET appended, URL-encoded", Client{Kind: KindCallNotify, URL: "https://crm.example/in",
			Template: "/{{id}}?caller={{ src }}&at={{start_time}}&none={{custom_field}}"},
			"https://crm.example/in/91000?caller=36709676052&at=2019-12-02+12%3A46%3A17&none=", "", ""},
		{"POST JSON: in strings escaped, elsewhere values", Client{Kind: KindCallNotify, URL: "https://crm.example/in", Method: "POST",
			Template: `{"call":{{id}},"who":"tel:{{src}}","t":"{{start_time}}","tags":{{custom_field}},"node":"{{node_id}}"}`},
			"https://crm.example/in", `{"call":91000,"who":"tel:36709676052","t":"2019-12-02 12:46:17","tags":null,"node":"pbx-1"}`, "application/json"},
		{"POST form", Client{Kind: KindDataQuery, URL: "https://crm.example/q", Method: "POST", Template: "phone={{src}}&when={{start_time}}"},
			"https://crm.example/q", "phone=36709676052&when=2019-12-02+12%3A46%3A17", "application/x-www-form-urlencoded"},
		{"call_end JSON with sub_cdrs", Client{Kind: KindCallEnd, URL: "https://crm.example/end",
			Template: `{"cdr":{"id":{{id}},"legs":{{sub_cdrs}},"price":{{price}},"file":"{{monitor_file_name}}"}}`},
			"https://crm.example/end", `{"cdr":{"id":76355,"legs":[],"price":1.25,"file":"76355_vipexexten_demo_vipex_1102_36301234576.mp3"}}`, "application/json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.Name = "x"
			req := render(t, tt.c)
			if req.URL != tt.url {
				t.Errorf("url %s, want %s", req.URL, tt.url)
			}
			if tt.ct == "application/json" {
				jsonEqual(t, req.Body, tt.body)
			} else if string(req.Body) != tt.body {
				t.Errorf("body %q, want %q", req.Body, tt.body)
			}
			if req.Header.Get("Content-Type") != tt.ct {
				t.Errorf("content type %q", req.Header.Get("Content-Type"))
			}
		})
	}
	// A value with quotes and a newline inside a JSON string stays JSON.
	tm, _ := parseTemplate(`{"x":"a {{src}} b","y":{{src}}}`, true, CallParams)
	out := tm.render(Fields{StringField("src", "say \"hi\"\n\\")})
	jsonEqual(t, out, `{"x":"a say \"hi\"\n\\ b","y":"say \"hi\"\n\\"}`)
}

func TestAuthAndAPIKeyPlacements(t *testing.T) {
	base := Client{Name: "a", Kind: KindCallNotify, URL: "https://crm.example/in"}
	with := func(f func(*Client)) Client { c := base; f(&c); return c }

	r := render(t, with(func(c *Client) {
		c.Basic = &BasicAuth{User: "crm", Password: "p:w"}
		c.Headers = []Header{{"x-tenant", "42"}, {"Content-Type", "application/vnd.crm+json"}}
		c.Method = "POST"
	}))
	if u, p, ok := (&http.Request{Header: r.Header}).BasicAuth(); !ok || u != "crm" || p != "p:w" {
		t.Errorf("basic auth %q %q %v", u, p, ok)
	}
	if r.Header.Get("X-Tenant") != "42" || r.Header.Get("Content-Type") != "application/vnd.crm+json" {
		t.Errorf("headers %v", r.Header)
	}

	r = render(t, with(func(c *Client) { c.APIKey, c.APIKeyIn = "k-1", "header:X-Api-Token" }))
	if r.Header.Get("X-Api-Token") != "k-1" {
		t.Errorf("header key: %v", r.Header)
	}
	r = render(t, with(func(c *Client) { c.APIKey = "k-1" }))
	if r.Header.Get("X-API-Key") != "k-1" {
		t.Errorf("default key header: %v", r.Header)
	}
	r = render(t, with(func(c *Client) { c.APIKey, c.APIKeyIn = "k&1", "query:token" }))
	if !strings.HasSuffix(r.URL, "&token=k%261") {
		t.Errorf("query key: %s", r.URL)
	}
	r = render(t, with(func(c *Client) { c.APIKey, c.APIKeyIn, c.Method = "k-1", "body:token", "POST" }))
	jsonEqual(t, r.Body, `{"token":"k-1","id":91000,"start_time":"2019-12-02 12:46:17","src":"36709676052","dst":"3619996000","exten":"252"}`)
	r = render(t, with(func(c *Client) {
		c.APIKey, c.APIKeyIn, c.Method, c.Template = "k-1", "body:token", "POST", `{"n":"{{src}}"}`
	}))
	jsonEqual(t, r.Body, `{"token":"k-1","n":"36709676052"}`)
	r = render(t, with(func(c *Client) { c.APIKey, c.APIKeyIn, c.Method, c.Template = "k 1", "body:token", "POST", "n={{src}}" }))
	if string(r.Body) != "n=36709676052&token=k+1" {
		t.Errorf("form body key: %s", r.Body)
	}
	r = render(t, with(func(c *Client) { c.APIKey, c.APIKeyIn, c.Method, c.Template = "k-1", "body:token", "POST", `{}` }))
	jsonEqual(t, r.Body, `{"token":"k-1"}`)
}

func TestStandardWebhooksHeaders(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	c := Client{Name: "s", Kind: KindCallEnd, URL: "https://crm.example/end", Secret: "whsec_" + base64.StdEncoding.EncodeToString(key)}
	r := render(t, c)
	if r.Header.Get("webhook-id") != "msg_test" || r.Header.Get("webhook-timestamp") != "1800000000" {
		t.Fatalf("headers %v", r.Header)
	}
	if want := signature(key, "msg_test", 1800000000, r.Body); r.Header.Get("webhook-signature") != want || !strings.HasPrefix(want, "v1,") {
		t.Errorf("signature %q, want %q", r.Header.Get("webhook-signature"), want)
	}
	unsigned := render(t, Client{Name: "s", Kind: KindCallEnd, URL: "https://crm.example/end"})
	if unsigned.Header.Get("webhook-signature") != "" || unsigned.Header.Get("webhook-id") == "" {
		t.Errorf("without a secret: %v", unsigned.Header)
	}
	if id := newWebhookID(); !strings.HasPrefix(id, "msg_") || len(id) != 30 || id == newWebhookID() {
		t.Errorf("webhook id %q", id)
	}
}

func TestBadClientsAreRefused(t *testing.T) {
	ok := Client{Name: "crm", Kind: KindCallNotify, URL: "https://crm.example/in"}
	for _, tt := range []struct {
		edit func(*Client)
		want string
	}{
		{func(c *Client) { c.Kind = "call_start" }, "kind"},
		{func(c *Client) { c.Name = "bad name" }, "name"},
		{func(c *Client) { c.URL = "ftp://crm.example/" }, "http"},
		{func(c *Client) { c.URL = "https:///nohost" }, "host"},
		{func(c *Client) { c.URL = "crm.example/in" }, "http"},
		{func(c *Client) { c.URL = "https://u:p@crm.example/" }, "basic auth"},
		{func(c *Client) { c.URL = "http://169.254.169.254/latest" }, "link-local"},
		{func(c *Client) { c.URL = "http://[fe80::1]/x" }, "link-local"},
		{func(c *Client) { c.Kind, c.Method = KindCallEnd, "GET" }, "POST only"},
		{func(c *Client) { c.Method = "PUT" }, "method"},
		{func(c *Client) { c.Params = []string{"id", "duration"} }, "parameter \"duration\""},
		{func(c *Client) { c.Template = "?x={{caller}}" }, "unknown parameter {{caller}}"},
		{func(c *Client) { c.Template = "?x={{src" }, "closing"},
		{func(c *Client) { c.Method, c.Template = "POST", `{"x":{{src}}` }, "not valid JSON"},
		{func(c *Client) { c.Headers = []Header{{"Bad Name", "x"}} }, "header"},
		{func(c *Client) { c.Headers = []Header{{"X-A", "a\r\nInjected: 1"}} }, "line break"},
		{func(c *Client) { c.Headers = []Header{{"webhook-signature", "x"}} }, "set by callctl"},
		{func(c *Client) { c.Basic = &BasicAuth{User: "a:b", Password: "x"} }, "basic auth"},
		{func(c *Client) { c.APIKey, c.APIKeyIn = "k", "cookie:x" }, "api-key-in"},
		{func(c *Client) { c.APIKey, c.APIKeyIn = "k", "body:x" }, "GET request has no body"},
		{func(c *Client) { c.APIKeyIn = "header:x" }, "without an api key"},
		{func(c *Client) { c.Secret = "s3cret" }, "whsec_"},
		{func(c *Client) { c.Secret = "whsec_***" }, "base64"},
		{func(c *Client) { c.Secret = "whsec_c2hvcnQ=" }, "at least 16"},
		{func(c *Client) { c.Triggers = []string{"hangup"} }, "trigger"},
		{func(c *Client) { c.Kind, c.Triggers = KindDataQuery, []string{"ring"} }, "call_notify"},
		{func(c *Client) { c.IncludeRecording = true }, "call_end"},
		{func(c *Client) { c.Timeout = 2 * time.Minute }, "timeout"},
		{func(c *Client) { c.Kind, c.Retry = KindDataQuery, []time.Duration{time.Second} }, "never retried"},
		{func(c *Client) { c.Retry = []time.Duration{-time.Second} }, "retry"},
		{func(c *Client) { c.Concurrency = 100 }, "concurrency"},
	} {
		c := ok
		tt.edit(&c)
		err := c.normalize(false, 4)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want an error about %q", c, err, tt.want)
		}
	}
	c := ok
	c.URL = "http://169.254.169.254/latest"
	if err := c.normalize(true, 4); err != nil {
		t.Errorf("link-local with allow_link_local: %v", err)
	}
	c = ok
	if err := c.normalize(false, 4); err != nil || c.Method != "GET" || c.Timeout != DefaultTimeout || len(c.Retry) != 8 ||
		c.Concurrency != 4 || !reflect.DeepEqual(c.Triggers, []string{"arrival"}) {
		t.Errorf("defaults: %+v %v", c, err)
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	c := Client{APIKey: "abcdefghijkl", Secret: "whsec_MDEyMzQ1Njc4OWFiY2RlZg==", Basic: &BasicAuth{User: "u", Password: "pw"}}
	r := c.Redacted()
	if r.APIKey != "ab****" || r.Secret != "whsec_MD****" || r.Basic.Password != "****" || c.Basic.Password != "pw" {
		t.Errorf("redacted %+v %+v", r, r.Basic)
	}
}

func TestAnswers(t *testing.T) {
	for _, tt := range []struct {
		ct, body string
		want     map[string]string
		bad      bool
	}{
		{"application/json", `{"exten":"251","branch":2,"vip":true,"x":null,"o":{"a":1}}`, map[string]string{"exten": "251", "branch": "2", "vip": "true", "x": "", "o": `{"a":1}`}, false},
		{"text/plain", ` {"exten":"251"}`, map[string]string{"exten": "251"}, false},
		{"application/x-www-form-urlencoded", "exten=251&branch=2&branch=3", map[string]string{"exten": "251", "branch": "2"}, false},
		{"", "", map[string]string{}, false},
		{"application/json", `[1,2]`, nil, true},
		{"text/html", "<html>", nil, true},
	} {
		got, err := parseAnswer(tt.ct, []byte(tt.body))
		if tt.bad != (err != nil) || (!tt.bad && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("%s %q: %v %v", tt.ct, tt.body, got, err)
		}
	}
}

func TestNextWait(t *testing.T) {
	s := []time.Duration{0, 10 * time.Second, time.Minute}
	if d, ok := nextWait(s, 1, 0); !ok || d < 8*time.Second || d > 12*time.Second {
		t.Errorf("after 1: %s %v", d, ok)
	}
	if d, ok := nextWait(s, 1, time.Hour); !ok || d != time.Hour {
		t.Errorf("Retry-After longer than the schedule: %s", d)
	}
	if d, _ := nextWait(s, 1, 48*time.Hour); d != maxRetryAfter {
		t.Errorf("Retry-After capped: %s", d)
	}
	if _, ok := nextWait(s, 3, 0); ok {
		t.Error("schedule used up, still retried")
	}
	if d := retryAfter("120", testNow); d != 2*time.Minute {
		t.Errorf("Retry-After seconds: %s", d)
	}
	if d := retryAfter(testNow.Add(30*time.Second).UTC().Format(http.TimeFormat), testNow); d != 30*time.Second {
		t.Errorf("Retry-After date: %s", d)
	}
	if retryAfter("soon", testNow) != 0 || retryAfter("-5", testNow) != 0 {
		t.Error("bad Retry-After not ignored")
	}
}
