package users

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

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
// requests with the same credentials each run bcrypt (no de-duplication):
// a short burst after start and when an entry expires.
type Authenticator struct {
	db  *store.DB
	ttl time.Duration
	max int

	// Replaced by tests.
	now     func() time.Time
	compare func(hash, password []byte) error

	mu    sync.Mutex
	cache map[[sha256.Size]byte]time.Time
}

// NewAuthenticator returns an Authenticator on db that trusts verified
// credentials for ttl; ttl <= 0 disables the cache.
func NewAuthenticator(db *store.DB, ttl time.Duration) *Authenticator {
	return &Authenticator{
		db:      db,
		ttl:     ttl,
		max:     DefaultCacheSize,
		now:     time.Now,
		compare: limitedCompare,
		cache:   map[[sha256.Size]byte]time.Time{},
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

// Check is Authenticate with the cache (see Authenticator). The wait for a
// password check ends with ctx.
func (a *Authenticator) Check(ctx context.Context, c Credentials, action string) error {
	name, password := c.Name, c.Password
	// Malformed input cannot match any user; answering it at once tells
	// nothing about which users exist.
	if checkName(name) != nil || checkPassword(password) != nil || !validAction(action) {
		return ErrUnauthorized
	}
	rec, found, err := get(a.db, name)
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	pre := prehash(password)
	if !found {
		a.compare(dummyHash, pre) // the same work as a wrong password
		return ErrUnauthorized
	}
	// The password is verified before the permission, always: answering a
	// forbidden action before bcrypt would show, without the password, that
	// the user exists.
	key := cacheKey(name, password, rec.PasswordHash)
	if !a.cached(key) {
		err := a.compare([]byte(rec.PasswordHash), pre)
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return ErrUnauthorized
		}
		if err != nil {
			return fmt.Errorf("users: user %q: stored password hash: %w", name, err)
		}
		a.remember(key)
	}
	if !rec.Allows(action) {
		return ErrUnauthorized
	}
	return nil
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

// limitedCompare is bcrypt's comparison under the process-wide hashing limit.
func limitedCompare(hash, password []byte) error {
	return hashlimit.Do(func() error { return bcrypt.CompareHashAndPassword(hash, password) })
}
