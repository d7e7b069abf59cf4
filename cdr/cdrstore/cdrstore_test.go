package cdrstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
)

func rec(id uint64, start time.Time, exten string, legs ...string) cdr.Record {
	r := cdr.Record{ID: id, Direction: cdr.Inbound, Start: start, Hangup: start.Add(time.Minute), Exten: exten}
	for i, l := range legs {
		r.Legs = append(r.Legs, cdr.Leg{ID: id*100 + uint64(i), Exten: l, Kind: cdr.KindDirect})
	}
	return r
}

func TestSaveGetListByTimeAndExtension(t *testing.T) {
	db := storetest.New(t)
	base := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	recs := []cdr.Record{
		rec(1, base, "1001", "1001"),
		rec(2, base.Add(time.Hour), "1002", "1001", "1002"),
		rec(3, base.Add(2*time.Hour), "1003", "1003"),
		rec(4, base.Add(-time.Hour), "10011", "10011"), // a number with 1001 as prefix
	}
	err := db.Update(func(tx *store.Tx) error {
		for i := range recs {
			if err := cdrstore.Save(tx, &recs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *store.Tx) error {
		if r, ok, _ := cdrstore.Get(tx, 2); !ok || r.ID != 2 {
			t.Errorf("Get(2) = %v %v", r.ID, ok)
		}
		if r, ok, _ := cdrstore.Get(tx, 201); !ok || r.ID != 2 {
			t.Errorf("Get(sub-record 201) = %v %v, want the main record 2", r.ID, ok)
		}
		if _, ok, _ := cdrstore.Get(tx, 999); ok {
			t.Error("Get(999) found something")
		}
		ids := func(f cdrstore.Filter) []uint64 {
			rs, err := cdrstore.List(tx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []uint64
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return out
		}
		for _, c := range []struct {
			f    cdrstore.Filter
			want []uint64
		}{
			{cdrstore.Filter{}, []uint64{3, 2, 1, 4}},
			{cdrstore.Filter{Since: base, Until: base.Add(2 * time.Hour)}, []uint64{2, 1}},
			{cdrstore.Filter{Exten: "1001"}, []uint64{2, 1}},
			{cdrstore.Filter{Exten: "1001", Since: base.Add(time.Minute)}, []uint64{2}},
			{cdrstore.Filter{Exten: "10011"}, []uint64{4}},
			{cdrstore.Filter{Limit: 1}, []uint64{3}},
		} {
			if got := ids(c.f); !equal(got, c.want) {
				t.Errorf("List(%+v) = %v, want %v", c.f, got, c.want)
			}
		}
		return nil
	})
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Ids are never handed out twice: not across a reopen (a crash), and not
// when reserving a block fails (the failed reservation is rolled back and
// its ids never handed out; the next one takes fresh ids).
func TestIDsAreUniqueAcrossReopenAndFailures(t *testing.T) {
	dir := t.TempDir()
	seen := map[uint64]bool{}
	failures := 0
	for round := 0; round < 3; round++ {
		db, err := store.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids := cdrstore.NewIDs(8)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { // the committer's part: reserve when asked, failing every other try
			defer close(done)
			attempt := 0
			for {
				select {
				case <-stop:
					return
				case <-ids.Wanted:
				case <-time.After(5 * time.Millisecond):
				}
				if !ids.Needed() {
					continue
				}
				attempt++
				var block [2]uint64
				err := db.Update(func(tx *store.Tx) error {
					var err error
					if block, err = ids.Reserve(tx); err != nil {
						return err
					}
					if attempt%2 == 1 {
						return errors.New("injected: the disk is full")
					}
					return nil
				})
				if err != nil {
					failures++
					continue
				}
				ids.Add(block)
			}
		}()
		for i := 0; i < 100; i++ {
			id := ids.NextID()
			if seen[id] || id == 0 {
				t.Fatalf("id %d handed out twice", id)
			}
			seen[id] = true
		}
		close(stop)
		<-done
		db.Close()
	}
	if failures == 0 {
		t.Fatal("no reservation failed: the test injected nothing")
	}
}

func TestAdminCommands(t *testing.T) {
	db := storetest.New(t)
	r := rec(7, time.Now(), "1000")
	db.Update(func(tx *store.Tx) error { return cdrstore.Save(tx, &r) })
	cmds := map[string]admin.Command{}
	for _, c := range cdrstore.AdminCommands() {
		cmds[c.Name] = c
	}
	out, err := cmds["cdr show"].Run(context.Background(), db, json.RawMessage(`{"id":7}`))
	if err != nil || out.(cdr.Record).ID != 7 {
		t.Fatalf("show: %v %v", out, err)
	}
	if _, err := cmds["cdr show"].Run(context.Background(), db, json.RawMessage(`{"id":8}`)); err == nil {
		t.Fatal("show of an unknown id succeeded")
	}
	out, err = cmds["cdr list"].Run(context.Background(), db, nil)
	if err != nil || len(out.([]cdr.Record)) != 1 {
		t.Fatalf("list: %v %v", out, err)
	}
}
