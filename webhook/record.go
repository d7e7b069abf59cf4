package webhook

import (
	"errors"
	"time"

	"github.com/callctl/callctl/store"
)

// maxBatch bounds the results recorded in one transaction.
const maxBatch = 512

// outcome is what a result means for its delivery.
type outcome struct {
	r        result
	state    string // StateDelivered, StateFailed, StatePending (retry); "" interrupted
	reason   Reason
	status   int
	text     string
	next     time.Time
	attempts int
}

// classify turns an attempt's result into the delivery's next state: the
// transport said whether a failure may succeed later; the client's
// schedule says when, and when to give up.
func classify(r result) outcome {
	out := outcome{r: r, attempts: r.it.attempts + 1, reason: ReasonOK, state: StateDelivered, status: r.status}
	if r.err == nil {
		return out
	}
	var se *SendError
	if !errors.As(r.err, &se) {
		se = &SendError{Reason: ReasonRender, Err: r.err}
	}
	out.reason, out.status, out.text = se.Reason, se.Status, se.Error()
	switch {
	case se.Reason == ReasonShutdown:
		out.state = ""
	case se.Reason == ReasonGone:
		out.state = StateFailed
	case !se.Retry:
		out.state = StateFailed
	default:
		wait, ok := nextWait(r.schedule, out.attempts, se.After)
		if !ok {
			out.state, out.text = StateFailed, out.text+" (retries exhausted)"
		} else {
			out.state, out.next = StatePending, r.at.Add(r.dur).Add(wait)
		}
	}
	return out
}

// recordLoop writes results in group commits: whatever arrived while the
// previous commit ran goes into the next one. It returns when results is
// closed and drained.
func (o *Outbox) recordLoop() {
	batch := make([]outcome, 0, maxBatch)
	for r := range o.results {
		batch = append(batch[:0], classify(r))
	more:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-o.results:
				if !ok {
					break more
				}
				batch = append(batch, classify(r))
			default:
				break more
			}
		}
		o.record(batch)
	}
}

// record applies a batch to the store, then to the scheduler. While the
// store cannot be written it tries again every second (the deliveries
// stay in their lanes meanwhile); at shutdown it gives up after a few
// tries, and the deliveries are attempted again after the restart.
func (o *Outbox) record(batch []outcome) {
	var err error
	for try := 0; ; try++ {
		if err = o.db.Update(func(tx *store.Tx) error { return o.apply(tx, batch) }); err == nil {
			break
		}
		o.log.Error().Err(err).Int("results", len(batch)).Msg("cannot record delivery results; trying again")
		if try >= 2 && o.stopping() {
			return
		}
		time.Sleep(time.Second)
	}
	now := time.Now()
	for _, out := range batch {
		it := out.r.it
		o.m.attempt(out.r.kind, out.reason, out.r.dur)
		switch out.state {
		case "":
			o.sched.retry(it, it.attempts, it.next, false)
		case StatePending:
			o.sched.retry(it, out.attempts, out.next, true)
		default:
			o.m.final(out.r.kind, out.state)
			o.sched.done(it, out.state == StateDelivered, now)
			if out.state == StateFailed {
				o.log.Warn().Uint64("delivery", it.id).Str("client", it.lane).Str("kind", it.kind).Int("attempts", out.attempts).
					Str("error", out.text).Msg("delivery failed for good (webhook log --failed; webhook retry)")
			}
		}
	}
}

// stopping reports whether Run is shutting down (results closed).
func (o *Outbox) stopping() bool {
	select {
	case <-o.stopped:
		return true
	default:
		return false
	}
}

// apply writes each outcome to its delivery: delivered ones move to the
// log (trimmed to LogSize), failed ones stay in the outbox as failed,
// retries get their attempt count and next time.
func (o *Outbox) apply(tx *store.Tx, batch []outcome) error {
	logCount := int(o.logCount.Load())
	for _, out := range batch {
		if out.state == "" {
			continue
		}
		key := store.IDKey(out.r.it.id)
		var d Delivery
		ok, err := tx.GetJSON(store.BucketOutbox, key, &d)
		if err != nil {
			return err
		}
		if !ok || d.State != StatePending {
			continue // deleted with its client, or retried by hand meanwhile
		}
		d.Attempts = out.attempts
		d.Last = &Attempt{At: out.r.at, Duration: out.r.dur, Reason: out.reason, Status: out.status, Error: out.text}
		d.State = out.state
		switch out.state {
		case StatePending:
			d.Next = out.next
		case StateFailed:
			d.Done, d.Next = out.r.at.Add(out.r.dur), time.Time{}
		case StateDelivered:
			d.Done, d.Next = out.r.at.Add(out.r.dur), time.Time{}
			if err := tx.Delete(store.BucketOutbox, key); err != nil {
				return err
			}
			if o.cfg.LogSize > 0 {
				if err := tx.PutJSON(store.BucketWebhookLog, key, &d); err != nil {
					return err
				}
				logCount++
			}
			continue
		}
		if err := tx.PutJSON(store.BucketOutbox, key, &d); err != nil {
			return err
		}
	}
	// Trim the log, oldest first.
	var trim [][]byte
	if excess := logCount - o.cfg.LogSize; excess > 0 {
		if err := tx.Scan(store.BucketWebhookLog, nil, nil, func(k, _ []byte) (bool, error) {
			trim = append(trim, append([]byte(nil), k...))
			return len(trim) < excess, nil
		}); err != nil {
			return err
		}
	}
	for _, k := range trim {
		if err := tx.Delete(store.BucketWebhookLog, k); err != nil {
			return err
		}
	}
	if added := logCount - int(o.logCount.Load()) - len(trim); added != 0 {
		tx.OnCommit(func() { o.logCount.Add(int64(added)) })
	}
	return nil
}
