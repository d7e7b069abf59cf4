package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/recording"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
)

// finish saves r and runs OnFinished in one transaction, as the CDR feed does.
func finish(t testing.TB, db *store.DB, o *Outbox, r cdr.Record) {
	t.Helper()
	if err := db.Update(func(tx *store.Tx) error {
		if err := cdrstore.Save(tx, &r); err != nil {
			return err
		}
		return o.OnFinished(tx, &r)
	}); err != nil {
		t.Fatal(err)
	}
}

func notify(t testing.TB, db *store.DB, o *Outbox, evs ...CallEvent) {
	t.Helper()
	if err := db.Update(func(tx *store.Tx) error {
		for _, ev := range evs {
			if err := o.Notify(tx, ev); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func fast(n int, step time.Duration) []time.Duration {
	s := []time.Duration{0}
	for i := 1; i < n; i++ {
		s = append(s, step)
	}
	return s
}

// An outbound and an inbound call reach a call_end client, read from the
// stored record at send time: the seed's body, node_id, signed recording
// references that verify, the recordings base64; an internal call is not
// sent.
func TestCallEndFromOnFinished(t *testing.T) {
	base, _ := filepath.EvalSymlinks(t.TempDir())
	root := filepath.Join(base, "monitor")
	os.MkdirAll(root, 0o755)
	os.WriteFile(filepath.Join(root, "out.wav"), []byte("RIFF-out"), 0o644)
	os.WriteFile(filepath.Join(root, "leg.wav"), []byte("RIFF-leg"), 0o644)
	recs, err := recording.New(recording.Config{Roots: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.New(t)
	o, err := New(db, DefaultConfig(), Options{Location: time.UTC, NodeID: "pbx-7", Recordings: recs, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go o.Run(ctx)
	rcv := newReceiver(t)
	mustSave(t, o, Client{Name: "crm", Kind: KindCallEnd, URL: rcv.URL() + "/end", IncludeRecording: true})
	mustSave(t, o, Client{Name: "lite", Kind: KindCallEnd, URL: rcv.URL() + "/lite"})
	mustSave(t, o, Client{Name: "notify", Kind: KindCallNotify, URL: rcv.URL() + "/notify"})

	at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	out := cdr.Record{ID: 10, Direction: cdr.Outbound, Start: at, Answer: at.Add(2 * time.Second), Hangup: at.Add(5 * time.Second),
		Src: "1000", SrcUserID: 100, Dst: "3630111222", Exten: "1000", Duration: 5, Billsec: 3, Ringtime: 2, Price: 0.12,
		MonitorFileName: "out.wav", RecordingPath: filepath.Join(root, "out.wav")}
	in := cdr.Record{ID: 20, Direction: cdr.MissedInbound, Start: at, Hangup: at.Add(4 * time.Second), Src: "3630999888", Dst: "3612340300",
		Exten: "1001", Duration: 4, Ringtime: 4, Legs: []cdr.Leg{
			{ID: 21, Direction: cdr.MissedInbound, Start: at, Hangup: at.Add(4 * time.Second), Src: "3630999888", Dst: "1001", Exten: "1001",
				Duration: 4, Ringtime: 4, MonitorFileName: "leg.wav", RecordingPath: filepath.Join(root, "leg.wav")},
			{ID: 22, Direction: cdr.MissedInbound, Start: at, Hangup: at.Add(4 * time.Second), Src: "3630999888", Dst: "1002", Exten: "1002"},
		}}
	internal := cdr.Record{ID: 30, Internal: true, Start: at, Hangup: at.Add(time.Second), Src: "1000", Dst: "1001"}
	finish(t, db, o, out)
	finish(t, db, o, in)
	finish(t, db, o, internal)

	reqs := rcv.wait(4, 10*time.Second)
	time.Sleep(100 * time.Millisecond)
	if n := len(rcv.requests()); n != 4 {
		t.Fatalf("%d requests, want 4 (2 calls × 2 call_end clients; none for the internal call)", n)
	}
	bodies := map[string]map[string]any{}
	for _, r := range reqs {
		if r.Method != "POST" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s %s", r.Method, r.URL, r.Header.Get("Content-Type"))
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
			t.Fatalf("%s: %v", r.Body, err)
		}
		bodies[r.URL+"/"+strconv.Itoa(int(m["id"].(float64)))] = m
	}
	o10, o20, l10 := bodies["/end/10"], bodies["/end/20"], bodies["/lite/10"]
	if o10 == nil || o20 == nil || l10 == nil {
		t.Fatalf("bodies %v", bodies)
	}
	if o10["start_time"] != "2026-11-23 08:00:00" || o10["answer_time"] != "2026-11-23 08:00:02" || o10["duration"] != 5.0 ||
		o10["node_id"] != "pbx-7" || o10["monitor_file_name"] != "out.wav" || o10["monitor_file"] != "UklGRi1vdXQ=" {
		t.Errorf("outbound body %v", o10)
	}
	if _, ok := l10["monitor_file"]; ok {
		t.Error("monitor_file sent to a client without include_recording")
	}
	if o20["answer_time"] != nil || o20["direction"] != 2.0 || o20["main_reference_id"] != nil {
		t.Errorf("missed inbound body: answer_time %v direction %v main_reference_id %v", o20["answer_time"], o20["direction"], o20["main_reference_id"])
	}
	legs := o20["sub_cdrs"].([]any)
	if len(legs) != 2 {
		t.Fatalf("sub_cdrs %v", legs)
	}
	leg0, leg1 := legs[0].(map[string]any), legs[1].(map[string]any)
	if leg0["monitor_file"] != "UklGRi1sZWc=" || leg1["reference_id"] != nil || leg1["monitor_file"] != nil {
		t.Errorf("legs %v", legs)
	}
	// The references verify and name the record and sub-record, not a path.
	for _, c := range []struct {
		ref       any
		rec, leg  uint64
		forbidden string
	}{{o10["main_reference_id"], 10, 0, "out.wav"}, {leg0["reference_id"], 20, 21, "leg.wav"}} {
		s, _ := c.ref.(string)
		got, err := o.refs.Verify(s, time.Now())
		if err != nil || got.RecordID != c.rec || got.LegID != c.leg || strings.Contains(s, c.forbidden) {
			t.Errorf("reference %q: %+v %v", s, got, err)
		}
	}
}

// Network errors and 5xx are retried on the schedule with the same
// webhook-id; a 4xx stops; a failure is kept, listed and retried by hand.
func TestRetriesAndFailures(t *testing.T) {
	rcv := newReceiver(t)
	o, db := testOutbox(t, nil)
	mustSave(t, o, Client{Name: "n", Kind: KindCallNotify, URL: rcv.URL(), Retry: []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond}})
	rcv.setAnswer(func(n int, _ *http.Request) (int, http.Header, string) {
		if n < 2 {
			return 503, nil, "busy"
		}
		return 204, nil, ""
	})
	notify(t, db, o, CallEvent{CallID: 1, Seq: 1, Trigger: TriggerArrival, Params: Params{ID: 1, Src: "1"}})
	reqs := rcv.wait(3, 5*time.Second)
	if reqs[0].Header.Get("webhook-id") != reqs[2].Header.Get("webhook-id") {
		t.Error("webhook-id changed between attempts")
	}
	if d := reqs[1].At.Sub(reqs[0].At); d < 70*time.Millisecond {
		t.Errorf("second attempt %s after the first, schedule 100 ms ±20 %%", d)
	}
	if d := reqs[2].At.Sub(reqs[1].At); d < 150*time.Millisecond {
		t.Errorf("third attempt %s after the second, schedule 200 ms ±20 %%", d)
	}
	waitFor(t, 2*time.Second, "delivered in the log", func() bool {
		log, _ := o.Log(LogFilter{})
		return len(log) == 1 && log[0].State == StateDelivered && log[0].Attempts == 3 && log[0].Last.Status == 204
	})

	// A 400 is not retried: failed for good, listed with its error.
	rcv.setAnswer(func(int, *http.Request) (int, http.Header, string) { return 400, nil, "bad" })
	notify(t, db, o, CallEvent{CallID: 2, Seq: 1, Trigger: TriggerArrival, Params: Params{ID: 2}})
	rcv.wait(4, 5*time.Second)
	var failed []Delivery
	waitFor(t, 2*time.Second, "failed delivery listed", func() bool {
		failed, _ = o.Log(LogFilter{Failed: true})
		return len(failed) == 1
	})
	if f := failed[0]; f.Attempts != 1 || f.Last.Status != 400 || f.Last.Error != "HTTP 400 Bad Request" || f.CallID != 2 {
		t.Errorf("failed delivery %+v %+v", f, f.Last)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(rcv.requests()); n != 4 {
		t.Fatalf("a 400 was retried: %d requests", n)
	}
	// Retried by hand once the receiver is fixed: delivered, same id.
	rcv.setAnswer(func(int, *http.Request) (int, http.Header, string) { return 200, nil, "" })
	if _, err := o.Retry(failed[0].ID); err != nil {
		t.Fatal(err)
	}
	reqs = rcv.wait(5, 5*time.Second)
	if reqs[4].Header.Get("webhook-id") != failed[0].WebhookID {
		t.Error("a retried delivery got a new webhook-id")
	}
	waitFor(t, 2*time.Second, "nothing failed", func() bool { f, _ := o.Log(LogFilter{Failed: true}); return len(f) == 0 })
	if _, err := o.Retry(999); !errors.Is(err, ErrNoDelivery) {
		t.Errorf("retry of an unknown delivery: %v", err)
	}

	// The schedule used up: failed for good with the reason.
	rcv.setAnswer(func(int, *http.Request) (int, http.Header, string) { return 500, nil, "" })
	notify(t, db, o, CallEvent{CallID: 3, Seq: 1, Trigger: TriggerArrival, Params: Params{ID: 3}})
	waitFor(t, 5*time.Second, "schedule used up", func() bool {
		f, _ := o.Log(LogFilter{Failed: true})
		return len(f) == 1 && f[0].Attempts == 3 && strings.Contains(f[0].Last.Error, "retries exhausted")
	})
}

// A 429 or 503 with Retry-After holds the next attempt at least that long.
func TestRetryAfterIsHonoured(t *testing.T) {
	rcv := newReceiver(t)
	o, db := testOutbox(t, nil)
	mustSave(t, o, Client{Name: "n", Kind: KindCallNotify, URL: rcv.URL(), Retry: []time.Duration{0, 10 * time.Millisecond, 10 * time.Millisecond}})
	rcv.setAnswer(func(n int, _ *http.Request) (int, http.Header, string) {
		if n == 0 {
			return 429, http.Header{"Retry-After": {"1"}}, "slow down"
		}
		return 200, nil, ""
	})
	notify(t, db, o, CallEvent{CallID: 1, Seq: 1, Trigger: TriggerArrival})
	reqs := rcv.wait(2, 5*time.Second)
	if d := reqs[1].At.Sub(reqs[0].At); d < 950*time.Millisecond {
		t.Errorf("retried %s after a Retry-After: 1", d)
	}
}

// A receiver down (its port closed) for most of the retry window, then
// back: every delivery arrives, each webhook-id once, and per call in the
// order of the changes.
func TestReceiverDownThenBack(t *testing.T) {
	rcv := newReceiver(t)
	o, db := testOutbox(t, nil)
	// 8 attempts over about 3 s.
	mustSave(t, o, Client{Name: "n", Kind: KindCallNotify, URL: rcv.URL(), Triggers: []string{"arrival", "ring", "answer"},
		Retry: []time.Duration{0, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond,
			600 * time.Millisecond, 800 * time.Millisecond, 800 * time.Millisecond}, Concurrency: 2})
	rcv.down()
	const calls = 20
	for c := 1; c <= calls; c++ {
		notify(t, db, o,
			CallEvent{CallID: uint64(c), Seq: 1, Trigger: TriggerArrival, Params: Params{ID: uint64(c), Src: "s1"}},
			CallEvent{CallID: uint64(c), Seq: 2, Trigger: TriggerRing, Params: Params{ID: uint64(c), Exten: "1001", Src: "s2"}},
			CallEvent{CallID: uint64(c), Seq: 3, Trigger: TriggerAnswer, Params: Params{ID: uint64(c), Exten: "1001", Src: "s3"}})
	}
	time.Sleep(1500 * time.Millisecond)
	rcv.up()
	reqs := rcv.wait(3*calls, 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	reqs = rcv.requests()
	ids := map[string]bool{}
	order := map[string][]string{}
	for _, r := range reqs {
		id := r.Header.Get("webhook-id")
		if ids[id] {
			t.Errorf("webhook-id %s delivered twice", id)
		}
		ids[id] = true
		q, _ := urlQuery(r.URL)
		order[q["id"]] = append(order[q["id"]], q["src"])
	}
	if len(ids) != 3*calls {
		t.Fatalf("%d distinct deliveries, want %d", len(ids), 3*calls)
	}
	for call, seq := range order {
		if strings.Join(seq, ",") != "s1,s2,s3" {
			t.Errorf("call %s arrived in the order %v", call, seq)
		}
	}
	if n, _ := o.sched.stats(); n != 0 {
		t.Errorf("%d still pending", n)
	}
}

func urlQuery(u string) (map[string]string, error) {
	_, q, _ := strings.Cut(u, "?")
	out := map[string]string{}
	for _, kv := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out, nil
}

// Deliveries queued while no outbox runs (or left by a stopped one) are
// sent when it starts again.
func TestPendingDeliveriesResumeAfterRestart(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t)
	o, err := New(db, DefaultConfig(), Options{Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	mustSave(t, o, Client{Name: "n", Kind: KindCallNotify, URL: rcv.URL()})
	for i := 1; i <= 50; i++ {
		notify(t, db, o, CallEvent{CallID: uint64(i), Seq: 1, Trigger: TriggerArrival})
	}
	db.Close()

	db, err = store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runOutbox(t, db, nil)
	rcv.wait(50, 10*time.Second)
}

// No more requests are in flight to a client than its concurrency.
func TestConcurrencyLimitPerClient(t *testing.T) {
	rcv := newReceiver(t)
	rcv.delay = 30 * time.Millisecond
	o, db := testOutbox(t, nil)
	mustSave(t, o, Client{Name: "n", Kind: KindCallNotify, URL: rcv.URL(), Concurrency: 3})
	for i := 1; i <= 30; i++ {
		notify(t, db, o, CallEvent{CallID: uint64(i), Seq: 1, Trigger: TriggerArrival})
	}
	rcv.wait(30, 10*time.Second)
	rcv.mu.Lock()
	maxIn := rcv.maxIn
	rcv.mu.Unlock()
	if maxIn != 3 {
		t.Errorf("at most %d requests in flight, want 3", maxIn)
	}
}

// A slow receiver is a timeout, retried.
func TestSlowReceiverTimesOut(t *testing.T) {
	rcv := newReceiver(t)
	o, db := testOutbox(t, nil)
	mustSave(t, o, Client{Name: "n", Kind: KindCallNotify, URL: rcv.URL(), Timeout: 100 * time.Millisecond, Retry: []time.Duration{0, 50 * time.Millisecond}})
	rcv.delay = 300 * time.Millisecond
	notify(t, db, o, CallEvent{CallID: 1, Seq: 1, Trigger: TriggerArrival})
	waitFor(t, 5*time.Second, "failed after two timeouts", func() bool {
		f, _ := o.Log(LogFilter{Failed: true})
		return len(f) == 1 && f[0].Attempts == 2 && f[0].Last.Reason == ReasonTimeout
	})
}

// Only the clients whose triggers match are told; a deleted client's
// deliveries are dropped.
func TestTriggersAndDelete(t *testing.T) {
	rcv := newReceiver(t)
	rcv.down()
	o, db := testOutbox(t, nil)
	mustSave(t, o, Client{Name: "arrive", Kind: KindCallNotify, URL: rcv.URL() + "/a", Retry: fast(5, 100*time.Millisecond)})
	// Its first attempt waits: an attempt already under way when its client
	// is deleted may still arrive (it was rendered before the delete).
	mustSave(t, o, Client{Name: "answer", Kind: KindCallNotify, URL: rcv.URL() + "/b", Triggers: []string{"answer"}, Retry: []time.Duration{time.Hour}})
	notify(t, db, o, CallEvent{CallID: 1, Seq: 1, Trigger: TriggerArrival}, CallEvent{CallID: 1, Seq: 2, Trigger: TriggerRing},
		CallEvent{CallID: 1, Seq: 3, Trigger: TriggerAnswer})
	infos, _ := o.infos("")
	if len(infos) != 2 || infos[0].Name != "answer" || infos[0].Pending != 1 || infos[1].Pending != 1 {
		t.Fatalf("infos %+v", infos)
	}
	n, err := o.Delete("answer")
	if err != nil || n != 1 {
		t.Fatalf("delete: %d %v", n, err)
	}
	if _, err := o.Delete("answer"); !errors.Is(err, ErrNoClient) {
		t.Errorf("second delete: %v", err)
	}
	// Attempts made while the receiver was down (it answered 503) do not
	// count: after it is back only the remaining client is served.
	before := len(rcv.requests())
	rcv.up()
	rcv.wait(before+1, 10*time.Second)
	time.Sleep(100 * time.Millisecond)
	if reqs := rcv.requests()[before:]; len(reqs) != 1 || !strings.HasPrefix(reqs[0].URL, "/a") {
		t.Errorf("requests after the receiver came back: %v", reqs)
	}
}

// Events for a target go form-encoded: GET in the query, POST in the body.
func TestFormEventsToTargets(t *testing.T) {
	rcv := newReceiver(t)
	o, db := testOutbox(t, nil)
	fields := Fields{StringField("EventType", "dial-in"), StringField("CallID", "55"), StringField("CallerIDName", "Kovács Éva")}
	err := db.Update(func(tx *store.Tx) error {
		if err := o.EnqueueEvent(tx, Target{Name: "ext-1/sub-1", URL: rcv.URL() + "/get", Method: "GET"}, FormEvent{CallID: 55, Seq: 1, Type: "dial-in", Fields: fields}); err != nil {
			return err
		}
		return o.EnqueueEvent(tx, Target{Name: "ext-1/sub-2", URL: rcv.URL() + "/post", Method: "POST"}, FormEvent{CallID: 55, Seq: 1, Type: "dial-in", Fields: fields})
	})
	if err != nil {
		t.Fatal(err)
	}
	reqs := rcv.wait(2, 5*time.Second)
	for _, r := range reqs {
		want := "EventType=dial-in&CallID=55&CallerIDName=Kov%C3%A1cs+%C3%89va"
		if (r.Method == "GET" && r.URL != "/get?"+want) || (r.Method == "POST" && (r.Body != want || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded")) {
			t.Errorf("%s %s %q", r.Method, r.URL, r.Body)
		}
	}
	err = db.Update(func(tx *store.Tx) error {
		return o.EnqueueEvent(tx, Target{Name: "x", URL: "http://169.254.169.254/", Method: "GET"}, FormEvent{})
	})
	if !errors.Is(err, ErrLinkLocal) {
		t.Errorf("link-local target: %v", err)
	}
}

// The data query: answered as JSON or a form, within the client's timeout.
func TestDataQuery(t *testing.T) {
	rcv := newReceiver(t)
	o, _ := testOutbox(t, nil)
	mustSave(t, o, Client{Name: "route", Kind: KindDataQuery, URL: rcv.URL() + "/route", APIKey: "k", APIKeyIn: "query:key"})
	mustSave(t, o, Client{Name: "slow", Kind: KindDataQuery, URL: rcv.URL() + "/slow", Method: "POST", Timeout: 100 * time.Millisecond})
	mustSave(t, o, Client{Name: "end", Kind: KindCallEnd, URL: rcv.URL()})
	rcv.setAnswer(func(_ int, r *http.Request) (int, http.Header, string) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/slow"):
			time.Sleep(300 * time.Millisecond)
			return 200, nil, "exten=1"
		case r.URL.Query().Get("src") == "form":
			return 200, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "exten=1002&branch=vip"
		case r.URL.Query().Get("src") == "404":
			return 404, nil, "unknown caller"
		}
		return 200, http.Header{"Content-Type": {"application/json"}}, `{"exten":"1001","branch":2}`
	})
	ctx := context.Background()
	a, err := o.Query(ctx, "route", Params{ID: 9, Src: "36301234567", StartTime: time.Now()})
	if err != nil || a.Status != 200 || a.Fields["exten"] != "1001" || a.Fields["branch"] != "2" {
		t.Fatalf("json answer %+v %v", a, err)
	}
	if r := rcv.requests()[0]; !strings.Contains(r.URL, "src=36301234567") || !strings.HasSuffix(r.URL, "&key=k") {
		t.Errorf("query request %s", r.URL)
	}
	if a, err = o.Query(ctx, "route", Params{Src: "form"}); err != nil || a.Fields["exten"] != "1002" || a.Fields["branch"] != "vip" {
		t.Errorf("form answer %+v %v", a, err)
	}
	var se *SendError
	if a, err = o.Query(ctx, "route", Params{Src: "404"}); !errors.As(err, &se) || se.Status != 404 || string(a.Body) != "unknown caller" {
		t.Errorf("404: %+v %v", a, err)
	}
	start := time.Now()
	if _, err = o.Query(ctx, "slow", Params{}); !errors.As(err, &se) || se.Reason != ReasonTimeout || time.Since(start) > 250*time.Millisecond {
		t.Errorf("slow: %v after %s", err, time.Since(start))
	}
	if _, err = o.Query(ctx, "end", Params{}); !errors.Is(err, ErrWrongKind) {
		t.Errorf("call_end client: %v", err)
	}
	if _, err = o.Query(ctx, "nobody", Params{}); !errors.Is(err, ErrNoClient) {
		t.Errorf("unknown client: %v", err)
	}
}

// A receiver's answer is read up to 64 KiB; link-local addresses are
// refused at connect time (no packet is sent).
func TestTransportLimits(t *testing.T) {
	rcv := newReceiver(t)
	rcv.setAnswer(func(int, *http.Request) (int, http.Header, string) { return 200, nil, strings.Repeat("x", 1<<20) })
	tr := NewHTTPTransport(false)
	reply, err := tr.Send(context.Background(), &Request{Method: "GET", URL: rcv.URL(), Header: http.Header{}})
	if err != nil || len(reply.Body) != MaxReplyBytes {
		t.Errorf("reply of %d bytes, %v", len(reply.Body), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = tr.Send(ctx, &Request{Method: "GET", URL: "http://169.254.169.254/latest/meta-data", Header: http.Header{}})
	var se *SendError
	if !errors.As(err, &se) || se.Reason != ReasonRefused || se.Retry {
		t.Errorf("link-local: %v", err)
	}
	// Redirects are not followed.
	rcv.setAnswer(func(int, *http.Request) (int, http.Header, string) {
		return 302, http.Header{"Location": {"http://169.254.169.254/"}}, ""
	})
	_, err = tr.Send(context.Background(), &Request{Method: "GET", URL: rcv.URL(), Header: http.Header{}})
	if !errors.As(err, &se) || se.Status != 302 || se.Retry {
		t.Errorf("redirect: %v", err)
	}
}

// webhook test sends the seed's sample and reports the answer.
func TestTestSendsASample(t *testing.T) {
	rcv := newReceiver(t)
	o, _ := testOutbox(t, nil)
	mustSave(t, o, Client{Name: "end", Kind: KindCallEnd, URL: rcv.URL() + "/end?token=x", IncludeRecording: true})
	rcv.setAnswer(func(int, *http.Request) (int, http.Header, string) { return 201, nil, `{"saved":true}` })
	res, err := o.Test(context.Background(), "end")
	if err != nil || res.Status != 201 || res.Body != `{"saved":true}` || res.Error != "" || res.URL != rcv.URL()+"/end" {
		t.Fatalf("%+v %v", res, err)
	}
	var m map[string]any
	json.Unmarshal([]byte(rcv.requests()[0].Body), &m)
	if m["id"] != 76355.0 || m["monitor_file"] == nil || m["main_reference_id"] != nil {
		t.Errorf("sample body %v", m)
	}
	rcv.down()
	if res, _ = o.Test(context.Background(), "end"); res.Error == "" {
		t.Errorf("receiver down: %+v", res)
	}
}

var _ sync.Locker = (*sync.Mutex)(nil)

// The delivery log keeps the newest webhook.log_size delivered deliveries.
func TestLogIsTrimmed(t *testing.T) {
	rcv := newReceiver(t)
	cfg := DefaultConfig()
	cfg.LogSize = 5
	o, db := testOutbox(t, &cfg)
	mustSave(t, o, Client{Name: "n", Kind: KindCallNotify, URL: rcv.URL()})
	for i := 1; i <= 12; i++ {
		notify(t, db, o, CallEvent{CallID: uint64(i), Seq: 1, Trigger: TriggerArrival})
	}
	rcv.wait(12, 5*time.Second)
	waitFor(t, 2*time.Second, "nothing pending", func() bool { n, _ := o.sched.stats(); return n == 0 })
	log, _ := o.Log(LogFilter{})
	if len(log) != 5 || log[0].CallID != 12 || log[4].CallID != 8 {
		t.Errorf("log of %d, newest %v", len(log), log)
	}
}
