// Package cdrstore keeps finished calls (cdr.Record) in the store: the
// records by id, indexes by start time, by extension and by sub-record id,
// the calls in progress across daemon restarts, and the id sequence.
// It is the only writer of the cdr bucket family.
package cdrstore

import (
	"fmt"
	"sync"
	"time"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/store"
)

// Save writes r and its indexes. Call it inside the Update that also writes
// what must follow the record (webhook deliveries).
func Save(tx *store.Tx, r *cdr.Record) error {
	key := store.IDKey(r.ID)
	if err := tx.PutJSON(store.BucketCDRs, key, r); err != nil {
		return err
	}
	tk := store.TimeKey(r.Start, r.ID)
	if err := tx.Put(store.BucketCDRByTime, tk, nil); err != nil {
		return err
	}
	for _, ext := range extensions(r) {
		if err := tx.Put(store.BucketCDRByExten, extenKey(ext, tk), nil); err != nil {
			return err
		}
	}
	for _, l := range r.Legs {
		if err := tx.Put(store.BucketCDRByLeg, store.IDKey(l.ID), key); err != nil {
			return err
		}
	}
	return nil
}

// extensions lists the lines a record concerns, once each.
func extensions(r *cdr.Record) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if r.Direction == cdr.Outbound {
		add(r.Exten)
	}
	if r.Internal {
		add(r.AnsweredBy)
	}
	for _, l := range r.Legs {
		if l.Kind != cdr.KindFlow && l.Kind != cdr.KindExternal {
			add(l.Exten)
		}
	}
	return out
}

func extenKey(ext string, timeKey []byte) []byte {
	return append(append([]byte(ext), 0), timeKey...)
}

// Get returns the record with id, or the record one of whose sub-records has id.
func Get(tx *store.Tx, id uint64) (cdr.Record, bool, error) {
	var r cdr.Record
	ok, err := tx.GetJSON(store.BucketCDRs, store.IDKey(id), &r)
	if ok || err != nil {
		return r, ok, err
	}
	main, err := tx.Get(store.BucketCDRByLeg, store.IDKey(id))
	if err != nil || main == nil {
		return r, false, err
	}
	ok, err = tx.GetJSON(store.BucketCDRs, main, &r)
	return r, ok, err
}

// Put rewrites an existing record (its start time and lines must not change).
func Put(tx *store.Tx, r *cdr.Record) error {
	return tx.PutJSON(store.BucketCDRs, store.IDKey(r.ID), r)
}

// Filter selects records for List.
type Filter struct {
	Since, Until time.Time // start time in [Since, Until); zero: open
	Exten        string    // only calls this line took part in
	Limit        int       // newest first; 0: 100
}

// List returns records newest first.
func List(tx *store.Tx, f Filter) ([]cdr.Record, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var from, to []byte
	if !f.Since.IsZero() {
		from = store.TimePrefix(f.Since)
	}
	if !f.Until.IsZero() {
		to = store.TimePrefix(f.Until)
	}
	bucket := store.BucketCDRByTime
	if f.Exten != "" {
		bucket = store.BucketCDRByExten
		prefix := extenKey(f.Exten, nil)
		from = append(prefix, from...)
		if to != nil {
			to = append(append([]byte(nil), prefix...), to...)
		} else {
			to = append(append([]byte(nil), prefix[:len(prefix)-1]...), 1) // just past the extension's keys
		}
	}
	var out []cdr.Record
	err := tx.ScanReverse(bucket, from, to, func(k, _ []byte) (bool, error) {
		var r cdr.Record
		ok, err := tx.GetJSON(store.BucketCDRs, store.IDKey(store.TimeKeyID(k)), &r)
		if err != nil {
			return false, err
		}
		if ok {
			out = append(out, r)
		}
		return len(out) < f.Limit, nil
	})
	return out, err
}

var liveKey = []byte("state")

// SaveLive stores the calls in progress.
func SaveLive(tx *store.Tx, s cdr.State) error {
	return tx.PutJSON(store.BucketLiveCalls, liveKey, s)
}

// LoadLive returns the calls that were in progress when the daemon stopped.
func LoadLive(tx *store.Tx) (cdr.State, error) {
	var s cdr.State
	_, err := tx.GetJSON(store.BucketLiveCalls, liveKey, &s)
	return s, err
}

// IDs hands out record ids from the database's sequence, reserving them in
// blocks so that most ids cost no write. Ids of a block not used before a
// crash are skipped, never reused. Safe for concurrent use.
type IDs struct {
	db        *store.DB
	block     uint64
	mu        sync.Mutex
	next, end uint64
	err       error
}

// NewIDs returns an id source over db.
func NewIDs(db *store.DB) *IDs { return &IDs{db: db, block: 64} }

// NextID returns the next id. If the database cannot be written it keeps
// counting past the last reserved block, and Err reports why.
func (s *IDs) NextID() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next == s.end {
		var first uint64
		err := s.db.Update(func(tx *store.Tx) error {
			var err error
			first, err = tx.ReserveIDs(store.BucketCDRs, s.block)
			return err
		})
		if err != nil {
			s.err = fmt.Errorf("cdrstore: reserving ids: %w", err)
			s.end += s.block
		} else {
			s.next, s.end = first, first+s.block
		}
	}
	id := s.next
	s.next++
	return id
}

// Err reports the last failure to reserve ids.
func (s *IDs) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
