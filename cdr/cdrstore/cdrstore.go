// Package cdrstore keeps finished calls (cdr.Record) in the store: the
// records by id, indexes by start time, by extension and by sub-record id,
// the calls in progress across daemon restarts, and the id sequence.
// It is the only writer of the cdr bucket family.
package cdrstore

import (
	"encoding/json"
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
	if r.Linkedid != "" {
		if err := tx.Put(store.BucketCDRByLinkedid, []byte(r.Linkedid), key); err != nil {
			return err
		}
	}
	return nil
}

// HasLinkedid reports whether a finished call with this linkedid is saved.
func HasLinkedid(tx *store.Tx, linkedid string) (bool, error) {
	v, err := tx.Get(store.BucketCDRByLinkedid, []byte(linkedid))
	return v != nil, err
}

// lastEventKey keeps the time of the last AMI event the feed processed:
// backfill reads CEL from there.
var lastEventKey = []byte("last_event")

// SaveLastEvent stores the time of the last AMI event processed.
func SaveLastEvent(tx *store.Tx, t time.Time) error {
	b, err := t.MarshalText()
	if err != nil {
		return err
	}
	return tx.Put(store.BucketLiveCalls, lastEventKey, b)
}

// LoadLastEvent returns the time SaveLastEvent stored (zero: none).
func LoadLastEvent(tx *store.Tx) (time.Time, error) {
	var t time.Time
	b, err := tx.Get(store.BucketLiveCalls, lastEventKey)
	if err != nil || b == nil {
		return t, err
	}
	err = t.UnmarshalText(b)
	return t, err
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

// liveKey is where callctl before per-call saving kept every call in
// progress at once; LoadLive still reads it.
var liveKey = []byte("state")

// SaveLiveCall stores one call in progress under its linkedid; nil removes it.
func SaveLiveCall(tx *store.Tx, linkedid string, s *cdr.CallState) error {
	key := []byte("call/" + linkedid)
	if s == nil {
		return tx.Delete(store.BucketLiveCalls, key)
	}
	return tx.PutJSON(store.BucketLiveCalls, key, s)
}

// LoadLive returns the calls that were in progress when the daemon stopped.
func LoadLive(tx *store.Tx) (cdr.State, error) {
	var s cdr.State
	if _, err := tx.GetJSON(store.BucketLiveCalls, liveKey, &s); err != nil {
		return s, err
	}
	err := tx.Scan(store.BucketLiveCalls, []byte("call/"), []byte("call0"), func(k, v []byte) (bool, error) {
		var cs cdr.CallState
		if err := json.Unmarshal(v, &cs); err != nil {
			return false, fmt.Errorf("cdrstore: live call %s: %w", k, err)
		}
		s.Add(cs)
		return true, nil
	})
	return s, err
}

// DropLegacyLive removes the all-calls-at-once key of older versions once
// its calls are saved one by one.
func DropLegacyLive(tx *store.Tx) error { return tx.Delete(store.BucketLiveCalls, liveKey) }

// IDs hands out record ids (main and sub-records share one sequence) from
// blocks reserved in the store's sequence. A block is reserved inside a
// commit transaction (Reserve) and handed out only once that transaction
// has committed (Add), so an id is never handed out twice, even across a
// crash: ids of a block not used before a crash are skipped. When no
// reserved id is left, NextID waits for the next block: a store that
// cannot be written stops the allocation instead of inventing ids. Safe
// for concurrent use.
type IDs struct {
	block uint64
	// Wanted is signalled (without blocking) when a new block is needed.
	Wanted chan struct{}

	mu      sync.Mutex
	cond    *sync.Cond
	ranges  [][2]uint64 // reserved [first, end) not handed out yet
	pending bool        // a block was asked for and not added yet
	waiting bool        // NextID is waiting for a block
}

// NewIDs returns an empty id source that reserves block ids at a time.
func NewIDs(block uint64) *IDs {
	s := &IDs{block: block, Wanted: make(chan struct{}, 1)}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// NextID returns the next id, waiting for a block if none is left.
func (s *IDs) NextID() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.ranges) == 0 {
		s.ask()
		s.waiting = true
		s.cond.Wait()
	}
	s.waiting = false
	r := &s.ranges[0]
	id := r[0]
	r[0]++
	if r[0] == r[1] {
		s.ranges = s.ranges[1:]
	}
	if s.left() < s.block/2 {
		s.ask()
	}
	return id
}

// Waiting reports whether NextID is blocked for want of ids (the store
// cannot be written).
func (s *IDs) Waiting() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting
}

func (s *IDs) left() uint64 {
	var n uint64
	for _, r := range s.ranges {
		n += r[1] - r[0]
	}
	return n
}

// ask requests a block once (s.mu held).
func (s *IDs) ask() {
	if s.pending {
		return
	}
	s.pending = true
	select {
	case s.Wanted <- struct{}{}:
	default:
	}
}

// Needed reports whether a block should be reserved now.
func (s *IDs) Needed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending
}

// Reserve takes a block of the sequence inside tx. Hand the result to Add
// once tx has committed, never before.
func (s *IDs) Reserve(tx *store.Tx) ([2]uint64, error) {
	first, err := tx.ReserveIDs(store.BucketCDRs, s.block)
	if err != nil {
		return [2]uint64{}, fmt.Errorf("cdrstore: reserving ids: %w", err)
	}
	return [2]uint64{first, first + s.block}, nil
}

// Add makes a committed block available.
func (s *IDs) Add(r [2]uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ranges = append(s.ranges, r)
	s.pending = false
	s.cond.Broadcast()
}
