// Package agents stores the call-center agents of the VoIPSUN-style API
// (agentlogin and friends): their numbers, PINs, names, default queues with
// penalties, and whether and where they are logged in. The queue operations
// themselves are done elsewhere.
//
// Agents are JSON records in store.BucketAgents keyed by agent number. PINs
// are stored as bcrypt hashes (cost 10). Check answers ErrBadCredentials for
// an unknown number and for a wrong PIN alike, comparing against a dummy
// hash for an unknown number so that both take about as long. It has no
// cache: agents log in rarely, and a bcrypt per login is cheap enough. The
// API checks through a Checker: the hashing slots and the failure backoff
// that user logins have too.
//
// All functions take the *store.DB and run their own transactions (bcrypt
// must not run inside one: only one Update runs at a time).
package agents

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/callctl/callctl/internal/backoff"
	"github.com/callctl/callctl/internal/hashlimit"

	"github.com/callctl/callctl/store"
)

// Limits.
const (
	MaxNumberLen  = 32   // digits
	MaxPINLen     = 32   // characters of [0-9A-Za-z]
	MaxNameLen    = 64   // characters: letters, digits, space, . _ -
	MaxQueueLen   = 64   // characters of [A-Za-z0-9_.-]
	MaxPenalty    = 1000 // penalties are 0 to MaxPenalty
	MaxChannelLen = 128  // bytes of printable ASCII, no space (SetLogin's from)
)

// BcryptCost is the cost of the PIN hashes.
const BcryptCost = 10

// hashCost is BcryptCost, lowered by tests.
var hashCost = BcryptCost

// dummyHashCost10 is compared against for an unknown agent number, so that
// it costs the same bcrypt work as a wrong PIN. Its PIN is not a secret: the
// unknown-number path fails whatever the outcome.
const dummyHashCost10 = "$2a$10$4NcrtXuvNNLm40r74T4/oegx8gDMnKjv2uDSw6cgUfoNYFRjMl.eu"

// dummyHash is dummyHashCost10, replaced by tests along with hashCost.
var dummyHash = []byte(dummyHashCost10)

// Agent is an agent as shown to callers (no PIN hash).
type Agent struct {
	Number string `json:"number"`
	Name   string `json:"name"`
	// Queues are the agent's default queues, each with its penalty.
	Queues map[string]int `json:"queues"`
	// LoggedInFrom is the channel the agent logged in from (such as
	// "PJSIP/1000"), empty when logged out; LoggedInAt is when.
	LoggedInFrom string    `json:"logged_in_from,omitempty"`
	LoggedInAt   time.Time `json:"logged_in_at,omitzero"`
}

// LoggedIn reports whether the agent is logged in.
func (a Agent) LoggedIn() bool { return a.LoggedInFrom != "" }

// NewAgent is the input of Add.
type NewAgent struct {
	Number string
	PIN    string // in clear; only its hash is stored
	Name   string // "" means "Agent_<number>"
	// Queues are the default queues with their penalties (nil: none).
	Queues map[string]int
}

// record is the stored form of an agent.
type record struct {
	Agent
	PINHash string `json:"pin_hash"`
}

// Add creates an agent.
//
// Rules: the number is 1–32 digits; the PIN 1–32 characters of [0-9A-Za-z];
// the name 1–64 characters, each a letter, a digit, a space or one of . _ -
// (letters and digits may be non-ASCII); queue names [A-Za-z0-9_.-]{1,64};
// penalties 0–1000. Breaking one gives ErrInvalid; an existing number gives
// ErrExists.
func Add(db *store.DB, in NewAgent) error {
	_, err := add(db, in)
	return err
}

func add(db *store.DB, in NewAgent) (Agent, error) {
	if err := checkNumber(in.Number); err != nil {
		return Agent{}, err
	}
	if err := checkPIN(in.PIN); err != nil {
		return Agent{}, err
	}
	name := in.Name
	if name == "" {
		name = "Agent_" + in.Number
	}
	if err := checkName(name); err != nil {
		return Agent{}, err
	}
	queues := make(map[string]int, len(in.Queues))
	for q, p := range in.Queues {
		if err := checkQueue(q, p); err != nil {
			return Agent{}, err
		}
		queues[q] = p
	}
	// Hash outside the write transaction: it takes tens of milliseconds.
	hash, err := bcrypt.GenerateFromPassword([]byte(in.PIN), hashCost)
	if err != nil {
		return Agent{}, fmt.Errorf("agents: hashing the PIN: %w", err)
	}
	rec := record{Agent: Agent{Number: in.Number, Name: name, Queues: queues}, PINHash: string(hash)}
	err = db.Update(func(tx *store.Tx) error {
		old, err := tx.Get(store.BucketAgents, []byte(in.Number))
		if err != nil {
			return err
		}
		if old != nil {
			return fmt.Errorf("%w: %s", ErrExists, in.Number)
		}
		return tx.PutJSON(store.BucketAgents, []byte(in.Number), rec)
	})
	if err != nil {
		return Agent{}, err
	}
	return rec.Agent, nil
}

// Delete removes an agent (ErrNotFound if there is none).
func Delete(db *store.DB, number string) error {
	_, err := remove(db, number)
	return err
}

func remove(db *store.DB, number string) (Agent, error) {
	if err := checkNumber(number); err != nil {
		return Agent{}, err
	}
	var rec record
	err := db.Update(func(tx *store.Tx) error {
		found, err := tx.GetJSON(store.BucketAgents, []byte(number), &rec)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w: %s", ErrNotFound, number)
		}
		return tx.Delete(store.BucketAgents, []byte(number))
	})
	return rec.Agent, err
}

// Get returns an agent (ErrNotFound if there is none).
func Get(db *store.DB, number string) (Agent, error) {
	if err := checkNumber(number); err != nil {
		return Agent{}, err
	}
	rec, found, err := get(db, number)
	if err != nil {
		return Agent{}, err
	}
	if !found {
		return Agent{}, fmt.Errorf("%w: %s", ErrNotFound, number)
	}
	return rec.Agent, nil
}

// List returns the agents in numeric order of their numbers (shorter
// numbers first, then by digits), without PIN hashes.
func List(db *store.DB) ([]Agent, error) {
	var list []Agent
	err := db.View(func(tx *store.Tx) error {
		return tx.Scan(store.BucketAgents, nil, nil, func(k, v []byte) (bool, error) {
			rec, err := decode(k, v)
			if err != nil {
				return false, err
			}
			list = append(list, rec.Agent)
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(a, b Agent) int {
		return cmp.Or(cmp.Compare(len(a.Number), len(b.Number)), cmp.Compare(a.Number, b.Number))
	})
	return list, nil
}

// Check returns the agent if number exists and pin is its PIN, and
// ErrBadCredentials (exactly) if not; another error if the database fails.
// An unknown number costs a bcrypt comparison against a dummy hash, like a
// wrong PIN. It waits for a hashing slot without a deadline and keeps no
// backoff: the API uses a Checker.
func Check(db *store.DB, number, pin string) (Agent, error) {
	return NewChecker(db).Check(context.Background(), number, pin, "")
}

// Checker checks agents' PINs under the rules of every secret check of
// the API (the user logins' too): a few shared hashing slots with a
// bounded queue, waited for only while ctx lives, and a backoff per client
// address, per agent number and per pair after failures. It is safe for
// concurrent use.
type Checker struct {
	db       *store.DB
	limit    *hashlimit.Limiter
	throttle *backoff.Tracker
	compare  func(hash, pin []byte) error // replaced by tests
}

// NewChecker returns a Checker on db with the default backoff.
func NewChecker(db *store.DB) *Checker {
	return &Checker{db: db, limit: hashlimit.Default, throttle: backoff.New(backoff.DefaultPolicy),
		compare: bcrypt.CompareHashAndPassword}
}

// Check is the package's Check for a request from the address client. It
// answers ErrThrottled, without looking at the PIN, while the client, the
// number or the pair backs off; ErrBusy when too many checks wait; ctx's
// error when ctx ends first.
func (c *Checker) Check(ctx context.Context, number, pin, client string) (Agent, error) {
	if !c.throttle.Allow(number, client) {
		return Agent{}, ErrThrottled
	}
	a, err := check(c.db, number, pin, func(hash, pin []byte) error {
		return c.limit.Do(ctx, func() error { return c.compare(hash, pin) })
	})
	switch {
	case err == nil:
		c.throttle.Succeeded(number, client)
	case errors.Is(err, hashlimit.ErrBusy):
		return Agent{}, ErrBusy
	case err == ErrBadCredentials:
		c.throttle.Failed(number, client)
	}
	return a, err
}

// gaveUp reports whether a comparison was not made: no slot, or the
// request ended.
func gaveUp(err error) bool {
	return errors.Is(err, hashlimit.ErrBusy) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func check(db *store.DB, number, pin string, compare func(hash, pin []byte) error) (Agent, error) {
	// Malformed input cannot match any agent; answering it at once tells
	// nothing about which agents exist.
	if checkNumber(number) != nil || checkPIN(pin) != nil {
		return Agent{}, ErrBadCredentials
	}
	rec, found, err := get(db, number)
	if err != nil {
		return Agent{}, err
	}
	if !found {
		// The same work as a wrong PIN, and the same answer when busy.
		if err := compare(dummyHash, []byte(pin)); gaveUp(err) {
			return Agent{}, err
		}
		return Agent{}, ErrBadCredentials
	}
	err = compare([]byte(rec.PINHash), []byte(pin))
	switch {
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return Agent{}, ErrBadCredentials
	case gaveUp(err):
		return Agent{}, err
	case err != nil:
		return Agent{}, fmt.Errorf("agents: agent %s: stored PIN hash: %w", number, err)
	}
	return rec.Agent, nil
}

// SetLogin records that the agent logged in from the channel from (1–128
// bytes of printable ASCII without spaces, such as "PJSIP/1000") at at,
// replacing any earlier login.
func SetLogin(db *store.DB, number, from string, at time.Time) error {
	if err := checkChannel(from); err != nil {
		return err
	}
	return update(db, number, func(a *Agent) {
		a.LoggedInFrom, a.LoggedInAt = from, at
	})
}

// ClearLogin records that the agent is logged out (a no-op if it was).
func ClearLogin(db *store.DB, number string) error {
	return update(db, number, func(a *Agent) {
		a.LoggedInFrom, a.LoggedInAt = "", time.Time{}
	})
}

// SetQueue adds queue to the agent's default queues with penalty, or
// changes its penalty.
func SetQueue(db *store.DB, number, queue string, penalty int) error {
	if err := checkQueue(queue, penalty); err != nil {
		return err
	}
	return update(db, number, func(a *Agent) { a.Queues[queue] = penalty })
}

// RemoveQueue removes queue from the agent's default queues (a no-op if it
// is not one of them).
func RemoveQueue(db *store.DB, number, queue string) error {
	if err := checkQueue(queue, 0); err != nil {
		return err
	}
	return update(db, number, func(a *Agent) { delete(a.Queues, queue) })
}

// update changes an agent in one transaction (ErrNotFound if there is none).
func update(db *store.DB, number string, fn func(*Agent)) error {
	if err := checkNumber(number); err != nil {
		return err
	}
	return db.Update(func(tx *store.Tx) error {
		v, err := tx.Get(store.BucketAgents, []byte(number))
		if err != nil {
			return err
		}
		if v == nil {
			return fmt.Errorf("%w: %s", ErrNotFound, number)
		}
		rec, err := decode([]byte(number), v)
		if err != nil {
			return err
		}
		fn(&rec.Agent)
		return tx.PutJSON(store.BucketAgents, []byte(number), rec)
	})
}

func get(db *store.DB, number string) (record, bool, error) {
	var rec record
	var found bool
	err := db.View(func(tx *store.Tx) error {
		v, err := tx.Get(store.BucketAgents, []byte(number))
		if err != nil || v == nil {
			return err
		}
		found = true
		rec, err = decode([]byte(number), v)
		return err
	})
	return rec, found, err
}

// decode reads a stored record; Queues is never nil.
func decode(k, v []byte) (record, error) {
	var rec record
	if err := json.Unmarshal(v, &rec); err != nil {
		return record{}, fmt.Errorf("agents: record %q: %w", k, err)
	}
	if rec.Queues == nil {
		rec.Queues = map[string]int{}
	}
	return rec, nil
}

func checkNumber(number string) error {
	if number == "" || len(number) > MaxNumberLen {
		return fmt.Errorf("%w: an agent number is 1 to %d digits", ErrInvalid, MaxNumberLen)
	}
	for _, c := range []byte(number) {
		if c < '0' || c > '9' {
			return fmt.Errorf("%w: agent number %q: only digits are allowed", ErrInvalid, clip(number))
		}
	}
	return nil
}

func checkPIN(pin string) error {
	if pin == "" || len(pin) > MaxPINLen {
		return fmt.Errorf("%w: a PIN is 1 to %d characters", ErrInvalid, MaxPINLen)
	}
	for _, c := range []byte(pin) {
		if !alnum(c) {
			// The PIN itself stays out of the message.
			return fmt.Errorf("%w: a PIN has only letters and digits (A-Z, a-z, 0-9)", ErrInvalid)
		}
	}
	return nil
}

func checkName(name string) error {
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: agent name: not UTF-8", ErrInvalid)
	}
	if n := utf8.RuneCountInString(name); n == 0 || n > MaxNameLen {
		return fmt.Errorf("%w: an agent name is 1 to %d characters", ErrInvalid, MaxNameLen)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ' ' && r != '.' && r != '_' && r != '-' {
			return fmt.Errorf("%w: agent name %q: only letters, digits, spaces and . _ - are allowed", ErrInvalid, clip(name))
		}
	}
	return nil
}

func checkQueue(queue string, penalty int) error {
	if queue == "" || len(queue) > MaxQueueLen {
		return fmt.Errorf("%w: a queue name is 1 to %d characters", ErrInvalid, MaxQueueLen)
	}
	for _, c := range []byte(queue) {
		if !alnum(c) && c != '_' && c != '.' && c != '-' {
			return fmt.Errorf("%w: queue %q: only letters, digits and _ . - are allowed", ErrInvalid, clip(queue))
		}
	}
	if penalty < 0 || penalty > MaxPenalty {
		return fmt.Errorf("%w: queue %s: penalty %d is not between 0 and %d", ErrInvalid, queue, penalty, MaxPenalty)
	}
	return nil
}

func checkChannel(from string) error {
	if from == "" || len(from) > MaxChannelLen {
		return fmt.Errorf("%w: a login channel is 1 to %d characters", ErrInvalid, MaxChannelLen)
	}
	for _, c := range []byte(from) {
		if c <= ' ' || c > '~' {
			return fmt.Errorf("%w: login channel %q: only printable ASCII without spaces is allowed", ErrInvalid, clip(from))
		}
	}
	return nil
}

func alnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// clip shortens junk input quoted in a message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
