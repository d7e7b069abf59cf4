//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callctl/callctl/callflow"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrtest"
	"github.com/callctl/callctl/test/phone"
	"github.com/callctl/callctl/test/scenario"
	"github.com/callctl/callctl/test/testbed"
	"github.com/callctl/callctl/webhook"
)

// legsOf is a record's sub-records as kind:exten:status.
func legsOf(r cdr.Record) string {
	var legs []string
	for _, l := range r.Legs {
		legs = append(legs, l.Kind+":"+l.Exten+":"+l.Status)
	}
	return strings.Join(legs, " ")
}

// sortedLegs sorts the sub-records of legsOf after the first (the flow leg).
func sortedLegs(legs string) string {
	f := strings.Fields(legs)
	if len(f) > 1 {
		slices.Sort(f[1:])
	}
	return strings.Join(f, " ")
}

// Call flows run by callctl over ARI (test/testbed/testdata/flows), on the
// test bed's DIDs 36123403NN (technical extensions 2NN): a data query that
// names the extension to ring, its timeout taking the fallback, a notify
// step, a ring group where one phone is busy, a ring in order with a
// forward honoured. Each call's record has the flow leg, then the legs of
// the lines rung.
func TestFlowStepsLive(t *testing.T) {
	var slow atomic.Bool
	var queries atomic.Int32
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries.Add(1)
		if slow.Load() {
			time.Sleep(2 * time.Second) // beyond the step's 1 s
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"owner":"1001"}`))
	}))
	defer crm.Close()
	notes := newReceiver(t)
	d := testbed.StartDaemon(t, nil)
	if _, err := d.Webhook().Save(webhook.Client{Name: "crm", Kind: webhook.KindDataQuery, URL: crm.URL}, false); err != nil {
		t.Fatal(err)
	}
	// Told at the flow's notify step; its trigger arrival is its default
	// (sent for every inbound call).
	if _, err := d.Webhook().Save(webhook.Client{Name: "flownote", Kind: webhook.KindCallNotify, URL: notes.URL + "/note", Method: "POST"}, false); err != nil {
		t.Fatal(err)
	}
	ctx := ctxFor(t, 4*time.Minute)
	env := phoneEnv(t, ctx, d)

	cases := []struct {
		name    string
		did     string
		setup   func()
		undo    func()
		answers string
		legs    string
	}{
		{"query names the extension", "3612340310", func() {}, func() {}, "1001", "flow:210: direct:1001:ANSWER"},
		{"query timeout takes the fallback", "3612340310", func() { slow.Store(true) }, func() { slow.Store(false) },
			"1002", "flow:210: direct:1002:ANSWER"},
		{"ring group, one busy", "3612340320", func() { env.Phone("1001").SetAnswer(phone.Busy()) }, func() {},
			"1002", "flow:220: group:1001:BUSY group:1002:ANSWER"},
		// A group rings each member with its forwards (callctl-flow-member).
		{"ring group, a member's immediate forward", "3612340320", func() {
			if err := d.Core().Forwards.Set(ctx, callflow.Forward{Number: "1001", Type: "immediate", DestinationType: "exten", Destination: "1003", CallType: "all"}); err != nil {
				t.Fatal(err)
			}
		}, func() { d.Core().Forwards.Delete(ctx, "1001", "immediate") }, "1003", "flow:220: group:1002:CANCEL group:1003:ANSWER"},
		{"ring group, a busy member's busy forward", "3612340320", func() {
			env.Phone("1001").SetAnswer(phone.Busy())
			if err := d.Core().Forwards.Set(ctx, callflow.Forward{Number: "1001", Type: "busy", DestinationType: "exten", Destination: "1003", CallType: "all"}); err != nil {
				t.Fatal(err)
			}
		}, func() { d.Core().Forwards.Delete(ctx, "1001", "busy") }, "1003", "flow:220: group:1001:BUSY group:1002:CANCEL group:1003:ANSWER"},
		{"ring group, an unreachable member's unavailable forward", "3612340320", func() {
			env.Phone("1001").Unregister(ctx)
			if err := d.Core().Forwards.Set(ctx, callflow.Forward{Number: "1001", Type: "unavailable", DestinationType: "exten", Destination: "1003", CallType: "all"}); err != nil {
				t.Fatal(err)
			}
		}, func() {
			d.Core().Forwards.Delete(ctx, "1001", "unavailable")
			env.Phone("1001").Register(ctx)
		}, "1003", "flow:220: group:1002:CANCEL group:1003:ANSWER"},
		{"ring in order, unanswered then the next", "3612340330", func() { env.Phone("1003").SetAnswer(phone.NeverAnswer()) }, func() {},
			"1004", "flow:230: direct:1003:NOANSWER direct:1004:ANSWER"},
		{"ring with an immediate forward", "3612340330", func() {
			if err := d.Core().Forwards.Set(ctx, callflow.Forward{Number: "1003", Type: "immediate", DestinationType: "exten", Destination: "1002", CallType: "all"}); err != nil {
				t.Fatal(err)
			}
		}, func() {
			if err := d.Core().Forwards.Delete(ctx, "1003", "immediate"); err != nil {
				t.Error(err)
			}
		}, "1002", "flow:230: direct:1002:ANSWER"},
		{"ring with a busy forward", "3612340330", func() {
			env.Phone("1003").SetAnswer(phone.Busy())
			if err := d.Core().Forwards.Set(ctx, callflow.Forward{Number: "1003", Type: "busy", DestinationType: "exten", Destination: "1002", CallType: "all"}); err != nil {
				t.Fatal(err)
			}
		}, func() { d.Core().Forwards.Delete(ctx, "1003", "busy") }, "1002", "flow:230: direct:1003:BUSY direct:1002:ANSWER"},
		{"ring with a noanswer forward", "3612340330", func() {
			if err := d.Core().Forwards.Set(ctx, callflow.Forward{Number: "1003", Type: "noanswer", DestinationType: "exten", Destination: "1002", NoAnswerTimeout: 2, CallType: "all"}); err != nil {
				t.Fatal(err)
			}
		}, func() { d.Core().Forwards.Delete(ctx, "1003", "noanswer") }, "1002", "flow:230: direct:1003:NOANSWER direct:1002:ANSWER"},
		{"ring with an unavailable forward", "3612340330", func() {
			env.Phone("1003").Unregister(ctx)
			if err := d.Core().Forwards.Set(ctx, callflow.Forward{Number: "1003", Type: "unavailable", DestinationType: "exten", Destination: "1002", CallType: "all"}); err != nil {
				t.Fatal(err)
			}
		}, func() {
			d.Core().Forwards.Delete(ctx, "1003", "unavailable")
			env.Phone("1003").Register(ctx)
		}, "1002", "flow:230: direct:1002:ANSWER"},
	}
	calls := len(cases)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env.Reset()
			c.setup()
			defer c.undo()
			env.Phone(c.answers).SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
			since := time.Now()
			step, cancel := context.WithTimeout(ctx, 40*time.Second)
			defer cancel()
			call, err := env.Phone("carrier").Dial(step, c.did, phone.WithCallerNumber(scenario.Caller))
			if err != nil {
				t.Fatal(err)
			}
			got, err := env.Phone(c.answers).Incoming(step)
			if err == nil {
				err = got.WaitAnswered(step)
			}
			if err != nil {
				call.Hangup(ctx)
				env.WaitIdle(ctx)
				t.Fatalf("%s did not get the call: %v", c.answers, err)
			}
			time.Sleep(500 * time.Millisecond)
			call.Hangup(ctx)
			env.WaitIdle(ctx)
			r := recordsSince(t, d, since, 1)[0]
			t.Logf("record %s→%s exten %s answered by %s, sub-records %s", r.Src, r.Dst, r.Exten, r.AnsweredBy, legsOf(r))
			if r.AnsweredBy != c.answers {
				t.Errorf("answered by %q, want %s", r.AnsweredBy, c.answers)
			}
			legs := legsOf(r)
			if c.did == "3612340320" && legs != c.legs {
				// A group's lines start in no set order when members ring
				// through callctl-flow-member (their forwards).
				legs = sortedLegs(legs)
			}
			if legs != c.legs {
				t.Errorf("sub-records %s, want %s", legsOf(r), c.legs)
			}
		})
	}
	if queries.Load() != 2 {
		t.Errorf("%d data queries, want 2", queries.Load())
	}
	// An arrival for every call, and two notifications at the notify step
	// (the query calls of flow 210), with the flow's exten.
	atStep := 0
	for _, n := range notes.wait(t, "/note", calls+2) {
		if n.values.Get("exten") == "210" {
			atStep++
		}
	}
	if atStep != 2 {
		t.Errorf("%d notifications at the notify step, want 2", atStep)
	}
}

// A ring step nobody answers, then the voicemail step: the caller's message
// is in the box (app_voicemail's spool).
func TestFlowVoicemailLive(t *testing.T) {
	inbox := filepath.Join(testbed.Root(), "var/spool/asterisk/voicemail/default/1003/INBOX")
	os.RemoveAll(inbox)
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, time.Minute)
	env := phoneEnv(t, ctx, d)
	since := time.Now()
	call, err := env.Phone("carrier").Dial(ctx, "3612340340", phone.WithCallerNumber(scenario.Caller))
	if err != nil {
		t.Fatal(err)
	}
	if err := call.WaitAnswered(ctx); err != nil { // VoiceMail() answers
		t.Fatal(err)
	}
	time.Sleep(16 * time.Second) // the greeting, the beep, a message
	call.Hangup(ctx)
	var msgs []string
	if !testbed.Eventually(10*time.Second, func() bool {
		msgs, _ = filepath.Glob(filepath.Join(inbox, "msg*.txt"))
		return len(msgs) == 1
	}) {
		t.Fatalf("messages in 1003's box: %v", msgs)
	}
	b, _ := os.ReadFile(msgs[0])
	if !strings.Contains(string(b), scenario.Caller) {
		t.Errorf("the message is not from %s:\n%s", scenario.Caller, b)
	}
	r := recordsSince(t, d, since, 1)[0]
	t.Logf("record %s→%s exten %s, sub-records %s", r.Src, r.Dst, r.Exten, legsOf(r))
	if legsOf(r) != "flow:240: direct:1003:NOANSWER" {
		t.Errorf("sub-records %s", legsOf(r))
	}
}

// With callctl not running, Stasis fails at once and the DID rings its
// static destination: the fallback callctl wrote to AstDB when it last ran.
func TestFlowDIDWithoutCallctl(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, time.Minute)
	env, err := scenario.NewEnv(ctx, testbed.AllEvents(t)) // outlives the daemon
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if !testbed.Eventually(5*time.Second, func() bool {
		return strings.Contains(testbed.CLI(t, "database get callctl-did 3612340300"), "1001")
	}) {
		t.Fatal("callctl did not write the DID's fallback to AstDB")
	}
	d.Stop(t)
	env.Phone("1001").SetAnswer(phone.AnswerAfter(200 * time.Millisecond))
	call, err := env.Phone("carrier").Dial(ctx, "3612340300", phone.WithCallerNumber(scenario.Caller))
	if err != nil {
		t.Fatal(err)
	}
	defer call.Hangup(ctx)
	if err := connected(ctx, call, env.Phone("1001")); err != nil {
		t.Fatalf("1001 did not get the call: %v", err)
	}
	// And the hard-coded last resort when AstDB has nothing.
	call.Hangup(ctx)
	env.WaitIdle(ctx)
	testbed.CLI(t, "database del callctl-did 3612340300")
	call, err = env.Phone("carrier").Dial(ctx, "3612340300", phone.WithCallerNumber(scenario.Caller))
	if err != nil {
		t.Fatal(err)
	}
	defer call.Hangup(ctx)
	got, err := env.Phone("1001").Incoming(ctx)
	if err == nil {
		err = got.WaitAnswered(ctx)
	}
	if err != nil {
		t.Fatalf("last resort: 1001 did not get the call: %v", err)
	}
}

// The seed's inbound example end to end through callctl's flow
// seed-inbound (DID 3612340300, technical extension 200: two menus answered
// 1 then 2, tags vip,demo, the queue support where 1001 is busy and 1002
// answers): the end-of-call POST a call_end client receives, compared with
// the seed's body field by field (ids and times aside).
func TestFlowSeedInboundEndOfCallPOST(t *testing.T) {
	bodies := make(chan []byte, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
		w.WriteHeader(204)
	}))
	defer rcv.Close()
	d := testbed.StartDaemon(t, nil)
	if _, err := d.Webhook().Save(webhook.Client{Name: "crm", Kind: webhook.KindCallEnd, URL: rcv.URL + "/end"}, false); err != nil {
		t.Fatal(err)
	}
	ctx := ctxFor(t, 2*time.Minute)
	env := phoneEnv(t, ctx, d)
	s, _ := scenario.Get("ivr-queue")
	if err := scenario.Play(ctx, env, s); err != nil {
		t.Fatal(err)
	}
	var body []byte
	select {
	case body = <-bodies:
	case <-time.After(10 * time.Second):
		t.Fatal("no end-of-call POST")
	}
	var seed cdr.SeedRecord
	if err := json.Unmarshal(body, &seed); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	for _, diff := range cdrtest.SeedInboundDifferences(seed, scenario.Caller, "3612340300") {
		t.Errorf("the POST differs from the seed's inbound example: %s", diff)
	}
	t.Logf("end-of-call POST: %s", body)
}

// VIPeX outbound_ivr at technical extension 200: after the digits are
// read out, the call goes on in callctl's flow seed-inbound (its menus
// take the callee's keys 1 and 2: the record's ivr_digits and flow leg).
func TestVIPeXOutboundIVRRunsTheFlow(t *testing.T) {
	v, a := newVipexEnv(t)
	v.env.Phone("carrier").SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
	since := time.Now()
	m := a.get("outbound_ivr", "exten", "200", "phonenumber", scenario.External, "digits", "12")
	vipexOK(t, m)
	callee := answeredCall(t, v.ctx, v.env.Phone("carrier"))
	time.Sleep(3 * time.Second) // "one, two", then the first prompt
	for _, k := range []string{"1", "2"} {
		if err := callee.SendDTMF(v.ctx, k); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
	}
	callee.Hangup(v.ctx)
	v.idle(t)
	r := recordsSince(t, v.d, since, 1)[0]
	t.Logf("record %s→%s exten %s ivr_digits %q tags %q, sub-records %s", r.Src, r.Dst, r.Exten, r.IVRDigits, r.CustomField, legsOf(r))
	if r.IVRDigits != "1,2" || !strings.Contains(legsOf(r), "flow:200:") {
		t.Errorf("the flow did not run: ivr_digits %q, sub-records %s", r.IVRDigits, legsOf(r))
	}
}

// say_digits and playback over ARI, then a hangup step: the caller is
// answered, hears its number and a beep, and the PBX hangs up; no step
// failed (callctl_flowrun_errors_total).
func TestFlowSayDigitsPlaybackHangup(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, time.Minute)
	env := phoneEnv(t, ctx, d)
	start := time.Now()
	call, err := env.Phone("carrier").Dial(ctx, "3612340360", phone.WithCallerNumber("3612"))
	if err != nil {
		t.Fatal(err)
	}
	if err := call.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	end, err := call.WaitEnded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("ended after %s: %v", took.Round(time.Millisecond), end)
	if took < 2*time.Second {
		t.Errorf("ended after %s: the digits and the beep take longer", took)
	}
	resp, err := http.Get(d.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "callctl_flowrun_errors_total") || strings.HasPrefix(line, `callctl_flowrun_steps_total{kind="say_digits"}`) {
			t.Log(line)
			if strings.HasPrefix(line, "callctl_flowrun_errors_total") {
				t.Errorf("a step failed: %s", line)
			}
		}
	}
}

// A line rung by a flow (ring step, recorded): a blind transfer from the
// answering phone and a pickup by another phone work as on any call and
// give the seed's sub-records; the answered leg has its recording.
func TestFlowTransferPickupRecordLive(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, 2*time.Minute)
	env := phoneEnv(t, ctx, d)

	t.Run("blind transfer", func(t *testing.T) {
		env.Reset()
		env.Phone("1001").SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
		env.Phone("1002").SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
		since := time.Now()
		c, err := env.Phone("carrier").Dial(ctx, "3612340370", phone.WithCallerNumber(scenario.Caller))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Hangup(ctx)
		leg := answeredCall(t, ctx, env.Phone("1001"))
		if err := env.WaitBridged(ctx, "1001"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if err := leg.BlindTransfer(ctx, "1002"); err != nil {
			t.Fatal(err)
		}
		answeredCall(t, ctx, env.Phone("1002"))
		if err := env.WaitBridged(ctx, "1002"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		c.Hangup(ctx)
		env.WaitIdle(ctx)
		r := recordsSince(t, d, since, 1)[0]
		t.Logf("record answered by %s, sub-records %s", r.AnsweredBy, legsOf(r))
		if legsOf(r) != "flow:270: direct:1001:ANSWER transfer:1002:ANSWER" {
			t.Errorf("sub-records %s", legsOf(r))
		}
		if len(r.Legs) > 1 && r.Legs[1].MonitorFileName == "" {
			t.Errorf("the answered leg has no recording")
		}
	})
	t.Run("pickup", func(t *testing.T) {
		env.Reset()
		since := time.Now()
		c, err := env.Phone("carrier").Dial(ctx, "3612340370", phone.WithCallerNumber(scenario.Caller))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Hangup(ctx)
		if _, err := env.Phone("1001").Incoming(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		p, err := env.Phone("1002").Dial(ctx, "*8")
		if err != nil {
			t.Fatal(err)
		}
		if err := p.WaitAnswered(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		p.Hangup(ctx)
		env.WaitIdle(ctx)
		r := recordsSince(t, d, since, 1)[0]
		t.Logf("record answered by %s, sub-records %s", r.AnsweredBy, legsOf(r))
		if legsOf(r) != "flow:270: direct:1001:PICKEDUP pickup:1002:ANSWER" {
			t.Errorf("sub-records %s", legsOf(r))
		}
	})
}

// A line rung by a flow's ring step (one line, through the Local channel
// of callctl-flow-line) answers and makes an attended transfer to 1002:
// the caller ends up talking to 1002, and the records are those of the
// attended-transfer scenario (cdrtest), with the flow leg first: the
// consultation call is a call of its own; the caller's call has the flow
// leg, 1001's leg and the transfer leg to 1002.
func TestFlowAttendedTransferLive(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, time.Minute)
	env := phoneEnv(t, ctx, d)
	env.Phone("1001").SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
	env.Phone("1002").SetAnswer(phone.AnswerAfter(500 * time.Millisecond))
	since := time.Now()
	c, err := env.Phone("carrier").Dial(ctx, "3612340370", phone.WithCallerNumber(scenario.Caller))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Hangup(ctx)
	first := answeredCall(t, ctx, env.Phone("1001"))
	if err := env.WaitBridged(ctx, "1001"); err != nil {
		t.Fatal(err)
	}
	if err := first.Hold(ctx); err != nil {
		t.Fatal(err)
	}
	consult, err := env.Phone("1001").Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	if err := consult.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	target := answeredCall(t, ctx, env.Phone("1002"))
	if err := env.WaitBridged(ctx, "1002"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := first.AttendedTransfer(ctx, consult); err != nil {
		t.Fatal(err)
	}
	// The caller and 1002 in one bridge, 1001 gone.
	if err := env.WaitBridged(ctx, "carrier", "1002"); err != nil {
		t.Fatal(err)
	}
	chans, _ := env.Channels(ctx)
	t.Logf("after the transfer: %v", chans)
	for name := range chans {
		if strings.HasPrefix(name, "PJSIP/1001-") {
			t.Errorf("1001 still has a channel after the transfer: %v", chans)
		}
	}
	time.Sleep(2 * time.Second)
	target.Hangup(ctx)
	env.WaitIdle(ctx)
	recs := recordsSince(t, d, since, 2)
	want := []cdrtest.CallSummary{
		{Direction: cdr.Outbound, Internal: true, Src: "1001", Dst: "1002", Exten: "1001", AnsweredBy: "1002", HangupBy: cdr.BySystem, Legs: []cdrtest.LegSummary{
			{Kind: cdr.KindDirect, Exten: "1002", Status: "ANSWER", HangupBy: cdr.BySystem, Direction: cdr.Inbound}}},
		{Direction: cdr.Inbound, Src: scenario.Caller, Dst: "3612340370", Exten: "270", AnsweredBy: "1001", HangupBy: cdr.ByCallee, Legs: []cdrtest.LegSummary{
			{Kind: cdr.KindFlow, Exten: "270", HangupBy: cdr.BySystem, Direction: cdr.MissedInbound},
			{Kind: cdr.KindDirect, Exten: "1001", Status: "ANSWER", HangupBy: cdr.ByCallee, Direction: cdr.Inbound},
			{Kind: cdr.KindTransfer, Exten: "1002", Status: "ANSWER", HangupBy: cdr.ByCallee, Direction: cdr.Inbound}}},
	}
	got := cdrtest.Summarize(recs)
	for i := range got {
		t.Logf("record %d: %s", i, got[i])
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].String() != want[i].String() {
			t.Errorf("record %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	if l := recs[1].Legs; len(l) > 1 && l[1].MonitorFileName == "" {
		t.Errorf("1001's leg has no recording")
	}
}

// A ring group whose members ring through callctl-flow-member (1001 has a
// busy forward to 1003) and are all busy, 1003 too: the group's
// DIALSTATUS is BUSY at once, the step's busy exit hangs up with cause 17
// (SIP 486 to the carrier), and every line rung is a busy group
// sub-record.
func TestFlowRingGroupWithForwardsAllBusy(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, time.Minute)
	env := phoneEnv(t, ctx, d)
	if err := d.Core().Forwards.Set(ctx, callflow.Forward{Number: "1001", Type: "busy", DestinationType: "exten", Destination: "1003", CallType: "all"}); err != nil {
		t.Fatal(err)
	}
	defer d.Core().Forwards.Delete(ctx, "1001", "busy")
	for _, p := range []string{"1001", "1002", "1003"} {
		env.Phone(p).SetAnswer(phone.Busy())
	}
	since := time.Now()
	call, err := env.Phone("carrier").Dial(ctx, "3612340390", phone.WithCallerNumber(scenario.Caller))
	if err != nil {
		t.Fatal(err)
	}
	end, err := call.WaitEnded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(since)
	t.Logf("ended after %s: %v (code %d)", took.Round(time.Millisecond), end, end.Code)
	if end.Code != 486 || took > 4*time.Second {
		t.Errorf("ended %v (code %d) after %s, want 486 (busy) before the group's 5 s", end, end.Code, took)
	}
	env.WaitIdle(ctx)
	r := recordsSince(t, d, since, 1)[0]
	t.Logf("record sub-records %s", legsOf(r))
	if got := sortedLegs(legsOf(r)); got != "flow:290: group:1001:BUSY group:1002:BUSY group:1003:BUSY" {
		t.Errorf("sub-records %s", got)
	}
}

// A ring group whose members ring through callctl-flow-member (1001 has
// an immediate forward to 1003): 1004 picks the call up (*8) while 1002
// and 1003 ring; and 1003, the forward, answers and blind-transfers the
// caller to 1004. Both end with the caller talking to 1004, with the
// pickup and transfer sub-records.
func TestFlowRingGroupWithForwardsPickupTransfer(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, 2*time.Minute)
	env := phoneEnv(t, ctx, d)
	if err := d.Core().Forwards.Set(ctx, callflow.Forward{Number: "1001", Type: "immediate", DestinationType: "exten", Destination: "1003", CallType: "all"}); err != nil {
		t.Fatal(err)
	}
	defer d.Core().Forwards.Delete(ctx, "1001", "immediate")

	t.Run("pickup", func(t *testing.T) {
		env.Reset()
		since := time.Now()
		c, err := env.Phone("carrier").Dial(ctx, "3612340320", phone.WithCallerNumber(scenario.Caller))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Hangup(ctx)
		for _, p := range []string{"1002", "1003"} {
			if _, err := env.Phone(p).Incoming(ctx); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Second)
		p, err := env.Phone("1004").Dial(ctx, "*8")
		if err != nil {
			t.Fatal(err)
		}
		if err := p.WaitAnswered(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.WaitAnswered(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		p.Hangup(ctx)
		env.WaitIdle(ctx)
		r := recordsSince(t, d, since, 1)[0]
		legs := sortedLegs(legsOf(r))
		t.Logf("record answered by %s, sub-records %s", r.AnsweredBy, legsOf(r))
		if r.AnsweredBy != "1004" || (legs != "flow:220: group:1002:CANCEL group:1003:PICKEDUP pickup:1004:ANSWER" &&
			legs != "flow:220: group:1002:PICKEDUP group:1003:CANCEL pickup:1004:ANSWER") {
			t.Errorf("answered by %s, sub-records %s", r.AnsweredBy, legs)
		}
	})
	t.Run("blind transfer from the forward", func(t *testing.T) {
		env.Reset()
		env.Phone("1003").SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
		env.Phone("1004").SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
		since := time.Now()
		c, err := env.Phone("carrier").Dial(ctx, "3612340320", phone.WithCallerNumber(scenario.Caller))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Hangup(ctx)
		leg := answeredCall(t, ctx, env.Phone("1003"))
		if err := env.WaitBridged(ctx, "1003"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if err := leg.BlindTransfer(ctx, "1004"); err != nil {
			t.Fatal(err)
		}
		answeredCall(t, ctx, env.Phone("1004"))
		if err := env.WaitBridged(ctx, "1004"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		c.Hangup(ctx)
		env.WaitIdle(ctx)
		r := recordsSince(t, d, since, 1)[0]
		legs := sortedLegs(legsOf(r))
		t.Logf("record answered by %s, sub-records %s", r.AnsweredBy, legsOf(r))
		if r.AnsweredBy != "1003" || legs != "flow:220: group:1002:CANCEL group:1003:ANSWER transfer:1004:ANSWER" {
			t.Errorf("answered by %s, sub-records %s", r.AnsweredBy, legs)
		}
	})
}
