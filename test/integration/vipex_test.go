//go:build integration

package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/daemon"
	"github.com/callctl/callctl/test/phone"
	"github.com/callctl/callctl/test/scenario"
	"github.com/callctl/callctl/test/testbed"
)

const vipexID = "3212601"

// vipexAPI is a client of callctl's /?rt=api.
type vipexAPI struct {
	t    *testing.T
	base string
}

// get sends action with params (name, value pairs) by GET.
func (a vipexAPI) get(action string, kv ...string) map[string]any {
	a.t.Helper()
	q := url.Values{"rt": {"api"}, "action": {action}, "vipex_id": {vipexID}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	req, _ := http.NewRequest(http.MethodGet, a.base+"/?"+q.Encode(), nil)
	return a.do(req)
}

// postJSON sends the parameters as a JSON body to /api?rt=api.
func (a vipexAPI) postJSON(params map[string]any) map[string]any {
	a.t.Helper()
	params["vipex_id"] = vipexID
	body, _ := json.Marshal(params)
	req, _ := http.NewRequest(http.MethodPost, a.base+"/api?rt=api", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return a.do(req)
}

func (a vipexAPI) do(req *http.Request) map[string]any {
	a.t.Helper()
	req.SetBasicAuth("crm", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m struct {
		Result map[string]any `json:"onvipex_result"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m.Result == nil {
		a.t.Fatalf("not a VIPeX answer: %v: %s", err, data)
	}
	m.Result["_raw"] = string(data)
	return m.Result
}

func vipexOK(t *testing.T, m map[string]any) {
	t.Helper()
	if m["result"] != json.Number("1") {
		t.Fatalf("want result 1: %s", m["_raw"])
	}
}

// number is an integer of an answer.
func number(t *testing.T, m map[string]any, key string) uint64 {
	t.Helper()
	n, ok := m[key].(json.Number)
	v, err := n.Int64()
	if !ok || err != nil || v <= 0 {
		t.Fatalf("%s is not a positive integer: %s", key, m["_raw"])
	}
	return uint64(v)
}

func newVipexEnv(t *testing.T) (*voipsunEnv, vipexAPI) {
	d := testbed.StartDaemon(t, func(c *daemon.Config) { c.VIPeX.SubscriptionID = vipexID })
	ctx := ctxFor(t, 10*time.Minute)
	env, err := scenario.NewEnv(ctx, d.AMI())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	if err := users.Add(d.DB(), "crm", "s3cret", nil); err != nil {
		t.Fatal(err)
	}
	return &voipsunEnv{d: d, env: env, ctx: ctx}, vipexAPI{t: t, base: d.URL}
}

// dial_phonenumber rings the extension, then the number; the id it
// answers is the call's main CDR record, and the call_id of the
// extension's current calls, from both sides.
func TestVIPeXDialPhonenumberAndCurrentCalls(t *testing.T) {
	v, a := newVipexEnv(t)
	ctx := v.ctx
	v.env.Phone("1000").SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
	v.env.Phone("1001").SetAnswer(phone.AnswerAfter(1500 * time.Millisecond))

	// No calls: an empty list.
	m := a.get("get_extens_current_calls", "exten", "1000")
	vipexOK(t, m)
	if calls, ok := m["extens_current_calls"].([]any); !ok || len(calls) != 0 {
		t.Fatalf("idle extension: %s", m["_raw"])
	}

	since := time.Now()
	m = a.postJSON(map[string]any{"action": "dial_phonenumber", "exten": "1000", "phonenumber": "1001"})
	vipexOK(t, m)
	id := number(t, m, "id")
	answeredCall(t, ctx, v.env.Phone("1000"))
	// 1001 rings: its call is inbound from 1000, not yet answered.
	v.waitLive(t, func(c []*cdr.LiveCall) bool { return len(c) == 1 && len(c[0].Legs) == 1 })
	m = a.get("get_extens_current_calls", "exten", "1001")
	vipexOK(t, m)
	calls := m["extens_current_calls"].([]any)
	if len(calls) != 1 {
		t.Fatalf("1001 while ringing: %s", m["_raw"])
	}
	c := calls[0].(map[string]any)
	if number(t, c, "call_id") != id || number(t, c, "id") == id || c["direction"] != "inbound" || c["other_party_type"] != "internal" ||
		c["other_party_number"] != "1000" || c["answer_time"] != nil || c["start_time"] == nil {
		t.Errorf("1001 while ringing: %s", m["_raw"])
	}
	dst := answeredCall(t, ctx, v.env.Phone("1001"))
	v.waitLive(t, func(c []*cdr.LiveCall) bool { return len(c) == 1 && !c[0].Answered.IsZero() })
	m = a.get("get_extens_current_calls", "exten", "1000")
	vipexOK(t, m)
	calls = m["extens_current_calls"].([]any)
	if len(calls) != 1 {
		t.Fatalf("1000 in the call: %s", m["_raw"])
	}
	c = calls[0].(map[string]any)
	if number(t, c, "call_id") != id || number(t, c, "id") != id || c["direction"] != "outbound" || c["other_party_type"] != "internal" ||
		c["other_party_number"] != "1001" || c["answer_time"] == nil {
		t.Errorf("1000 in the answered call: %s", m["_raw"])
	}
	dst.Hangup(ctx)
	v.idle(t)
	recs := recordsSince(t, v.d, since, 1)
	if recs[0].ID != id || recs[0].Src != "1000" || recs[0].Dst != "1001" {
		t.Errorf("record %d %s→%s, want id %d", recs[0].ID, recs[0].Src, recs[0].Dst, id)
	}

	// To an outside number: external.
	v.env.Phone("1000").SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
	v.env.Phone("carrier").SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
	m = a.get("dial_phonenumber", "exten", "1000", "phonenumber", scenario.External)
	vipexOK(t, m)
	id = number(t, m, "id")
	answeredCall(t, ctx, v.env.Phone("1000"))
	out := answeredCall(t, ctx, v.env.Phone("carrier"))
	v.waitLive(t, func(c []*cdr.LiveCall) bool { return len(c) == 1 && !c[0].Answered.IsZero() })
	m = a.get("get_extens_current_calls", "exten", "1000")
	calls = m["extens_current_calls"].([]any)
	if len(calls) != 1 || calls[0].(map[string]any)["other_party_type"] != "external" ||
		calls[0].(map[string]any)["other_party_number"] != scenario.External || number(t, calls[0].(map[string]any), "id") != id {
		t.Errorf("1000 calling out: %s", m["_raw"])
	}
	out.Hangup(ctx)
	v.idle(t)

	// Refused: nothing rings.
	for _, kv := range [][]string{{"exten", "2000", "phonenumber", "1001"}, {"exten", "1000", "phonenumber", "1\r\n001"}, {"exten", "1000"}} {
		m = a.get("dial_phonenumber", kv...)
		if m["result"] != json.Number("0") || m["reason"] == "" {
			t.Errorf("%v: %s", kv, m["_raw"])
		}
	}
	time.Sleep(300 * time.Millisecond)
	if ch, _ := v.env.Channels(ctx); len(ch) != 0 {
		t.Errorf("a refused request made channels %v", ch)
	}
}

// outbound_ivr calls the number; it hears the digits in the flow's
// language and goes on in the flow.
func TestVIPeXOutboundIVR(t *testing.T) {
	v, a := newVipexEnv(t)
	sub := testbed.AllEvents(t).Subscribe("test", 0)
	defer sub.Close()
	for _, flow := range []struct{ exten, language string }{{"700", "en"}, {"701", "hu"}} {
		v.env.Phone("carrier").SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
		since := time.Now()
		m := a.get("outbound_ivr", "exten", flow.exten, "phonenumber", scenario.External, "digits", "1234")
		vipexOK(t, m)
		id := number(t, m, "id")
		callee := answeredCall(t, v.ctx, v.env.Phone("carrier"))
		var said, ran bool
		timeout := time.After(20 * time.Second)
		for !ran {
			select {
			case e := <-sub.C():
				if e.Event() == "Newexten" && strings.Contains(e["AppData"], "SayDigits(1234)") {
					said = true
				}
				if e.Event() == "UserEvent" && e["UserEvent"] == "CallctlTestFlow" && e["Exten"] == flow.exten {
					ran = true
					if e["Language"] != flow.language || e["Digits"] != "1234" {
						t.Errorf("flow %s: %v", flow.exten, ami.Message(e))
					}
				}
			case <-timeout:
				t.Fatalf("flow %s did not run", flow.exten)
			}
		}
		if !said {
			t.Errorf("flow %s: SayDigits(1234) did not run before it", flow.exten)
		}
		callee.Hangup(v.ctx)
		v.idle(t)
		if r := recordsSince(t, v.d, since, 1)[0]; r.ID != id {
			t.Errorf("record %d, want %d", r.ID, id)
		}
	}
}
