package users

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/callctl/callctl/internal/backoff"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
)

func TestMain(m *testing.M) {
	// Cost 10 takes ~0.7 s per hash under -race; the tests use the minimum,
	// with a dummy hash of the same cost (TestDummyHashHasTheRealCost checks
	// the real one).
	hashCost = bcrypt.MinCost
	h, err := bcrypt.GenerateFromPassword([]byte("dummy"), hashCost)
	if err != nil {
		panic(err)
	}
	dummyHash = h
	os.Exit(m.Run())
}

func TestDummyHashHasTheRealCost(t *testing.T) {
	cost, err := bcrypt.Cost([]byte(dummyHashCost10))
	if err != nil || cost != BcryptCost {
		t.Fatalf("dummy hash cost = %d, %v; want %d", cost, err, BcryptCost)
	}
}

func mustAdd(t *testing.T, db *store.DB, name, password string, actions []string) {
	t.Helper()
	if err := Add(db, name, password, actions); err != nil {
		t.Fatalf("Add(%q): %v", name, err)
	}
}

func names(list []User) []string {
	var n []string
	for _, u := range list {
		n = append(n, u.Name)
	}
	return n
}

func TestAddListDelete(t *testing.T) {
	db := storetest.New(t)
	before := time.Now()
	mustAdd(t, db, "zed", "pw-z", nil)
	mustAdd(t, db, "amy@example.com", "pw-a", []string{"list_calls", "agent_login", "list_calls"})
	mustAdd(t, db, "bob", "pw-b", []string{"all"})

	list, err := List(db)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(list), []string{"amy@example.com", "bob", "zed"}; !slices.Equal(got, want) {
		t.Fatalf("names = %v, want %v", got, want)
	}
	wantActions := map[string][]string{
		"amy@example.com": {"agent_login", "list_calls"},
		"bob":             {"all"},
		"zed":             {"all"},
	}
	for _, u := range list {
		if !slices.Equal(u.Actions, wantActions[u.Name]) {
			t.Errorf("%s: actions = %v, want %v", u.Name, u.Actions, wantActions[u.Name])
		}
		if u.Created.Before(before.Add(-time.Second)) || u.Created.After(time.Now()) {
			t.Errorf("%s: created = %v", u.Name, u.Created)
		}
	}
	out, _ := json.Marshal(list)
	if strings.Contains(string(out), "hash") || strings.Contains(string(out), "$2a$") {
		t.Errorf("List leaks hashes: %s", out)
	}

	// The stored record holds a bcrypt hash of the pre-hashed password.
	rec, found, err := get(db, "bob")
	if err != nil || !found {
		t.Fatal(found, err)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(rec.PasswordHash), prehash("pw-b")); err != nil {
		t.Errorf("stored hash does not match: %v", err)
	}

	if err := Delete(db, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := Delete(db, "bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete = %v, want ErrNotFound", err)
	}
	list, _ = List(db)
	if got, want := names(list), []string{"amy@example.com", "zed"}; !slices.Equal(got, want) {
		t.Fatalf("after delete: names = %v, want %v", got, want)
	}
}

func TestAddDuplicate(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, "bob", "one", nil)
	if err := Add(db, "bob", "two", nil); !errors.Is(err, ErrExists) {
		t.Fatalf("Add duplicate = %v, want ErrExists", err)
	}
	// The first user is untouched.
	if err := Authenticate(context.Background(), db, Credentials{Name: "bob", Password: "one"}, "x"); err != nil {
		t.Fatalf("original password: %v", err)
	}
	// Names are case-sensitive: Bob is another user.
	mustAdd(t, db, "Bob", "two", nil)
}

func TestAddValidation(t *testing.T) {
	long := func(c string, n int) string { return strings.Repeat(c, n) }
	tests := []struct {
		name, user, password string
		actions              []string
		ok                   bool
	}{
		{"simple", "bob", "pw", nil, true},
		{"all name characters", "A.z_0-9@x", "pw", nil, true},
		{"64-char name", long("n", 64), "pw", nil, true},
		{"256-byte password", "bob", long("p", 256), nil, true},
		{"binary password", "bob", "\xff\x01 é\t", nil, true},
		{"40-char action, not a core one", "bob", "pw", []string{long("a", 40)}, false},
		{"all alone", "bob", "pw", []string{"all"}, true},
		{"underscore action", "bob", "pw", []string{"list_calls"}, true},

		{"empty name", "", "pw", nil, false},
		{"65-char name", long("n", 65), "pw", nil, false},
		{"space in name", "bo b", "pw", nil, false},
		{"slash in name", "bo/b", "pw", nil, false},
		{"colon in name", "bo:b", "pw", nil, false},
		{"non-ASCII name", "bób", "pw", nil, false},
		{"NUL in name", "bo\x00b", "pw", nil, false},
		{"empty password", "bob", "", nil, false},
		{"257-byte password", "bob", long("p", 257), nil, false},
		{"NUL in password", "bob", "p\x00w", nil, false},
		{"empty action list", "bob", "pw", []string{}, false},
		{"empty action", "bob", "pw", []string{""}, false},
		{"41-char action", "bob", "pw", []string{long("a", 41)}, false},
		{"upper-case action", "bob", "pw", []string{"ListCalls"}, false},
		{"digit in action", "bob", "pw", []string{"list2"}, false},
		{"dash in action", "bob", "pw", []string{"list-calls"}, false},
		{"all with others", "bob", "pw", []string{"all", "list_calls"}, false},
		{"a dialect's action name", "bob", "pw", []string{"listcalls"}, false},
		{"not a core action", "bob", "pw", []string{"list_call"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := storetest.New(t)
			err := Add(db, tt.user, tt.password, tt.actions)
			if tt.ok {
				if err != nil {
					t.Fatalf("Add = %v, want ok", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Add = %v, want ErrInvalid", err)
			}
			if list, _ := List(db); len(list) != 0 {
				t.Fatalf("an invalid user was stored: %v", list)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, "api", "secret", []string{"list_calls", "agent_login"})
	mustAdd(t, db, "root", "toor", nil)
	longPw := strings.Repeat("x", 100) // beyond bcrypt's 72 bytes
	mustAdd(t, db, "long", longPw, nil)

	tests := []struct {
		name, user, password, action string
		ok                           bool
	}{
		{"right credentials", "api", "secret", "list_calls", true},
		{"another permitted action", "api", "secret", "agent_login", true},
		{"all permits anything", "root", "toor", "whatever_action", true},
		{"long password", "long", longPw, "list_calls", true},

		{"wrong password", "api", "Secret", "list_calls", false},
		{"password prefix", "api", "secre", "list_calls", false},
		{"unknown user", "nobody", "secret", "list_calls", false},
		{"missing permission", "api", "secret", "hangup", false},
		{"another user's password", "root", "secret", "list_calls", false},
		{"long password differing after byte 72", "long", longPw[:99] + "y", "list_calls", false},
		{"long password truncated", "long", longPw[:72], "list_calls", false},
		{"empty password", "api", "", "list_calls", false},
		{"invalid name", "a p i", "secret", "list_calls", false},
		{"invalid action", "api", "secret", "ListCalls", false},
		{"action all is not a wildcard request", "api", "secret", "all", false},
	}
	auth := withoutBackoff(NewAuthenticator(db, time.Minute))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, check := range []func() error{
				func() error {
					return Authenticate(context.Background(), db, Credentials{Name: tt.user, Password: tt.password}, tt.action)
				},
				func() error {
					return auth.Check(context.Background(), Credentials{Name: tt.user, Password: tt.password}, tt.action)
				},
				func() error {
					return auth.Check(context.Background(), Credentials{Name: tt.user, Password: tt.password}, tt.action)
				}, // cached
			} {
				err := check()
				if tt.ok && err != nil {
					t.Fatalf("check %d = %v, want nil", i, err)
				}
				if !tt.ok && err != ErrUnauthorized { // exactly the sentinel, not wrapped
					t.Fatalf("check %d = %v, want exactly ErrUnauthorized", i, err)
				}
			}
		})
	}
}

// withoutBackoff lets a's tests fail logins as often as they like.
func withoutBackoff(a *Authenticator) *Authenticator {
	a.throttle = backoff.New(backoff.Policy{Free: 1 << 30, MaxKeys: 100})
	return a
}

// counting returns an Authenticator on db whose clock the test sets and
// which counts bcrypt comparisons.
func counting(db *store.DB, ttl time.Duration) (*Authenticator, *atomic.Int64, *time.Time) {
	a := NewAuthenticator(db, ttl)
	var n atomic.Int64
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	a.compare = func(hash, pw []byte) error {
		n.Add(1)
		return bcrypt.CompareHashAndPassword(hash, pw)
	}
	return a, &n, &now
}

func TestAuthenticatorCache(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, "api", "secret", []string{"list_calls"})
	a, compares, now := counting(db, time.Minute)

	expect := func(step, password, action string, wantErr error, wantCompares int64) {
		t.Helper()
		before := compares.Load()
		err := a.Check(context.Background(), Credentials{Name: "api", Password: password}, action)
		if err != wantErr { // exactly the sentinel, not wrapped
			t.Fatalf("%s: Check = %v, want %v", step, err, wantErr)
		}
		if got := compares.Load() - before; got != wantCompares {
			t.Fatalf("%s: %d bcrypt comparisons, want %d", step, got, wantCompares)
		}
	}

	expect("first", "secret", "list_calls", nil, 1)
	expect("cached", "secret", "list_calls", nil, 0)
	expect("cached, forbidden action costs a comparison", "secret", "hangup", ErrUnauthorized, 1)
	expect("wrong password", "wrong", "list_calls", ErrUnauthorized, 1)
	expect("wrong password again is not cached", "wrong", "list_calls", ErrUnauthorized, 1)
	expect("still cached", "secret", "list_calls", nil, 0)

	*now = now.Add(59 * time.Second)
	expect("before expiry", "secret", "list_calls", nil, 0)
	*now = now.Add(time.Second)
	expect("expired", "secret", "list_calls", nil, 1)
	expect("cached again", "secret", "list_calls", nil, 0)

	// Deleted: refused at once, through the dummy comparison.
	if err := Delete(db, "api"); err != nil {
		t.Fatal(err)
	}
	expect("deleted", "secret", "list_calls", ErrUnauthorized, 1)

	// Re-added with another password: the old one is refused.
	mustAdd(t, db, "api", "new-secret", []string{"list_calls"})
	expect("old password after re-add", "secret", "list_calls", ErrUnauthorized, 1)
	expect("new password", "new-secret", "list_calls", nil, 1)
	expect("new password cached", "new-secret", "list_calls", nil, 0)

	// Re-added with the same password: a new salt, so verified anew, and
	// the new permissions apply.
	if err := Delete(db, "api"); err != nil {
		t.Fatal(err)
	}
	mustAdd(t, db, "api", "new-secret", []string{"hangup"})
	expect("same password, new record", "new-secret", "hangup", nil, 1)
	expect("old permission gone", "new-secret", "list_calls", ErrUnauthorized, 1)
}

func TestAuthenticatorUnknownUserCostsACompare(t *testing.T) {
	db := storetest.New(t)
	a, compares, _ := counting(db, time.Minute)
	for i := range 3 {
		if err := a.Check(context.Background(), Credentials{Name: "ghost", Password: "pw"}, "list_calls"); err != ErrUnauthorized {
			t.Fatalf("Check = %v", err)
		}
		if got := compares.Load(); got != int64(i+1) {
			t.Fatalf("after %d checks: %d comparisons", i+1, got)
		}
	}
	if a.cacheLen() != 0 {
		t.Fatalf("a failure was cached")
	}
}

func TestAuthenticatorNoCache(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, "api", "secret", nil)
	a, compares, _ := counting(db, 0)
	for range 3 {
		if err := a.Check(context.Background(), Credentials{Name: "api", Password: "secret"}, "x"); err != nil {
			t.Fatal(err)
		}
	}
	if compares.Load() != 3 || a.cacheLen() != 0 {
		t.Fatalf("ttl 0: %d comparisons, %d cached", compares.Load(), a.cacheLen())
	}
}

func TestAuthenticatorCacheIsBounded(t *testing.T) {
	db := storetest.New(t)
	a, compares, now := counting(db, time.Minute)
	a.max = 4
	users := []string{"u1", "u2", "u3", "u4", "u5", "u6"}
	for _, u := range users {
		mustAdd(t, db, u, "pw-"+u, nil)
	}
	for _, u := range users {
		if err := a.Check(context.Background(), Credentials{Name: u, Password: "pw-" + u}, "x"); err != nil {
			t.Fatal(err)
		}
		if n := a.cacheLen(); n > a.max {
			t.Fatalf("cache holds %d entries, max %d", n, a.max)
		}
	}
	// Everyone still authenticates, evicted or not.
	for _, u := range users {
		if err := a.Check(context.Background(), Credentials{Name: u, Password: "pw-" + u}, "x"); err != nil {
			t.Fatal(err)
		}
	}
	// Expired entries are swept before anything live is evicted.
	*now = now.Add(2 * time.Minute)
	before := compares.Load()
	for _, u := range users[:4] {
		if err := a.Check(context.Background(), Credentials{Name: u, Password: "pw-" + u}, "x"); err != nil {
			t.Fatal(err)
		}
	}
	if got := compares.Load() - before; got != 4 {
		t.Fatalf("after expiry: %d comparisons, want 4", got)
	}
	before = compares.Load()
	for _, u := range users[:4] {
		a.Check(context.Background(), Credentials{Name: u, Password: "pw-" + u}, "x")
	}
	if got := compares.Load() - before; got != 0 {
		t.Fatalf("4 fresh entries in a cache of 4: %d comparisons, want 0", got)
	}
}

func TestAuthenticatorConcurrent(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, "api", "secret", []string{"list_calls"})
	mustAdd(t, db, "other", "pw", nil)
	a := withoutBackoff(NewAuthenticator(db, time.Minute))

	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				var err error
				switch {
				case g == 0 && i%10 == 0:
					if err = a.Check(context.Background(), Credentials{Name: "api", Password: "wrong"}, "list_calls"); err == ErrUnauthorized {
						err = nil
					}
				case g == 1 && i%10 == 0:
					if err = a.Check(context.Background(), Credentials{Name: "nobody", Password: "secret"}, "list_calls"); err == ErrUnauthorized {
						err = nil
					}
				case g%2 == 0:
					err = a.Check(context.Background(), Credentials{Name: "api", Password: "secret"}, "list_calls")
				default:
					err = a.Check(context.Background(), Credentials{Name: "other", Password: "pw"}, "anything")
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	// Users come and go meanwhile.
	wg.Go(func() {
		for i := range 5 {
			name := "temp" + string(rune('a'+i))
			if err := Add(db, name, "pw", nil); err != nil {
				errs <- err
				return
			}
			a.Check(context.Background(), Credentials{Name: name, Password: "pw"}, "x")
			if err := Delete(db, name); err != nil {
				errs <- err
				return
			}
			if err := a.Check(context.Background(), Credentials{Name: name, Password: "pw"}, "x"); err != ErrUnauthorized {
				errs <- errors.New("deleted user accepted")
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestTiming logs how long an unknown user and a wrong password take; it
// asserts nothing (timing on shared machines is noisy).
func TestTiming(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, "api", "secret", nil)
	measure := func(name, password string) time.Duration {
		const n = 20
		start := time.Now()
		for range n {
			Authenticate(context.Background(), db, Credentials{Name: name, Password: password}, "list_calls")
		}
		return time.Since(start) / n
	}
	measure("api", "warm-up")
	unknown := measure("nobody", "secret")
	wrong := measure("api", "wrong")
	t.Logf("bcrypt cost %d: unknown user %v, wrong password %v per check", hashCost, unknown, wrong)
}
