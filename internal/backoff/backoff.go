// Package backoff holds back clients after failed logins: per client
// address, per name (user or agent number) and per name-and-address pair.
//
// A few failures are free; each further one doubles the time the key is
// refused (up to a maximum). A pair that succeeded before is trusted: only
// its own failures hold it back, so a flood of bad logins for a name from
// elsewhere, or for other names from the same address, does not lock out
// the client that owns the name.
package backoff

import (
	"net/netip"
	"sync"
	"time"
)

// Policy says when and how long to hold back.
type Policy struct {
	// Free failures of a key are checked; after the last of them the key
	// is held back.
	Free int
	// Base is the first hold; each further failure doubles it, up to Max.
	Base, Max time.Duration
	// Forget: a key's failures are forgotten after this long without one.
	Forget time.Duration
	// Trust: a pair stays trusted this long after its last success.
	Trust time.Duration
	// MaxKeys bounds the keys remembered (failures and trusted pairs each).
	MaxKeys int
}

// DefaultPolicy holds a key back after 10 failures, 1 s, 2 s, 4 s … up to a
// minute, forgetting after 15 quiet minutes.
var DefaultPolicy = Policy{Free: 10, Base: time.Second, Max: time.Minute,
	Forget: 15 * time.Minute, Trust: 24 * time.Hour, MaxKeys: 10000}

// Tracker counts failures. It is safe for concurrent use.
type Tracker struct {
	p   Policy
	now func() time.Time // replaced by tests

	mu      sync.Mutex
	fails   map[string]*entry
	trusted map[string]time.Time // pair → last success
}

type entry struct {
	n           int
	last, until time.Time
}

// New returns a Tracker with policy p.
func New(p Policy) *Tracker {
	return &Tracker{p: p, now: time.Now, fails: map[string]*entry{}, trusted: map[string]time.Time{}}
}

// SetClock replaces the Tracker's clock (for tests).
func (t *Tracker) SetClock(now func() time.Time) { t.now = now }

// keys are the keys a login of name from client counts against: the
// client's address (an IPv6 client by its /64, which one host may own
// whole), the name, and the pair. The prefixes keep them apart.
func keys(name, client string) (addr, nameKey, pair string) {
	addr = client
	if a, err := netip.ParseAddr(client); err == nil && a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		addr = p.String()
	}
	return "a\x00" + addr, "n\x00" + name, "p\x00" + name + "\x00" + addr
}

// Allow reports whether a login of name from client may be checked now.
func (t *Tracker) Allow(name, client string) bool {
	addr, nameKey, pair := keys(name, client)
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.held(pair, now) {
		return false
	}
	if last, ok := t.trusted[pair]; ok && now.Sub(last) < t.p.Trust {
		return true
	}
	return !t.held(addr, now) && !t.held(nameKey, now)
}

func (t *Tracker) held(key string, now time.Time) bool {
	e, ok := t.fails[key]
	return ok && now.Before(e.until)
}

// Failed records a failed login of name from client.
func (t *Tracker) Failed(name, client string) {
	addr, nameKey, pair := keys(name, client)
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range []string{addr, nameKey, pair} {
		e := t.fails[k]
		if e == nil {
			if !t.room(now) {
				continue // full of keys held back: this one goes uncounted
			}
			e = &entry{}
			t.fails[k] = e
		}
		if now.Sub(e.last) >= t.p.Forget {
			e.n = 0
		}
		e.n++
		e.last = now
		if over := e.n - t.p.Free; over >= 0 {
			d := t.p.Max
			if over < 30 && t.p.Base<<over < t.p.Max {
				d = t.p.Base << over
			}
			e.until = now.Add(d)
		}
	}
}

// room makes room for one more failure key, if it can: forgotten keys go
// first, then keys not held back now.
func (t *Tracker) room(now time.Time) bool {
	if len(t.fails) < t.p.MaxKeys {
		return true
	}
	for k, e := range t.fails {
		if now.Sub(e.last) >= t.p.Forget && !now.Before(e.until) {
			delete(t.fails, k)
		}
	}
	for k, e := range t.fails {
		if len(t.fails) < t.p.MaxKeys {
			break
		}
		if !now.Before(e.until) {
			delete(t.fails, k)
		}
	}
	return len(t.fails) < t.p.MaxKeys
}

// Succeeded records a successful login of name from client: the pair's
// failures are forgotten and the pair is trusted. The name's and the
// address's are not (someone else may be guessing).
func (t *Tracker) Succeeded(name, client string) {
	_, _, pair := keys(name, client)
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, pair)
	if _, ok := t.trusted[pair]; !ok && len(t.trusted) >= t.p.MaxKeys {
		for k, last := range t.trusted {
			if now.Sub(last) >= t.p.Trust || len(t.trusted) >= t.p.MaxKeys {
				delete(t.trusted, k)
			}
		}
	}
	t.trusted[pair] = now
}
