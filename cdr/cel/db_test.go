package cel_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/cdr/cel"
)

// writeFile lays rows out as cel_sqlite3_custom does for README's mapping.
func writeFile(t *testing.T, path string, rows []cel.Row) *sql.DB {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec("CREATE TABLE cel (AcctId INTEGER PRIMARY KEY, " + strings.Join(cel.Columns, ",") + ")"); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		at := cel.FormatTime(r.Time) // as Asterisk writes it: text
		if _, err := db.Exec("INSERT INTO cel ("+strings.Join(cel.Columns, ",")+") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
			r.Type, at, r.Uniqueid, r.Linkedid, r.Channel, r.CallerNum, r.CallerName, r.Exten, r.Context, r.App, r.AppData, r.Peer, r.Extra); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func TestDBReadsRowsSinceATime(t *testing.T) {
	ctx := context.Background()
	rows := append(loadRows(t, "outbound-busy"), loadRows(t, "ring-group")...)
	path := t.TempDir() + "/cel.db"
	writeFile(t, path, rows)
	db, err := cel.Open(ctx, path, "", false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	busy := len(loadRows(t, "outbound-busy"))
	since := rows[busy].Time // the ring group's first row
	var got []cel.Row
	if err := db.Since(ctx, since, func(r cel.Row) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows)-busy || got[0].Type != "CHAN_START" || !got[0].Time.Equal(since) || got[0].Linkedid != rows[busy].Linkedid {
		t.Fatalf("%d rows since the ring group began (want %d), first %+v", len(got), len(rows)-busy, got[0])
	}
	if g, w := got[len(got)-1], rows[len(rows)-1]; g.Extra != w.Extra || g.Type != "LINKEDID_END" || !g.Time.Equal(w.Time) {
		t.Errorf("last row %+v, want %+v", g, w)
	}
	oldest, err := db.Oldest(ctx)
	if err != nil || !oldest.Equal(rows[0].Time) {
		t.Errorf("oldest %v %v, want %v", oldest, err, rows[0].Time)
	}
	if id, err := db.LastID(ctx); err != nil || id != int64(len(rows)) {
		t.Errorf("last id %d %v", id, err)
	}

	// Read-only: deleting fails; opened for writing it deletes.
	if _, err := db.DeleteBefore(ctx, since); err == nil {
		t.Error("a read-only file deleted rows")
	}
	w, err := cel.Open(ctx, path, "", true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if n, err := w.DeleteBefore(ctx, since); err != nil || n != int64(busy) {
		t.Errorf("deleted %d %v, want %d", n, err, busy)
	}
	if oldest, _ := db.Oldest(ctx); !oldest.Equal(since) {
		t.Errorf("oldest after deleting %v, want %v", oldest, since)
	}
}

func TestOpenRefusesWhatIsNoCELFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := cel.Open(ctx, dir+"/none.db", "", false); !errors.Is(err, cel.ErrMissing) {
		t.Errorf("missing file: %v", err)
	}
	other := writeFile(t, dir+"/other.db", nil)
	if _, err := other.Exec("ALTER TABLE cel RENAME COLUMN extra TO eventextra"); err != nil {
		t.Fatal(err)
	}
	if _, err := cel.Open(ctx, dir+"/other.db", "", false); err == nil || !strings.Contains(err.Error(), "extra") {
		t.Errorf("another mapping: %v", err)
	}
	if _, err := cel.Open(ctx, dir+"/other.db", "nosuch", false); err == nil {
		t.Error("a missing table was accepted")
	}
}

// A file Asterisk holds locked is an error that says so (the backfill
// counts it and tries again), after the busy timeout.
func TestReadingALockedFileFails(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/cel.db"
	w := writeFile(t, path, loadRows(t, "outbound-busy"))
	conn, err := w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "ROLLBACK")
	start := time.Now()
	_, err = cel.Open(ctx, path, "", false)
	if err == nil || !strings.Contains(err.Error(), "locked") && !strings.Contains(err.Error(), "busy") {
		t.Fatalf("locked file: %v", err)
	}
	t.Logf("locked after %s: %v", time.Since(start).Round(time.Millisecond), err)
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Time{
		"1796194059.396639": time.Unix(1796194059, 396639000),
		"1796194059.3":      time.Unix(1796194059, 300000000),
		"1796194059":        time.Unix(1796194059, 0),
		"2026-12-02 07:00":  {},
		"":                  {},
	} {
		if got := cel.ParseTime(in); !got.Equal(want) {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}
