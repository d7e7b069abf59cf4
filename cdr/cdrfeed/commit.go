package cdrfeed

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/store"
)

// committer writes what the tracker produced, in its own goroutine so that
// a commit never holds up the events: finished calls (each with whatever
// must follow it in the same transaction), the changed calls in progress,
// and the id blocks the tracker needs. Work that arrives while a commit
// runs goes into the next one (group commit), so a finished call waits at
// most about two commits.
type committer struct {
	db       *store.DB
	ids      *cdrstore.IDs
	log      zerolog.Logger
	m        *metrics
	onSave   func(tx *store.Tx, r *cdr.Record) error
	interval time.Duration // how often calls in progress are saved

	wake chan struct{}

	mu      sync.Mutex
	records []pendingRecord
	saves   map[string]*cdr.CallState // by linkedid; nil: delete
	legacy  bool                      // the all-calls key of older versions is still there
}

// pendingRecord is a finished call waiting for its commit.
type pendingRecord struct {
	rec      cdr.Record
	attempts int
	next     time.Time // not before (after a failure of its own)
}

func newCommitter(db *store.DB, ids *cdrstore.IDs, log zerolog.Logger, m *metrics, interval time.Duration) *committer {
	return &committer{db: db, ids: ids, log: log, m: m, interval: interval,
		wake: make(chan struct{}, 1), saves: map[string]*cdr.CallState{}}
}

// add queues finished calls and changed calls in progress.
func (c *committer) add(recs []cdr.Record, changed []cdr.Changed) {
	if len(recs) == 0 && len(changed) == 0 {
		return
	}
	c.mu.Lock()
	for _, r := range recs {
		c.records = append(c.records, pendingRecord{rec: r})
	}
	for _, ch := range changed {
		c.saves[ch.Linkedid] = ch.Saved
	}
	c.mu.Unlock()
	if len(recs) > 0 {
		c.signal()
	}
}

func (c *committer) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// pending returns the number of finished calls not committed yet.
func (c *committer) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.records)
}

// run commits until ctx ends, then commits what is left.
func (c *committer) run(ctx context.Context) error {
	tick := time.NewTicker(c.interval)
	defer tick.Stop()
	lastSave := time.Now()
	for {
		saveNow := false
		select {
		case <-ctx.Done():
			return c.final()
		case <-c.wake:
		case <-c.ids.Wanted:
		case <-tick.C:
		}
		if time.Since(lastSave) >= c.interval {
			saveNow, lastSave = true, time.Now()
		}
		c.commit(time.Now(), saveNow)
	}
}

// final is the shutdown commit: everything, a few tries.
func (c *committer) final() error {
	var err error
	for i := 0; i < 3; i++ {
		if err = c.commit(time.Time{}, true); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.log.Error().Err(err).Int("calls", c.pending()).Msg("finished calls not saved at shutdown")
	return err
}

// commit writes the due finished calls, the saves when saveNow and an id
// block when one is wanted, in one transaction. If it fails, each finished
// call is tried alone so that one bad record does not hold up the others;
// a call that fails alone is retried later with backoff. now zero: every
// call is due.
func (c *committer) commit(now time.Time, saveNow bool) error {
	c.mu.Lock()
	var due, later []pendingRecord
	for _, p := range c.records {
		if now.IsZero() || !now.Before(p.next) {
			due = append(due, p)
		} else {
			later = append(later, p)
		}
	}
	var saves map[string]*cdr.CallState
	if saveNow && len(c.saves) > 0 {
		saves, c.saves = c.saves, map[string]*cdr.CallState{}
	}
	c.records = later
	c.mu.Unlock()
	wantIDs := c.ids.Needed()
	if len(due) == 0 && saves == nil && !wantIDs {
		return nil
	}

	var block [2]uint64
	err := c.db.Update(func(tx *store.Tx) error {
		if wantIDs {
			var err error
			if block, err = c.ids.Reserve(tx); err != nil {
				return err
			}
		}
		for i := range due {
			if err := c.save(tx, &due[i].rec); err != nil {
				return err
			}
		}
		return c.writeSaves(tx, saves)
	})
	if err == nil {
		if wantIDs {
			c.ids.Add(block)
		}
		c.done(due)
		return nil
	}
	c.m.commitErrors.Inc()
	c.log.Error().Err(err).Int("calls", len(due)).Msg("cannot save finished calls; trying them one by one")
	if saves != nil {
		c.mu.Lock()
		for k, v := range saves {
			if _, newer := c.saves[k]; !newer {
				c.saves[k] = v
			}
		}
		c.mu.Unlock()
	}
	var failed []pendingRecord
	var lastErr error = err
	for _, p := range due {
		err := c.db.Update(func(tx *store.Tx) error { return c.save(tx, &p.rec) })
		if err == nil {
			c.done([]pendingRecord{p})
			continue
		}
		lastErr = err
		p.attempts++
		p.next = time.Now().Add(backoff(p.attempts))
		failed = append(failed, p)
		c.log.Error().Err(err).Uint64("id", p.rec.ID).Str("linkedid", p.rec.Linkedid).Int("attempts", p.attempts).Msg("cannot save a finished call; will try again")
	}
	c.mu.Lock()
	c.records = append(c.records, failed...)
	c.mu.Unlock()
	if len(failed) == 0 && !wantIDs && saves == nil {
		return nil
	}
	return lastErr
}

// save writes one finished call: the record, the removal of its state in
// progress, and what must follow it.
func (c *committer) save(tx *store.Tx, r *cdr.Record) error {
	if err := cdrstore.Save(tx, r); err != nil {
		return err
	}
	if err := cdrstore.SaveLiveCall(tx, r.Linkedid, nil); err != nil {
		return err
	}
	if c.onSave != nil {
		return c.onSave(tx, r)
	}
	return nil
}

func (c *committer) writeSaves(tx *store.Tx, saves map[string]*cdr.CallState) error {
	if saves == nil {
		return nil
	}
	if c.legacy {
		if err := cdrstore.DropLegacyLive(tx); err != nil {
			return err
		}
	}
	for linkedid, s := range saves {
		if err := cdrstore.SaveLiveCall(tx, linkedid, s); err != nil {
			return err
		}
	}
	c.legacy = false
	return nil
}

func (c *committer) done(ps []pendingRecord) {
	now := time.Now()
	for _, p := range ps {
		c.m.finished.Inc()
		c.m.commitDelay.Observe(now.Sub(p.rec.Hangup).Seconds())
		c.log.Debug().Uint64("id", p.rec.ID).Int("legs", len(p.rec.Legs)).Msg("call saved")
	}
}

// backoff is the wait before a failed call is tried again: 1 s doubling
// up to a minute.
func backoff(attempts int) time.Duration {
	d := time.Second << min(attempts-1, 6)
	return min(d, time.Minute)
}
