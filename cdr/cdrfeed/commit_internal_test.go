package cdrfeed

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
)

type countingOutbox struct{ n int }

func (o *countingOutbox) Wants(*cdr.Change) bool { return true }
func (o *countingOutbox) Enqueue(tx *store.Tx, c *cdr.Change) error {
	if c.Kind == cdr.CallFinished {
		o.n++
	}
	return nil
}

// One call, whichever way it came (backfilled from CEL, adopted or
// resynced by the live feed), is saved and delivered once: the first
// record wins. A live record in full is never dropped.
func TestCommitSavesACallOnce(t *testing.T) {
	db := storetest.New(t)
	out := &countingOutbox{}
	c := newCommitter(db, cdrstore.NewIDs(16), zerolog.Nop(), newMetrics(nil), time.Second)
	c.outbox = out
	at := time.Unix(1796194059, 0)
	finished := func(id uint64, r cdr.Record) cdr.Change {
		r.ID, r.Linkedid, r.Start = id, "1796194059.3884", at
		return cdr.Change{Kind: cdr.CallFinished, Call: cdr.CallInfo{ID: id, Linkedid: r.Linkedid}, Record: &r}
	}
	c.add([]cdr.Change{
		finished(1, cdr.Record{Backfilled: true}),
		finished(2, cdr.Record{Adopted: true}),
		finished(3, cdr.Record{Backfilled: true}),
		finished(4, cdr.Record{Resynced: true}),
	})
	if err := c.commit(time.Time{}, true); err != nil {
		t.Fatal(err)
	}
	var recs []cdr.Record
	db.View(func(tx *store.Tx) error {
		var err error
		recs, err = cdrstore.List(tx, cdrstore.Filter{})
		return err
	})
	if len(recs) != 1 || recs[0].ID != 1 || out.n != 1 {
		t.Fatalf("%d records (%+v), %d deliveries; want record 1 once", len(recs), recs, out.n)
	}
	c.add([]cdr.Change{finished(5, cdr.Record{})})
	if err := c.commit(time.Time{}, true); err != nil {
		t.Fatal(err)
	}
	if out.n != 2 {
		t.Errorf("a live record was not saved: %d deliveries", out.n)
	}
}
