//go:build integration

package integration

import (
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

	"github.com/callctl/callctl/agents"
	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/daemon"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/test/phone"
	"github.com/callctl/callctl/test/scenario"
	"github.com/callctl/callctl/test/testbed"
)

// api is a client of callctl's /api/api.php.
type api struct {
	t    *testing.T
	base string
	user string
	pass string
}

// call sends action with params (name, value pairs) by GET and decodes the answer.
func (a api) call(action string, kv ...string) map[string]any {
	a.t.Helper()
	q := url.Values{"username": {a.user}, "password": {a.pass}, "action": {action}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	resp, err := http.Get(a.base + "/api/api.php?" + q.Encode())
	if err != nil {
		a.t.Fatal(err)
	}
	return decode(a.t, resp)
}

// post sends the form by POST.
func (a api) post(form url.Values) (int, map[string]any) {
	a.t.Helper()
	resp, err := http.PostForm(a.base+"/api/api.php", form)
	if err != nil {
		a.t.Fatal(err)
	}
	return resp.StatusCode, decode(a.t, resp)
}

func decode(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, body)
	}
	m["_raw"] = string(body)
	return m
}

// wantErrno checks a failure answer: {"success":"false","errno":N,"reason":...}.
func wantErrno(t *testing.T, m map[string]any, errno string) {
	t.Helper()
	if m["success"] != "false" || m["errno"] != errno {
		t.Fatalf("want errno %s, got %s", errno, m["_raw"])
	}
	if r, _ := m["reason"].(string); r == "" {
		t.Fatalf("errno %s without a reason: %s", errno, m["_raw"])
	}
}

func wantOK(t *testing.T, m map[string]any) {
	t.Helper()
	if m["success"] != "true" {
		t.Fatalf("want success, got %s", m["_raw"])
	}
}

// voipsunConfig is the test bed with two extra lines: 1001 in the dialplan
// "branch" (device 1009), so that 1001 is ambiguous, and 1099 whose device
// Asterisk does not have.
func voipsunConfig(c *daemon.Config) {
	var lines []pbx.Extension
	for _, e := range c.PBX.Extensions {
		if e.Number != "1009" {
			lines = append(lines, e)
		}
	}
	lines = append(lines,
		pbx.Extension{ID: 20, Number: "1001", SIPUsername: "1009", Dialplan: "branch"},
		pbx.Extension{ID: 30, Number: "1099", SIPUsername: "ghost"})
	c.PBX.Extensions = lines
}

type voipsunEnv struct {
	d   *testbed.Daemon
	env *scenario.Env
	api api
	ctx context.Context
}

func newVoipsunEnv(t *testing.T) *voipsunEnv {
	d := testbed.StartDaemon(t, voipsunConfig)
	ctx := ctxFor(t, 15*time.Minute)
	env, err := scenario.NewEnv(ctx, d.AMI())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	if err := users.Add(d.DB(), "crm", "s3cret", nil); err != nil {
		t.Fatal(err)
	}
	return &voipsunEnv{d: d, env: env, api: api{t: t, base: d.URL, user: "crm", pass: "s3cret"}, ctx: ctx}
}

// idle waits until Asterisk has no channel and resets the phones.
func (v *voipsunEnv) idle(t *testing.T) {
	t.Helper()
	if err := v.env.WaitIdle(v.ctx); err != nil {
		t.Fatal(err)
	}
	v.env.Reset()
}

// hangupAll ends every call on Asterisk.
func (v *voipsunEnv) hangupAll(t *testing.T) {
	t.Helper()
	ch, _ := v.env.Channels(v.ctx)
	for name := range ch {
		v.d.AMI().Action(v.ctx, ami.Action{Name: "Hangup", Headers: map[string]string{"Channel": name}})
	}
	v.idle(t)
}

// waitLive waits until the CDR engine's live view satisfies cond (it
// follows the AMI events, a moment after the phones see a call change).
func (v *voipsunEnv) waitLive(t *testing.T, cond func([]*cdr.LiveCall) bool) {
	t.Helper()
	if !testbed.Eventually(5*time.Second, func() bool { return cond(v.d.CDR().Live()) }) {
		t.Fatalf("the live calls never became as expected: %+v", v.d.CDR().Live())
	}
}

// channelOf returns the name of the first channel of a device, waiting for it.
func (v *voipsunEnv) channelOf(t *testing.T, device string, bridged bool) string {
	t.Helper()
	var name string
	ok := testbed.Eventually(10*time.Second, func() bool {
		ch, _ := v.env.Channels(v.ctx)
		for n, b := range ch {
			if strings.HasPrefix(n, device+"-") && (!bridged || b != "") {
				name = n
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("no channel of %s", device)
	}
	return name
}

// answered waits for the next call of phone p and for its answer.
func answeredCall(t *testing.T, ctx context.Context, p *phone.Phone) *phone.Call {
	t.Helper()
	c, err := p.Incoming(ctx)
	if err != nil {
		t.Fatalf("%s: no call: %v", p.User(), err)
	}
	if err := c.WaitAnswered(ctx); err != nil {
		t.Fatalf("%s: not answered: %v", p.User(), err)
	}
	return c
}

func TestVoIPSUNGeneralErrors(t *testing.T) {
	v := newVoipsunEnv(t)
	if err := users.Add(v.d.DB(), "limited", "pw", []string{"list_calls"}); err != nil {
		t.Fatal(err)
	}
	limited := api{t: t, base: v.d.URL, user: "limited", pass: "pw"}
	wrong := api{t: t, base: v.d.URL, user: "crm", pass: "wrong"}
	nobody := api{t: t, base: v.d.URL, user: "nobody", pass: "s3cret"}

	wantErrno(t, wrong.call("listcalls"), "100")
	wantErrno(t, nobody.call("listcalls"), "100")
	wantOK(t, limited.call("listcalls"))
	wantErrno(t, limited.call("hangupcall", "channelName", "PJSIP/1000-00000001"), "100")
	wantErrno(t, v.api.call("nosuchaction"), "110")
	wantErrno(t, v.api.call("originate", "srcExtenInternalNum", "1000"), "120") // no dstNum
	wantErrno(t, v.api.call("originate", "srcExtenInternalNum", "1000", "dstNum", "12a"), "130")

	// A value with CR/LF would be AMI header injection: refused, and no call starts.
	wantErrno(t, v.api.call("originate", "srcExtenInternalNum", "1000", "dstNum", "3630111222",
		"customCDR1", "x\r\nAction: Command\r\nCommand: core stop now"), "130")
	time.Sleep(300 * time.Millisecond)
	if ch, _ := v.env.Channels(v.ctx); len(ch) != 0 {
		t.Fatalf("a call started: %v", ch)
	}

	// POST form works like GET; a body over 1 MiB is refused.
	code, m := v.api.post(url.Values{"username": {"crm"}, "password": {"s3cret"}, "action": {"listcalls"}})
	if code != 200 {
		t.Fatalf("POST: %d", code)
	}
	wantOK(t, m)
	code, m = v.api.post(url.Values{"username": {"crm"}, "password": {"s3cret"}, "action": {"listcalls"}, "pad": {strings.Repeat("x", 1<<20)}})
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized POST: %d", code)
	}
	wantErrno(t, m, "413")

	// The same parameter twice is a conflict.
	resp, err := http.Get(v.d.URL + "/api/api.php?username=crm&password=s3cret&action=hangupcall&channelName=a&channelName=b")
	if err != nil {
		t.Fatal(err)
	}
	wantErrno(t, decode(t, resp), "130")
	req, _ := http.NewRequest(http.MethodPut, v.d.URL+"/api/api.php", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("PUT: %d", resp.StatusCode)
	}
	wantErrno(t, decode(t, resp), "405")
}

// A click-to-call rings 1000, 1000 answers, the carrier rings and answers;
// listcalls shows both legs; hangupcall ends them; the call's record keeps
// the customCDR values and the recording, and the phones saw the caller ids
// the request asked for.
func TestVoIPSUNClickToCall(t *testing.T) {
	v := newVoipsunEnv(t)
	ctx := v.ctx
	v.env.Phone("1000").SetAnswer(phone.AnswerAfter(500 * time.Millisecond))
	v.env.Phone("carrier").SetAnswer(phone.AnswerAfter(500 * time.Millisecond))
	sub := v.d.AMI().Subscribe("test", 0)
	defer sub.Close()
	since := time.Now()
	wantOK(t, v.api.call("originate", "srcExtenInternalNum", "1000", "dstNum", scenario.External,
		"customCDR1", "4242", "customCDR2", "a,b (c)", "customCDR3", "three", "customCDR4", "four",
		"dialerCid", "customCDR1", "dialerName", "CRM call", "overrideCallerId", "3612345999",
		"monitorFilename", "c2c-test", "monitorType", "mixmonitor", "macro", "callctl-predial-test",
		"srcRingTimeout", "20", "dstRingTimeout", "20"))
	src := answeredCall(t, ctx, v.env.Phone("1000"))
	dst := answeredCall(t, ctx, v.env.Phone("carrier"))
	if src.From().Name != "CRM call" {
		t.Errorf("1000 saw the caller %+v, want the dialerName", src.From())
	}
	if dst.CallerNumber() != "3612345999" {
		t.Errorf("the carrier saw caller %q, want overrideCallerId 3612345999", dst.CallerNumber())
	}
	ch1000 := v.channelOf(t, "PJSIP/1000", true)
	v.channelOf(t, "PJSIP/carrier", true)
	v.waitLive(t, func(c []*cdr.LiveCall) bool {
		return len(c) == 1 && len(c[0].Channels) == 2 && c[0].Channels[0].State == "Up" && c[0].Channels[1].State == "Up"
	})

	m := v.api.call("listcalls")
	wantOK(t, m)
	if m["total"] != "2" {
		t.Fatalf("listcalls total %v: %s", m["total"], m["_raw"])
	}
	kinds := map[string]map[string]any{}
	for _, r := range m["results"].([]any) {
		it := r.(map[string]any)
		kinds[it["sourceType"].(string)] = it
		for _, k := range []string{"channelName", "context", "src", "dst", "duration", "status", "accountCode", "sourceType", "idChannel"} {
			if _, ok := it[k].(string); !ok {
				t.Errorf("listcalls field %s is not a string: %s", k, m["_raw"])
			}
		}
	}
	if e := kinds["extension"]; e == nil || e["channelName"] != ch1000 || e["accountCode"] != "SIP_1" || e["idChannel"] != "1" || e["status"] != "Up" || e["dst"] != scenario.External {
		t.Errorf("the extension's leg: %v", e)
	}
	if tr := kinds["trunk"]; tr == nil || tr["accountCode"] != "SIPTR_1" || tr["dst"] != scenario.External || tr["src"] != "1000" {
		t.Errorf("the trunk's leg: %v", tr)
	}

	time.Sleep(1200 * time.Millisecond)
	wantOK(t, v.api.call("hangupcall", "channelName", ch1000))
	if _, err := dst.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	v.idle(t)

	recs := recordsSince(t, v.d, since, 1)
	r := recs[0]
	if r.CustomCDR != [4]string{"4242", "a,b (c)", "three", "four"} {
		t.Errorf("customCDR %q", r.CustomCDR)
	}
	if r.Direction != cdr.Outbound || r.Src != "1000" || r.Dst != scenario.External || r.AnsweredBy != scenario.External || r.Billsec < 1 {
		t.Errorf("record %+v", r)
	}
	want := "/var/spool/asterisk/monitor/c2c-test.wav"
	if r.RecordingPath != want || r.MonitorFileName != "c2c-test.wav" {
		t.Errorf("recording %q %q, want %s", r.RecordingPath, r.MonitorFileName, want)
	}
	if _, err := os.Stat(filepath.Join(testbed.Root(), want)); err != nil {
		t.Errorf("recording file: %v", err)
	}
	if src.From().User != "4242" {
		t.Errorf("1000 saw caller number %q, want customCDR1's value", src.From().User)
	}
	// The macro ran as a pre-dial routine on the destination's channel.
	ran := false
	for len(sub.C()) > 0 {
		e := <-sub.C()
		if e.Event() == "VarSet" && e["Variable"] == "CALLCTL_PREDIAL_RAN" && strings.HasPrefix(e["Channel"], "PJSIP/carrier-") {
			ran = true
		}
	}
	if !ran {
		t.Error("the macro (callctl-predial-test) did not run on the destination's channel")
	}
}

func TestVoIPSUNOriginateErrors(t *testing.T) {
	v := newVoipsunEnv(t)
	ext := scenario.External
	o := func(kv ...string) map[string]any {
		return v.api.call("originate", append([]string{"dstNum", ext}, kv...)...)
	}
	wantErrno(t, o("srcExtenInternalNum", "1000", "srcSipUsername", "1000"), "200")
	wantErrno(t, o("srcExtenInternalNum", "1001"), "201")
	wantErrno(t, o("srcExtenInternalNum", "1098"), "202")
	wantErrno(t, o("srcExtenId", "77"), "202")
	wantErrno(t, o("srcExtenInternalNum", "1001", "dialplanName", "nowhere"), "203")
	wantErrno(t, o("srcExtenInternalNum", "1000", "checkIpHost", "10.1.2.3"), "210")
	wantErrno(t, o("srcExtenInternalNum", "1000", "checkIpContact", "10.1.2.3"), "211")
	wantErrno(t, o("srcExtenInternalNum", "1008", "checkExten", "1"), "220") // not registered
	wantErrno(t, o("srcExtenInternalNum", "1000", "macro", "no-such-context"), "130")
	wantErrno(t, o("srcExtenInternalNum", "1000", "monitorFilename", "x", "monitorPath", "/etc"), "130")
	wantErrno(t, o("srcExtenInternalNum", "1000", "monitorType", "tape"), "130")
	wantErrno(t, o("srcExtenInternalNum", "1000", "srcRingTimeout", "0"), "130")
	// A line named in the dialplan that has it is found.
	m := v.api.call("originate", "srcExtenInternalNum", "1001", "dialplanName", "branch", "dstNum", ext, "srcRingTimeout", "2")
	wantOK(t, m)
	v.idle(t)

	// checkExten with the line's real state: the channel states of a call.
	// The state is the CDR engine's live view, which follows the AMI
	// events: wait until it shows the state the phones brought about.
	liveState := map[string]string{"224": "Ring", "225": "Ringing", "226": "Up", "228": "Down"}
	checkState := func(errno string) {
		t.Helper()
		if !testbed.Eventually(5*time.Second, func() bool {
			for _, c := range v.d.CDR().Live() {
				for _, ch := range c.Channels {
					if ch.Endpoint == "1000" && ch.State == liveState[errno] {
						return true
					}
				}
			}
			return false
		}) {
			t.Fatalf("1000 never in state %s", liveState[errno])
		}
		wantErrno(t, o("srcExtenInternalNum", "1000", "checkExten", "1"), errno)
	}
	// 1000 calls out and the carrier does not answer: 1000's channel is Ring.
	c, err := v.env.Phone("1000").Dial(v.ctx, ext)
	if err != nil {
		t.Fatal(err)
	}
	v.env.Phone("carrier").Incoming(v.ctx)
	v.channelOf(t, "PJSIP/carrier", false)
	checkState("224")
	c.Hangup(v.ctx)
	v.idle(t)
	// The carrier calls 1000, which rings: Ringing.
	c, err = v.env.Phone("carrier").Dial(v.ctx, "36123451000", phone.WithCallerNumber(scenario.Caller))
	if err != nil {
		t.Fatal(err)
	}
	v.env.Phone("1000").Incoming(v.ctx)
	time.Sleep(300 * time.Millisecond)
	checkState("225")
	c.Hangup(v.ctx)
	v.idle(t)
	// 1000 talks: Up.
	v.env.Phone("1000").SetAnswer(phone.AnswerAfter(100 * time.Millisecond))
	c, err = v.env.Phone("carrier").Dial(v.ctx, "36123451000", phone.WithCallerNumber(scenario.Caller))
	if err != nil {
		t.Fatal(err)
	}
	c.WaitAnswered(v.ctx)
	v.env.Phone("1000").Incoming(v.ctx)
	v.channelOf(t, "PJSIP/1000", true)
	checkState("226")
	c.Hangup(v.ctx)
	v.idle(t)
	// 1000's phone takes the INVITE and says nothing: Down.
	v.env.Phone("1000").SetAnswer(phone.Silent())
	c, err = v.env.Phone("carrier").Dial(v.ctx, "36123451000", phone.WithCallerNumber(scenario.Caller))
	if err != nil {
		t.Fatal(err)
	}
	v.env.Phone("1000").Incoming(v.ctx)
	checkState("228")
	c.Hangup(v.ctx)
	v.hangupAll(t)
	// A free line passes checkExten.
	wantOK(t, o("srcExtenInternalNum", "1000", "checkExten", "1", "srcRingTimeout", "1"))
	v.hangupAll(t)
}

func TestVoIPSUNDial(t *testing.T) {
	v := newVoipsunEnv(t)
	// The test dialplan's UserEvent is not among the events callctl reads.
	sub := testbed.AllEvents(t).Subscribe("test", 0)
	defer sub.Close()
	waitEvent := func(match func(ami.Message) bool) ami.Message {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for {
			select {
			case e := <-sub.C():
				if match(e) {
					return e
				}
			case <-timeout:
				t.Fatal("expected AMI event did not come")
			}
		}
	}
	// Answered: the carrier's channel goes on in the context.
	v.env.Phone("carrier").SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
	since := time.Now()
	wantOK(t, v.api.call("dial", "dstNum", scenario.External, "outrouteName", "carrier", "context", "callctl-test-answered",
		"hangupContext", "callctl-test-failed", "dialerCid", "3612345000", "customCDR1", "dial-1", "macro", "callctl-predial-test"))
	dst := answeredCall(t, v.ctx, v.env.Phone("carrier"))
	if dst.CallerNumber() != "3612345000" {
		t.Errorf("the number saw caller %q, want dialerCid", dst.CallerNumber())
	}
	waitEvent(func(e ami.Message) bool {
		return e.Event() == "VarSet" && e["Variable"] == "CALLCTL_PREDIAL_RAN" && strings.HasPrefix(e["Channel"], "PJSIP/carrier-")
	})
	waitEvent(func(e ami.Message) bool { return e.Event() == "VarSet" && e["Variable"] == "CALLCTL_TEST_ANSWERED" })
	time.Sleep(1100 * time.Millisecond)
	dst.Hangup(v.ctx)
	v.idle(t)
	if r := recordsSince(t, v.d, since, 1)[0]; r.Direction != cdr.Outbound || r.Dst != scenario.External || r.CustomCDR[0] != "dial-1" || r.Billsec < 1 {
		t.Errorf("the dial's record: %+v", r)
	}
	// Busy: the hangupContext runs with the dial's status.
	v.env.Phone("carrier").SetAnswer(phone.Busy())
	wantOK(t, v.api.call("dial", "dstNum", scenario.External, "outrouteId", "1", "context", "callctl-test-answered",
		"hangupContext", "callctl-test-failed"))
	e := waitEvent(func(e ami.Message) bool { return e.Event() == "UserEvent" && e["UserEvent"] == "CallctlTestDialFailed" })
	if e["Status"] != "BUSY" || e["Dst"] != scenario.External {
		t.Errorf("hangupContext saw %v", e)
	}
	v.hangupAll(t)

	wantErrno(t, v.api.call("dial", "dstNum", scenario.External, "outrouteName", "nowhere", "context", "callctl-test-answered"), "250")
	wantErrno(t, v.api.call("dial", "dstNum", scenario.External, "outrouteId", "9", "context", "callctl-test-answered"), "250")
	wantErrno(t, v.api.call("dial", "dstNum", scenario.External, "outrouteName", "carrier", "outrouteId", "1", "context", "callctl-test-answered"), "130")
	wantErrno(t, v.api.call("dial", "dstNum", scenario.External, "outrouteName", "carrier", "context", "no-such-context"), "130")
	wantErrno(t, v.api.call("dial", "dstNum", scenario.External, "outrouteName", "carrier"), "120")
}

func TestVoIPSUNHangupAndSpying(t *testing.T) {
	v := newVoipsunEnv(t)
	wantErrno(t, v.api.call("hangupcall", "channelName", ""), "400")
	wantErrno(t, v.api.call("hangupcall"), "400")
	wantErrno(t, v.api.call("hangupcall", "channelName", "PJSIP/1000-0000ffff"), "401")

	// 1000 talks with 1003; 1002 listens to 1003.
	v.env.Phone("1003").SetAnswer(phone.AnswerAfter(200 * time.Millisecond))
	talk, err := v.env.Phone("1000").Dial(v.ctx, "1003")
	if err != nil {
		t.Fatal(err)
	}
	talk.WaitAnswered(v.ctx)
	target := v.channelOf(t, "PJSIP/1003", true)
	v.env.Phone("1002").SetAnswer(phone.AnswerAfter(200 * time.Millisecond))
	wantOK(t, v.api.call("spying", "srcExtenInternalNum", "1002", "dstExtenInternalNum", "1003", "spyCid", "555", "spyName", "Supervisor"))
	spy := answeredCall(t, v.ctx, v.env.Phone("1002"))
	if spy.From().User != "555" || spy.From().Name != "Supervisor" {
		t.Errorf("the supervisor saw %+v", spy.From())
	}
	if !testbed.Eventually(5*time.Second, func() bool {
		_, items, _ := v.d.AMI().List(v.ctx, ami.Action{Name: "CoreShowChannels"})
		for _, it := range items {
			if strings.HasPrefix(it["Channel"], "PJSIP/1002-") && it["Application"] == "ChanSpy" {
				return true
			}
		}
		return false
	}) {
		t.Fatal("the supervisor's channel is not spying")
	}
	spy.Hangup(v.ctx)
	// By channel name.
	v.waitLive(t, func(calls []*cdr.LiveCall) bool {
		for _, c := range calls {
			for _, ch := range c.Channels {
				if ch.Name == target {
					return true
				}
			}
		}
		return false
	})
	wantOK(t, v.api.call("spying", "srcSipUsername", "1002", "dstChannelName", target))
	answeredCall(t, v.ctx, v.env.Phone("1002")).Hangup(v.ctx)
	talk.Hangup(v.ctx)
	v.idle(t)

	s := func(kv ...string) map[string]any { return v.api.call("spying", kv...) }
	wantErrno(t, s("srcExtenInternalNum", "1002", "srcExtenId", "3", "dstExtenInternalNum", "1000"), "300")
	wantErrno(t, s("srcExtenInternalNum", "1002", "dstExtenInternalNum", "1000", "dstChannelName", "PJSIP/1000-00000001"), "301")
	wantErrno(t, s("srcExtenInternalNum", "1001", "dstExtenInternalNum", "1000"), "302")
	wantErrno(t, s("srcExtenInternalNum", "1098", "dstExtenInternalNum", "1000"), "303")
	wantErrno(t, s("srcExtenInternalNum", "1001", "srcDialplanName", "nowhere", "dstExtenInternalNum", "1000"), "304")
	wantErrno(t, s("srcExtenInternalNum", "1002", "dstExtenInternalNum", "1001"), "310")
	wantErrno(t, s("srcExtenInternalNum", "1002", "dstExtenInternalNum", "1098"), "311")
	wantErrno(t, s("srcExtenInternalNum", "1002", "dstChannelName", "PJSIP/1000-0000ffff"), "311")
	wantErrno(t, s("srcExtenInternalNum", "1002", "dstExtenInternalNum", "1001", "dstDialplanName", "nowhere"), "312")
	wantErrno(t, s("dstExtenInternalNum", "1001"), "120")
}

func TestVoIPSUNSIPStatus(t *testing.T) {
	v := newVoipsunEnv(t)
	var res map[string]any
	// 1004 is qualified every 2 s: wait for its first round trip.
	testbed.Eventually(10*time.Second, func() bool {
		res = v.api.call("sipstatus")
		for _, r := range res["results"].([]any) {
			it := r.(map[string]any)
			if it["user"] == "1004" && strings.HasPrefix(it["status"].(string), "OK (") {
				return true
			}
		}
		return false
	})
	if res["success"] != true || res["_debug"] != false {
		t.Fatalf("success/_debug are not the seed's booleans: %s", res["_raw"])
	}
	if _, isNum := res["total"].(float64); !isNum {
		t.Fatalf("total is not a number: %s", res["_raw"])
	}
	items := map[string]map[string]any{}
	for _, r := range res["results"].([]any) {
		it := r.(map[string]any)
		items[it["user"].(string)] = it
	}
	if it := items["1000"]; it["type"] != "extension_line" || it["host"] != "127.0.0.1" || it["port"] != "6000" ||
		it["status"] != "Unmonitored" || it["regcontact"] != "sip:1000@127.0.0.1:6000" || it["extension_line_id"] != "1" || it["id"] != float64(12) || it["registry"] != nil {
		t.Errorf("1000: %v", it)
	}
	if it := items["1004"]; !strings.HasPrefix(it["status"].(string), "OK (") || !strings.HasSuffix(it["status"].(string), " ms)") {
		t.Errorf("1004: %v", it)
	}
	if it := items["1008"]; it["host"] != "(Unspecified)" || it["port"] != "0" || it["status"] != "UNKNOWN" || it["regcontact"] != "" {
		t.Errorf("1008: %v", it)
	}
	if it := items["carrier"]; it["type"] != "sip" || it["sip_id"] != "1" || it["id"] != float64(11) {
		t.Errorf("carrier: %v", it)
	}
}

func TestVoIPSUNAgentsAndQueues(t *testing.T) {
	v := newVoipsunEnv(t)
	if err := agents.Add(v.d.DB(), agents.NewAgent{Number: "7001", PIN: "1234", Queues: map[string]int{"support": 0}}); err != nil {
		t.Fatal(err)
	}
	defer v.d.AMI().Action(v.ctx, ami.Action{Name: "QueueRemove", Headers: map[string]string{"Queue": "support", "Interface": "PJSIP/1003"}})
	defer v.d.AMI().Action(v.ctx, ami.Action{Name: "QueueRemove", Headers: map[string]string{"Queue": "sales", "Interface": "PJSIP/1003"}})
	a := func(action string, kv ...string) map[string]any {
		return v.api.call(action, append([]string{"agentNumber", "7001", "agentPin", "1234"}, kv...)...)
	}
	status := func() map[string]any { return a("agentstatus") }
	member := func(queue string) map[string]any {
		t.Helper()
		m := v.api.call("queuestatus", "queueName", queue)
		wantOK(t, m)
		q := m["results"].([]any)[0].(map[string]any)
		if members, ok := q["members"].(map[string]any); ok {
			if mm, ok := members["Agent_7001"].(map[string]any); ok {
				return mm
			}
		}
		return nil
	}

	if m := status(); m["reason"] != "Agent 7001 is logged out." {
		t.Fatalf("agentstatus: %s", m["_raw"])
	}
	wantOK(t, a("agentlogin", "srcExtenInternalNum", "1003"))
	mm := member("support")
	if mm == nil || mm["location"] != "PJSIP/1003" || mm["loggedFrom"] != "PJSIP/1003" || mm["membership"] != "dynamic" || mm["agentName"] != "Agent_7001" || mm["paused"] != "0" {
		t.Fatalf("member after agentlogin: %v", mm)
	}
	if m := status(); m["reason"] != "Agent 7001 is logged in. Line is free" || m["errno"] != nil {
		t.Fatalf("agentstatus: %s", m["_raw"])
	}
	wantOK(t, a("agentpause"))
	if mm := member("support"); mm["paused"] != "1" {
		t.Errorf("paused: %v", mm)
	}
	wantOK(t, a("agentunpause"))
	if mm := member("support"); mm["paused"] != "0" {
		t.Errorf("unpaused: %v", mm)
	}
	wantOK(t, a("agentadd", "queueName", "sales", "penalty", "3"))
	if mm := member("sales"); mm == nil || mm["penalty"] != "3" {
		t.Errorf("agentadd: %v", mm)
	}

	// The line's real state.
	wantState := func(errno, text string) {
		t.Helper()
		ok := testbed.Eventually(5*time.Second, func() bool {
			m := status()
			return m["reason"] == "Agent 7001 is logged in. "+text && (errno == "" && m["errno"] == nil || m["errno"] == errno)
		})
		if !ok {
			t.Fatalf("agentstatus %s %q: %s", errno, text, status()["_raw"])
		}
	}
	p := v.env.Phone("1003")
	c, err := v.env.Phone("carrier").Dial(v.ctx, "36123451003", phone.WithCallerNumber(scenario.Caller))
	if err != nil {
		t.Fatal(err)
	}
	ringing, _ := p.Incoming(v.ctx)
	wantState("633", "Line is ringing")
	ringing.Answer(v.ctx)
	c.WaitAnswered(v.ctx)
	wantState("632", "Line is In use")
	second, err := v.env.Phone("1000").Dial(v.ctx, "1003")
	if err != nil {
		t.Fatal(err)
	}
	call2, _ := p.Incoming(v.ctx)
	wantState("635", "Line is not free") // in use and ringing
	second.Hangup(v.ctx)
	_ = call2
	// The caller puts 1003 on hold.
	if err := c.Hold(v.ctx); err != nil {
		t.Fatal(err)
	}
	wantState("634", "Line is On hold")
	c.Hangup(v.ctx)
	v.hangupAll(t)
	// 1002 is busy as soon as it has a call (device_state_busy_at = 1).
	wantOK(t, a("agentlogin", "srcExtenInternalNum", "1002"))
	v.env.Phone("1002").SetAnswer(phone.AnswerAfter(100 * time.Millisecond))
	c, err = v.env.Phone("carrier").Dial(v.ctx, "36123451002", phone.WithCallerNumber(scenario.Caller))
	if err != nil {
		t.Fatal(err)
	}
	c.WaitAnswered(v.ctx)
	wantState("636", "Line is busy")
	c.Hangup(v.ctx)
	v.hangupAll(t)
	wantOK(t, a("agentlogin", "srcExtenInternalNum", "1003"))
	// Unregistered: unavailable.
	if err := p.Unregister(v.ctx); err != nil {
		t.Fatal(err)
	}
	wantState("631", "Line is unavailable")
	p.Register(v.ctx)
	wantState("", "Line is free")
	// A line whose device Asterisk does not have.
	wantOK(t, a("agentlogin", "srcExtenInternalNum", "1099"))
	wantState("630", "SIP channel is unreacheable")
	wantOK(t, a("agentlogin", "srcExtenInternalNum", "1003"))
	if mm := member("support"); mm == nil || mm["location"] != "PJSIP/1003" {
		t.Fatalf("the agent moved back to 1003: %v", mm)
	}

	// A caller waiting in the queue: waiters keyed by position.
	wantOK(t, a("agentpause"))
	w, err := v.env.Phone("carrier").Dial(v.ctx, "3612340200", phone.WithCallerNumber(scenario.Caller))
	if err != nil {
		t.Fatal(err)
	}
	var q map[string]any
	testbed.Eventually(5*time.Second, func() bool {
		q = v.api.call("queuestatus", "queueName", "support")["results"].([]any)[0].(map[string]any)
		_, ok := q["waiters"].(map[string]any)
		return ok
	})
	waiter, _ := q["waiters"].(map[string]any)["1"].(map[string]any)
	if waiter == nil || waiter["position"] != "1" || waiter["callerIdNum"] != scenario.Caller || waiter["connectedLineNum"] != nil ||
		!strings.HasPrefix(waiter["channel"].(string), "PJSIP/carrier-") || q["queueName"] != "support" || q["strategy"] != "linear" || q["calls"] != "1" {
		t.Errorf("queuestatus with a caller waiting: %v", q)
	}
	w.Hangup(v.ctx)
	v.hangupAll(t)

	wantOK(t, a("agentremove", "queueName", "sales"))
	if mm := member("sales"); mm != nil {
		t.Errorf("still in sales: %v", mm)
	}
	wantOK(t, a("agentlogout"))
	if mm := member("support"); mm != nil {
		t.Errorf("still in support after logout: %v", mm)
	}
	if m := status(); m["reason"] != "Agent 7001 is logged out." {
		t.Errorf("after logout: %s", m["_raw"])
	}

	bad := func(action string, kv ...string) map[string]any {
		return v.api.call(action, append([]string{"agentNumber", "7001", "agentPin", "9999"}, kv...)...)
	}
	wantErrno(t, bad("agentlogin", "srcExtenInternalNum", "1003"), "500")
	wantErrno(t, a("agentlogin", "srcExtenInternalNum", "1003", "srcExtenId", "4"), "501")
	wantErrno(t, a("agentlogin", "srcExtenInternalNum", "1001"), "502")
	wantErrno(t, a("agentlogin", "srcExtenInternalNum", "1098"), "503")
	wantErrno(t, a("agentlogin", "srcExtenInternalNum", "1001", "dialplanName", "nowhere"), "504")
	wantErrno(t, bad("agentlogout"), "550")
	wantErrno(t, bad("agentpause"), "580")
	wantErrno(t, bad("agentunpause"), "590")
	wantErrno(t, a("agentadd", "queueName", "nosuchqueue"), "600")
	wantErrno(t, bad("agentadd", "queueName", "sales"), "601")
	wantErrno(t, a("agentadd", "queueName", "sales", "penalty", "-1"), "130")
	wantErrno(t, a("agentremove", "queueName", "nosuchqueue"), "610")
	wantErrno(t, bad("agentremove", "queueName", "sales"), "611")
	wantErrno(t, bad("agentstatus"), "620")
	wantErrno(t, v.api.call("agentstatus", "agentNumber", "7999", "agentPin", "1234"), "620")
	wantErrno(t, v.api.call("queuestatus", "queueName", "nosuchqueue"), "640")
	wantErrno(t, v.api.call("queuestatus"), "120")
}

func TestVoIPSUNMoveRecord(t *testing.T) {
	v := newVoipsunEnv(t)
	monitor := filepath.Join(testbed.Root(), "var/spool/asterisk/monitor")
	// A finished call with a recording.
	v.env.Phone("1000").SetAnswer(phone.AnswerAfter(200 * time.Millisecond))
	v.env.Phone("carrier").SetAnswer(phone.AnswerAfter(200 * time.Millisecond).HangupAfter(time.Second))
	name := "mv-" + time.Now().Format("150405000")
	since := time.Now()
	wantOK(t, v.api.call("originate", "srcExtenInternalNum", "1000", "dstNum", scenario.External, "monitorFilename", name))
	answeredCall(t, v.ctx, v.env.Phone("1000"))
	v.idle(t)
	rec := recordsSince(t, v.d, since, 1)[0]
	id := func(r cdr.Record) string { return strconv.FormatUint(r.ID, 10) }
	cdrID := id(rec)

	get := func() cdr.Record {
		var r cdr.Record
		v.d.DB().View(func(tx *store.Tx) error { r, _, _ = cdrstore.Get(tx, rec.ID); return nil })
		return r
	}
	// Rename in place.
	wantOK(t, v.api.call("moverecord", "cdrId", cdrID, "filename", name+"-renamed.wav"))
	if r := get(); r.RecordingPath != "/var/spool/asterisk/monitor/"+name+"-renamed.wav" {
		t.Fatalf("after rename the record says %q", r.RecordingPath)
	}
	// Move into a new directory (created) inside the root.
	wantOK(t, v.api.call("moverecord", "cdrId", cdrID, "path", "/var/spool/asterisk/monitor/2026/"+name))
	moved := "/var/spool/asterisk/monitor/2026/" + name + "/" + name + "-renamed.wav"
	if r := get(); r.RecordingPath != moved {
		t.Fatalf("after move the record says %q", r.RecordingPath)
	}
	if _, err := os.Stat(filepath.Join(testbed.Root(), moved)); err != nil {
		t.Fatalf("the file: %v", err)
	}
	// Outside the roots: refused, nothing moved.
	wantErrno(t, v.api.call("moverecord", "cdrId", cdrID, "path", "/etc"), "812")
	wantErrno(t, v.api.call("moverecord", "cdrId", cdrID, "path", "/var/spool/asterisk/monitor/../../../etc"), "812")
	if r := get(); r.RecordingPath != moved {
		t.Fatalf("a refused move changed the record: %q", r.RecordingPath)
	}
	// A directory that cannot be made: a file stands in the way.
	blocker := filepath.Join(monitor, "blocker-"+name)
	os.WriteFile(blocker, []byte("x"), 0o644)
	defer os.Remove(blocker)
	wantErrno(t, v.api.call("moverecord", "cdrId", cdrID, "path", "/var/spool/asterisk/monitor/blocker-"+name+"/sub"), "810")
	// The destination exists already.
	os.WriteFile(filepath.Join(monitor, name+"-taken.wav"), []byte("x"), 0o644)
	wantErrno(t, v.api.call("moverecord", "cdrId", cdrID, "path", "/var/spool/asterisk/monitor", "filename", name+"-taken.wav"), "812")
	// The file is gone.
	os.Remove(filepath.Join(testbed.Root(), moved))
	wantErrno(t, v.api.call("moverecord", "cdrId", cdrID, "filename", "again.wav"), "811")

	wantErrno(t, v.api.call("moverecord", "cdrId", "999999", "filename", "x.wav"), "800")
	wantErrno(t, v.api.call("moverecord", "cdrId", "abc", "filename", "x.wav"), "800")
	wantErrno(t, v.api.call("moverecord", "cdrId", cdrID), "120")
	wantErrno(t, v.api.call("moverecord", "filename", "x.wav"), "120")
	wantErrno(t, v.api.call("moverecord", "cdrId", cdrID, "filename", "../x.wav"), "130")
	// A call without a recording.
	v.env.Phone("1000").SetAnswer(phone.AnswerAfter(100 * time.Millisecond))
	v.env.Phone("carrier").SetAnswer(phone.AnswerAfter(100 * time.Millisecond).HangupAfter(300 * time.Millisecond))
	since = time.Now()
	wantOK(t, v.api.call("originate", "srcExtenInternalNum", "1000", "dstNum", scenario.External))
	answeredCall(t, v.ctx, v.env.Phone("1000"))
	v.idle(t)
	plain := recordsSince(t, v.d, since, 1)[0]
	wantErrno(t, v.api.call("moverecord", "cdrId", id(plain), "filename", "x.wav"), "801")
}
