package cdrfeed

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cel"
)

// BackfillConfig says where Asterisk's CEL log is, for the calls callctl
// did not see over AMI.
type BackfillConfig struct {
	// CELPath is the CEL SQLite file (cel_sqlite3_custom) as callctl sees
	// it: a path on callctl's host (with a chrooted Asterisk, the root's
	// path in front). "": no backfill.
	CELPath string `yaml:"cel_path" env:"CEL_PATH"`
	// CELTable is the table of the mapping ("cel").
	CELTable string `yaml:"cel_table" env:"CEL_TABLE"`
	// OwnFile: callctl owns the file and deletes the rows it consumed
	// (older than the last event it saw, less an hour).
	OwnFile bool `yaml:"cel_own_file" env:"CEL_OWN_FILE"`
}

// window is a stretch of time callctl did not see: from the last AMI event
// it processed to the (re)connection, and the calls it knew then.
type window struct {
	since, until time.Time
	known        map[string]bool // linkedids the live tracker had
}

// keepRows is how far behind the last event seen consumed rows are kept
// when callctl owns the CEL file.
const keepRows = time.Hour

// backfiller reads CEL for the windows the feed hands it, one at a time
// in its own goroutine, replays the calls nobody saw through its own
// tracker and hands their records to the committer, which skips any whose
// linkedid is saved by then.
type backfiller struct {
	cfg     BackfillConfig
	tracker *cdr.Tracker
	commits *committer
	log     zerolog.Logger
	m       *backfillMetrics
	windows chan window
	// lastSeen is the feed's last event time, for pruning (own file).
	lastSeen func() time.Time

	mu      sync.Mutex
	pending time.Time // start of the oldest window not backfilled yet
}

// pendingSince is the start of the oldest window not backfilled yet (zero:
// none): the feed saves it, not a later time, so that a crash during a
// backfill repeats it.
func (b *backfiller) pendingSince() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pending
}

type backfillMetrics struct {
	runs, calls, skipped, incomplete, deleted prometheus.Counter
	warnings                                  *prometheus.CounterVec
	seconds                                   prometheus.Gauge
}

func newBackfillMetrics(reg prometheus.Registerer) *backfillMetrics {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "callctl", Subsystem: "cdr", Name: name, Help: help})
	}
	m := &backfillMetrics{
		runs:       c("backfill_runs_total", "Backfills from CEL done (one per start or reconnection that had a gap)."),
		calls:      c("backfill_calls_total", "Calls rebuilt from CEL and handed to the store (one already saved is skipped there)."),
		skipped:    c("backfill_skipped_total", "Calls in CEL's gap that callctl already knew (live or saved)."),
		incomplete: c("backfill_incomplete_total", "Calls in CEL's gap whose start or end is not in it (in progress at either end)."),
		deleted:    c("backfill_rows_deleted_total", "CEL rows deleted after they were consumed (cel_own_file)."),
		warnings: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "callctl", Subsystem: "cdr", Name: "backfill_warnings_total",
			Help: "Backfills that could not read CEL, by reason: missing, locked, rotated, corrupt."}, []string{"reason"}),
		seconds: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "callctl", Subsystem: "cdr", Name: "backfill_seconds",
			Help: "How long the last backfill took."}),
	}
	for _, r := range []string{"missing", "locked", "rotated", "corrupt"} {
		m.warnings.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.runs, m.calls, m.skipped, m.incomplete, m.deleted, m.warnings, m.seconds)
	}
	return m
}

// request queues a window; windows that wait are merged.
func (b *backfiller) request(w window) {
	b.mu.Lock()
	if b.pending.IsZero() || w.since.Before(b.pending) {
		b.pending = w.since
	}
	b.mu.Unlock()
	for {
		select {
		case b.windows <- w:
			return
		default:
		}
		select {
		case old := <-b.windows:
			if old.since.Before(w.since) {
				w.since = old.since
			}
			for id := range old.known {
				w.known[id] = true
			}
		default:
		}
	}
}

// run backfills the windows it is handed until ctx ends.
func (b *backfiller) run(ctx context.Context) {
	prune := time.NewTicker(10 * time.Minute)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case w := <-b.windows:
			for attempt := 1; ; attempt++ {
				err := b.backfill(ctx, w)
				if err == nil || !isLocked(err) || attempt == 5 || ctx.Err() != nil {
					if ctx.Err() == nil && (err == nil || !isLocked(err)) {
						b.done(w) // a missing or corrupt file is not retried
					}
					break
				}
				select { // Asterisk holds the file: try again shortly
				case <-ctx.Done():
					return
				case <-time.After(time.Duration(attempt) * time.Second):
				}
			}
			b.prune(ctx, w.until)
		case <-prune.C:
			b.prune(ctx, b.lastSeen())
		}
	}
}

// done clears the pending start if no later window waits.
func (b *backfiller) done(w window) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.windows) == 0 && !b.pending.Before(w.since) {
		b.pending = time.Time{}
	}
}

// backfill replays the calls of w that nobody saw.
func (b *backfiller) backfill(ctx context.Context, w window) error {
	start := time.Now()
	db, err := cel.Open(ctx, b.cfg.CELPath, b.cfg.CELTable, false)
	if err != nil {
		return b.warn(err, w)
	}
	defer db.Close()
	if oldest, err := db.Oldest(ctx); err != nil {
		return b.warn(err, w)
	} else if !oldest.IsZero() && oldest.After(w.since) && !b.cfg.OwnFile {
		// Rows from the gap may have been deleted (or none was written
		// before its first call: a quiet PBX, a new file). callctl's own
		// deletions never reach into a gap.
		b.m.warnings.WithLabelValues("rotated").Inc()
		b.log.Warn().Time("since", w.since).Time("oldest_row", oldest).Str("file", b.cfg.CELPath).
			Msg("CEL backfill: the CEL file starts after the gap began (rotated?): calls before its first row may be lost")
	}
	var rows []cel.Row
	if err := db.Since(ctx, w.since, func(r cel.Row) error { rows = append(rows, r); return nil }); err != nil {
		return b.warn(err, w)
	}
	db.Close()
	n := b.replay(rows, w)
	b.m.runs.Inc()
	b.m.seconds.Set(time.Since(start).Seconds())
	b.log.Info().Time("since", w.since).Time("until", w.until).Int("rows", len(rows)).Int("calls", n).
		Dur("took", time.Since(start)).Msg("CEL backfill done")
	return nil
}

// replay groups the rows into calls (linkedids a transfer or pickup joined
// count as one), replays those that started and ended in the window and
// nobody knew, and hands their records to the committer. It returns how
// many calls it handed over.
func (b *backfiller) replay(rows []cel.Row, w window) int {
	groups := groupCalls(rows)
	handed := 0
	for _, g := range groups {
		switch {
		case g.knownBy(w.known):
			b.m.skipped.Inc()
			continue
		case !g.complete(w.until):
			b.m.incomplete.Inc()
			b.log.Debug().Strs("linkedids", g.linkedids).Msg("CEL backfill: a call not wholly in the gap is left out")
			continue
		}
		tl := cel.NewTranslator()
		tl.Prepare(g.rows)
		var finished []cdr.Change
		for i := range g.rows {
			for _, e := range tl.Events(&g.rows[i]) {
				for _, c := range b.tracker.Apply(&e) {
					if c.Kind == cdr.CallFinished {
						c.Record.Backfilled = true
						finished = append(finished, c)
					}
				}
			}
		}
		// Its calls are over: nothing of them is left to save.
		b.tracker.TakeUnsaved(func(string, *cdr.CallState) {})
		b.commits.add(finished)
		handed += len(finished)
		b.m.calls.Add(float64(len(finished)))
	}
	return handed
}

// prune deletes consumed rows when callctl owns the CEL file: those an
// hour older than seen (what callctl has seen live or backfilled), and
// none of a gap still to backfill.
func (b *backfiller) prune(ctx context.Context, seen time.Time) {
	if p := b.pendingSince(); !p.IsZero() && p.Before(seen) {
		seen = p
	}
	if !b.cfg.OwnFile || seen.IsZero() {
		return
	}
	db, err := cel.Open(ctx, b.cfg.CELPath, b.cfg.CELTable, true)
	if err != nil {
		b.log.Warn().Err(err).Msg("CEL: cannot open the file to delete consumed rows")
		return
	}
	defer db.Close()
	n, err := db.DeleteBefore(ctx, seen.Add(-keepRows))
	if err != nil {
		b.log.Warn().Err(err).Msg("CEL: cannot delete consumed rows")
		return
	}
	b.m.deleted.Add(float64(n))
}

// warn logs and counts a CEL file callctl could not read.
func (b *backfiller) warn(err error, w window) error {
	reason := "corrupt"
	switch {
	case errors.Is(err, cel.ErrMissing):
		reason = "missing"
	case isLocked(err):
		reason = "locked"
	}
	b.m.warnings.WithLabelValues(reason).Inc()
	b.log.Warn().Err(err).Str("reason", reason).Str("file", b.cfg.CELPath).Time("since", w.since).
		Msg("CEL backfill: cannot read the CEL file; calls while callctl was away may be missing")
	return err
}

func isLocked(err error) bool {
	s := err.Error()
	return strings.Contains(s, "locked") || strings.Contains(s, "SQLITE_BUSY") || strings.Contains(s, "busy")
}

// callGroup is the rows of linkedids joined by channels that moved
// between them.
type callGroup struct {
	linkedids []string
	rows      []cel.Row
	started   map[string]bool // linkedids whose first channel's CHAN_START is here
	ended     map[string]time.Time
}

func (g *callGroup) knownBy(known map[string]bool) bool {
	for _, id := range g.linkedids {
		if known[id] {
			return true
		}
	}
	return false
}

// complete: every linkedid of the group started and ended before until.
func (g *callGroup) complete(until time.Time) bool {
	for _, id := range g.linkedids {
		end, ok := g.ended[id]
		if !g.started[id] || !ok || !end.Before(until) {
			return false
		}
	}
	return true
}

// groupCalls splits rows (in order) into groups, in the order they began.
func groupCalls(rows []cel.Row) []*callGroup {
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		p, ok := parent[x]
		if !ok || p == x {
			parent[x] = x
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	union := func(a, b string) {
		if ra, rb := find(a), find(b); ra != rb {
			parent[rb] = ra
		}
	}
	chanCall := map[string]string{} // uniqueid → first linkedid
	for i := range rows {
		r := &rows[i]
		find(r.Linkedid)
		if first, ok := chanCall[r.Uniqueid]; !ok {
			chanCall[r.Uniqueid] = r.Linkedid
		} else if first != r.Linkedid {
			union(first, r.Linkedid)
		}
	}
	byRoot := map[string]*callGroup{}
	var out []*callGroup
	for i := range rows {
		r := rows[i]
		root := find(r.Linkedid)
		g := byRoot[root]
		if g == nil {
			g = &callGroup{started: map[string]bool{}, ended: map[string]time.Time{}}
			byRoot[root] = g
			out = append(out, g)
		}
		if !slices.Contains(g.linkedids, r.Linkedid) {
			g.linkedids = append(g.linkedids, r.Linkedid)
		}
		switch {
		case r.Type == "CHAN_START" && r.Uniqueid == r.Linkedid:
			g.started[r.Linkedid] = true
		case r.Type == "LINKEDID_END":
			g.ended[r.Linkedid] = r.Time
		}
		g.rows = append(g.rows, r)
	}
	return out
}

// celPathOK reports a CEL path callctl can use: absolute.
func celPathOK(p string) bool { return p == "" || filepath.IsAbs(p) }
