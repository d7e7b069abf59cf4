package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
)

func TestSecondOpenIsRefusedClearly(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = store.Open(dir, &store.Options{LockTimeout: 100 * time.Millisecond})
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
}

func TestMigratedOnceAndReopened(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var id uint64
	db.Update(func(tx *store.Tx) error {
		id, err = tx.NextID(store.BucketCDRs)
		return tx.PutJSON(store.BucketCDRs, store.IDKey(id), map[string]int{"x": 1})
	})
	db.Close()

	db, err = store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *store.Tx) error {
		if v := tx.SchemaVersion(); v != store.Migrations[len(store.Migrations)-1].Version {
			t.Errorf("schema version %d", v)
		}
		var got map[string]int
		if ok, err := tx.GetJSON(store.BucketCDRs, store.IDKey(id), &got); !ok || err != nil || got["x"] != 1 {
			t.Errorf("record lost: %v %v %v", ok, err, got)
		}
		return nil
	})
}

func TestIDsAndTimeKeysSortInOrder(t *testing.T) {
	db := storetest.New(t)
	base := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	err := db.Update(func(tx *store.Tx) error {
		for i := 0; i < 300; i++ {
			id, _ := tx.NextID(store.BucketCDRs)
			// Insert out of time order.
			at := base.Add(time.Duration((i*7919)%300) * time.Second)
			if err := tx.Put(store.BucketCDRByTime, store.TimeKey(at, id), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var last []byte
	n := 0
	db.View(func(tx *store.Tx) error {
		return tx.Scan(store.BucketCDRByTime, store.TimePrefix(base.Add(100*time.Second)), store.TimePrefix(base.Add(200*time.Second)), func(k, v []byte) (bool, error) {
			if last != nil && string(k) <= string(last) {
				t.Fatalf("keys out of order")
			}
			last = append(last[:0], k...)
			n++
			return true, nil
		})
	})
	if n != 100 {
		t.Errorf("scanned %d keys in a 100 s window, want 100", n)
	}
	// Times before 1970 still sort before later ones.
	if string(store.TimeKey(time.Unix(-5, 0), 1)) >= string(store.TimeKey(time.Unix(5, 0), 1)) {
		t.Error("negative times sort after positive ones")
	}
}

func TestFailedUpdateChangesNothing(t *testing.T) {
	db := storetest.New(t)
	boom := errors.New("boom")
	err := db.Update(func(tx *store.Tx) error {
		tx.Put(store.BucketUsers, []byte("alice"), []byte("x"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	db.View(func(tx *store.Tx) error {
		if v, _ := tx.Get(store.BucketUsers, []byte("alice")); v != nil {
			t.Error("rolled-back write is visible")
		}
		return nil
	})
}

func TestSecretIsCreatedOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var first, again []byte
	db.Update(func(tx *store.Tx) error { first, err = tx.GetSecret("k", 32); return err })
	db.Update(func(tx *store.Tx) error { again, err = tx.GetSecret("k", 32); return err })
	db.Close()
	if len(first) != 32 || string(first) != string(again) {
		t.Fatalf("secret changed: %x %x", first, again)
	}
	db, _ = store.Open(dir, nil)
	defer db.Close()
	db.Update(func(tx *store.Tx) error { again, err = tx.GetSecret("k", 32); return err })
	if string(first) != string(again) {
		t.Fatal("secret changed after reopening")
	}
	if err := db.Update(func(tx *store.Tx) error { _, err := tx.GetSecret("k", 16); return err }); err == nil {
		t.Fatal("a secret of another size was accepted")
	}
}

func TestOnCommitRunsOnlyAfterCommit(t *testing.T) {
	db := storetest.New(t)
	var ran []string
	db.Update(func(tx *store.Tx) error { tx.OnCommit(func() { ran = append(ran, "ok") }); return nil })
	db.Update(func(tx *store.Tx) error {
		tx.OnCommit(func() { ran = append(ran, "rolled back") })
		return errors.New("no")
	})
	if len(ran) != 1 || ran[0] != "ok" {
		t.Fatalf("ran %v", ran)
	}
}
