package callflow

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/callctl/callctl/cdr"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func errField(err error) (Kind, Field) {
	var e *Error
	if !errors.As(err, &e) {
		return 0, FieldNone
	}
	return e.Kind, e.Field
}

// Hangup only touches channels of callctl's lines and trunks and the Local
// channels of their calls; another tenant's channel, even one whose name
// looks like a line's, is not found, and nothing is sent to Asterisk.
func TestHangupOnlyOurChannels(t *testing.T) {
	ours := &cdr.LiveCall{ID: 1, Linkedid: "a", Channels: []cdr.LiveChannel{
		{Name: "PJSIP/1000-00000001", Endpoint: "1000", Line: "1000"},
		{Name: "PJSIP/carrier-00000002", Endpoint: "carrier", Trunk: true},
		{Name: "Local/3630111222@from-internal-00000001;2"},
	}}
	dial := &cdr.LiveCall{ID: 2, Linkedid: "b", Channels: []cdr.LiveChannel{{Name: "Local/3630111222@callctl-dial-00000002;1"}}}
	foreign := &cdr.LiveCall{ID: 3, Linkedid: "c", Channels: []cdr.LiveChannel{
		{Name: "IAX2/other-tenant-123", Endpoint: "other-tenant"},
		{Name: "IAX2/1000-00000009", Endpoint: "1000", Line: "1000"}, // the tracker names it after line 1000's endpoint
		{Name: "PJSIP/stranger-00000003", Endpoint: "stranger"},
		{Name: "Local/wait@callctl-test-00000004;1"},
	}}
	b := newBed(t, ours, dial, foreign)
	for name, want := range map[string]bool{
		"PJSIP/1000-00000001":                       true,
		"PJSIP/carrier-00000002":                    true,
		"Local/3630111222@from-internal-00000001;2": true,
		"Local/3630111222@callctl-dial-00000002;1":  true,
		"IAX2/other-tenant-123":                     false,
		"IAX2/1000-00000009":                        false,
		"PJSIP/stranger-00000003":                   false,
		"Local/wait@callctl-test-00000004;1":        false,
		"PJSIP/1000-0000ffff":                       false, // not in a call
		"PJSIP/1000-00000001\r\nAction: Command":    false,
	} {
		before := len(b.ami.actions())
		err := b.core.Calls.Hangup(ctxT(t), name)
		sent := len(b.ami.actions()) - before
		if want {
			if err != nil || sent != 1 || b.ami.actions()[before].Headers["Channel"] != name {
				t.Errorf("%s: %v, %d actions sent", name, err, sent)
			}
			continue
		}
		if k, f := errField(err); k != KindNotFound || f != FieldChannel || sent != 0 {
			t.Errorf("%s: %v, %d actions sent; want not found and nothing sent", name, err, sent)
		}
	}
	if k, f := errField(b.core.Calls.Hangup(ctxT(t), "")); k != KindMissing || f != FieldChannel {
		t.Errorf("empty channel: %v %v", k, f)
	}
	// Spying on a channel follows the same rule.
	_, err := b.core.Calls.Spy(ctxT(t), SpyRequest{Source: LineSelector{InternalNumber: "1002"}, TargetChannel: "IAX2/other-tenant-123"})
	if k, f := errField(err); k != KindNotFound || f != FieldTargetChannel {
		t.Errorf("spying on another tenant: %v", err)
	}
}

// The supervisor's caller name is checked as a dialer's: quotes and angle
// brackets would change the number Asterisk shows.
func TestCallerNamesChecked(t *testing.T) {
	b := newBed(t)
	for _, name := range []string{`Boss" <999>`, `a<b`, `a>b`, `back\slash`, "cr\rlf", strings.Repeat("n", 81)} {
		_, err := b.core.Calls.Spy(ctxT(t), SpyRequest{Source: LineSelector{InternalNumber: "1002"},
			Target: LineSelector{InternalNumber: "1003"}, CallerID: CallerID{Number: "555", Name: name}})
		if k, f := errField(err); k != KindInvalid || f != FieldSourceCallerName {
			t.Errorf("spy name %q: %v", name, err)
		}
		_, err = b.core.Calls.ClickToCall(ctxT(t), ClickToCallRequest{Source: LineSelector{InternalNumber: "1000"},
			Destination: "3630111222", SourceCallerID: CallerID{Number: "555", Name: name}})
		if k, f := errField(err); k != KindInvalid || f != FieldSourceCallerName {
			t.Errorf("dialer name %q: %v", name, err)
		}
		_, err = b.core.Calls.Dial(ctxT(t), DialRequest{Destination: "3630111222", OutRoute: RouteSelector{Name: "carrier"},
			Context: "x", CallerID: CallerID{Number: "555", Name: name}})
		if k, f := errField(err); k != KindInvalid || f != FieldDestinationCallerName {
			t.Errorf("dial name %q: %v", name, err)
		}
	}
	for _, a := range b.ami.actions() {
		if a.Name == "Originate" {
			t.Fatalf("an Originate was sent: %+v", a)
		}
	}
}

// A click-to-call names its channel, returns the CDR engine's call id for
// it, and its outcome is counted and kept once Asterisk tells it.
func TestClickToCallReturnsTheCall(t *testing.T) {
	b := newBed(t)
	reg := prometheus.NewRegistry()
	b.core.Calls.Metrics = NewMetrics(reg)
	go func() {
		for {
			for _, a := range b.ami.actions() {
				if id := a.Headers["ChannelId"]; id != "" {
					b.view.show(id, &cdr.LiveCall{ID: 4242, Linkedid: id})
					return
				}
			}
			time.Sleep(time.Millisecond)
		}
	}()
	ref, err := b.core.Calls.ClickToCall(ctxT(t), ClickToCallRequest{
		Source: LineSelector{InternalNumber: "1000"}, Destination: "3630111222",
		SourceRing: 20 * time.Second, SourceCallerID: CallerID{Number: "4242", Name: "CRM call"},
		CallOptions: CallOptions{Custom: [4]string{"4242"}, Record: &Recording{File: "c2c"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := b.ami.actions()[len(b.ami.actions())-1]
	if ref.CallID != 4242 || ref.Uniqueid == "" || ref.Linkedid != ref.Uniqueid || a.Headers["ChannelId"] != ref.Uniqueid {
		t.Fatalf("ref %+v, originate %+v", ref, a.Headers)
	}
	if _, ok := a.Headers["OtherChannelId"]; ok || a.Headers["Channel"] != "PJSIP/1000" || a.Headers["Timeout"] != "20000" ||
		a.Headers["CallerID"] != `"CRM call" <4242>` || a.Headers["Exten"] != "3630111222" {
		t.Errorf("originate headers %v", a.Headers)
	}
	if v := a.Variables; v["CALLCTL_CUSTOMCDR1"] != "4242" || v["CALLCTL_MONITOR"] != "/var/spool/asterisk/monitor/c2c.wav" ||
		v["CALLCTL_DST_TIMEOUT"] != "60" || v["CALLCTL_DIAL"] != "PJSIP/3630111222@carrier" || v["CALLCTL_DST_CALLERID"] != "36123451000" {
		t.Errorf("variables %v", v)
	}
	if o, ok := b.core.Calls.Outcome(4242); !ok || o.Result != ResultPending || o.Action != ActionClickToCall || o.Ref != ref {
		t.Errorf("outcome while ringing: %+v %v", o, ok)
	}
	b.ami.outcome <- map[string]string{"Event": "OriginateResponse", "Response": "Success"}
	answered := b.core.Calls.Metrics.originated.WithLabelValues("click_to_call", "answered")
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(answered) != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if o, _ := b.core.Calls.Outcome(4242); o.Result != ResultAnswered || o.Ended.IsZero() {
		t.Errorf("outcome %+v", o)
	}
	if n, _ := testutil.GatherAndCount(reg, "callctl_calls_originate_total"); n != 9 {
		t.Errorf("%d series of callctl_calls_originate_total, want 9 (3 actions × 3 results)", n)
	}
}

// A dial names both halves of its Local channel.
func TestDialNamesBothLocalHalves(t *testing.T) {
	b := newBed(t)
	go func() {
		for {
			for _, a := range b.ami.actions() {
				if id := a.Headers["ChannelId"]; id != "" {
					b.view.show(id, &cdr.LiveCall{ID: 7, Linkedid: id})
					return
				}
			}
			time.Sleep(time.Millisecond)
		}
	}()
	ref, err := b.core.Calls.Dial(ctxT(t), DialRequest{Destination: "3630111222", OutRoute: RouteSelector{ID: 1},
		Context: "callctl-test-answered", CallerID: CallerID{Number: "3612345000", Name: "Dialer"}})
	if err != nil {
		t.Fatal(err)
	}
	var o map[string]string
	for _, a := range b.ami.actions() {
		if a.Name == "Originate" {
			o = a.Headers
		}
	}
	if ref.CallID != 7 || o["ChannelId"] != ref.Uniqueid || o["OtherChannelId"] != ref.Uniqueid+";2" ||
		o["Channel"] != "Local/3630111222@callctl-dial/n" || o["Timeout"] != "65000" || o["CallerID"] != `"Dialer" <3612345000>` {
		t.Errorf("ref %+v, originate %v", ref, o)
	}
}

// A call Asterisk refuses at once (no channel is ever made) answers in a
// moment, without a CDR id, and is counted as failed.
func TestCallFailingAtOnce(t *testing.T) {
	b := newBed(t)
	b.ami.outcome <- map[string]string{"Event": "OriginateResponse", "Response": "Failure", "Reason": "0"}
	start := time.Now()
	ref, err := b.core.Calls.ClickToCall(ctxT(t), ClickToCallRequest{Source: LineSelector{InternalNumber: "1008"}, Destination: "1000"})
	if err != nil || ref.CallID != 0 || ref.Uniqueid == "" {
		t.Fatalf("%+v %v", ref, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
	if n := testutil.ToFloat64(b.core.Calls.Metrics.originated.WithLabelValues("click_to_call", "failed")); n != 1 {
		t.Errorf("failed: %v", n)
	}
}

// Bad input is refused before anything is sent to Asterisk.
func TestValidationBeforeAsterisk(t *testing.T) {
	b := newBed(t)
	c := b.core.Calls
	src := LineSelector{InternalNumber: "1000"}
	for _, tc := range []struct {
		name  string
		err   error
		kind  Kind
		field Field
	}{
		{"no destination", first(c.ClickToCall(ctxT(t), ClickToCallRequest{Source: src})), KindMissing, FieldDestination},
		{"bad destination", first(c.ClickToCall(ctxT(t), ClickToCallRequest{Source: src, Destination: "12a"})), KindInvalid, FieldDestination},
		{"two sources", first(c.ClickToCall(ctxT(t), ClickToCallRequest{Source: LineSelector{InternalNumber: "1000", ID: 1}, Destination: "1"})), KindConflict, FieldSource},
		{"bad id", first(c.ClickToCall(ctxT(t), ClickToCallRequest{Source: LineSelector{ID: BadID}, Destination: "1"})), KindNotFound, FieldSource},
		{"ring 0.5 s", first(c.ClickToCall(ctxT(t), ClickToCallRequest{Source: src, Destination: "1", SourceRing: 500 * time.Millisecond})), KindInvalid, FieldSourceRing},
		{"ring 2 h", first(c.ClickToCall(ctxT(t), ClickToCallRequest{Source: src, Destination: "1", CallOptions: CallOptions{DestinationRing: 2 * time.Hour}})), KindInvalid, FieldDestinationRing},
		{"custom CR/LF", first(c.ClickToCall(ctxT(t), ClickToCallRequest{Source: src, Destination: "1", CallOptions: CallOptions{Custom: [4]string{"", "x\r\nAction: Command"}}})), KindInvalid, FieldCustom2},
		{"custom 256 bytes", first(c.ClickToCall(ctxT(t), ClickToCallRequest{Source: src, Destination: "1", CallOptions: CallOptions{Custom: [4]string{"", "", "", strings.Repeat("x", 256)}}})), KindInvalid, FieldCustom4},
		{"bad address", first(c.ClickToCall(ctxT(t), ClickToCallRequest{Source: src, Destination: "1", Check: LineCheck{Host: "x;y"}})), KindInvalid, FieldCheckHost},
		{"bad caller number", first(c.ClickToCall(ctxT(t), ClickToCallRequest{Source: src, Destination: "1", SourceCallerID: CallerID{Number: "abc"}})), KindInvalid, FieldSourceCallerNumber},
		{"bad destination caller", first(c.ClickToCall(ctxT(t), ClickToCallRequest{Source: src, Destination: "1", DestinationCallerID: "1 2"})), KindInvalid, FieldDestinationCallerNumber},
		{"bad pre-dial", first(c.ClickToCall(ctxT(t), ClickToCallRequest{Source: src, Destination: "1", CallOptions: CallOptions{PreDial: "a b"}})), KindInvalid, FieldPreDial},
		{"dial: no route", first(c.Dial(ctxT(t), DialRequest{Destination: "1", Context: "c"})), KindMissing, FieldOutRoute},
		{"dial: two routes", first(c.Dial(ctxT(t), DialRequest{Destination: "1", Context: "c", OutRoute: RouteSelector{Name: "carrier", ID: 1}})), KindConflict, FieldOutRoute},
		{"dial: unknown route", first(c.Dial(ctxT(t), DialRequest{Destination: "1", Context: "c", OutRoute: RouteSelector{ID: 9}})), KindNotFound, FieldOutRoute},
		{"dial: bad route id", first(c.Dial(ctxT(t), DialRequest{Destination: "1", Context: "c", OutRoute: RouteSelector{ID: BadID}})), KindNotFound, FieldOutRoute},
		{"dial: bad context", first(c.Dial(ctxT(t), DialRequest{Destination: "1", Context: "c;d", OutRoute: RouteSelector{ID: 1}})), KindInvalid, FieldContext},
		{"spy: nothing to hear", first(c.Spy(ctxT(t), SpyRequest{Source: src})), KindMissing, FieldTarget},
		{"spy: two targets", first(c.Spy(ctxT(t), SpyRequest{Source: src, Target: src, TargetChannel: "PJSIP/1000-1"})), KindConflict, FieldTarget},
	} {
		if k, f := errField(tc.err); k != tc.kind || f != tc.field {
			t.Errorf("%s: %v, want %v (%v)", tc.name, tc.err, tc.kind, tc.field)
		}
	}
	if a := b.ami.actions(); len(a) != 0 {
		t.Errorf("sent to Asterisk: %+v", a)
	}
}

func first[T any](_ T, err error) error { return err }

func TestRecordingFile(t *testing.T) {
	c := newBed(t).core.Calls
	for _, tc := range []struct {
		r    *Recording
		want string
		ok   bool
	}{
		{nil, "", true},
		{&Recording{File: "call1"}, "/var/spool/asterisk/monitor/call1.wav", true},
		{&Recording{File: "call1.gsm"}, "/var/spool/asterisk/monitor/call1.gsm", true},
		{&Recording{File: "c.2026.11"}, "/var/spool/asterisk/monitor/c.2026.11.wav", true},
		{&Recording{File: "call1", Dir: "/srv/rec/2026"}, "/srv/rec/2026/call1.wav", true},
		{&Recording{File: "call1", Dir: "/etc"}, "", false},
		{&Recording{File: "call1", Dir: "/srv/rec/../../etc"}, "", false},
		{&Recording{File: "../x"}, "", false},
		{&Recording{File: ".."}, "", false},
		{&Recording{Dir: "/srv/rec"}, "", false},
	} {
		got, err := c.recordingFile(tc.r)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%+v: %q %v, want %q ok=%v", tc.r, got, err, tc.want, tc.ok)
		}
	}
}

func TestValues(t *testing.T) {
	for _, c := range []struct {
		ok  bool
		err error
	}{
		{true, checkNumber(FieldDestination, "+36301234567")},
		{true, checkNumber(FieldDestination, "*8#")},
		{false, checkNumber(FieldDestination, "12a")},
		{false, checkNumber(FieldDestination, "")},
		{false, checkNumber(FieldDestination, "1\r\n2")},
		{false, checkNumber(FieldDestination, "123456789012345678901234567890123")},
		{true, checkText(FieldCustom1, "a,b (c) [d] \"e\" ÁRVÍZ", 255)},
		{false, checkText(FieldCustom1, "a\r\nAction: Command", 255)},
		{false, checkText(FieldCustom1, "a\x00", 255)},
		{false, checkText(FieldCustom1, "toolong", 3)},
	} {
		if (c.err == nil) != c.ok {
			t.Errorf("got %v, want ok=%v", c.err, c.ok)
		}
	}
	// A huge value is not repeated whole in the error.
	if err := checkNumber(FieldDestination, strings.Repeat("x", 1<<20)); len(err.Error()) > 200 {
		t.Errorf("an error of %d bytes", len(err.Error()))
	}
}

// QueueStatus reads what Asterisk answered on the test bed into typed
// values.
func TestQueueStatusFromAsterisk(t *testing.T) {
	b := newBed(t)
	b.ami.lists["QueueStatus"] = loadItems(t, "queuestatus-sales.json")
	q, err := b.core.Agents.QueueStatus(ctxT(t), "sales")
	if err != nil {
		t.Fatal(err)
	}
	if q.Name != "sales" || q.Strategy != "ringall" || len(q.Members) != 2 || len(q.Waiting) != 0 {
		t.Fatalf("%+v", q)
	}
	if m := q.Members[1]; m != (QueueMember{Name: "Agent_03", Location: "PJSIP/1003", StateInterface: "PJSIP/1003",
		Membership: "dynamic", Status: 1, Paused: true}) {
		t.Errorf("member %+v", m)
	}
	b.ami.lists["QueueStatus"] = loadItems(t, "queuestatus-support.json")
	q, err = b.core.Agents.QueueStatus(ctxT(t), "support")
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Waiting) != 1 || q.Calls != 1 || q.Waiting[0] != (QueueCaller{Position: 1, Channel: "PJSIP/carrier-00000007",
		Uniqueid: "1795423952.7", Caller: CallerID{Number: "3630999888", Name: "unknown"}, Wait: time.Second}) {
		t.Errorf("%+v", q)
	}
	_, err = b.core.Agents.QueueStatus(ctxT(t), "nosuchqueue")
	if k, f := errField(err); k != KindNotFound || f != FieldQueue {
		t.Errorf("unknown queue: %v", err)
	}
}

func TestOutcomesBounded(t *testing.T) {
	o := newOutcomes(3)
	for id := uint64(1); id <= 5; id++ {
		o.put(Outcome{Ref: CallRef{CallID: id}, Result: ResultPending})
	}
	o.put(Outcome{Ref: CallRef{CallID: 5}, Result: ResultAnswered})
	o.put(Outcome{Result: ResultFailed}) // no call id: not kept
	for id, want := range map[uint64]bool{1: false, 2: false, 3: true, 4: true, 5: true} {
		if _, ok := o.get(id); ok != want {
			t.Errorf("%d kept %v", id, ok)
		}
	}
	if r, _ := o.get(5); r.Result != ResultAnswered || len(o.byID) != 3 {
		t.Errorf("%+v, %d entries", r, len(o.byID))
	}
}
