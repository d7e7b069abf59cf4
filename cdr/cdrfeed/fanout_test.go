package cdrfeed

import (
	"testing"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/store"
)

type wantKinds struct {
	kinds map[cdr.ChangeKind]bool
	got   []cdr.ChangeKind
}

func (w *wantKinds) Wants(c *cdr.Change) bool { return w.kinds[c.Kind] }
func (w *wantKinds) Enqueue(_ *store.Tx, c *cdr.Change) error {
	w.got = append(w.got, c.Kind)
	return nil
}

// Each outbox enqueues what it wants, and every finished call.
func TestOutboxesFanOut(t *testing.T) {
	a := &wantKinds{kinds: map[cdr.ChangeKind]bool{cdr.CallArrived: true}}
	b := &wantKinds{kinds: map[cdr.ChangeKind]bool{cdr.LegRinging: true}}
	o := Outboxes(a, nil, b)
	for _, k := range []cdr.ChangeKind{cdr.CallArrived, cdr.LegRinging, cdr.LegAnswered, cdr.CallFinished} {
		c := &cdr.Change{Kind: k}
		if want := k == cdr.CallArrived || k == cdr.LegRinging; o.Wants(c) != want {
			t.Errorf("Wants(%s) = %v", k, !want)
		}
		if err := o.Enqueue(nil, c); err != nil {
			t.Fatal(err)
		}
	}
	if len(a.got) != 2 || a.got[0] != cdr.CallArrived || a.got[1] != cdr.CallFinished ||
		len(b.got) != 2 || b.got[0] != cdr.LegRinging || b.got[1] != cdr.CallFinished {
		t.Errorf("a got %v, b got %v", a.got, b.got)
	}
	if Outboxes(a) != Outbox(a) {
		t.Error("one outbox is not wrapped")
	}
}
