//go:build integration

package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callctl/callctl/api/oauth"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/test/phone"
	"github.com/callctl/callctl/test/scenario"
	"github.com/callctl/callctl/test/testbed"
	"github.com/callctl/callctl/webhook"
)

// received is one request a test receiver got.
type received struct {
	path, method string
	values       url.Values // the query of a GET, the form or JSON body of a POST
	at           time.Time
}

// receiver records every request; JSON bodies are flattened to strings.
type receiver struct {
	*httptest.Server
	mu  sync.Mutex
	got []received
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		v := req.URL.Query()
		if req.Method == http.MethodPost {
			if strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
				var m map[string]any
				json.Unmarshal(body, &m)
				for k, x := range m {
					if x != nil {
						b, _ := json.Marshal(x)
						v.Set(k, strings.Trim(string(b), `"`))
					}
				}
			} else if form, err := url.ParseQuery(string(body)); err == nil {
				for k := range form {
					v.Set(k, form.Get(k))
				}
			}
		}
		r.mu.Lock()
		r.got = append(r.got, received{req.URL.Path, req.Method, v, time.Now()})
		r.mu.Unlock()
		w.WriteHeader(204)
	}))
	t.Cleanup(r.Close)
	return r
}

// wait returns the requests to path once there are n (failing after 10 s),
// after a moment to catch any extra one.
func (r *receiver) wait(t *testing.T, path string, n int) []received {
	t.Helper()
	var out []received
	collect := func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		out = out[:0]
		for _, g := range r.got {
			if g.path == path {
				out = append(out, g)
			}
		}
	}
	testbed.Eventually(10*time.Second, func() bool { collect(); return len(out) >= n })
	time.Sleep(300 * time.Millisecond)
	collect()
	if len(out) != n {
		t.Fatalf("%s: %d requests, want %d: %+v", path, len(out), n, out)
	}
	return out
}

// restToken creates an application and gets a token from the daemon's
// /oauth/token with its credentials as HTTP Basic authentication.
func restToken(t *testing.T, d *testbed.Daemon) string {
	app, err := oauth.Add(d.DB(), "crm-live", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", d.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(app.ClientID, app.ClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// subscribe adds an extension event subscription through the REST API.
func subscribe(t *testing.T, d *testbed.Daemon, token string, ext int, u, method, typ string) {
	body := `{"url":"` + u + `","method":"` + method + `","event_type":"` + typ + `"}`
	req, _ := http.NewRequest("POST", d.URL+"/api/ver1.0/extension/"+strconv.Itoa(ext)+"/event/", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"event_type":"`+typ+`","id":`) {
		t.Fatalf("subscribe %s: %d %s", typ, resp.StatusCode, b)
	}
}

// An inbound call to an extension on the real Asterisk, with SIP phones:
// the call_notify client hears of its arrival, the ringing and the answer
// of 1001; 1001's event subscriptions (made through the REST API with an
// OAuth token) get dial-in (GET, in the query), answer and hangup (POST,
// form-encoded), with the stored record's call id, sub-call id and times.
func TestInboundNotifyAndExtensionEventsLive(t *testing.T) {
	rcv := newReceiver(t)
	d := testbed.StartDaemon(t, nil)
	if _, err := d.Webhook().Save(webhook.Client{Name: "notify", Kind: webhook.KindCallNotify, URL: rcv.URL + "/notify",
		Method: "POST", Triggers: []string{webhook.TriggerArrival, webhook.TriggerRing, webhook.TriggerAnswer}}, false); err != nil {
		t.Fatal(err)
	}
	tok := restToken(t, d)
	const ext1001 = 2 // its id in pbx.extensions
	subscribe(t, d, tok, ext1001, rcv.URL+"/ev?myid=2", "GET", "dial-in")
	subscribe(t, d, tok, ext1001, rcv.URL+"/ev?myid=2", "POST", "answer")
	subscribe(t, d, tok, ext1001, rcv.URL+"/ev?myid=2", "POST", "hangup")
	subscribe(t, d, tok, 3, rcv.URL+"/other", "POST", "dial-in") // 1002: not rung

	ctx := ctxFor(t, 2*time.Minute)
	env, err := scenario.NewEnv(ctx, d.AMI())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	s, _ := scenario.Get("inbound-answered")
	since := time.Now()
	if err := scenario.Play(ctx, env, s); err != nil {
		t.Fatal(err)
	}
	r := recordsSince(t, d, since, 1)[0]
	if len(r.Legs) != 1 {
		t.Fatalf("record: %+v", r)
	}
	leg := r.Legs[0]
	id, legID := strconv.FormatUint(r.ID, 10), strconv.FormatUint(leg.ID, 10)

	notes := rcv.wait(t, "/notify", 3)
	for i, want := range []string{"", "1001", "1001"} { // arrival, ring, answer
		v := notes[i].values
		if v.Get("id") != id || v.Get("src") != scenario.Caller || v.Get("exten") != want {
			t.Errorf("notification %d: %v", i+1, v)
		}
	}

	evs := rcv.wait(t, "/ev", 3)
	micros := func(tm time.Time) int64 { return tm.UnixMicro() }
	for i, want := range []struct {
		typ, method, status string
		at                  time.Time
	}{
		{"dial-in", "GET", "CALLING", leg.Start},
		{"answer", "POST", "ANSWER", leg.Answer},
		{"hangup", "POST", "ANSWER", leg.Hangup},
	} {
		e := evs[i]
		v := e.values
		if v.Get("EventType") != want.typ || e.method != want.method || v.Get("myid") != "2" {
			t.Errorf("event %d: %s %v, want %s %s", i+1, e.method, v, want.method, want.typ)
			continue
		}
		for k, w := range map[string]string{"CallID": id, "SubCallID": legID, "CallerIDNum": scenario.Caller,
			"CalledDID": "36123451001", "CalledExtension": "1001", "CalledExtensionID": "2", "CalledNumber": "1001",
			"CallFlow": "IN", "CallStatus": want.status, "Transfered": "no"} {
			if v.Get(k) != w {
				t.Errorf("%s: %s = %q, want %q", want.typ, k, v.Get(k), w)
			}
		}
		at, _ := strconv.ParseInt(v.Get("EventTime"), 10, 64)
		if d := at - micros(want.at); d < -1000 || d > 1000 {
			t.Errorf("%s: EventTime %d, the record's time %d", want.typ, at, micros(want.at))
		}
		if want.typ == "hangup" {
			dur, _ := strconv.ParseInt(v.Get("Duration"), 10, 64)
			if dur != leg.Hangup.Sub(leg.Start).Microseconds() || v.Get("Bridged") != "yes" {
				t.Errorf("hangup: Duration %d, Bridged %s; the leg lasted %s", dur, v.Get("Bridged"), leg.Hangup.Sub(leg.Start))
			}
			t.Logf("hangup → hangup event received in %s", e.at.Sub(leg.Hangup).Round(time.Millisecond))
		}
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for _, g := range rcv.got {
		if g.path == "/other" {
			t.Errorf("1002's subscription got %v", g.values)
		}
	}
}

// An inbound call for line 1099 that its incoming-call rule forwards out of
// the PBX (the test bed's dialplan: extensions_extevents.conf): 1099's
// subscriptions get dial-out, answer and hangup with Transfered yes,
// CallFlow OUT and the number it went to.
func TestForwardedCallEventsLive(t *testing.T) {
	rcv := newReceiver(t)
	const ext1099 = 100
	d := testbed.StartDaemon(t, func(c *daemonConfig) {
		c.PBX.Extensions = append(c.PBX.Extensions, pbx.Extension{ID: ext1099, Number: "1099", PublicNumber: "36123451099"})
	})
	tok := restToken(t, d)
	for _, typ := range []string{"dial-out", "answer", "hangup"} {
		subscribe(t, d, tok, ext1099, rcv.URL+"/fwd", "POST", typ)
	}
	ctx := ctxFor(t, time.Minute)
	env, err := scenario.NewEnv(ctx, d.AMI())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	env.Reset()
	if err := env.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	carrier := env.Phone("carrier")
	carrier.SetAnswer(phone.AnswerAfter(time.Second))
	since := time.Now()
	c, err := carrier.Dial(ctx, "36123451099", phone.WithCallerNumber(scenario.Caller))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	c.Hangup(ctx)
	if err := env.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	r := recordsSince(t, d, since, 1)[0]
	evs := rcv.wait(t, "/fwd", 3)
	for i, want := range []struct{ typ, status string }{{"dial-out", "CALLING"}, {"answer", "ANSWER"}, {"hangup", "ANSWER"}} {
		v := evs[i].values
		for k, w := range map[string]string{"EventType": want.typ, "CallID": strconv.FormatUint(r.ID, 10),
			"CallerIDNum": scenario.Caller, "CalledDID": "36123451099", "CalledNumber": "3630111333",
			"CallFlow": "OUT", "CallStatus": want.status, "Transfered": "yes"} {
			if v.Get(k) != w {
				t.Errorf("%s: %s = %q, want %q (%v)", want.typ, k, v.Get(k), w, v)
			}
		}
	}
	if v := evs[2].values; v.Get("Bridged") != "yes" || v.Get("Duration") == "" {
		t.Errorf("hangup: %v", v)
	}
}
