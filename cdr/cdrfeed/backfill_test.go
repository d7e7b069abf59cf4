package cdrfeed_test

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	_ "modernc.org/sqlite"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrfeed"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/cdr/cel"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
)

// celFixture reads CEL rows recorded on the test bed (cdr/cel/testdata).
func celFixture(t testing.TB, name string) []cel.Row {
	f, err := os.Open("../cel/testdata/" + name + ".cel.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := cel.ReadCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// writeCELFile writes rows into a SQLite file laid out as
// cel_sqlite3_custom creates it for the mapping README shows.
func writeCELFile(t testing.TB, path string, rows []cel.Row) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE IF NOT EXISTS cel (AcctId INTEGER PRIMARY KEY, " + strings.Join(cel.Columns, ",") + ")"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	ins, err := tx.Prepare("INSERT INTO cel (" + strings.Join(cel.Columns, ",") + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		at := cel.FormatTime(r.Time) // as Asterisk writes it: text
		if _, err := ins.Exec(r.Type, at, r.Uniqueid, r.Linkedid, r.Channel, r.CallerNum, r.CallerName, r.Exten, r.Context, r.App, r.AppData, r.Peer, r.Extra); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// deliveries counts the end-of-call deliveries per linkedid.
type deliveries struct {
	mu sync.Mutex
	n  map[string]int
}

func (d *deliveries) Wants(c *cdr.Change) bool { return true }
func (d *deliveries) Enqueue(tx *store.Tx, c *cdr.Change) error {
	if c.Kind == cdr.CallFinished {
		d.mu.Lock()
		d.n[c.Record.Linkedid]++
		d.mu.Unlock()
	}
	return nil
}
func (d *deliveries) count(linkedid string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n[linkedid]
}

// runFeed runs a feed on db until the test ends or stop; it subscribes
// before the AMI client logs in, as the daemon does, so it sees the
// connection and backfills.
func runFeed(t testing.TB, cfg cdrfeed.Config, db *store.DB, reg prometheus.Registerer, out cdrfeed.Outbox) (stop func()) {
	t.Helper()
	fake := newFakeAMI(t)
	acfg := ami.DefaultConfig()
	acfg.Addr, acfg.PingInterval = fake.addr(), time.Hour
	client := ami.New(acfg, zerolog.Nop(), nil)
	dir, _ := pbx.New(pbx.DefaultConfig())
	feed, err := cdrfeed.New(cfg, client, db, dir, zerolog.Nop(), reg, cdrfeed.Options{Outbox: out})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go client.Run(ctx)
	done := make(chan error, 1)
	go func() { done <- feed.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestFeedBackfillsCallsFromCEL(t *testing.T) {
	names := []string{"outbound-answered", "outbound-busy", "outbound-noanswer", "ring-group", "pickup", "attended-transfer", "ivr-queue"}
	var rows []cel.Row
	for _, n := range names {
		rows = append(rows, celFixture(t, n)...)
	}
	path := t.TempDir() + "/cel.db"
	writeCELFile(t, path, rows)

	// callctl stopped before the first of these calls; it had saved the
	// first (answered) call already, and it knows nothing of the others.
	db := storetest.New(t)
	known := celFixture(t, "outbound-answered")[0].Linkedid
	if err := db.Update(func(tx *store.Tx) error {
		if err := cdrstore.SaveLastEvent(tx, rows[0].Time.Add(-time.Second)); err != nil {
			return err
		}
		return cdrstore.Save(tx, &cdr.Record{ID: 1 << 40, Linkedid: known, Start: rows[0].Time})
	}); err != nil {
		t.Fatal(err)
	}
	cfg := cdrfeed.DefaultConfig()
	cfg.Backfill.CELPath = path
	out := &deliveries{n: map[string]int{}}
	reg := prometheus.NewRegistry()
	stop := runFeed(t, cfg, db, reg, out)

	waitFor(t, "the backfilled calls", 10*time.Second, func() bool {
		return metric(t, reg, "callctl_cdr_backfill_runs_total", "", "") == 1
	})
	time.Sleep(100 * time.Millisecond) // their commit
	stop()

	recs := stored(t, db)
	byLinkedid := map[string]cdr.Record{}
	for _, r := range recs {
		if _, dup := byLinkedid[r.Linkedid]; dup {
			t.Errorf("call %s saved twice", r.Linkedid)
		}
		byLinkedid[r.Linkedid] = r
	}
	if r := byLinkedid[known]; r.Backfilled || r.ID != 1<<40 {
		t.Errorf("the saved call was replaced: %+v", r)
	}
	for _, n := range names[1:] {
		id := celFixture(t, n)[0].Linkedid
		r, ok := byLinkedid[id]
		switch {
		case !ok:
			t.Errorf("%s: not backfilled", n)
		case !r.Backfilled:
			t.Errorf("%s: not flagged backfilled", n)
		case out.count(id) != 1:
			t.Errorf("%s: %d end-of-call deliveries, want 1", n, out.count(id))
		}
	}
	if out.count(known) != 0 {
		t.Errorf("the saved call was delivered again")
	}
	n := len(recs)
	t.Logf("%d records saved, %d backfilled", n, n-1)

	// A second start reads the same gap again (no AMI event came since):
	// nothing is doubled.
	reg2 := prometheus.NewRegistry()
	stop = runFeed(t, cfg, db, reg2, out)
	waitFor(t, "the second backfill", 10*time.Second, func() bool {
		return metric(t, reg2, "callctl_cdr_backfill_runs_total", "", "") == 1
	})
	time.Sleep(100 * time.Millisecond)
	stop()
	if got := len(stored(t, db)); got != n {
		t.Errorf("%d records after the second start, want %d", got, n)
	}
	for _, n := range names[1:] {
		if id := celFixture(t, n)[0].Linkedid; out.count(id) != 1 {
			t.Errorf("%s: %d deliveries after the second start", n, out.count(id))
		}
	}
}

// A CEL file that is missing or not SQLite is a counted warning; the feed
// runs on.
func TestFeedBackfillWarnsOfABadCELFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/garbage.db", []byte(strings.Repeat("not a database ", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, reason string }{{"missing.db", "missing"}, {"garbage.db", "corrupt"}} {
		t.Run(c.reason, func(t *testing.T) {
			db := storetest.New(t)
			if err := db.Update(func(tx *store.Tx) error { return cdrstore.SaveLastEvent(tx, time.Now().Add(-time.Minute)) }); err != nil {
				t.Fatal(err)
			}
			cfg := cdrfeed.DefaultConfig()
			cfg.Backfill.CELPath = dir + "/" + c.file
			reg := prometheus.NewRegistry()
			runFeed(t, cfg, db, reg, nil)
			waitFor(t, "the warning", 5*time.Second, func() bool {
				return warnings(t, reg, c.reason) == 1
			})
		})
	}
}

// metric is the value of a counter or gauge (with the label, if any).
func metric(t testing.TB, reg *prometheus.Registry, name, label, value string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			ok := label == ""
			for _, l := range m.GetLabel() {
				ok = ok || l.GetName() == label && l.GetValue() == value
			}
			if ok {
				return m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return 0
}

func warnings(t testing.TB, reg *prometheus.Registry, reason string) float64 {
	return metric(t, reg, "callctl_cdr_backfill_warnings_total", "reason", reason)
}

// With cel_own_file, the rows consumed (older than an hour before what
// callctl has seen) are deleted once their calls are backfilled.
func TestFeedBackfillDeletesConsumedRowsOfAnOwnedFile(t *testing.T) {
	rows := append(celFixture(t, "outbound-busy"), celFixture(t, "ring-group")...)
	shift := time.Now().Add(-2 * time.Hour).Sub(rows[0].Time)
	for i := range rows {
		rows[i].Time = rows[i].Time.Add(shift)
	}
	path := t.TempDir() + "/cel.db"
	writeCELFile(t, path, rows)
	db := storetest.New(t)
	if err := db.Update(func(tx *store.Tx) error { return cdrstore.SaveLastEvent(tx, rows[0].Time.Add(-time.Second)) }); err != nil {
		t.Fatal(err)
	}
	cfg := cdrfeed.DefaultConfig()
	cfg.Backfill.CELPath, cfg.Backfill.OwnFile = path, true
	reg := prometheus.NewRegistry()
	stop := runFeed(t, cfg, db, reg, nil)
	waitFor(t, "the deletion", 10*time.Second, func() bool {
		return metric(t, reg, "callctl_cdr_backfill_rows_deleted_total", "", "") == float64(len(rows))
	})
	stop()
	if n := len(stored(t, db)); n != 2 {
		t.Errorf("%d calls backfilled, want 2", n)
	}
	c, err := cel.Open(context.Background(), path, "", false)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if id, _ := c.Oldest(context.Background()); !id.IsZero() {
		t.Errorf("rows left from %v", id)
	}
}
