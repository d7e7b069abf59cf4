package natsink_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/natsink"
	"github.com/callctl/callctl/natsink/natstest"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
)

func pending(t testing.TB, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.View(func(tx *store.Tx) error {
		var err error
		n, err = tx.Count(store.BucketNATSOutbox)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// Every change of every call reaches the stream once, each call's in
// order, on its subject; the outbox is empty afterwards and the status
// shows the last acknowledgement.
func TestPublishesEveryChangeInOrderOnce(t *testing.T) {
	srv := natstest.Server(t)
	db := storetest.New(t)
	s := newSink(t, db, testConfig(srv.URL()))
	cs := calls(t, 60)
	enqueue(t, db, s, interleave(cs[:30]), 7) // a backlog before Run
	run(t, s)
	enqueue(t, db, s, interleave(cs[30:]), 1) // and changes while it runs
	waitFor(t, "the outbox to drain", 20*time.Second, func() bool { return s.Status().Pending == 0 && pending(t, db) == 0 })

	msgs := readStream(t, srv.URL(), "CALLCTL")
	checkStream(t, msgs, cs)
	st := s.Status()
	if !st.Connected || st.LastAck == nil || st.LastAck.Stream != "CALLCTL" || st.LastAck.Seq != uint64(len(msgs)) {
		t.Errorf("status %+v, last ack %+v", st, st.LastAck)
	}

	// A finished call's message: the seed's end-of-call body with
	// callctl's fields.
	for _, m := range msgs {
		if m.header.Change != "call_finished" {
			continue
		}
		var f map[string]any
		if err := json.Unmarshal(m.body, &f); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"id", "direction", "start_time", "hangup_time", "src", "dst", "billsec", "sub_cdrs", "node_id", "linkedid", "seq", "internal"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finished call %s has no %s: %s", m.header.Linkedid, k, m.body)
			}
		}
		if f["node_id"] != "pbx1.example.com" {
			t.Errorf("node_id %v", f["node_id"])
		}
		break
	}
}

// While NATS is down, at start and later, the messages wait in the outbox;
// when it is back they all arrive, in order per call.
func TestHoldsWhileNATSIsDownAndDrainsInOrder(t *testing.T) {
	srv := natstest.Server(t)
	srv.Stop()
	db := storetest.New(t)
	s := newSink(t, db, testConfig(srv.URL()))
	cs := calls(t, 40)
	first := interleave(cs[:20])
	enqueue(t, db, s, first, 3)
	run(t, s)
	time.Sleep(1500 * time.Millisecond)
	if st := s.Status(); st.Connected || st.Pending != len(first) || st.LastAck != nil {
		t.Fatalf("NATS down: status %+v", st)
	}
	srv.Start()
	waitFor(t, "the first backlog", 20*time.Second, func() bool { return s.Status().Pending == 0 })

	// Down while running: the rest waits and drains once it is back.
	srv.Stop()
	enqueue(t, db, s, interleave(cs[20:]), 5)
	time.Sleep(1500 * time.Millisecond)
	if st := s.Status(); st.Connected || st.Pending == 0 || st.LastError == "" {
		t.Fatalf("NATS down again: status %+v", st)
	}
	srv.Start()
	waitFor(t, "the second backlog", 20*time.Second, func() bool { return s.Status().Pending == 0 && pending(t, db) == 0 })
	checkStream(t, readStream(t, srv.URL(), "CALLCTL"), cs)
}

// An existing stream is used as it is (here: memory storage, other name).
func TestUsesAnExistingStream(t *testing.T) {
	srv := natstest.Server(t)
	createStream(t, srv.URL(), "PBX", 1)
	db := storetest.New(t)
	cfg := testConfig(srv.URL())
	cfg.Stream = "PBX"
	s := newSink(t, db, cfg)
	cs := calls(t, 3)
	enqueue(t, db, s, interleave(cs), 1)
	run(t, s)
	waitFor(t, "the outbox to drain", 10*time.Second, func() bool { return s.Status().Pending == 0 })
	checkStream(t, readStream(t, srv.URL(), "PBX"), cs)
}

func TestSubjects(t *testing.T) {
	for _, c := range []struct {
		node string
		kind cdr.ChangeKind
		want string
	}{
		{"pbx1", cdr.CallFinished, "callctl.pbx1.call.finished"},
		{"pbx1.example.com", cdr.LegRinging, "callctl.pbx1_example_com.call.leg_ringing"},
		{"a b*c>", cdr.CallArrived, "callctl.a_b_c_.call.call_arrived"},
	} {
		if got := natsink.Subject(c.node, c.kind); got != c.want {
			t.Errorf("Subject(%q, %s) = %q, want %q", c.node, c.kind, got, c.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	ok := natsink.DefaultConfig()
	if err := ok.Validate(); err != nil {
		t.Fatalf("off: %v", err)
	}
	ok.URL = "nats://a:4222, nats://b:4222"
	if err := ok.Validate(); err != nil {
		t.Fatalf("cluster: %v", err)
	}
	for name, mod := range map[string]func(*natsink.Config){
		"two kinds of credentials": func(c *natsink.Config) { c.User, c.Token = "u", "t" },
		"stream with a dot":        func(c *natsink.Config) { c.Stream = "A.B" },
		"no replicas":              func(c *natsink.Config) { c.Replicas = 0 },
		"short ack timeout":        func(c *natsink.Config) { c.AckTimeout = time.Millisecond },
		"cert without key":         func(c *natsink.Config) { c.TLS.Cert = "c.pem" },
		"empty url in the list":    func(c *natsink.Config) { c.URL = "nats://a:4222,,nats://b" },
	} {
		c := ok
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRecordedCallsHaveChanges(t *testing.T) {
	n := 0
	for i, c := range recordedCalls(t) {
		if len(c) < 3 || c[len(c)-1].Kind != cdr.CallFinished {
			t.Errorf("fixture %s: %d changes", fixtures[i], len(c))
		}
		n += len(c)
	}
	t.Logf("%d changes in %d recorded calls", n, len(fixtures))
}
