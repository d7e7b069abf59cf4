// Package cdrfeed runs the CDR engine in the daemon: it feeds the AMI event
// stream to a cdr.Tracker, commits each finished call to the store in one
// transaction with whatever must follow it, keeps a snapshot of the calls in
// progress for the API, resynchronises after a reconnect or lost events, and
// keeps the calls in progress across daemon restarts.
//
// Metrics (namespace callctl, subsystem cdr): calls_finished_total,
// commit_delay_seconds (from a call's last event to its commit),
// commit_errors_total, resyncs_total, live_calls.
package cdrfeed

import (
	"context"
	"errors"
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
}

// DefaultConfig has no rates.
func DefaultConfig() Config { return Config{LiveSaveInterval: time.Second} }

// Feed is the running CDR engine.
type Feed struct {
	cfg     Config
	ami     AMI
	sub     *ami.Subscription
	db      *store.DB
	ids     *cdrstore.IDs
	tracker *cdr.Tracker
	log     zerolog.Logger
	m       *metrics
	live    atomic.Pointer[[]cdr.LiveCall]

	// OnFinished runs inside the transaction that saves a finished call;
	// an error rolls the call back and it is retried. The webhook outbox
	// hooks in here.
	OnFinished func(tx *store.Tx, r *cdr.Record) error
}

// New subscribes to the AMI events at once (so that none is missed before
// Run) and loads the calls that were in progress when the daemon stopped.
func New(cfg Config, a AMI, db *store.DB, dir *pbx.Directory, log zerolog.Logger, reg prometheus.Registerer) (*Feed, error) {
	rates, err := cdr.NewRateTable(cfg.Rates)
	if err != nil {
		return nil, err
	}
	if cfg.LiveSaveInterval <= 0 {
		cfg.LiveSaveInterval = time.Second
	}
	f := &Feed{cfg: cfg, ami: a, db: db, ids: cdrstore.NewIDs(db), log: log.With().Str("pkg", "cdr").Logger(), m: newMetrics(reg)}
	f.tracker = cdr.NewTracker(cdr.Options{Directory: Directory{dir}, IDs: f.ids, Rates: rates})
	var state cdr.State
	if err := db.View(func(tx *store.Tx) error {
		state, err = cdrstore.LoadLive(tx)
		return err
	}); err != nil {
		return nil, err
	}
	f.tracker.Restore(state)
	if n := len(state.Calls); n > 0 {
		f.log.Info().Int("calls", n).Msg("calls in progress when callctl stopped: resynchronising when Asterisk answers")
	}
	f.publish()
	f.sub = a.Subscribe("cdr", 0)
	return f, nil
}

// Live returns the calls in progress (a snapshot; do not modify).
func (f *Feed) Live() []cdr.LiveCall { return *f.live.Load() }

func (f *Feed) publish() {
	calls := f.tracker.Live()
	f.live.Store(&calls)
	f.m.live.Set(float64(len(calls)))
}

// Run applies events until ctx ends, then commits what is pending and saves
// the calls in progress.
func (f *Feed) Run(ctx context.Context) error {
	defer f.sub.Close()
	var pending []cdr.Record
	dirty, resync := false, false
	tick := time.NewTicker(f.cfg.LiveSaveInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			f.commit(pending)
			f.saveLive()
			return nil
		case <-tick.C:
			if resync {
				resync = !f.resync(ctx, &pending)
			}
			pending = f.commit(pending)
			if dirty {
				f.saveLive()
				dirty = false
			}
		case m := <-f.sub.C():
			switch m.Event() {
			case ami.EventConnected, ami.EventsLost:
				if m.Event() == ami.EventsLost {
					f.log.Warn().Str("count", m["Count"]).Msg("AMI events lost: resynchronising")
				}
				resync = !f.resync(ctx, &pending)
			}
			if e, ok := cdr.ParseAMI(m); ok {
				pending = append(pending, f.tracker.Apply(&e)...)
				dirty = true
			}
			if len(f.sub.C()) == 0 {
				pending = f.commit(pending)
				f.publish()
			}
		}
	}
}

// resync reconciles the tracker with Asterisk's channels; false means it
// could not ask and must be tried again.
func (f *Feed) resync(ctx context.Context, pending *[]cdr.Record) bool {
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, items, err := f.ami.List(lctx, ami.Action{Name: "CoreShowChannels"})
	if err != nil {
		f.log.Warn().Err(err).Msg("resynchronisation failed; trying again")
		return false
	}
	live := make([]cdr.ChannelSnapshot, len(items))
	for i, it := range items {
		live[i] = cdr.ParseCoreShowChannel(it)
	}
	recs := f.tracker.Resync(time.Now(), live)
	f.m.resyncs.Inc()
	if len(recs) > 0 || len(live) > 0 {
		f.log.Info().Int("closed", len(recs)).Int("channels_up", len(live)).Msg("resynchronised with Asterisk")
	}
	*pending = append(*pending, recs...)
	f.publish()
	return true
}

// commit saves finished calls in one transaction; what cannot be saved is
// returned, to be tried again.
func (f *Feed) commit(recs []cdr.Record) []cdr.Record {
	if len(recs) == 0 {
		return recs
	}
	err := f.db.Update(func(tx *store.Tx) error {
		for i := range recs {
			if err := cdrstore.Save(tx, &recs[i]); err != nil {
				return err
			}
			if f.OnFinished != nil {
				if err := f.OnFinished(tx, &recs[i]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		f.m.commitErrors.Inc()
		f.log.Error().Err(err).Int("calls", len(recs)).Msg("cannot save finished calls; keeping them to try again")
		return recs
	}
	now := time.Now()
	for _, r := range recs {
		f.m.finished.Inc()
		f.m.commitDelay.Observe(now.Sub(r.Hangup).Seconds())
		f.log.Debug().Uint64("id", r.ID).Int("legs", len(r.Legs)).Msg("call saved")
	}
	return recs[:0]
}

func (f *Feed) saveLive() {
	state := f.tracker.State()
	if err := f.db.Update(func(tx *store.Tx) error { return cdrstore.SaveLive(tx, state) }); err != nil && !errors.Is(err, context.Canceled) {
		f.log.Error().Err(err).Msg("cannot save the calls in progress")
	}
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
			Help: "Time from a call's last event to its commit.", Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}}),
		live: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "callctl", Subsystem: "cdr", Name: "live_calls",
			Help: "Calls in progress."}),
	}
	if reg != nil {
		reg.MustRegister(m.finished, m.commitErrors, m.resyncs, m.commitDelay, m.live)
	}
	return m
}
