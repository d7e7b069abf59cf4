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
// a commit never holds up the events: finished calls and the other changes
// the outbox wants (each with the deliveries it causes, in the same
// transaction), the changed calls in progress, and the id blocks the
// tracker needs. Work that arrives while a commit
// runs goes into the next one (group commit), so a finished call waits at
// most about two commits.
type committer struct {
	db       *store.DB
	ids      *cdrstore.IDs
	log      zerolog.Logger
	m        *metrics
	outbox   Outbox        // nil: none
	interval time.Duration // how often calls in progress are saved

	wake chan struct{}

	mu      sync.Mutex
	records []pendingChange
	saves   map[string]*cdr.CallState // by linkedid; nil: delete
	// lastEvent is the time of the last AMI event, saved with the next
	// saves (zero: unchanged).
	lastEvent time.Time
	legacy    bool // the all-calls key of older versions is still there
}

// pendingChange is a change (a finished call, or a change the outbox
// wants) waiting for its commit.
type pendingChange struct {
	change   cdr.Change
	attempts int
	next     time.Time // not before (after a failure of its own)
}

// linkedid is the call the change belongs to.
func (p *pendingChange) linkedid() string { return p.change.Call.Linkedid }

func newCommitter(db *store.DB, ids *cdrstore.IDs, log zerolog.Logger, m *metrics, interval time.Duration) *committer {
	return &committer{db: db, ids: ids, log: log, m: m, interval: interval,
		wake: make(chan struct{}, 1), saves: map[string]*cdr.CallState{}}
}

// add queues changes to commit.
func (c *committer) add(changes []cdr.Change) {
	if len(changes) == 0 {
		return
	}
	c.mu.Lock()
	for _, ch := range changes {
		c.records = append(c.records, pendingChange{change: ch})
	}
	c.mu.Unlock()
	c.signal()
}

// addSave queues the state of a call in progress (nil: the call is over)
// for the next commit; the feed hands them over once a save interval.
func (c *committer) addSave(linkedid string, s *cdr.CallState) {
	c.mu.Lock()
	c.saves[linkedid] = s
	c.mu.Unlock()
}

// setLastEvent queues the time of the last AMI event for the next save.
func (c *committer) setLastEvent(t time.Time) {
	c.mu.Lock()
	c.lastEvent = t
	c.mu.Unlock()
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
	tick := time.NewTicker(c.interval) // retries after failures
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return c.final()
		case <-c.wake:
		case <-c.ids.Wanted:
		case <-tick.C:
		}
		c.commit(time.Now(), true)
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
	// A change waiting after a failure holds the later changes of its call
	// back: a call's changes are committed in their order.
	var due, later []pendingChange
	held := map[string]bool{}
	for _, p := range c.records {
		if !held[p.linkedid()] && (now.IsZero() || !now.Before(p.next)) {
			due = append(due, p)
		} else {
			held[p.linkedid()] = true
			later = append(later, p)
		}
	}
	var saves map[string]*cdr.CallState
	var lastEvent time.Time
	if saveNow && (len(c.saves) > 0 || !c.lastEvent.IsZero()) {
		saves, c.saves = c.saves, map[string]*cdr.CallState{}
		lastEvent, c.lastEvent = c.lastEvent, time.Time{}
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
			if err := c.save(tx, &due[i].change); err != nil {
				return err
			}
		}
		if !lastEvent.IsZero() {
			if err := cdrstore.SaveLastEvent(tx, lastEvent); err != nil {
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
		if c.lastEvent.IsZero() {
			c.lastEvent = lastEvent
		}
		c.mu.Unlock()
	}
	var failed []pendingChange
	var lastErr error = err
	failedCall := map[string]bool{}
	for _, p := range due {
		if failedCall[p.linkedid()] {
			failed = append(failed, p) // behind an earlier change of its call
			continue
		}
		err := c.db.Update(func(tx *store.Tx) error { return c.save(tx, &p.change) })
		if err == nil {
			c.done([]pendingChange{p})
			continue
		}
		lastErr = err
		failedCall[p.linkedid()] = true
		p.attempts++
		p.next = time.Now().Add(backoff(p.attempts))
		failed = append(failed, p)
		c.log.Error().Err(err).Uint64("id", p.change.Call.ID).Str("linkedid", p.linkedid()).Str("change", p.change.Kind.String()).
			Int("attempts", p.attempts).Msg("cannot save a change of a call; will try again")
	}
	// Failed changes go back before those that waited meanwhile, in order.
	c.mu.Lock()
	c.records = append(failed, c.records...)
	c.mu.Unlock()
	if len(failed) == 0 && !wantIDs && saves == nil {
		return nil
	}
	return lastErr
}

// save writes one change: a finished call's record and the removal of its
// state in progress, and the deliveries the change causes.
func (c *committer) save(tx *store.Tx, ch *cdr.Change) error {
	if r := ch.Record; ch.Kind == cdr.CallFinished {
		if r.Backfilled || r.Adopted || r.Resynced {
			// A call rebuilt from CEL, or one the live feed saw only in
			// part (a call that ended just as callctl logged in can be
			// both), is saved once: the first record wins.
			if has, err := cdrstore.HasLinkedid(tx, r.Linkedid); err != nil || has {
				if has {
					c.log.Debug().Str("linkedid", r.Linkedid).Bool("backfilled", r.Backfilled).Msg("call already saved: dropped")
					return cdrstore.SaveLiveCall(tx, r.Linkedid, nil)
				}
				return err
			}
		}
		if err := cdrstore.Save(tx, r); err != nil {
			return err
		}
		if err := cdrstore.SaveLiveCall(tx, r.Linkedid, nil); err != nil {
			return err
		}
	}
	if c.outbox != nil {
		return c.outbox.Enqueue(tx, ch)
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

func (c *committer) done(ps []pendingChange) {
	now := time.Now()
	for _, p := range ps {
		if r := p.change.Record; r != nil {
			c.m.finished.Inc()
			c.m.commitDelay.Observe(now.Sub(r.Hangup).Seconds())
			c.log.Debug().Uint64("id", r.ID).Int("legs", len(r.Legs)).Msg("call saved")
		}
	}
}

// backoff is the wait before a failed call is tried again: 1 s doubling
// up to a minute.
func backoff(attempts int) time.Duration {
	d := time.Second << min(attempts-1, 6)
	return min(d, time.Minute)
}
