package cel

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver "sqlite"
)

// Row is one CEL row as the mapping in README (and the test bed's
// cel_sqlite3_custom.conf) writes it.
type Row struct {
	ID         int64 // SQLite's rowid: the order Asterisk wrote the rows in
	Type       string
	Time       time.Time
	Uniqueid   string
	Linkedid   string
	Channel    string
	CallerNum  string
	CallerName string
	Exten      string
	Context    string
	App        string
	AppData    string
	Peer       string
	Extra      string
}

// Columns are the columns of the cel table callctl reads, in Row's order.
var Columns = []string{"eventtype", "eventtime", "uniqueid", "linkedid", "channame", "cidnum", "cidname", "exten", "context", "appname", "appdata", "peer", "extra"}

// ErrMissing: there is no CEL file (CEL not enabled, or rotated away).
var ErrMissing = errors.New("cel: no CEL file")

// DB is a CEL SQLite file, opened read-only unless Own is set.
type DB struct {
	db    *sql.DB
	table string
}

// Open opens the CEL file at path. It is read-only unless write is set
// (callctl owns the file and deletes the rows it consumed). A missing file
// is ErrMissing; a file that is no CEL table (corrupt, wrong mapping) fails
// here too.
func Open(ctx context.Context, path, table string, write bool) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrMissing, path)
		}
		return nil, err
	}
	if table == "" {
		table = "cel"
	}
	mode := "ro"
	if write {
		mode = "rw"
	}
	// Asterisk writes while we read: wait for its lock a little.
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=" + mode + "&_pragma=busy_timeout(2000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	d := &DB{db: db, table: table}
	if err := d.check(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// Close closes the file.
func (d *DB) Close() error { return d.db.Close() }

// check makes sure the table has the columns callctl reads.
func (d *DB) check(ctx context.Context) error {
	rows, err := d.db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", d.table)
	if err != nil {
		return fmt.Errorf("cel: %w", err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return fmt.Errorf("cel: %w", err)
		}
		have[strings.ToLower(n)] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("cel: %w", err)
	}
	var missing []string
	for _, c := range Columns {
		if !have[c] {
			missing = append(missing, c)
		}
	}
	if len(have) == 0 {
		return fmt.Errorf("cel: no table %q", d.table)
	}
	if len(missing) > 0 {
		return fmt.Errorf("cel: table %q lacks columns %s", d.table, strings.Join(missing, ", "))
	}
	return nil
}

func (d *DB) selectRows() string {
	cols := slices.Clone(Columns)
	// Asterisk writes text; a REAL (another writer) is printed back with
	// its microseconds.
	cols[1] = "CASE typeof(eventtime) WHEN 'real' THEN printf('%.6f', eventtime) ELSE eventtime END"
	return "SELECT rowid, " + strings.Join(cols, ", ") + " FROM " + quoteIdent(d.table)
}

// Since calls fn with the rows written at or after t, in the order
// Asterisk wrote them.
func (d *DB) Since(ctx context.Context, t time.Time, fn func(Row) error) error {
	from, err := d.firstAfter(ctx, t.Add(-outOfOrder))
	if err != nil {
		return err
	}
	return d.query(ctx, fn, " WHERE rowid >= ? AND CAST(eventtime AS REAL) >= ? ORDER BY rowid", from, unixSeconds(t))
}

// outOfOrder bounds how far back in time a row may be from the rows
// written before it (Asterisk writes CEL rows as its events are handled).
const outOfOrder = 10 * time.Second

// firstAfter finds, by bisection over the rowids (the table has no index
// on eventtime, and callctl opens it read-only), the first rowid whose
// eventtime is t or later, assuming times grow with rowids.
func (d *DB) firstAfter(ctx context.Context, t time.Time) (int64, error) {
	var lo, hi sql.NullInt64
	if err := d.db.QueryRowContext(ctx, "SELECT min(rowid), max(rowid) FROM "+quoteIdent(d.table)).Scan(&lo, &hi); err != nil {
		return 0, fmt.Errorf("cel: %w", err)
	}
	if !lo.Valid {
		return 0, nil
	}
	want := unixSeconds(t)
	probe := "SELECT rowid, CAST(eventtime AS REAL) FROM " + quoteIdent(d.table) + " WHERE rowid >= ? ORDER BY rowid LIMIT 1"
	a, b := lo.Int64, hi.Int64+1 // the answer is in [a, b]
	for a < b {
		mid := a + (b-a)/2
		var id int64
		var at float64
		err := d.db.QueryRowContext(ctx, probe, mid).Scan(&id, &at)
		if errors.Is(err, sql.ErrNoRows) {
			b = mid
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("cel: %w", err)
		}
		if at >= want {
			b = mid
		} else {
			a = id + 1
		}
	}
	return a, nil
}

// After calls fn with the rows after rowid id, in order.
func (d *DB) After(ctx context.Context, id int64, fn func(Row) error) error {
	return d.query(ctx, fn, " WHERE rowid > ? ORDER BY rowid", id)
}

// LastID is the rowid of the last row (0: none).
func (d *DB) LastID(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	err := d.db.QueryRowContext(ctx, "SELECT max(rowid) FROM "+quoteIdent(d.table)).Scan(&id)
	return id.Int64, err
}

// DeleteBefore deletes the rows older than t (the file must be open for
// writing); it returns how many it deleted.
func (d *DB) DeleteBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := d.db.ExecContext(ctx, "DELETE FROM "+quoteIdent(d.table)+" WHERE CAST(eventtime AS REAL) < ?", unixSeconds(t))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (d *DB) query(ctx context.Context, fn func(Row) error, where string, args ...any) error {
	rows, err := d.db.QueryContext(ctx, d.selectRows()+where, args...)
	if err != nil {
		return fmt.Errorf("cel: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Row
		var at string
		var s [12]sql.NullString
		if err := rows.Scan(&r.ID, &r.Type, &at, &s[0], &s[1], &s[2], &s[3], &s[4], &s[5], &s[6], &s[7], &s[8], &s[9], &s[10]); err != nil {
			return fmt.Errorf("cel: %w", err)
		}
		r.Time = ParseTime(at)
		r.Uniqueid, r.Linkedid, r.Channel, r.CallerNum, r.CallerName = s[0].String, s[1].String, s[2].String, s[3].String, s[4].String
		r.Exten, r.Context, r.App, r.AppData, r.Peer, r.Extra = s[5].String, s[6].String, s[7].String, s[8].String, s[9].String, s[10].String
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("cel: %w", err)
	}
	return nil
}

// ParseTime reads eventtime(float): seconds since the epoch with
// microseconds ("1764658000.123456"). Zero if it is not that.
func ParseTime(s string) time.Time {
	sec, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}
	}
	var us int64
	if frac != "" {
		frac = (frac + "000000")[:6]
		if us, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return time.Time{}
		}
	}
	return time.Unix(n, us*1000)
}

// FormatTime writes t as eventtime(float) does.
func FormatTime(t time.Time) string {
	return strconv.FormatInt(t.Unix(), 10) + "." + fmt.Sprintf("%06d", t.Nanosecond()/1000)
}

// unixSeconds is t as eventtime(float) compares.
func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return math.Inf(-1)
	}
	return float64(t.UnixMicro()) / 1e6
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Oldest is the time of the first row (zero: none).
func (d *DB) Oldest(ctx context.Context) (time.Time, error) {
	var at sql.NullString
	err := d.db.QueryRowContext(ctx, "SELECT eventtime FROM "+quoteIdent(d.table)+" ORDER BY rowid LIMIT 1").Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	return ParseTime(at.String), err
}
