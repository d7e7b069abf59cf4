package store

import (
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// A database at schema 1 with users whose permissions name VoIPSUN actions
// is opened: the lists name the core actions, the rest of each record is
// unchanged.
func TestMigrationToCoreActionNames(t *testing.T) {
	dir := t.TempDir()
	b, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]string{
		"crm":     `{"name":"crm","actions":["agentpause","agentunpause","hangupcall","listcalls","originate"],"created":"2026-11-20T10:00:00Z","password_hash":"$2a$10$x"}`,
		"root":    `{"name":"root","actions":["all"],"created":"2026-11-20T10:00:00Z","password_hash":"$2a$10$y"}`,
		"junk":    `{"name":"junk","actions":["hangup","whatever"],"created":"2026-11-20T10:00:00Z","password_hash":"$2a$10$z"}`,
		"everyvs": `{"name":"everyvs","actions":["agentadd","agentlogin","agentlogout","agentremove","agentstatus","dial","moverecord","queuestatus","sipstatus","spying"],"created":"2026-11-20T10:00:00Z","password_hash":"$2a$10$w"}`,
	}
	err = b.Update(func(btx *bolt.Tx) error {
		tx := &Tx{btx}
		if err := tx.createBuckets(BucketMeta); err != nil {
			return err
		}
		if err := Migrations[0].Up(tx); err != nil {
			return err
		}
		for k, v := range users {
			if err := btx.Bucket([]byte(BucketUsers)).Put([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		return btx.Bucket([]byte(BucketMeta)).Put(versionKey, binary.BigEndian.AppendUint64(nil, 1))
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}

	db, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := map[string][]string{
		"crm":  {"agent_pause", "agent_unpause", "click_to_call", "hangup", "list_calls"},
		"root": {"all"},
		"junk": {},
		"everyvs": {"agent_login", "agent_logout", "agent_queue_add", "agent_queue_remove", "agent_status",
			"dial_to_context", "move_recording", "queue_status", "sip_status", "spy"},
	}
	db.View(func(tx *Tx) error {
		if v := tx.SchemaVersion(); v < 2 {
			t.Errorf("schema %d", v)
		}
		for name, acts := range want {
			var rec struct {
				Name, Created, PasswordHash string
				Actions                     []string
			}
			raw, _ := tx.Get(BucketUsers, []byte(name))
			var m map[string]any
			json.Unmarshal(raw, &m)
			json.Unmarshal(raw, &rec)
			if !slices.Equal(rec.Actions, acts) || rec.Actions == nil {
				t.Errorf("%s: actions %q, want %q", name, rec.Actions, acts)
			}
			if m["name"] != name || m["created"] != "2026-11-20T10:00:00Z" || m["password_hash"] == "" || len(m) != 4 {
				t.Errorf("%s: record %s", name, raw)
			}
		}
		return nil
	})
}

// A database at schema 7 (as the release before the call flows left it)
// gains the flow buckets and schema 8; what it held stays.
func TestMigrationToCallFlows(t *testing.T) {
	dir := t.TempDir()
	b, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(btx *bolt.Tx) error {
		tx := &Tx{btx}
		if err := tx.createBuckets(BucketMeta); err != nil {
			return err
		}
		for _, m := range Migrations[:7] {
			if err := m.Up(tx); err != nil {
				return err
			}
		}
		if err := btx.Bucket([]byte(BucketPhonebook)).Put([]byte("3612345678"), []byte(`{}`)); err != nil {
			return err
		}
		return btx.Bucket([]byte(BucketMeta)).Put(versionKey, binary.BigEndian.AppendUint64(nil, 7))
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *Tx) error {
		if v := tx.SchemaVersion(); v != 8 {
			t.Errorf("schema %d, want 8", v)
		}
		for _, name := range []string{BucketFlows, BucketFlowByExten} {
			if n, err := tx.Count(name); err != nil || n != 0 {
				t.Errorf("%s: %d keys, %v", name, n, err)
			}
		}
		if v, _ := tx.Get(BucketPhonebook, []byte("3612345678")); string(v) != `{}` {
			t.Errorf("the phonebook lost its entry: %q", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
