package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// FileName is the database file inside the data directory.
const FileName = "callctl.db"

var (
	// ErrLocked is returned by Open when another process holds the database.
	ErrLocked = errors.New("store: the database is in use by another callctl process")
	// ErrNewerSchema is returned by Open when the file was written by a newer callctl.
	ErrNewerSchema = errors.New("store: the database was written by a newer callctl")
	// ErrNoBucket is returned when a bucket does not exist (a programming error:
	// buckets are created by migrations).
	ErrNoBucket = errors.New("store: no such bucket")
)

// Options tune Open; nil means the defaults.
type Options struct {
	// LockTimeout is how long Open waits for another process's lock.
	LockTimeout time.Duration
	// ReadOnly opens the file shared, for reading only.
	ReadOnly bool
}

// DB is an open database.
type DB struct {
	bolt *bolt.DB
	path string
}

// Open opens (creating if needed) the database in dir and migrates it.
func Open(dir string, opts *Options) (*DB, error) {
	if opts == nil {
		opts = &Options{}
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	path := filepath.Join(dir, FileName)
	// The freelist is not written on every commit (it is rebuilt when the
	// file is opened): each commit writes fewer pages, as etcd does.
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, ReadOnly: opts.ReadOnly,
		NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%w (%s)", ErrLocked, path)
	}
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", path, err)
	}
	db := &DB{bolt: b, path: path}
	if !opts.ReadOnly {
		if err := db.migrate(); err != nil {
			b.Close()
			return nil, err
		}
	}
	return db, nil
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Close closes the database.
func (db *DB) Close() error { return db.bolt.Close() }

// Tx is a transaction.
type Tx struct{ tx *bolt.Tx }

// View runs fn in a read-only transaction.
func (db *DB) View(fn func(*Tx) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error { return fn(&Tx{tx}) })
}

// Update runs fn in a read-write transaction, committed if fn returns nil.
func (db *DB) Update(fn func(*Tx) error) error {
	return db.bolt.Update(func(tx *bolt.Tx) error { return fn(&Tx{tx}) })
}

// OnCommit runs fn after the transaction has committed (never when it rolls
// back): the place to tell a worker about what the transaction wrote.
func (t *Tx) OnCommit(fn func()) { t.tx.OnCommit(fn) }

// GetSecret returns the random key of n bytes stored under name, creating
// it the first time (for keys callctl signs its own tokens with).
func (t *Tx) GetSecret(name string, n int) ([]byte, error) {
	b, err := t.bucket(BucketSecrets)
	if err != nil {
		return nil, err
	}
	if v := b.Get([]byte(name)); v != nil {
		if len(v) != n {
			return nil, fmt.Errorf("store: secret %s has %d bytes, want %d", name, len(v), n)
		}
		return append([]byte(nil), v...), nil
	}
	key := make([]byte, n)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return key, b.Put([]byte(name), key)
}

func (t *Tx) bucket(name string) (*bolt.Bucket, error) {
	b := t.tx.Bucket([]byte(name))
	if b == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoBucket, name)
	}
	return b, nil
}

// NextID returns the next integer id of a bucket (1, 2, 3 …).
func (t *Tx) NextID(bucket string) (uint64, error) {
	b, err := t.bucket(bucket)
	if err != nil {
		return 0, err
	}
	return b.NextSequence()
}

// ReserveIDs takes n ids of a bucket's sequence at once and returns the
// first; the caller hands them out without touching the database.
func (t *Tx) ReserveIDs(bucket string, n uint64) (uint64, error) {
	b, err := t.bucket(bucket)
	if err != nil {
		return 0, err
	}
	first := b.Sequence() + 1
	return first, b.SetSequence(first + n - 1)
}

// Put stores value under key.
func (t *Tx) Put(bucket string, key, value []byte) error {
	b, err := t.bucket(bucket)
	if err != nil {
		return err
	}
	return b.Put(key, value)
}

// Get returns a copy of the value under key, or nil.
func (t *Tx) Get(bucket string, key []byte) ([]byte, error) {
	b, err := t.bucket(bucket)
	if err != nil {
		return nil, err
	}
	v := b.Get(key)
	if v == nil {
		return nil, nil
	}
	return append([]byte(nil), v...), nil
}

// Delete removes key.
func (t *Tx) Delete(bucket string, key []byte) error {
	b, err := t.bucket(bucket)
	if err != nil {
		return err
	}
	return b.Delete(key)
}

// PutJSON stores v as JSON under key.
func (t *Tx) PutJSON(bucket string, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: %s: %w", bucket, err)
	}
	return t.Put(bucket, key, data)
}

// GetJSON decodes the JSON under key into v and reports whether it existed.
func (t *Tx) GetJSON(bucket string, key []byte, v any) (bool, error) {
	b, err := t.bucket(bucket)
	if err != nil {
		return false, err
	}
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("store: %s/%x: %w", bucket, key, err)
	}
	return true, nil
}

// Scan calls fn for each key in [from, to) in order (nil bounds are open);
// fn returns false to stop. The slices are valid only during fn.
func (t *Tx) Scan(bucket string, from, to []byte, fn func(k, v []byte) (bool, error)) error {
	b, err := t.bucket(bucket)
	if err != nil {
		return err
	}
	c := b.Cursor()
	var k, v []byte
	if from == nil {
		k, v = c.First()
	} else {
		k, v = c.Seek(from)
	}
	for ; k != nil; k, v = c.Next() {
		if to != nil && string(k) >= string(to) {
			return nil
		}
		more, err := fn(k, v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// ScanReverse is Scan from the last key down to from (inclusive), for
// newest-first listings; to is an exclusive upper bound (nil: open).
func (t *Tx) ScanReverse(bucket string, from, to []byte, fn func(k, v []byte) (bool, error)) error {
	b, err := t.bucket(bucket)
	if err != nil {
		return err
	}
	c := b.Cursor()
	var k, v []byte
	if to == nil {
		k, v = c.Last()
	} else if k, v = c.Seek(to); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil; k, v = c.Prev() {
		if from != nil && string(k) < string(from) {
			return nil
		}
		more, err := fn(k, v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// Count returns the number of keys in a bucket.
func (t *Tx) Count(bucket string) (int, error) {
	b, err := t.bucket(bucket)
	if err != nil {
		return 0, err
	}
	return b.Stats().KeyN, nil
}

// IDKey encodes an id as an 8-byte big-endian key.
func IDKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), id)
}

// TimeKey is a fixed-width index key that sorts by time, then id: 8 bytes of
// UTC Unix nanoseconds (big-endian, offset so that every time sorts) and 8 of id.
func TimeKey(t time.Time, id uint64) []byte {
	k := make([]byte, 0, 16)
	k = binary.BigEndian.AppendUint64(k, uint64(t.UnixNano())^(1<<63))
	return binary.BigEndian.AppendUint64(k, id)
}

// TimePrefix is the TimeKey prefix of t, a bound for Scan.
func TimePrefix(t time.Time) []byte { return TimeKey(t, 0)[:8] }

// TimeKeyID returns the id of a TimeKey (the last 8 bytes).
func TimeKeyID(k []byte) uint64 {
	if len(k) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k[len(k)-8:])
}
