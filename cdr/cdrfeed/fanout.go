package cdrfeed

import (
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/store"
)

// Outboxes is several outboxes as one (the webhook outbox and the NATS
// sink): a change is wanted when one of them wants it, and each that wants
// it enqueues its deliveries in the same transaction. Nil entries are
// skipped.
func Outboxes(list ...Outbox) Outbox {
	var out fanout
	for _, o := range list {
		if o != nil {
			out = append(out, o)
		}
	}
	if len(out) == 1 {
		return out[0]
	}
	return out
}

type fanout []Outbox

func (f fanout) Wants(c *cdr.Change) bool {
	for _, o := range f {
		if o.Wants(c) {
			return true
		}
	}
	return false
}

func (f fanout) Enqueue(tx *store.Tx, c *cdr.Change) error {
	for _, o := range f {
		if c.Kind == cdr.CallFinished || o.Wants(c) {
			if err := o.Enqueue(tx, c); err != nil {
				return err
			}
		}
	}
	return nil
}
