package users

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/callctl/callctl/internal/backoff"
	"github.com/callctl/callctl/internal/hashlimit"
	"github.com/callctl/callctl/store/storetest"
)

// slowHashing makes a's comparisons take at least d each, in its own
// limiter of slots and queue, and counts them.
func slowHashing(a *Authenticator, d time.Duration, slots, queue int) *atomic.Int64 {
	var n atomic.Int64
	a.limit = hashlimit.New(slots, queue)
	a.compare = func(hash, pw []byte) error {
		n.Add(1)
		time.Sleep(d)
		return bcrypt.CompareHashAndPassword(hash, pw)
	}
	return &n
}

func TestHerdOfFirstRequestsRunsOneComparison(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, "api", "secret", []string{"list_calls"})
	a := NewAuthenticator(db, time.Minute)
	compares := slowHashing(a, 50*time.Millisecond, 1, 200)

	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 100 {
		wg.Go(func() {
			if err := a.Check(context.Background(), Credentials{Name: "api", Password: "secret", ClientIP: "192.0.2.1"}, "list_calls"); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	n := compares.Load()
	t.Logf("100 concurrent first requests: %d bcrypt comparisons", n)
	if failed.Load() != 0 {
		t.Fatalf("%d of 100 valid requests failed", failed.Load())
	}
	if n > 2 { // one, or two when a late request just missed the first run
		t.Fatalf("%d bcrypt comparisons for 100 concurrent requests with the same credentials, want about 1", n)
	}
}

func TestForbiddenActionAnswersLikeAWrongPassword(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, "api", "secret", []string{"list_calls"})
	a, compares, _ := counting(db, time.Minute)
	c := func(pw string) Credentials { return Credentials{Name: "api", Password: pw, ClientIP: "192.0.2.1"} }
	if err := a.Check(context.Background(), c("secret"), "list_calls"); err != nil {
		t.Fatal(err)
	}
	cached := a.cacheLen()

	// With the right password cached, a forbidden action still costs a
	// comparison, like a wrong password, and caches nothing new.
	for _, pw := range []string{"secret", "wrong"} {
		before := compares.Load()
		if err := a.Check(context.Background(), c(pw), "hangup"); err != ErrUnauthorized {
			t.Fatalf("%s, forbidden action: %v", pw, err)
		}
		if got := compares.Load() - before; got != 1 {
			t.Fatalf("password %q, forbidden action: %d comparisons, want 1 (as a wrong password)", pw, got)
		}
	}
	if a.cacheLen() != cached {
		t.Fatalf("cache grew from %d to %d on refused checks", cached, a.cacheLen())
	}

	// And it counts as a failed login: a client probing forbidden actions
	// with the right password is held back exactly like one guessing.
	probe := func(pw string) []error {
		b := withoutBackoff(NewAuthenticator(db, time.Minute))
		b.throttle = backoff.New(backoff.Policy{Free: 3, Base: time.Minute, Max: time.Minute, Forget: time.Hour, Trust: time.Hour, MaxKeys: 100})
		var errs []error
		for range 5 {
			errs = append(errs, b.Check(context.Background(), c(pw), "hangup"))
		}
		return errs
	}
	right, wrong := probe("secret"), probe("wrong")
	for i := range right {
		if right[i] != wrong[i] {
			t.Fatalf("attempt %d: right password %v, wrong password %v", i+1, right[i], wrong[i])
		}
	}
	if right[4] != ErrThrottled {
		t.Fatalf("fifth forbidden attempt: %v, want ErrThrottled", right[4])
	}
}

func TestWaitForHashingEndsWithTheRequest(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, "api", "secret", nil)
	a := withoutBackoff(NewAuthenticator(db, time.Minute))
	release, holding := make(chan struct{}), make(chan struct{})
	a.limit = hashlimit.New(1, 10)
	a.compare = func(hash, pw []byte) error {
		close(holding) // only the first check gets here
		<-release
		return bcrypt.CompareHashAndPassword(hash, pw)
	}

	go a.Check(context.Background(), Credentials{Name: "api", Password: "holds-the-slot"}, "x")
	<-holding
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := a.Check(ctx, Credentials{Name: "api", Password: "secret"}, "x")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Check while the slot is held: %v, want the request's deadline", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Check returned after %v", d)
	}
	if a.limit.Waiting() != 0 {
		t.Fatalf("%d checks still wait after their requests ended", a.limit.Waiting())
	}
	close(release)
}

func TestFullQueueAnswersBusyAtOnce(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, "api", "secret", nil)
	a := withoutBackoff(NewAuthenticator(db, time.Minute))
	release := make(chan struct{})
	a.limit = hashlimit.New(1, 2)
	a.compare = func(hash, pw []byte) error { <-release; return bcrypt.CompareHashAndPassword(hash, pw) }

	var wg sync.WaitGroup
	for i := range 3 { // one in the slot, two waiting
		wg.Go(func() {
			a.Check(context.Background(), Credentials{Name: "api", Password: "wrong" + string(rune('a'+i))}, "x")
		})
	}
	for a.limit.Waiting() < 2 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	for _, name := range []string{"api", "nobody"} { // known and unknown users alike
		if err := a.Check(context.Background(), Credentials{Name: name, Password: "secret"}, "x"); err != ErrBusy {
			t.Fatalf("%s with a full queue: %v, want ErrBusy", name, err)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("busy answers took %v", d)
	}
	close(release)
	wg.Wait()
	// Busy answers are not failed logins.
	if err := a.Check(context.Background(), Credentials{Name: "api", Password: "secret"}, "x"); err != nil {
		t.Fatal(err)
	}
}

// TestValidLoginUnderAFloodOfBadOnes: 150 bad logins abandoned by their
// clients (each waits 100 ms) must not delay a valid first login: each
// bad one leaves the queue with its request, and the queue is bounded.
// Backoff is off here, to test the queue alone.
func TestValidLoginUnderAFloodOfBadOnes(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, "api", "secret", nil)
	a := withoutBackoff(NewAuthenticator(db, time.Minute))
	slowHashing(a, 60*time.Millisecond, 1, 16) // a 2-core machine at bcrypt cost 10

	var wg sync.WaitGroup
	for i := range 150 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			a.Check(ctx, Credentials{Name: "api", Password: "bad" + string(rune('a'+i%26)) + string(rune('a'+i/26))}, "x")
		})
	}
	time.Sleep(50 * time.Millisecond) // the flood is queued
	start := time.Now()
	var err error
	for { // busy answers are retried, as a client would
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = a.Check(ctx, Credentials{Name: "api", Password: "secret"}, "x")
		cancel()
		if err != ErrBusy || time.Since(start) > 5*time.Second {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	t.Logf("valid first login under 150 abandoned bad logins: %v (%v)", took, err)
	if err != nil || took > time.Second {
		t.Fatalf("valid login: %v after %v, want success within 1 s", err, took)
	}
	wg.Wait()
}

func TestBackoffHoldsTheGuesserNotTheOwner(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, "crm", "secret", nil)
	a, compares, now := counting(db, time.Minute)
	a.throttle.SetClock(func() time.Time { return *now })
	owner := Credentials{Name: "crm", Password: "secret", ClientIP: "192.0.2.10"}
	if err := a.Check(context.Background(), owner, "x"); err != nil {
		t.Fatal(err)
	}
	// Someone else guesses crm's password.
	guess := Credentials{Name: "crm", Password: "guess", ClientIP: "198.51.100.7"}
	var results []error
	for range backoff.DefaultPolicy.Free + 3 {
		results = append(results, a.Check(context.Background(), guess, "x"))
	}
	for i, err := range results {
		want := ErrUnauthorized
		if i >= backoff.DefaultPolicy.Free {
			want = ErrThrottled
		}
		if err != want {
			t.Fatalf("guess %d: %v, want %v", i+1, err, want)
		}
	}
	if n := compares.Load(); n != 1+int64(backoff.DefaultPolicy.Free) {
		t.Fatalf("%d comparisons: throttled guesses must not reach bcrypt", n)
	}
	// The owner, who logged in from its address before, still gets in; a
	// new address for crm is held back with the guesser, and the guesser's
	// address for every name.
	if err := a.Check(context.Background(), owner, "x"); err != nil {
		t.Fatalf("owner during the guessing: %v", err)
	}
	if err := a.Check(context.Background(), Credentials{Name: "crm", Password: "secret", ClientIP: "192.0.2.99"}, "x"); err != ErrThrottled {
		t.Fatalf("crm from a new address during the guessing: %v, want ErrThrottled", err)
	}
	mustAdd(t, db, "other", "pw", nil)
	if err := a.Check(context.Background(), Credentials{Name: "other", Password: "pw", ClientIP: "198.51.100.7"}, "x"); err != ErrThrottled {
		t.Fatalf("the guesser's address, another user: %v, want ErrThrottled", err)
	}
	// The hold ends.
	*now = now.Add(backoff.DefaultPolicy.Max)
	if err := a.Check(context.Background(), Credentials{Name: "crm", Password: "secret", ClientIP: "192.0.2.99"}, "x"); err != nil {
		t.Fatalf("after the hold: %v", err)
	}
}
