// Package users stores the users of the HTTP API (the VoIPSUN-style API, where
// each request carries a user name and password) and checks their
// credentials and per-action permissions.
//
// Users are JSON records in store.BucketUsers, keyed by name. Passwords are
// stored as bcrypt (cost 10) of a pre-hash: base64(HMAC-SHA256(fixed key,
// password)). The pre-hash lets passwords be up to 256 bytes (bcrypt only
// takes 72) without truncating them; it is not a secret.
//
// Authentication is Authenticate (uncached) or an Authenticator (with a cache
// of recently verified credentials, for request rates a bcrypt per request
// cannot serve). Both answer ErrUnauthorized for an unknown user, a wrong
// password or a forbidden action alike, and take about as long for an
// unknown user as for a wrong password.
//
// All functions take the *store.DB and run their own transactions, because
// bcrypt (~50–80 ms) must not run inside one: only one Update runs at a time.
package users

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/callctl/callctl/callflow"
	"github.com/callctl/callctl/store"
)

// AllActions, as a user's only action, permits every action.
const AllActions = "all"

// Limits of names, passwords and action names.
const (
	MaxNameLen     = 64  // characters of [A-Za-z0-9._@-]
	MaxPasswordLen = 256 // bytes, any but NUL
	MaxActionLen   = 40  // characters of [a-z_]
)

// BcryptCost is the cost of the password hashes.
const BcryptCost = 10

// hashCost is BcryptCost, lowered by tests (cost 10 takes ~0.7 s under the
// race detector).
var hashCost = BcryptCost

// User is an API user as shown to callers (no password hash).
type User struct {
	Name string `json:"name"`
	// Actions are the permitted core actions (callflow.Action), sorted:
	// ["all"] for every action.
	Actions []string  `json:"actions"`
	Created time.Time `json:"created"`
}

// Allows reports whether u may perform action.
func (u User) Allows(action string) bool {
	if len(u.Actions) == 1 && u.Actions[0] == AllActions {
		return true
	}
	_, found := slices.BinarySearch(u.Actions, action)
	return found
}

// record is the stored form of a user.
type record struct {
	User
	// PasswordHash is bcrypt(prehash(password)).
	PasswordHash string `json:"password_hash"`
}

// Add creates a user. actions nil or ["all"] permits every action; otherwise
// it is the explicit set of permitted core actions (callflow.Actions; a
// dialect's action maps to one of them; duplicates are ignored; an empty
// non-nil list, or "all" with other actions, is invalid).
//
// Rules: the name is 1–64 characters of [A-Za-z0-9._@-]; the password 1–256
// bytes without NUL; actions are core action names. Breaking one gives
// ErrInvalid; an existing name gives ErrExists.
func Add(db *store.DB, name, password string, actions []string) error {
	_, err := add(db, name, password, actions, time.Now())
	return err
}

func add(db *store.DB, name, password string, actions []string, now time.Time) (User, error) {
	if err := checkName(name); err != nil {
		return User{}, err
	}
	if err := checkPassword(password); err != nil {
		return User{}, err
	}
	acts, err := normalizeActions(actions)
	if err != nil {
		return User{}, err
	}
	// Hash outside the write transaction: it takes tens of milliseconds.
	hash, err := bcrypt.GenerateFromPassword(prehash(password), hashCost)
	if err != nil {
		return User{}, fmt.Errorf("users: hashing the password: %w", err)
	}
	rec := record{
		User:         User{Name: name, Actions: acts, Created: now.UTC()},
		PasswordHash: string(hash),
	}
	err = db.Update(func(tx *store.Tx) error {
		old, err := tx.Get(store.BucketUsers, []byte(name))
		if err != nil {
			return err
		}
		if old != nil {
			return fmt.Errorf("%w: %q", ErrExists, name)
		}
		return tx.PutJSON(store.BucketUsers, []byte(name), rec)
	})
	if err != nil {
		return User{}, err
	}
	return rec.User, nil
}

// Delete removes a user (ErrNotFound if there is none). Its verified
// credentials stop working at once, even in an Authenticator's cache.
func Delete(db *store.DB, name string) error {
	_, err := remove(db, name)
	return err
}

func remove(db *store.DB, name string) (User, error) {
	if err := checkName(name); err != nil {
		return User{}, err
	}
	var rec record
	err := db.Update(func(tx *store.Tx) error {
		found, err := tx.GetJSON(store.BucketUsers, []byte(name), &rec)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w: %q", ErrNotFound, name)
		}
		return tx.Delete(store.BucketUsers, []byte(name))
	})
	return rec.User, err
}

// List returns the users sorted by name, without their password hashes.
func List(db *store.DB) ([]User, error) {
	var list []User
	err := db.View(func(tx *store.Tx) error {
		return tx.Scan(store.BucketUsers, nil, nil, func(k, v []byte) (bool, error) {
			var rec record
			if err := json.Unmarshal(v, &rec); err != nil {
				return false, fmt.Errorf("users: record %q: %w", k, err)
			}
			list = append(list, rec.User)
			return true, nil
		})
	})
	return list, err
}

// get reads a user's record.
func get(db *store.DB, name string) (record, bool, error) {
	var rec record
	var found bool
	err := db.View(func(tx *store.Tx) error {
		var err error
		found, err = tx.GetJSON(store.BucketUsers, []byte(name), &rec)
		return err
	})
	return rec, found, err
}

// prehashKey makes the pre-hash specific to callctl (a leaked plain SHA-256
// of the same password elsewhere cannot be tested against our bcrypt
// hashes). It is not a secret.
var prehashKey = []byte("callctl api/users password v1")

// prehash maps a password of any length to 44 bytes for bcrypt.
func prehash(password string) []byte {
	m := hmac.New(sha256.New, prehashKey)
	m.Write([]byte(password))
	return base64.StdEncoding.AppendEncode(nil, m.Sum(nil))
}

func checkName(name string) error {
	if name == "" || len(name) > MaxNameLen {
		return fmt.Errorf("%w: a user name is 1 to %d characters long", ErrInvalid, MaxNameLen)
	}
	for _, c := range []byte(name) {
		if !nameChar(c) {
			return fmt.Errorf("%w: user name %q: only letters, digits and . _ @ - are allowed", ErrInvalid, name)
		}
	}
	return nil
}

func nameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '@' || c == '-'
}

func checkPassword(password string) error {
	if password == "" || len(password) > MaxPasswordLen {
		return fmt.Errorf("%w: a password is 1 to %d bytes long", ErrInvalid, MaxPasswordLen)
	}
	for i := 0; i < len(password); i++ {
		if password[i] == 0 {
			return fmt.Errorf("%w: a password may not contain a NUL byte", ErrInvalid)
		}
	}
	return nil
}

func checkAction(action string) error {
	if !validAction(action) {
		q := action
		if !utf8.ValidString(q) || len(q) > 2*MaxActionLen {
			q = "…" // keep junk out of messages
		}
		return fmt.Errorf("%w: action %q: an action name is 1 to %d characters of a-z and _", ErrInvalid, q, MaxActionLen)
	}
	return nil
}

func validAction(action string) bool {
	if action == "" || len(action) > MaxActionLen {
		return false
	}
	for _, c := range []byte(action) {
		if !('a' <= c && c <= 'z' || c == '_') {
			return false
		}
	}
	return true
}

// normalizeActions checks actions and returns them sorted and deduplicated,
// or ["all"].
func normalizeActions(actions []string) ([]string, error) {
	if actions == nil {
		return []string{AllActions}, nil
	}
	if len(actions) == 0 {
		return nil, fmt.Errorf("%w: empty action list (give %q, or omit the list, for every action)", ErrInvalid, AllActions)
	}
	out := make([]string, 0, len(actions))
	for _, a := range actions {
		if err := checkAction(a); err != nil {
			return nil, err
		}
		if a != AllActions && !callflow.Known(a) {
			return nil, fmt.Errorf("%w: %q is not a core action; the core actions are %s (or %q for every one)",
				ErrInvalid, a, coreActionList(), AllActions)
		}
		out = append(out, a)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if slices.Contains(out, AllActions) && len(out) > 1 {
		return nil, fmt.Errorf("%w: %q permits every action and cannot be combined with others", ErrInvalid, AllActions)
	}
	return out, nil
}

// coreActionList names the core actions, for messages.
func coreActionList() string {
	var names []string
	for _, a := range callflow.Actions() {
		names = append(names, string(a))
	}
	return strings.Join(names, ", ")
}
