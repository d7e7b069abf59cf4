package users

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/callctl/callctl/internal/backoff"
	"github.com/callctl/callctl/internal/flight"
	"github.com/callctl/callctl/internal/hashlimit"
	"github.com/callctl/callctl/store"
)

// dummyHashCost10 is compared against when the user does not exist, so
// that an unknown name costs the same bcrypt work as a wrong password. It
// has the cost of real hashes (BcryptCost, checked by a test); its password
// is not a secret, as the unknown-user path fails whatever the outcome.
const dummyHashCost10 = "$2a$10$QFAyARJcnPRKhgMeZ.JrsOCzlFZQXya3IKGIrNJsTEcv4KfCe.1GG"

// dummyHash is dummyHashCost10, replaced by tests along with hashCost.
var dummyHash = []byte(dummyHashCost10)

// DefaultCacheSize bounds an Authenticator's cache.
const DefaultCacheSize = 1024

// Authenticator checks credentials like Authenticate, remembering verified
// ones for a while. It is safe for concurrent use.
//
// Why: a bcrypt comparison at cost 10 takes ~50–80 ms of CPU, and the API
// must answer hundreds of requests per second from clients that send the
// same user name and password with every request.
//
// Cache design: after a successful bcrypt comparison it stores
// key = SHA-256(name, 0, password, 0, stored hash) → expiry (now + ttl), at
// most DefaultCacheSize entries (when full, expired entries are swept, then
// an arbitrary one is evicted). Every Check still reads the user's record (a
// cheap bbolt read), then:
//   - a deleted user is not found, so its entries are never consulted;
//   - a changed password, or a user deleted and re-added (even with the same
//     password: bcrypt salts anew), has another stored hash, so the old key
//     misses; stale entries simply expire;
//   - permissions are checked on the record just read, never cached, so a
//     change applies to the next request.
//
// Permissions are checked before the cache: a forbidden action always costs
// a bcrypt comparison and counts as a failed login, so a correct password
// for it answers like a wrong one.
//
// Only successes are cached. Caching failures would answer a repeated wrong
// password for an existing user fast and an unknown user slowly, telling
// the two apart; failures always cost a full bcrypt comparison.
//
// Trade-offs: for up to ttl, a verified password is checked against a fast
// hash in memory instead of bcrypt, so whoever can read the process's memory
// can test guesses of recently used passwords quickly (but such a reader
// sees the plaintext passwords in request buffers anyway). A valid request
// answers in microseconds while a failed one takes a bcrypt, which tells a
// client nothing it did not know (it sent the right password). The map
// lookup is not constant time, but its key is a hash that includes the
// secret salted hash, so its timing reveals nothing usable. Concurrent first
// requests with the same credentials share one bcrypt run (a single
// flight): a burst after start or when an entry expires costs one check.
type Authenticator struct {
	db  *store.DB
	ttl time.Duration
	max int

	// Replaced by tests.
	now      func() time.Time
	compare  func(hash, password []byte) error
	limit    *hashlimit.Limiter
	throttle *backoff.Tracker

	flights flight.Group[[sha256.Size]byte]

	mu    sync.Mutex
	cache map[[sha256.Size]byte]time.Time
}

// NewAuthenticator returns an Authenticator on db that trusts verified
// credentials for ttl; ttl <= 0 disables the cache.
func NewAuthenticator(db *store.DB, ttl time.Duration) *Authenticator {
	return &Authenticator{
		db:       db,
		ttl:      ttl,
		max:      DefaultCacheSize,
		now:      time.Now,
		compare:  bcrypt.CompareHashAndPassword,
		limit:    hashlimit.Default,
		throttle: backoff.New(backoff.DefaultPolicy),
		cache:    map[[sha256.Size]byte]time.Time{},
	}
}

// Credentials are what a request presents.
type Credentials struct {
	Name, Password string
	// ClientIP is the address the request came from (for throttling).
	ClientIP string
}

// Authenticate checks that the user name exists, that password is its
// password and that it may perform action, without caching. It returns
// ErrUnauthorized if not (whichever check failed), nil if so, another error
// if the database fails.
func Authenticate(ctx context.Context, db *store.DB, c Credentials, action string) error {
	return NewAuthenticator(db, 0).Check(ctx, c, action)
}

// Check is Authenticate with the cache (see Authenticator), the shared
// hashing slots and the failure backoff:
//   - while the client, the name or the pair is backing off after failed
//     logins it answers ErrThrottled without looking at the password;
//   - the wait for a hashing slot ends with ctx (its error is returned), and
//     when too many checks wait it answers ErrBusy at once;
//   - concurrent checks of the same credentials share one bcrypt run.
func (a *Authenticator) Check(ctx context.Context, c Credentials, action string) error {
	name, password := c.Name, c.Password
	// Malformed input cannot match any user; answering it at once tells
	// nothing about which users exist.
	if checkName(name) != nil || checkPassword(password) != nil || !validAction(action) {
		return ErrUnauthorized
	}
	if !a.throttle.Allow(name, c.ClientIP) {
		return ErrThrottled
	}
	rec, found, err := get(a.db, name)
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	pre := prehash(password)
	if !found {
		return a.refuse(c, a.hash(ctx, dummyHash, pre)) // the same work as a wrong password
	}
	// A forbidden action costs a full comparison whatever the cache holds,
	// and counts as a failure whatever the password: it answers like a
	// wrong password, in time and in backoff, so neither tells whether the
	// password was right. (Answering before bcrypt would show, without the
	// password, that the user exists.)
	if !rec.Allows(action) {
		return a.refuse(c, a.hash(ctx, []byte(rec.PasswordHash), pre))
	}
	key := cacheKey(name, password, rec.PasswordHash)
	if !a.cached(key) {
		err := a.flights.Do(ctx, key, func(ctx context.Context) error {
			err := a.hash(ctx, []byte(rec.PasswordHash), pre)
			if err == nil {
				a.remember(key)
			}
			return err
		})
		if err != nil {
			return a.refuse(c, err)
		}
	}
	a.throttle.Succeeded(name, c.ClientIP)
	return nil
}

// refuse is the answer to a check that may not pass, given the outcome of
// its comparison: busy or ended (not counted as a failure), or a failed
// login.
func (a *Authenticator) refuse(c Credentials, err error) error {
	switch {
	case errors.Is(err, hashlimit.ErrBusy):
		return ErrBusy
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case err != nil && !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return fmt.Errorf("users: user %q: stored password hash: %w", c.Name, err)
	}
	a.throttle.Failed(c.Name, c.ClientIP)
	return ErrUnauthorized
}

// hash compares under the hashing limit.
func (a *Authenticator) hash(ctx context.Context, hash, password []byte) error {
	return a.limit.Do(ctx, func() error { return a.compare(hash, password) })
}

func cacheKey(name, password, hash string) [sha256.Size]byte {
	// Names and passwords contain no NUL, so the encoding is unambiguous.
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write([]byte(password))
	h.Write([]byte{0})
	h.Write([]byte(hash))
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// cached reports whether key was verified and has not expired.
func (a *Authenticator) cached(key [sha256.Size]byte) bool {
	if a.ttl <= 0 {
		return false
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.cache[key]
	if ok && !now.Before(exp) {
		delete(a.cache, key)
		ok = false
	}
	return ok
}

// remember records key as verified until now + ttl.
func (a *Authenticator) remember(key [sha256.Size]byte) {
	if a.ttl <= 0 {
		return
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.cache[key]; !ok && len(a.cache) >= a.max {
		for k, exp := range a.cache {
			if !now.Before(exp) {
				delete(a.cache, k)
			}
		}
		for k := range a.cache {
			if len(a.cache) < a.max {
				break
			}
			delete(a.cache, k)
		}
	}
	a.cache[key] = now.Add(a.ttl)
}

// cacheLen returns the number of cached entries (for tests).
func (a *Authenticator) cacheLen() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.cache)
}
