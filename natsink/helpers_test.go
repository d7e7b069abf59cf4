package natsink_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrfeed"
	"github.com/callctl/callctl/natsink"
	"github.com/callctl/callctl/store"
)

// fixtures are recorded calls of the test bed (cdr/testdata) whose
// changes the tests publish.
var fixtures = []string{"inbound-answered", "inbound-missed", "outbound-answered", "internal", "ivr-queue", "blind-transfer"}

type testDirectory struct{}

func (testDirectory) Line(ep string) (cdr.Line, bool) {
	if len(ep) == 4 && strings.HasPrefix(ep, "100") {
		return cdr.Line{Number: ep, UserID: 100 + int(ep[3]-'0')}, true
	}
	return cdr.Line{}, false
}
func (testDirectory) IsTrunk(ep string) bool { return ep == "carrier" }
func (testDirectory) QueueID(q string) int   { return map[string]int{"support": 1, "sales": 2}[q] }

type counter struct{ n uint64 }

func (c *counter) NextID() uint64 { c.n++; return c.n }

var (
	recordedOnce sync.Once
	recorded     [][]cdr.Change // per fixture, its changes in order
)

// recordedCalls replays the fixtures' AMI event logs on a tracker once:
// the changes of real calls, one call per fixture (the first of each).
func recordedCalls(t testing.TB) [][]cdr.Change {
	recordedOnce.Do(func() {
		for _, name := range fixtures {
			tr := cdr.NewTracker(cdr.Options{Directory: testDirectory{}, IDs: &counter{}})
			f, err := os.Open("../cdr/testdata/" + name + ".jsonl")
			if err != nil {
				t.Fatal(err)
			}
			var changes []cdr.Change
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var m map[string]string
				if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
					t.Fatal(err)
				}
				if e, ok := cdrfeed.ParseEvent(ami.Message(m)); ok {
					changes = append(changes, tr.Apply(&e)...)
				}
			}
			f.Close()
			first := changes[0].Call.Linkedid
			var call []cdr.Change
			for _, c := range changes {
				if c.Call.Linkedid == first {
					call = append(call, c)
				}
			}
			recorded = append(recorded, call)
		}
	})
	return recorded
}

// calls returns n calls' changes: copies of the recorded calls, each with
// its own linkedid and ids.
func calls(t testing.TB, n int) [][]cdr.Change {
	rec := recordedCalls(t)
	out := make([][]cdr.Change, n)
	for i := range out {
		src := rec[i%len(rec)]
		call := make([]cdr.Change, len(src))
		for j, c := range src {
			c.Call.Linkedid += "-" + strconv.Itoa(i)
			c.Call.ID = uint64(i + 1)
			if c.Record != nil {
				r := *c.Record
				r.ID, r.Linkedid = c.Call.ID, c.Call.Linkedid
				c.Record = &r
			}
			call[j] = c
		}
		out[i] = call
	}
	return out
}

// interleave orders the changes of several calls as a busy PBX commits
// them: round robin, each call's in its order.
func interleave(cs [][]cdr.Change) []cdr.Change {
	var out []cdr.Change
	for j := 0; ; j++ {
		any := false
		for _, c := range cs {
			if j < len(c) {
				out = append(out, c[j])
				any = true
			}
		}
		if !any {
			return out
		}
	}
}

// enqueue commits changes through the sink, batch per transaction.
func enqueue(t testing.TB, db *store.DB, s *natsink.Sink, changes []cdr.Change, batch int) {
	t.Helper()
	for i := 0; i < len(changes); i += batch {
		err := db.Update(func(tx *store.Tx) error {
			for j := i; j < min(i+batch, len(changes)); j++ {
				if err := s.Enqueue(tx, &changes[j]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func testConfig(url string) natsink.Config {
	cfg := natsink.DefaultConfig()
	cfg.URL = url
	cfg.AckTimeout = 2 * time.Second
	return cfg
}

func newSink(t testing.TB, db *store.DB, cfg natsink.Config) *natsink.Sink {
	t.Helper()
	s, err := natsink.New(db, cfg, natsink.Options{NodeID: "pbx1.example.com", Location: time.UTC, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run runs the sink until the test ends (or the returned stop).
func run(t testing.TB, s *natsink.Sink) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func waitFor(t testing.TB, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// streamMsg is a message read back from the stream.
type streamMsg struct {
	subject string
	msgID   string
	header  natsink.Header
	body    []byte
}

// readStream reads every message of the stream, in stream order, as a
// consumer would.
func readStream(t testing.TB, url, stream string) []streamMsg {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []streamMsg
	n := streamLen(t, ctx, js, stream)
	for uint64(len(out)) < n {
		if ctx.Err() != nil {
			t.Fatalf("read %d of the stream's %d messages", len(out), n)
		}
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			sm := streamMsg{subject: m.Subject(), msgID: m.Headers().Get(nats.MsgIdHdr), body: m.Data()}
			if err := json.Unmarshal(m.Data(), &sm.header); err != nil {
				t.Fatalf("message %s: %v", m.Subject(), err)
			}
			out = append(out, sm)
		}
		if err := batch.Error(); err != nil && err != nats.ErrTimeout {
			t.Fatal(err)
		}
	}
	return out
}

// streamAnswers reports whether the stream's information comes from url
// within a few seconds.
func streamAnswers(url, stream string) bool {
	nc, err := nats.Connect(url)
	if err != nil {
		return false
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return false
	}
	_, err = s.Info(ctx)
	return err == nil
}

func streamLen(t testing.TB, ctx context.Context, js jetstream.JetStream, stream string) uint64 {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// checkStream checks that the stream holds every change of calls once,
// each call's in order, on its subject.
func checkStream(t testing.TB, msgs []streamMsg, cs [][]cdr.Change) {
	t.Helper()
	want := map[string][]cdr.Change{}
	total := 0
	for _, c := range cs {
		want[c[0].Call.Linkedid] = c
		total += len(c)
	}
	got := map[string]int{} // per call: messages seen
	ids := map[string]bool{}
	bad := 0
	for _, m := range msgs {
		h := m.header
		if ids[m.msgID] {
			t.Errorf("message id %s twice", m.msgID)
		}
		ids[m.msgID] = true
		c, ok := want[h.Linkedid]
		n := got[h.Linkedid]
		switch {
		case !ok:
			t.Errorf("message of unknown call %s", h.Linkedid)
		case n >= len(c):
			t.Errorf("call %s: message %d (%s seq %d) beyond its %d changes", h.Linkedid, n+1, h.Change, h.Seq, len(c))
		case h.Seq != c[n].Seq || h.Change != c[n].Kind.String():
			if bad++; bad < 10 {
				t.Errorf("call %s: message %d is %s seq %d, want %s seq %d", h.Linkedid, n+1, h.Change, h.Seq, c[n].Kind, c[n].Seq)
			}
		case m.subject != natsink.Subject("pbx1.example.com", c[n].Kind):
			t.Errorf("call %s seq %d on %s", h.Linkedid, h.Seq, m.subject)
		}
		got[h.Linkedid] = n + 1
	}
	if len(msgs) != total {
		t.Errorf("%d messages in the stream, want %d", len(msgs), total)
	}
	for id, c := range want {
		if got[id] != len(c) {
			t.Errorf("call %s: %d of its %d changes", id, got[id], len(c))
		}
	}
}

// createStream makes a stream for callctl's subjects as an operator
// would, before callctl starts.
func createStream(t testing.TB, url, name string, replicas int) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{"callctl.>"}, Storage: jetstream.MemoryStorage, Replicas: replicas})
		if err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond) // a new cluster elects its leader
	}
	if err != nil {
		t.Fatal(err)
	}
}

func openDB(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
