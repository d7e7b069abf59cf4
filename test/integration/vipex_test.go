//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/daemon"
	"github.com/callctl/callctl/pbxusers"
	"github.com/callctl/callctl/store"
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

// set_operator_status changes the operator's live queue membership:
// paused with the label, unpaused, removed (AMI QueueStatus shows it).
func TestVIPeXSetOperatorStatus(t *testing.T) {
	d := testbed.StartDaemon(t, func(c *daemon.Config) {
		c.VIPeX.SubscriptionID = vipexID
		c.PBX.Extensions[0].UserID = 27 // 1000
	})
	a := vipexAPI{t: t, base: d.URL}
	ctx := ctxFor(t, 2*time.Minute)
	if err := users.Add(d.DB(), "crm", "s3cret", nil); err != nil {
		t.Fatal(err)
	}
	if err := pbxusers.AddUser(d.DB(), pbxusers.User{ID: 27, Name: "Operator", Operator: true, OperatorExtens: []string{"1000"}}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []pbxusers.Status{{ID: 1, Code: 0, Label: "Callable"}, {ID: 2, Code: 1, Label: "Logged out", Logout: true}, {ID: 6, Code: 2, Label: "Break"}} {
		if err := pbxusers.AddStatus(d.DB(), s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.AMI().Action(ctx, ami.Action{Name: "QueueAdd", Headers: map[string]string{"Queue": "support", "Interface": "PJSIP/1000"}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.AMI().Action(context.Background(), ami.Action{Name: "QueueRemove", Headers: map[string]string{"Queue": "support", "Interface": "PJSIP/1000"}})
	})
	member := func() ami.Message {
		_, items, err := d.AMI().List(ctx, ami.Action{Name: "QueueStatus", Headers: map[string]string{"Queue": "support"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it.Event() == "QueueMember" && it["Location"] == "PJSIP/1000" {
				return it
			}
		}
		return nil
	}
	for _, c := range []struct {
		status, paused, reason string
		gone                   bool
	}{{"6", "1", "Break", false}, {"1", "0", "", false}, {"2", "", "", true}} {
		m := a.get("set_operator_status", "user_id", "27", "status_id", c.status)
		vipexOK(t, m)
		got := member()
		switch {
		case c.gone && got != nil:
			t.Errorf("status %s: still a member: %v", c.status, got)
		case !c.gone && (got == nil || got["Paused"] != c.paused || got["PausedReason"] != c.reason):
			t.Errorf("status %s: member %v, want paused %s reason %q", c.status, got, c.paused, c.reason)
		}
	}
	m := a.get("get_vipex_user", "id", "27")
	vipexOK(t, m)
	if m["status"] != json.Number("1") || !strings.Contains(m["_raw"].(string), `"extens":[{"exten":"1000","cost_location":null,"default":1,"operator":1}]`) {
		t.Errorf("user: %s", m["_raw"])
	}
	m = a.get("get_operator_status_history", "id", "27", "date_from", time.Now().Add(-time.Hour).Format("2006-01-02 15:04:05"),
		"date_to", time.Now().Add(time.Hour).Format("2006-01-02 15:04:05"))
	if h, ok := m["status_history"].([]any); !ok || len(h) != 3 || h[2].(map[string]any)["date_to"] != "0000-00-00 00:00:00" {
		t.Errorf("history: %s", m["_raw"])
	}
}

// Call forwards hold on real calls: immediate, busy, unavailable and
// noanswer for internal calls, immediate out to a telephone number and a
// forward of internal calls only for external calls; each call's record
// shows the forward's target as a sub-record.
func TestVIPeXCallForwardsOnLiveCalls(t *testing.T) {
	v, a := newVipexEnv(t)
	ctx := v.ctx
	set := func(kv ...string) {
		t.Helper()
		vipexOK(t, a.get("set_call_forward", kv...))
	}
	del := func(typ string) {
		t.Helper()
		vipexOK(t, a.get("del_call_forward", "number", "1001", "forward_type", typ))
	}
	for _, c := range []struct {
		name    string
		forward []string
		setup   func()
		undo    func()
		caller  string // the phone that calls
		called  string // the number it dials
		answers string // the phone that gets the call
		legs    string // the record's sub-records, kind:exten:status
	}{
		{"immediate", []string{"forward_type", "immediate", "destination_type", "exten", "destination_number", "1002"},
			func() {}, func() {}, "1000", "1001", "1002", "direct:1002:ANSWER"},
		{"busy", []string{"forward_type", "busy", "destination_type", "exten", "destination_number", "1002"},
			func() { v.env.Phone("1001").SetAnswer(phone.Busy()) }, func() {}, "1000", "1001", "1002", "direct:1001:BUSY direct:1002:ANSWER"},
		{"noanswer", []string{"forward_type", "noanswer", "destination_type", "exten", "destination_number", "1002", "noanswer_timeout", "2"},
			func() {}, func() {}, "1000", "1001", "1002", "direct:1001:NOANSWER direct:1002:ANSWER"},
		{"unavailable", []string{"forward_type", "unavailable", "destination_type", "exten", "destination_number", "1002"},
			func() { v.env.Phone("1001").Unregister(ctx) }, func() { v.env.Phone("1001").Register(ctx) }, "1000", "1001", "1002", "direct:1002:ANSWER"},
		{"immediate out", []string{"forward_type", "immediate", "destination_type", "phonenumber", "destination_number", scenario.External, "call_type", "external"},
			func() {}, func() {}, "carrier", "36123451001", "carrier", "external::ANSWER"},
		{"busy, external", []string{"forward_type", "busy", "destination_type", "exten", "destination_number", "1002", "call_type", "external"},
			func() { v.env.Phone("1001").SetAnswer(phone.Busy()) }, func() {}, "carrier", "36123451001", "1002", "direct:1001:BUSY direct:1002:ANSWER"},
		{"noanswer out, external", []string{"forward_type", "noanswer", "destination_type", "phonenumber", "destination_number", scenario.External, "noanswer_timeout", "2"},
			func() {}, func() {}, "carrier", "36123451001", "carrier", "direct:1001:NOANSWER external::ANSWER"},
		{"internal only", []string{"forward_type", "immediate", "destination_type", "exten", "destination_number", "1002", "call_type", "internal"},
			func() {}, func() {}, "carrier", "36123451001", "1001", "direct:1001:ANSWER"},
	} {
		set(append([]string{"number", "1001"}, c.forward...)...)
		c.setup()
		v.env.Phone(c.answers).SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
		since := time.Now()
		step, cancel := context.WithTimeout(ctx, 20*time.Second)
		var opts []phone.DialOption
		if c.caller == "carrier" {
			opts = append(opts, phone.WithCallerNumber(scenario.Caller))
		}
		call, err := v.env.Phone(c.caller).Dial(step, c.called, opts...)
		if err != nil {
			cancel()
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := v.env.Phone(c.answers).Incoming(step)
		if err == nil {
			err = got.WaitAnswered(step)
		}
		cancel()
		if err != nil {
			call.Hangup(ctx)
			v.hangupAll(t)
			c.undo()
			del(c.forward[1])
			t.Errorf("%s: %s did not get the call: %v", c.name, c.answers, err)
			continue
		}
		time.Sleep(500 * time.Millisecond)
		call.Hangup(ctx)
		v.idle(t)
		c.undo()
		r := recordsSince(t, v.d, since, 1)[0]
		var legs []string
		for _, l := range r.Legs {
			legs = append(legs, l.Kind+":"+l.Exten+":"+l.Status)
		}
		t.Logf("%s: record %s→%s answered by %s, sub-records %v", c.name, r.Src, r.Dst, r.AnsweredBy, legs)
		if c.answers != "carrier" && r.AnsweredBy != c.answers {
			t.Errorf("%s: answered by %q, want %s", c.name, r.AnsweredBy, c.answers)
		}
		if strings.Join(legs, " ") != c.legs {
			t.Errorf("%s: sub-records %v, want %s", c.name, legs, c.legs)
		}
		typ := c.forward[1]
		del(typ)
	}
	if m := a.get("get_call_forward_list", "number", "1001"); !strings.Contains(m["_raw"].(string), `"call_forward_list":[]`) {
		t.Errorf("forwards left: %s", m["_raw"])
	}
}

// The phonebook's name of an external caller is the name the ringing
// phone shows.
func TestVIPeXPhonebookCallerName(t *testing.T) {
	v, a := newVipexEnv(t)
	vipexOK(t, a.get("set_phonebook_entry", "phonenumber", scenario.Caller, "name", "Opennetworks Kft", "tags", "vip"))
	v.env.Phone("1001").SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
	step, cancel := context.WithTimeout(v.ctx, 20*time.Second)
	defer cancel()
	call, err := v.env.Phone("carrier").Dial(step, "36123451001", phone.WithCallerNumber(scenario.Caller))
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.env.Phone("1001").Incoming(step)
	if err != nil {
		t.Fatal(err)
	}
	if got.From().Name != "Opennetworks Kft" || got.CallerNumber() != scenario.Caller {
		t.Errorf("1001 saw %+v, want the phonebook's name", got.From())
	}
	call.Hangup(v.ctx)
	v.idle(t)
	vipexOK(t, a.get("del_phonebook_entry", "phonenumber", scenario.Caller))
}

// get_record sends the recording of a signed reference through the
// daemon's wiring: the outbox's signer, the recording roots as Asterisk
// sees them.
func TestVIPeXGetRecord(t *testing.T) {
	d := testbed.StartDaemon(t, func(c *daemon.Config) { c.VIPeX.SubscriptionID = vipexID })
	if err := users.Add(d.DB(), "crm", "s3cret", nil); err != nil {
		t.Fatal(err)
	}
	name := "vipex-get-record-" + strconv.FormatInt(time.Now().UnixNano(), 10) + ".wav"
	asteriskPath := "/var/spool/asterisk/monitor/" + name
	hostPath := filepath.Join(testbed.Root(), asteriskPath)
	if err := os.WriteFile(hostPath, []byte("RIFF test audio"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(hostPath) })
	rec := cdr.Record{ID: 987654, RecordingPath: asteriskPath, MonitorFileName: name}
	if err := d.DB().Update(func(tx *store.Tx) error { return cdrstore.Put(tx, &rec) }); err != nil {
		t.Fatal(err)
	}
	ref := d.Webhook().References().Sign(987654, 0, time.Now().Add(time.Hour))
	req, _ := http.NewRequest(http.MethodGet, d.URL+"/?rt=api&action=get_record&rec="+ref, nil)
	req.SetBasicAuth("crm", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(data) != "RIFF test audio" || resp.Header.Get("Content-Type") != "audio/wav" ||
		resp.Header.Get("Content-Disposition") != "attachment; filename="+name {
		t.Errorf("%d %v %q", resp.StatusCode, resp.Header, data)
	}
	m := vipexAPI{t: t, base: d.URL}.get("get_record", "rec", ref[:len(ref)-1]+"A")
	if m["result"] != json.Number("0") {
		t.Errorf("altered reference: %s", m["_raw"])
	}
}
