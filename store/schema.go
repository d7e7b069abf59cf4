package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"

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
	// Finished calls by linkedid: backfill from CEL skips the calls it has.
	BucketCDRByLinkedid = "cdr_by_linkedid"
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
	// Messages waiting for NATS JetStream's acknowledgement, and the last
	// acknowledgement (natsink).
	BucketNATSOutbox = "nats_outbox"
	BucketNATSState  = "nats_state"
	// PBX users, operator statuses and each operator's status log (pbxusers).
	BucketPBXUsers        = "pbx_users"
	BucketOperatorStatus  = "operator_statuses"
	BucketOperatorHistory = "operator_status_log"
	// Call forwards by number and type (callflow; mirrored in AstDB).
	BucketForwards = "call_forwards"
	// The phonebook by number, and its custom fields (phonebook).
	BucketPhonebook       = "phonebook"
	BucketPhonebookFields = "phonebook_fields"
	// Extension event subscriptions by id (extevents).
	BucketExtEvents = "ext_events"
	// OAuth2 applications by client id, and access tokens by their hash (api/oauth).
	BucketOAuthApps   = "oauth_apps"
	BucketOAuthTokens = "oauth_tokens"
	// Call flows by name (their YAML), and the name of each technical
	// extension's flow (flow).
	BucketFlows       = "flows"
	BucketFlowByExten = "flow_by_exten"
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
	{2, "API users' permissions: VoIPSUN action names to core action names", usersToCoreActions},
	{3, "webhook clients, delivery log, secrets", func(tx *Tx) error {
		return tx.createBuckets(BucketWebhookClients, BucketWebhookLog, BucketSecrets)
	}},
	{4, "NATS JetStream outbox", func(tx *Tx) error {
		return tx.createBuckets(BucketNATSOutbox, BucketNATSState)
	}},
	// Records saved before it are not indexed: backfill only reads CEL
	// rows newer than the last event the version that indexes saw.
	{5, "finished calls by linkedid", func(tx *Tx) error { return tx.createBuckets(BucketCDRByLinkedid) }},
	{6, "PBX users, operator statuses and their log, call forwards, phonebook", func(tx *Tx) error {
		return tx.createBuckets(BucketPBXUsers, BucketOperatorStatus, BucketOperatorHistory, BucketForwards,
			BucketPhonebook, BucketPhonebookFields)
	}},
	{7, "extension event subscriptions, OAuth2 applications and tokens", func(tx *Tx) error {
		return tx.createBuckets(BucketExtEvents, BucketOAuthApps, BucketOAuthTokens)
	}},
	{8, "call flows", func(tx *Tx) error { return tx.createBuckets(BucketFlows, BucketFlowByExten) }},
}

// voipsunToCore is migration 2's map, frozen as it was written: the
// VoIPSUN action names users' permissions held to the core actions
// (callflow.Action) they became.
var voipsunToCore = map[string]string{
	"originate": "click_to_call", "dial": "dial_to_context", "hangupcall": "hangup",
	"listcalls": "list_calls", "spying": "spy", "sipstatus": "sip_status",
	"agentlogin": "agent_login", "agentlogout": "agent_logout", "agentpause": "agent_pause",
	"agentunpause": "agent_unpause", "agentadd": "agent_queue_add", "agentremove": "agent_queue_remove",
	"agentstatus": "agent_status", "queuestatus": "queue_status", "moverecord": "move_recording",
}

// usersToCoreActions rewrites every API user's action list (the "actions"
// field of its JSON record, sorted) to core action names. "all" stays; a
// name that was no VoIPSUN action permitted nothing and is dropped, so that
// it cannot come to mean a core action added later. The rest of each
// record is kept as it is.
func usersToCoreActions(tx *Tx) error {
	b := tx.tx.Bucket([]byte(BucketUsers))
	if b == nil {
		return nil
	}
	type update struct{ k, v []byte }
	var updates []update
	err := b.ForEach(func(k, v []byte) error {
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("user %q: %w", k, err)
		}
		var actions []string
		if raw, ok := rec["actions"]; ok {
			if err := json.Unmarshal(raw, &actions); err != nil {
				return fmt.Errorf("user %q: actions: %w", k, err)
			}
		}
		out := []string{}
		for _, a := range actions {
			if a == "all" {
				out = []string{"all"}
				break
			}
			if c, ok := voipsunToCore[a]; ok && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
		slices.Sort(out)
		raw, err := json.Marshal(out)
		if err != nil {
			return err
		}
		rec["actions"] = raw
		nv, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		updates = append(updates, update{append([]byte(nil), k...), nv})
		return nil
	})
	if err != nil {
		return err
	}
	for _, u := range updates {
		if err := b.Put(u.k, u.v); err != nil {
			return err
		}
	}
	return nil
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
