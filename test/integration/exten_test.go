//go:build integration

package integration

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/callflow"
	"github.com/callctl/callctl/cdr/cdrtest"
	"github.com/callctl/callctl/daemon"
	"github.com/callctl/callctl/test/phone"
	"github.com/callctl/callctl/test/scenario"
	"github.com/callctl/callctl/test/testbed"
)

// metric reads one sample of the daemon's /metrics (0 when absent).
func metric(t *testing.T, d *testbed.Daemon, name string) float64 {
	t.Helper()
	resp, err := http.Get(d.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == name {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	return 0
}

const extensionCalls = "callctl_flowrun_extension_calls_total"

// An extension-to-extension call goes through Stasis (callctl's built-in
// flow rings the extension) and its record is the internal scenario's,
// as before: no flow leg, the one direct sub-record.
func TestExtensionCallThroughTheBuiltInFlow(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, time.Minute)
	env := phoneEnv(t, ctx, d)
	before := metric(t, d, extensionCalls)
	var internal scenario.Scenario
	for _, s := range scenario.All {
		if s.Name == "internal" {
			internal = s
		}
	}
	since := time.Now()
	if err := scenario.Play(ctx, env, internal); err != nil {
		t.Fatal(err)
	}
	recs := recordsSince(t, d, since, len(cdrtest.Expectations["internal"]))
	for _, diff := range cdrtest.CheckScenario("internal", recs) {
		t.Error(diff)
	}
	t.Logf("record %s→%s, sub-records %s", recs[0].Src, recs[0].Dst, legsOf(recs[0]))
	if legsOf(recs[0]) != "direct:1001:ANSWER" {
		t.Errorf("sub-records %s, want direct:1001:ANSWER", legsOf(recs[0]))
	}
	if got := metric(t, d, extensionCalls) - before; got != 1 {
		t.Errorf("%s went up by %v, want 1 (the call did not go through Stasis)", extensionCalls, got)
	}
}

// An internal call honours the callee's forwards of each type through the
// built-in flow (the forwards read before Stasis, the line rung after):
// each call went through Stasis, and its record's sub-records are those
// of a plain Dial.
func TestExtensionCallForwardsThroughTheBuiltInFlow(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, 3*time.Minute)
	env := phoneEnv(t, ctx, d)
	fwd := func(typ string, timeout int) callflow.Forward {
		return callflow.Forward{Number: "1003", Type: typ, DestinationType: "exten", Destination: "1002", NoAnswerTimeout: timeout, CallType: "internal"}
	}
	for _, c := range []struct {
		name    string
		forward callflow.Forward
		setup   func()
		undo    func()
		answers string
		legs    string
	}{
		{"immediate", fwd("immediate", 0), func() {}, func() {}, "1002", "direct:1002:ANSWER"},
		{"busy", fwd("busy", 0), func() { env.Phone("1003").SetAnswer(phone.Busy()) }, func() {}, "1002", "direct:1003:BUSY direct:1002:ANSWER"},
		{"noanswer", fwd("noanswer", 2), func() { env.Phone("1003").SetAnswer(phone.NeverAnswer()) }, func() {}, "1002", "direct:1003:NOANSWER direct:1002:ANSWER"},
		{"unavailable", fwd("unavailable", 0), func() { env.Phone("1003").Unregister(ctx) }, func() { env.Phone("1003").Register(ctx) }, "1002", "direct:1002:ANSWER"},
		{"external only: not applied", callflow.Forward{Number: "1003", Type: "immediate", DestinationType: "exten", Destination: "1002", CallType: "external"},
			func() {}, func() {}, "1003", "direct:1003:ANSWER"},
	} {
		env.Reset()
		if err := d.Core().Forwards.Set(ctx, c.forward); err != nil {
			t.Fatal(err)
		}
		c.setup()
		env.Phone(c.answers).SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
		before := metric(t, d, extensionCalls)
		since := time.Now()
		call, err := env.Phone("1000").Dial(ctx, "1003")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := env.Phone(c.answers).Incoming(ctx)
		if err == nil {
			err = got.WaitAnswered(ctx)
		}
		if err != nil {
			t.Errorf("%s: %s did not get the call: %v", c.name, c.answers, err)
		}
		time.Sleep(300 * time.Millisecond)
		call.Hangup(ctx)
		env.WaitIdle(ctx)
		c.undo()
		if err := d.Core().Forwards.Delete(ctx, "1003", c.forward.Type); err != nil {
			t.Error(err)
		}
		if err != nil {
			continue
		}
		r := recordsSince(t, d, since, 1)[0]
		t.Logf("%s: record %s→%s answered by %s, sub-records %s", c.name, r.Src, r.Dst, r.AnsweredBy, legsOf(r))
		if r.AnsweredBy != c.answers || legsOf(r) != c.legs {
			t.Errorf("%s: answered by %s, sub-records %s; want %s, %s", c.name, r.AnsweredBy, legsOf(r), c.answers, c.legs)
		}
		if n := metric(t, d, extensionCalls) - before; n != 1 {
			t.Errorf("%s: %s went up by %v, want 1", c.name, extensionCalls, n)
		}
	}
}

// A voicemail forward of an internal call through the built-in flow:
// VoiceMail() answers the caller on its channel after Stasis (an app, not
// a "dangerous" function), and the callee's phone never rings.
func TestExtensionCallVoicemailForward(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, time.Minute)
	env := phoneEnv(t, ctx, d)
	if err := d.Core().Forwards.Set(ctx, callflow.Forward{Number: "1003", Type: "immediate", DestinationType: "voicemail", CallType: "all"}); err != nil {
		t.Fatal(err)
	}
	defer d.Core().Forwards.Delete(ctx, "1003", "immediate")
	before := metric(t, d, extensionCalls)
	call, err := env.Phone("1000").Dial(ctx, "1003")
	if err != nil {
		t.Fatal(err)
	}
	if err := call.WaitAnswered(ctx); err != nil {
		t.Fatalf("VoiceMail did not answer: %v", err)
	}
	time.Sleep(time.Second)
	call.Hangup(ctx)
	env.WaitIdle(ctx)
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if in, err := env.Phone("1003").Incoming(short); err == nil {
		t.Errorf("1003 rang (%v)", in)
	}
	if n := metric(t, d, extensionCalls) - before; n != 1 {
		t.Errorf("%s went up by %v, want 1", extensionCalls, n)
	}
}

// With callctl not running, Stasis fails at once and the dialplan rings
// the extension itself, with its forwards (AstDB keeps them).
func TestExtensionCallWithoutCallctl(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, time.Minute)
	env, err := scenario.NewEnv(ctx, testbed.AllEvents(t)) // outlives the daemon
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if err := d.Core().Forwards.Set(ctx, callflow.Forward{Number: "1003", Type: "busy", DestinationType: "exten", Destination: "1002", CallType: "all"}); err != nil {
		t.Fatal(err)
	}
	defer testbed.CLI(t, "database del callctl-forward 1003/busy")
	d.Stop(t)

	ring := func(called, answers string) {
		t.Helper()
		env.Phone(answers).SetAnswer(phone.AnswerAfter(200 * time.Millisecond))
		call, err := env.Phone("1000").Dial(ctx, called)
		if err != nil {
			t.Fatal(err)
		}
		defer env.WaitIdle(ctx)
		defer call.Hangup(ctx)
		if err := connected(ctx, call, env.Phone(answers)); err != nil {
			t.Fatalf("1000 → %s: %s did not get the call: %v", called, answers, err)
		}
	}
	ring("1001", "1001")
	env.Phone("1003").SetAnswer(phone.Busy())
	ring("1003", "1002")
}

// Over flows.max_calls callctl hands an extension call back at once
// (fallbacks_total{reason="busy"}) and the dialplan rings the extension.
func TestExtensionCallOverMaxCalls(t *testing.T) {
	d := testbed.StartDaemon(t, func(c *daemon.Config) { c.Flows.MaxCalls = 1 })
	ctx := ctxFor(t, time.Minute)
	env := phoneEnv(t, ctx, d)
	// The seed's flow holds the one place: its first menu waits for a key.
	held, err := env.Phone("carrier").Dial(ctx, "3612340300", phone.WithCallerNumber(scenario.Caller))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Hangup(ctx)
	if err := held.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	if !testbed.Eventually(5*time.Second, func() bool { return metric(t, d, "callctl_flowrun_calls_running") == 1 }) {
		t.Fatal("the DID's call is not in its flow")
	}
	const busy = `callctl_flowrun_fallbacks_total{reason="busy"}`
	before, beforeExt := metric(t, d, busy), metric(t, d, extensionCalls)
	env.Phone("1001").SetAnswer(phone.AnswerAfter(200 * time.Millisecond))
	call, err := env.Phone("1000").Dial(ctx, "1001")
	if err != nil {
		t.Fatal(err)
	}
	if err := connected(ctx, call, env.Phone("1001")); err != nil {
		t.Fatalf("1001 did not get the call: %v", err)
	}
	call.Hangup(ctx)
	held.Hangup(ctx)
	env.WaitIdle(ctx)
	if n := metric(t, d, busy) - before; n != 1 {
		t.Errorf("%s went up by %v, want 1", busy, n)
	}
	if n := metric(t, d, extensionCalls) - beforeExt; n != 0 {
		t.Errorf("%s went up by %v, want 0 (handed back)", extensionCalls, n)
	}
}

// A busy extension without forwards: through the built-in flow the caller
// hears busy (486 Busy Here, as a plain Dial gives), and the record is an
// internal call whose one sub-record is BUSY.
func TestExtensionCallBusy(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, time.Minute)
	env := phoneEnv(t, ctx, d)
	env.Phone("1001").SetAnswer(phone.Busy())
	since := time.Now()
	call, err := env.Phone("1000").Dial(ctx, "1001")
	if err != nil {
		t.Fatal(err)
	}
	end, err := call.WaitEnded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if end.Reason != phone.ReasonRejected || end.Code != 486 {
		t.Errorf("the caller's call ended %v (code %d), want 486 Busy Here", end, end.Code)
	}
	r := recordsSince(t, d, since, 1)[0]
	t.Logf("record %s→%s, sub-records %s", r.Src, r.Dst, legsOf(r))
	if legsOf(r) != "direct:1001:BUSY" || !r.Answer.IsZero() {
		t.Errorf("sub-records %s, answered %v", legsOf(r), r.Answer)
	}
}

// An internal caller blind-transferred to an extension with a forward:
// the caller's channel has been in Stasis (its first call went through
// the built-in flow) and then runs callctl-exten again for the transfer
// target; the target's forward still applies (AstDB is readable there,
// as this test shows). 1000 calls 1001, 1001 transfers 1000 to 1002,
// whose immediate forward rings 1003.
func TestExtensionCallBlindTransferToAForwardedLine(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, time.Minute)
	env := phoneEnv(t, ctx, d)
	if err := d.Core().Forwards.Set(ctx, callflow.Forward{Number: "1002", Type: "immediate", DestinationType: "exten", Destination: "1003", CallType: "all"}); err != nil {
		t.Fatal(err)
	}
	defer d.Core().Forwards.Delete(ctx, "1002", "immediate")
	env.Phone("1001").SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
	env.Phone("1003").SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
	since := time.Now()
	call, err := env.Phone("1000").Dial(ctx, "1001")
	if err != nil {
		t.Fatal(err)
	}
	defer call.Hangup(ctx)
	leg := answeredCall(t, ctx, env.Phone("1001"))
	if err := env.WaitBridged(ctx, "1001"); err != nil {
		t.Fatal(err)
	}
	if err := leg.BlindTransfer(ctx, "1002"); err != nil {
		t.Fatal(err)
	}
	answeredCall(t, ctx, env.Phone("1003"))
	if err := env.WaitBridged(ctx, "1003"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	call.Hangup(ctx)
	env.WaitIdle(ctx)
	r := recordsSince(t, d, since, 1)[0]
	t.Logf("record %s→%s answered by %s, sub-records %s", r.Src, r.Dst, r.AnsweredBy, legsOf(r))
	if !strings.Contains(legsOf(r), ":1003:ANSWER") || strings.Contains(legsOf(r), ":1002:") {
		t.Errorf("sub-records %s: want 1003 answering for 1002, 1002 never rung", legsOf(r))
	}
}
