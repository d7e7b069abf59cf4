// Package cdrfeed runs the CDR engine in the daemon: it feeds the AMI event
// stream to a cdr.Tracker, serves the live view of the calls in progress to
// the API (built from the tracker when read), commits each finished call
// to the store in one transaction with whatever must follow it,
// resynchronises after a reconnect or lost events, and keeps the calls in
// progress across daemon restarts.
//
// Cost: the event goroutine only parses and applies events; after each
// burst of queued events it wakes the readers waiting for a channel,
// refreshes the saved state of the calls that changed (never of every
// call), and hands finished calls to the committer goroutine, which writes
// them in group commits.
//
// Metrics (namespace callctl, subsystem cdr): calls_finished_total,
// commit_delay_seconds (from a call's last event to its commit),
// commit_errors_total, commits_pending, resyncs_total, live_calls,
// ids_exhausted (1 while no record id can be reserved), and the backfill's
// (backfill.go) backfill_runs_total, _calls_total, _skipped_total,
// _incomplete_total, _rows_deleted_total, _warnings_total{reason},
// _seconds.
//
// Backfill: with a CEL file configured, the calls that started and ended
// while callctl was not running or had lost AMI are rebuilt from Asterisk's
// CEL log (package cdr/cel) by a tracker of their own, in their own
// goroutine, and committed flagged Backfilled, once per linkedid.
package cdrfeed

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store"
)

// AMI is what the feed needs of the AMI connection.
type AMI interface {
	Subscribe(name string, size int) *ami.Subscription
	List(ctx context.Context, a ami.Action) (ami.Message, []ami.Message, error)
}

// Config tunes the feed.
type Config struct {
	// Rates price outbound calls.
	Rates []cdr.Rate `yaml:"rates"`
	// LiveSaveInterval is how often the calls in progress are saved.
	LiveSaveInterval time.Duration `yaml:"live_save_interval" env:"LIVE_SAVE_INTERVAL"`
	// Backfill rebuilds, from Asterisk's CEL log, the calls that happened
	// while callctl was not running or had lost its AMI connection.
	Backfill BackfillConfig `yaml:"backfill" envPrefix:"BACKFILL_"`
}

// Validate reports an invalid setting.
func (c Config) Validate() error {
	if !celPathOK(c.Backfill.CELPath) {
		return fmt.Errorf("cdr.backfill.cel_path must be an absolute path, not %q", c.Backfill.CELPath)
	}
	return nil
}

// DefaultConfig has no rates.
func DefaultConfig() Config { return Config{LiveSaveInterval: time.Second} }

// idBlock is how many record ids one reservation takes.
const idBlock = 256

// maxBurst bounds the events applied between two flushes.
const maxBurst = 256

// Outbox is where the changes of calls lead to deliveries (webhook.Outbox).
type Outbox interface {
	// Wants reports, without I/O, whether a change may cause a delivery.
	// A finished call is committed whatever it answers.
	Wants(c *cdr.Change) bool
	// Enqueue writes the deliveries of a change inside tx: the transaction
	// that saves the finished call, for CallFinished. An error rolls the
	// change back, and it is tried again later (alone, so that it does not
	// hold up other calls; later changes of its call wait behind it).
	Enqueue(tx *store.Tx, c *cdr.Change) error
}

// Options are the feed's optional parts.
type Options struct {
	Outbox Outbox // nil: no deliveries
}

// Feed is the running CDR engine.
type Feed struct {
	cfg     Config
	ami     AMI
	sub     *ami.Subscription
	ids     *cdrstore.IDs
	tracker *cdr.Tracker
	view    *View
	commits *committer
	log     zerolog.Logger
	m       *metrics

	outbox  Outbox
	changes []cdr.Change // to commit: the finished calls and wanted changes of the current burst

	// lastEvent is the time of the last AMI event applied (saved with
	// the calls in progress); backfill reads CEL from there.
	lastEvent time.Time
	lastSaved atomic.Pointer[time.Time]
	connected bool        // logged in to AMI
	backfill  *backfiller // nil: no CEL file configured
}

// New subscribes to the AMI events at once (so that none is missed before
// Run) and loads the calls that were in progress when the daemon stopped.
func New(cfg Config, a AMI, db *store.DB, dir *pbx.Directory, log zerolog.Logger, reg prometheus.Registerer, opts Options) (*Feed, error) {
	rates, err := cdr.NewRateTable(cfg.Rates)
	if err != nil {
		return nil, err
	}
	if cfg.LiveSaveInterval <= 0 {
		cfg.LiveSaveInterval = time.Second
	}
	f := &Feed{cfg: cfg, ami: a, ids: cdrstore.NewIDs(idBlock),
		log: log.With().Str("pkg", "cdr").Logger(), m: newMetrics(reg)}
	f.commits = newCommitter(db, f.ids, f.log, f.m, cfg.LiveSaveInterval)
	f.commits.outbox, f.outbox = opts.Outbox, opts.Outbox
	f.tracker = cdr.NewTracker(cdr.Options{Directory: Directory{dir}, IDs: f.ids, Rates: rates})
	f.view = newView(f.tracker)

	// The first id block and the saved calls, before any event.
	var state cdr.State
	var block [2]uint64
	if err := db.Update(func(tx *store.Tx) error {
		if block, err = f.ids.Reserve(tx); err != nil {
			return err
		}
		if state, err = cdrstore.LoadLive(tx); err != nil {
			return err
		}
		f.lastEvent, err = cdrstore.LoadLastEvent(tx)
		return err
	}); err != nil {
		return nil, err
	}
	f.ids.Add(block)
	f.commits.legacy = true
	f.view.change(func() { f.tracker.Restore(state) })
	saved := f.lastEvent
	f.lastSaved.Store(&saved)
	if cfg.Backfill.CELPath != "" {
		f.backfill = &backfiller{cfg: cfg.Backfill, commits: f.commits, log: f.log, m: newBackfillMetrics(reg),
			windows: make(chan window, 1), lastSeen: func() time.Time { return *f.lastSaved.Load() },
			tracker: cdr.NewTracker(cdr.Options{Directory: Directory{dir}, IDs: f.ids, Rates: rates})}
	}
	if n := len(state.Calls); n > 0 {
		f.log.Info().Int("calls", n).Msg("calls in progress when callctl stopped: resynchronising when Asterisk answers")
	}
	f.flush()
	f.sub = a.Subscribe("cdr", 0)
	if reg != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "callctl", Subsystem: "cdr", Name: "commits_pending",
			Help: "Finished calls waiting to be saved."}, func() float64 { return float64(f.commits.pending()) }))
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "callctl", Subsystem: "cdr", Name: "ids_exhausted",
			Help: "1 while the CDR engine waits for record ids the store cannot reserve."}, func() float64 {
			if f.ids.Waiting() {
				return 1
			}
			return 0
		}))
	}
	return f, nil
}

// View is the live view of the calls in progress.
func (f *Feed) View() *View { return f.view }

// Live returns the calls in progress (shared: do not modify).
func (f *Feed) Live() []*cdr.LiveCall { return f.view.Calls() }

// Healthy reports whether the engine can record calls: it is not waiting
// for record ids, and no finished call has been waiting long for its commit.
func (f *Feed) Healthy() bool { return !f.ids.Waiting() }

// Run applies events until ctx ends, then commits what is pending and saves
// the calls in progress. The error is the shutdown commit's.
func (f *Feed) Run(ctx context.Context) error {
	defer f.sub.Close()
	cctx, stopCommits := context.WithCancel(context.Background())
	commitDone := make(chan error, 1)
	go func() { commitDone <- f.commits.run(cctx) }()
	bctx, stopBackfill := context.WithCancel(context.Background())
	backfillDone := make(chan struct{})
	go func() {
		defer close(backfillDone)
		if f.backfill != nil {
			f.backfill.run(bctx)
		}
	}()

	resync := false
	tick := time.NewTicker(f.cfg.LiveSaveInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			// The backfill hands records to the committer: it stops first.
			stopBackfill()
			<-backfillDone
			f.flush()
			f.save()
			stopCommits()
			return <-commitDone
		case <-tick.C:
			if resync {
				resync = !f.resync(ctx)
				f.flush()
			}
			f.seenUntil(resync)
			f.save()
		case m := <-f.sub.C():
			resync = f.handle(ctx, m, resync)
		burst:
			for i := 1; i < maxBurst; i++ {
				select {
				case m := <-f.sub.C():
					resync = f.handle(ctx, m, resync)
				default:
					break burst
				}
			}
			f.flush()
		}
	}
}

// handle applies one message; it returns whether a resync is still owed.
func (f *Feed) handle(ctx context.Context, m ami.Message, resync bool) bool {
	switch m.Event() {
	case ami.EventDisconnected:
		f.connected = false
	case ami.EventConnected, ami.EventsLost:
		f.connected = true
		if m.Event() == ami.EventsLost {
			f.log.Warn().Str("count", m["Count"]).Msg("AMI events lost: resynchronising")
		}
		f.flush()
		// The gap ends when this session began: its events come next.
		until := ami.ParseTimestamp(m["Timestamp"])
		if until.IsZero() {
			until = time.Now()
		}
		f.requestBackfill(until)
		resync = !f.resync(ctx)
	}
	if e, ok := ParseEvent(m); ok {
		if e.Time.After(f.lastEvent) && e.Name != ami.EventConnected && e.Name != ami.EventDisconnected && e.Name != ami.EventsLost {
			f.lastEvent = e.Time
		}
		f.view.mu.Lock()
		changes := f.tracker.Apply(&e)
		f.view.mu.Unlock()
		f.keep(changes)
	}
	return resync
}

// seenMargin: events younger than this may still wait in the queue.
const seenMargin = 2 * time.Second

// seenUntil moves the time callctl has seen Asterisk until to (nearly)
// now while the connection is up and nothing was lost: a quiet PBX has no
// events, and its next gap must not start at its last call.
func (f *Feed) seenUntil(resyncOwed bool) {
	if !f.connected || resyncOwed {
		return
	}
	if t := time.Now().Add(-seenMargin); t.After(f.lastEvent) {
		f.lastEvent = t
	}
}

// requestBackfill hands the backfill the gap before this (re)connection
// or loss of events: from the last event applied to until, and the calls
// the tracker knows.
func (f *Feed) requestBackfill(until time.Time) {
	if f.backfill == nil {
		return
	}
	if f.lastEvent.IsZero() {
		f.log.Info().Msg("CEL backfill: no event seen before, so no gap to fill")
		return
	}
	known := map[string]bool{}
	for _, id := range f.tracker.Linkedids() {
		known[id] = true
	}
	f.backfill.request(window{since: f.lastEvent, until: until, known: known})
}

// keep takes the changes to commit: every finished call, and what the
// outbox wants.
func (f *Feed) keep(changes []cdr.Change) {
	for i := range changes {
		if c := &changes[i]; c.Kind == cdr.CallFinished || f.outbox != nil && f.outbox.Wants(c) {
			f.changes = append(f.changes, *c)
		}
	}
}

// flush publishes what the events so far changed: the live view's waiters
// get their calls, and the committer the changes to commit.
func (f *Feed) flush() {
	f.view.notify()
	f.m.live.Set(float64(f.tracker.Len())) // the feed is the tracker's only writer
	f.commits.add(f.changes)
	clear(f.changes)
	f.changes = f.changes[:0]
}

// save hands the states of the calls changed since the last save to the
// committer (once a save interval: copying them costs, and they are only
// for a restart).
func (f *Feed) save() {
	n := 0
	f.view.change(func() {
		f.tracker.TakeUnsaved(func(linkedid string, s *cdr.CallState) {
			f.commits.addSave(linkedid, s)
			n++
		})
	})
	// Saved: where the next backfill reads from, the last event seen or
	// the start of a gap not backfilled yet.
	t := f.lastEvent
	if f.backfill != nil {
		if p := f.backfill.pendingSince(); !p.IsZero() && p.Before(t) {
			t = p
		}
	}
	if last := *f.lastSaved.Load(); !t.Equal(last) && !t.IsZero() {
		f.lastSaved.Store(&t)
		f.commits.setLastEvent(t)
		n++
	}
	if n > 0 {
		f.commits.signal()
	}
}

// resync reconciles the tracker with Asterisk's channels; false means it
// could not ask and must be tried again.
func (f *Feed) resync(ctx context.Context) bool {
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, items, err := f.ami.List(lctx, ami.Action{Name: "CoreShowChannels"})
	if err != nil {
		f.log.Warn().Err(err).Msg("resynchronisation failed; trying again")
		return false
	}
	live := make([]cdr.ChannelSnapshot, len(items))
	for i, it := range items {
		live[i] = ParseChannel(it)
	}
	var changes []cdr.Change
	f.view.change(func() { changes = f.tracker.Resync(time.Now(), live) })
	f.m.resyncs.Inc()
	if closed := len(cdr.Records(changes)); closed > 0 || len(live) > 0 {
		f.log.Info().Int("closed", closed).Int("channels_up", len(live)).Msg("resynchronised with Asterisk")
	}
	f.keep(changes)
	return true
}

// Directory adapts the PBX directory to the tracker.
type Directory struct{ D *pbx.Directory }

// Line implements cdr.Directory.
func (d Directory) Line(endpoint string) (cdr.Line, bool) {
	e, ok := d.D.ByEndpoint(endpoint)
	if !ok {
		return cdr.Line{}, false
	}
	return cdr.Line{Number: e.Number, UserID: e.UserID, CostLocation: e.CostLocation, UserNumber: e.UserNumber}, true
}

// IsTrunk implements cdr.Directory.
func (d Directory) IsTrunk(endpoint string) bool { _, ok := d.D.Trunk(endpoint); return ok }

// QueueID implements cdr.Directory.
func (d Directory) QueueID(queue string) int { q, _ := d.D.Queue(queue); return q.ID }

type metrics struct {
	finished, commitErrors, resyncs prometheus.Counter
	commitDelay                     prometheus.Histogram
	live                            prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		finished: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "callctl", Subsystem: "cdr", Name: "calls_finished_total",
			Help: "Finished calls saved."}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "callctl", Subsystem: "cdr", Name: "commit_errors_total",
			Help: "Failed attempts to save finished calls (they are kept and retried)."}),
		resyncs: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "callctl", Subsystem: "cdr", Name: "resyncs_total",
			Help: "Resynchronisations with Asterisk's channel list."}),
		commitDelay: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "callctl", Subsystem: "cdr", Name: "commit_delay_seconds",
			Help: "Time from a call's last event to its commit.", Buckets: []float64{.0005, .001, .002, .003, .004, .005, .0075, .01, .015, .02, .03, .05, .1, .25, .5, 1}}),
		live: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "callctl", Subsystem: "cdr", Name: "live_calls",
			Help: "Calls in progress."}),
	}
	if reg != nil {
		reg.MustRegister(m.finished, m.commitErrors, m.resyncs, m.commitDelay, m.live)
	}
	return m
}
