package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Buckets. Each family has one writer (see DESIGN.md).
const (
	BucketMeta = "meta" // schema version
	// API users and call-center agents (api).
	BucketUsers  = "users"
	BucketAgents = "agents"
	// Finished calls (cdr): records by id, indexes by start time and extension.
	BucketCDRs       = "cdrs"
	BucketCDRByTime  = "cdr_by_time"
	BucketCDRByExten = "cdr_by_exten"
	BucketCDRByLeg   = "cdr_by_leg"
	// Calls live when the daemon stopped, to close or adopt on start (cdr).
	BucketLiveCalls = "live_calls"
	// Recordings callctl started, by call (callflow, recording).
	BucketRecordings = "recordings"
	// Webhook deliveries waiting to be sent or failed for good (webhook).
	BucketOutbox = "outbox"
	// Outbound API clients by name, and the log of delivered deliveries (webhook).
	BucketWebhookClients = "webhook_clients"
	BucketWebhookLog     = "webhook_log"
	// Keys callctl generated for itself (GetSecret).
	BucketSecrets = "secrets"
)

// Migration moves the schema from Version-1 to Version.
type Migration struct {
	Version int
	Name    string
	Up      func(tx *Tx) error
}

// Migrations in order; append, never edit a released one.
var Migrations = []Migration{
	{1, "initial buckets", func(tx *Tx) error {
		return tx.createBuckets(BucketUsers, BucketAgents, BucketCDRs, BucketCDRByTime,
			BucketCDRByExten, BucketCDRByLeg, BucketLiveCalls, BucketRecordings, BucketOutbox)
	}},
	{2, "webhook clients, delivery log, secrets", func(tx *Tx) error {
		return tx.createBuckets(BucketWebhookClients, BucketWebhookLog, BucketSecrets)
	}},
}

func (t *Tx) createBuckets(names ...string) error {
	for _, n := range names {
		if _, err := t.tx.CreateBucketIfNotExists([]byte(n)); err != nil {
			return fmt.Errorf("store: creating bucket %s: %w", n, err)
		}
	}
	return nil
}

var versionKey = []byte("schema_version")

// SchemaVersion returns the database's schema version.
func (t *Tx) SchemaVersion() int {
	b := t.tx.Bucket([]byte(BucketMeta))
	if b == nil {
		return 0
	}
	v := b.Get(versionKey)
	if len(v) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(v))
}

// migrate applies the pending migrations in one transaction.
func (db *DB) migrate() error {
	return db.bolt.Update(func(btx *bolt.Tx) error {
		tx := &Tx{btx}
		if err := tx.createBuckets(BucketMeta); err != nil {
			return err
		}
		have := tx.SchemaVersion()
		latest := Migrations[len(Migrations)-1].Version
		if have > latest {
			return fmt.Errorf("%w: schema %d, this callctl knows up to %d", ErrNewerSchema, have, latest)
		}
		for _, m := range Migrations {
			if m.Version <= have {
				continue
			}
			if err := m.Up(tx); err != nil {
				return fmt.Errorf("store: migration %d (%s): %w", m.Version, m.Name, err)
			}
			have = m.Version
		}
		return btx.Bucket([]byte(BucketMeta)).Put(versionKey, binary.BigEndian.AppendUint64(nil, uint64(have)))
	})
}
