package extevents

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrfeed"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
	"github.com/callctl/callctl/webhook"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// recorder is an Outbox that keeps what it is given.
type recorder struct{ got []queued }

type queued struct {
	target webhook.Target
	ev     webhook.FormEvent
}

func (r *recorder) EnqueueEvent(_ *store.Tx, t webhook.Target, ev webhook.FormEvent) error {
	r.got = append(r.got, queued{t, ev})
	return nil
}

func (r *recorder) DropTarget(_ *store.Tx, name string) (int, error) {
	n := 0
	for i := 0; i < len(r.got); i++ {
		if r.got[i].target.Name == name {
			r.got = append(r.got[:i], r.got[i+1:]...)
			i--
			n++
		}
	}
	return n, nil
}

func (r *recorder) RecordingRef(callID, legID uint64, _ time.Time) string {
	return fmt.Sprintf("ref-%d-%d", callID, legID)
}

type counter struct{ n uint64 }

func (c *counter) NextID() uint64 { c.n++; return c.n }

// fixtureChanges replays a recorded AMI event log (cdr/testdata, recorded
// from the test bed's Asterisk) through a tracker on the test bed's PBX.
func fixtureChanges(t testing.TB, name string) []cdr.Change {
	t.Helper()
	dir, err := pbx.New(pbx.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	tr := cdr.NewTracker(cdr.Options{Directory: cdrfeed.Directory{D: dir}, IDs: &counter{}})
	f, err := os.Open(filepath.Join("..", "cdr", "testdata", name+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var events []map[string]string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]string
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		events = append(events, m)
	}
	var out []cdr.Change
	for i := 0; i < len(events); i++ {
		m := events[i]
		if m["Event"] == "CallctlConnected" && i+1 < len(events) && strings.HasPrefix(events[i+1]["Event"], "CoreShowChannel") {
			var live []cdr.ChannelSnapshot
			for i++; i < len(events) && events[i]["Event"] == "CoreShowChannel"; i++ {
				live = append(live, cdrfeed.ParseChannel(events[i]))
			}
			out = append(out, tr.Resync(ami.ParseTimestamp(m["Timestamp"]), live)...)
			continue
		}
		if e, ok := cdrfeed.ParseEvent(ami.Message(m)); ok {
			out = append(out, tr.Apply(&e)...)
		}
	}
	return out
}

func fixtureNames(t testing.TB) []string {
	paths, err := filepath.Glob(filepath.Join("..", "cdr", "testdata", "*.jsonl"))
	if err != nil || len(paths) == 0 {
		t.Fatal("no fixtures", err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".jsonl"))
	}
	return names
}

func newService(t testing.TB, out Outbox) *Service {
	t.Helper()
	s, err := New(storetest.New(t), ExtensionsOf(pbx.DefaultConfig()), out, false)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// enqueueAll runs the changes through Wants and Enqueue as the feed does.
func enqueueAll(t testing.TB, s *Service, changes []cdr.Change) {
	t.Helper()
	for i := range changes {
		c := &changes[i]
		if !s.Wants(c) {
			continue
		}
		if err := s.db.Update(func(tx *store.Tx) error { return s.Enqueue(tx, c) }); err != nil {
			t.Fatal(err)
		}
	}
}

// Every recorded scenario, with every event type of every line subscribed,
// gives the events of its golden file (testdata/<name>.events.txt: one
// line an event, its target, then its fields as sent).
func TestFixtureEventsMatchGolden(t *testing.T) {
	for _, name := range fixtureNames(t) {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			s := newService(t, rec)
			for id := 1; id <= 10; id++ {
				for _, typ := range EventTypes {
					if _, err := s.Add(id, Spec{URL: fmt.Sprintf("http://crm.example/ev?ext=%d", id), Method: "POST", EventType: typ}); err != nil {
						t.Fatal(err)
					}
				}
			}
			enqueueAll(t, s, fixtureChanges(t, name))
			var b strings.Builder
			for _, q := range rec.got {
				fmt.Fprintf(&b, "%s seq=%d %s\n", q.target.URL, q.ev.Seq, q.ev.Fields.Form())
			}
			path := filepath.Join("testdata", name+".events.txt")
			if *update {
				os.MkdirAll("testdata", 0o755)
				os.WriteFile(path, []byte(b.String()), 0o644)
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("events differ from %s; got:\n%s", path, b.String())
			}
		})
	}
}

// Only subscribed events are sent: one extension's answer gives one event
// for the answered inbound call, nothing for its ringing or hangup, and
// without subscriptions Wants is false for every change.
func TestOnlySubscribedEvents(t *testing.T) {
	changes := fixtureChanges(t, "inbound-answered")
	rec := &recorder{}
	s := newService(t, rec)
	for i := range changes {
		if s.Wants(&changes[i]) {
			t.Fatalf("change %s wanted with no subscription", changes[i].Kind)
		}
	}
	sub, err := s.Add(2, Spec{URL: "http://crm.example/a", Method: "GET", EventType: Answer}) // 1001
	if err != nil {
		t.Fatal(err)
	}
	enqueueAll(t, s, changes)
	if len(rec.got) != 1 {
		t.Fatalf("%d events, want 1: %+v", len(rec.got), rec.got)
	}
	q := rec.got[0]
	if q.ev.Type != Answer || q.target.URL != sub.URL || q.target.Method != "GET" {
		t.Errorf("got %+v", q)
	}
	for name, want := range map[string]string{"CalledExtension": "1001", "CalledExtensionID": "2", "CallFlow": "IN",
		"CallerIDNum": "3630999888", "CalledDID": "36123451001", "CallStatus": "ANSWER"} {
		if f, _ := q.ev.Fields.Get(name); f.Text() != want {
			t.Errorf("%s = %q, want %q", name, f.Text(), want)
		}
	}
	// Deleting it stops the events at once.
	if err := s.Delete(2, sub.ID); err != nil {
		t.Fatal(err)
	}
	for i := range changes {
		if s.Wants(&changes[i]) {
			t.Fatalf("change %s wanted after the delete", changes[i].Kind)
		}
	}
}
