package webhook

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/callctl/callctl/store"
)

// LogFilter selects deliveries for Log.
type LogFilter struct {
	Client string `json:"client,omitempty"` // "": every client
	Failed bool   `json:"failed,omitempty"` // only the ones failed for good
	Limit  int    `json:"limit,omitempty"`  // newest first; 0: 100
}

// Log returns deliveries newest first: pending and failed ones from the
// outbox, delivered ones from the delivery log.
func (o *Outbox) Log(f LogFilter) ([]Delivery, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var out []Delivery
	collect := func(tx *store.Tx, bucket string) error {
		n := 0
		return tx.ScanReverse(bucket, nil, nil, func(k, v []byte) (bool, error) {
			var d Delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return false, fmt.Errorf("webhook: %s %x: %w", bucket, k, err)
			}
			if (f.Client == "" || d.Client == f.Client) && (!f.Failed || d.State == StateFailed) {
				out = append(out, d)
				n++
			}
			return n < f.Limit, nil
		})
	}
	err := o.db.View(func(tx *store.Tx) error {
		if err := collect(tx, store.BucketOutbox); err != nil || f.Failed {
			return err
		}
		return collect(tx, store.BucketWebhookLog)
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	if len(out) > f.Limit {
		out = out[:f.Limit]
	}
	if out == nil {
		out = []Delivery{}
	}
	return out, err
}

// Retry makes delivery id due now with a fresh retry schedule: a failed
// one, a pending one waiting for its next attempt, or a delivered one
// (sent again, with the same webhook-id). It returns the delivery.
func (o *Outbox) Retry(id uint64) (Delivery, error) {
	var d Delivery
	err := o.db.Update(func(tx *store.Tx) error {
		key := store.IDKey(id)
		ok, err := tx.GetJSON(store.BucketOutbox, key, &d)
		if err != nil {
			return err
		}
		if !ok {
			if ok, err = tx.GetJSON(store.BucketWebhookLog, key, &d); err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("%w: %d", ErrNoDelivery, id)
			}
			if err := tx.Delete(store.BucketWebhookLog, key); err != nil {
				return err
			}
			tx.OnCommit(func() { o.logCount.Add(-1) })
		}
		o.requeue(tx, &d)
		return tx.PutJSON(store.BucketOutbox, key, &d)
	})
	return d, err
}

// RetryFailed makes every failed delivery of client name due now; it
// returns how many.
func (o *Outbox) RetryFailed(name string) (int, error) {
	n := 0
	err := o.db.Update(func(tx *store.Tx) error {
		var failed []Delivery
		err := tx.Scan(store.BucketOutbox, nil, nil, func(k, v []byte) (bool, error) {
			var d Delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return false, err
			}
			if d.State == StateFailed && d.Client == name {
				failed = append(failed, d)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		for i := range failed {
			o.requeue(tx, &failed[i])
			if err := tx.PutJSON(store.BucketOutbox, store.IDKey(failed[i].ID), &failed[i]); err != nil {
				return err
			}
		}
		n = len(failed)
		return nil
	})
	return n, err
}

func (o *Outbox) requeue(tx *store.Tx, d *Delivery) {
	d.State, d.Attempts, d.Next, d.Done = StatePending, 0, time.Now(), time.Time{}
	cp := *d
	tx.OnCommit(func() { o.sched.requeue(&cp) })
}
