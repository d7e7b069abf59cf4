package cdrfeed_test

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrfeed"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
)

// running is a feed on a fake Asterisk and a temporary store.
type running struct {
	fake *fakeAMI
	feed *cdrfeed.Feed
	db   *store.DB
	dir  *pbx.Directory
	stop func() error
}

func start(t testing.TB, opts cdrfeed.Options) *running {
	t.Helper()
	fake := newFakeAMI(t)
	cfg := ami.DefaultConfig()
	cfg.Addr = fake.addr()
	cfg.PingInterval = time.Hour
	log := zerolog.Nop()
	client := ami.New(cfg, log, nil)
	dir, err := pbx.New(pbx.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.New(t)
	feed, err := cdrfeed.New(cdrfeed.DefaultConfig(), client, db, dir, log, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	// The AMI client cannot be stopped (its library reconnects for ever):
	// it ends with the fake server and the test binary.
	go client.Run(ctx)
	done := make(chan error, 1)
	go func() { done <- feed.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	// Events written before the feed's first resynchronisation would be
	// closed by it (the fake Asterisk lists no channels).
	for fake.sessions() == 0 || !client.Ready() || fake.resyncs() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the AMI client did not log in")
		}
		time.Sleep(5 * time.Millisecond)
	}
	var once sync.Once
	var err2 error
	r := &running{fake: fake, feed: feed, db: db, dir: dir, stop: func() error {
		once.Do(func() { cancel(); err2 = <-done })
		return err2
	}}
	t.Cleanup(func() { r.stop() })
	return r
}

// events returns a fixture's Asterisk events as text (without what the
// ami package adds itself, and without action answers).
func eventText(t testing.TB, name string) (string, int) {
	var b strings.Builder
	n := 0
	for _, m := range loadFixture(t, name) {
		if strings.HasPrefix(m["Event"], "Callctl") || m["ActionID"] != "" || strings.HasPrefix(m["Event"], "CoreShowChannel") {
			continue
		}
		amiText(&b, m)
		n++
	}
	return b.String(), n
}

// replayed is what a plain tracker makes of the fixture (same directory,
// ids from 1): what the feed must have stored.
func replayed(t testing.TB, dir *pbx.Directory, name string) []cdr.Record {
	var ids counter
	tr := cdr.NewTracker(cdr.Options{Directory: cdrfeed.Directory{D: dir}, IDs: &ids})
	var out []cdr.Record
	for _, m := range loadFixture(t, name) {
		if e, ok := cdrfeed.ParseEvent(m); ok && !strings.HasPrefix(e.Name, "Callctl") {
			out = append(out, cdr.Records(tr.Apply(&e))...)
		}
	}
	return out
}

// finishedHook is an outbox that wants no change but finished calls.
type finishedHook func(tx *store.Tx, r *cdr.Record) error

func (finishedHook) Wants(*cdr.Change) bool { return false }
func (h finishedHook) Enqueue(tx *store.Tx, c *cdr.Change) error {
	if c.Kind == cdr.CallFinished {
		return h(tx, c.Record)
	}
	return nil
}

type counter struct{ n uint64 }

func (c *counter) NextID() uint64 { c.n++; return c.n }

func stored(t testing.TB, db *store.DB) []cdr.Record {
	var recs []cdr.Record
	if err := db.View(func(tx *store.Tx) error {
		var err error
		recs, err = cdrstore.List(tx, cdrstore.Filter{Limit: 1 << 20})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].ID < recs[j].ID })
	return recs
}

func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func asJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// Every recorded scenario, sent over AMI text to the running feed, is
// stored exactly as the tracker alone makes it.
func TestFeedStoresWhatTheTrackerMakes(t *testing.T) {
	for _, name := range []string{"outbound-answered", "outbound-busy", "internal", "ring-group", "queue-second-agent", "blind-transfer", "attended-transfer", "pickup", "click-to-call", "ivr-queue"} {
		t.Run(name, func(t *testing.T) {
			r := start(t, cdrfeed.Options{})
			want := replayed(t, r.dir, name)
			text, _ := eventText(t, name)
			r.fake.write(text)
			waitFor(t, "the records", 5*time.Second, func() bool { return len(stored(t, r.db)) >= len(want) })
			if err := r.stop(); err != nil {
				t.Fatal(err)
			}
			sort.Slice(want, func(i, j int) bool { return want[i].ID < want[j].ID })
			// Through JSON both, as the store keeps them.
			var w []cdr.Record
			json.Unmarshal([]byte(asJSON(want)), &w)
			if got := stored(t, r.db); asJSON(got) != asJSON(w) {
				t.Errorf("stored:\n%s\nwant:\n%s", asJSON(got), asJSON(w))
			}
			if n := len(r.feed.Live()); n != 0 {
				t.Errorf("%d calls still live", n)
			}
		})
	}
}

// The live view shows a call while it is up, and WaitChannel finds a
// channel as soon as the engine has seen it.
func TestFeedLiveView(t *testing.T) {
	r := start(t, cdrfeed.Options{})
	var b strings.Builder
	var hangup []map[string]string
	var firstUniqueid string
	for _, m := range loadFixture(t, "outbound-answered") {
		if strings.HasPrefix(m["Event"], "Callctl") || m["ActionID"] != "" {
			continue
		}
		if firstUniqueid == "" && m["Event"] == "Newchannel" {
			firstUniqueid = m["Uniqueid"]
		}
		if m["Event"] == "HangupRequest" || hangup != nil {
			hangup = append(hangup, m)
			continue
		}
		amiText(&b, m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	found := make(chan *cdr.LiveCall, 1)
	go func() { c, _ := r.feed.View().WaitChannel(ctx, firstUniqueid); found <- c }()
	r.fake.write(b.String())
	c := <-found
	if c == nil || c.Linkedid != firstUniqueid || c.ID == 0 {
		t.Fatalf("WaitChannel: %+v", c)
	}
	waitFor(t, "both channels up", 5*time.Second, func() bool {
		live := r.feed.Live()
		return len(live) == 1 && len(live[0].Channels) == 2 && live[0].Channels[1].State == "Up"
	})
	if c2, ok := r.feed.View().Channel(firstUniqueid); !ok || c2.ID != c.ID {
		t.Fatalf("Channel: %+v %v", c2, ok)
	}
	b.Reset()
	for _, m := range hangup {
		amiText(&b, m)
	}
	r.fake.write(b.String())
	waitFor(t, "the call to end", 5*time.Second, func() bool { return r.feed.View().Len() == 0 })
	if _, ok := r.feed.View().Channel(firstUniqueid); ok {
		t.Fatal("an ended channel is still in the view")
	}
}

// The live view is built from the tracker when read: readers listing
// calls and looking up channels while the feed applies a burst of calls
// find each listed channel in its own call (run with -race).
func TestFeedLiveViewReadWhileEventsApply(t *testing.T) {
	r := start(t, cdrfeed.Options{})
	const calls = 50
	text, _ := callCopies(t, "outbound-answered", calls, "HangupRequest", 0)
	done := make(chan struct{})
	read := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-done:
				read <- n
				return
			default:
			}
			for _, c := range r.feed.View().Calls() {
				if c.ID == 0 || c.Linkedid == "" {
					t.Errorf("a call without its ids: %+v", c)
				}
				for _, ch := range c.Channels {
					if got, ok := r.feed.View().Channel(ch.Uniqueid); ok && got.Linkedid != c.Linkedid { // no channel moves in these calls
						t.Errorf("channel %s: call %s, listed in %s", ch.Uniqueid, got.Linkedid, c.Linkedid)
					}
				}
			}
			n++
			time.Sleep(100 * time.Microsecond) // a busy reader, not a spinning one (CI has two cores)
		}
	}()
	r.fake.write(text)
	waitFor(t, "the calls", 20*time.Second, func() bool { return r.feed.View().Len() == calls })
	close(done)
	if n := <-read; n == 0 {
		t.Fatal("the reader never read")
	}
	if live := r.feed.Live(); len(live) != calls {
		t.Fatalf("%d calls in the view, want %d", len(live), calls)
	}
}

// A call whose commit fails (here: what must follow it fails) does not hold
// up the others; it is saved once the failure passes, and only once.
func TestFeedOneFailingCallDoesNotStallOthers(t *testing.T) {
	var failing atomic.Bool
	failing.Store(true)
	var badLinkedid atomic.Value
	badLinkedid.Store("")
	var attempts atomic.Int32
	r := start(t, cdrfeed.Options{Outbox: finishedHook(func(tx *store.Tx, rec *cdr.Record) error {
		if rec.Linkedid == badLinkedid.Load().(string) {
			attempts.Add(1)
			if failing.Load() {
				return errors.New("injected: the outbox cannot be written")
			}
		}
		return nil
	})})
	bad := replayed(t, r.dir, "outbound-busy")
	badLinkedid.Store(bad[0].Linkedid)
	text, _ := eventText(t, "outbound-busy")
	r.fake.write(text)
	waitFor(t, "a failed attempt", 5*time.Second, func() bool { return attempts.Load() >= 1 })
	good := replayed(t, r.dir, "outbound-answered")
	text, _ = eventText(t, "outbound-answered")
	r.fake.write(text)
	waitFor(t, "the other call", 5*time.Second, func() bool {
		for _, rec := range stored(t, r.db) {
			if rec.Linkedid == good[0].Linkedid {
				return true
			}
		}
		return false
	})
	for _, rec := range stored(t, r.db) {
		if rec.Linkedid == bad[0].Linkedid {
			t.Fatal("the failing call was stored")
		}
	}
	failing.Store(false)
	waitFor(t, "the failed call, once it can be saved", 10*time.Second, func() bool { return len(stored(t, r.db)) == 2 })
}

// Calls in progress survive a restart of the feed: saved one by one, they
// come back (and are resynchronised with Asterisk: here it has no
// channels, so they end as resynced).
func TestFeedKeepsCallsInProgressAcrossRestart(t *testing.T) {
	fake := newFakeAMI(t)
	db := storetest.New(t)
	dir, _ := pbx.New(pbx.DefaultConfig())
	cfg := ami.DefaultConfig()
	cfg.Addr, cfg.PingInterval = fake.addr(), time.Hour
	client := ami.New(cfg, zerolog.Nop(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go client.Run(ctx)
	waitFor(t, "login", 5*time.Second, func() bool { return fake.sessions() > 0 && client.Ready() })

	feedCfg := cdrfeed.DefaultConfig()
	feedCfg.LiveSaveInterval = 20 * time.Millisecond
	f1, err := cdrfeed.New(feedCfg, client, db, dir, zerolog.Nop(), nil, cdrfeed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f1.Run(fctx) }()
	var b strings.Builder
	for _, m := range loadFixture(t, "outbound-answered") {
		if m["Event"] == "HangupRequest" {
			break
		}
		if !strings.HasPrefix(m["Event"], "Callctl") && m["ActionID"] == "" {
			amiText(&b, m)
		}
	}
	fake.write(b.String())
	waitFor(t, "the call", 5*time.Second, func() bool { return f1.View().Len() == 1 })
	time.Sleep(100 * time.Millisecond) // a save interval or more
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	f2, err := cdrfeed.New(feedCfg, client, db, dir, zerolog.Nop(), nil, cdrfeed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f2.View().Len() != 1 {
		t.Fatalf("%d calls restored, want 1", f2.View().Len())
	}
}
