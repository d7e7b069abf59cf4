package agents

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/callctl/callctl/internal/backoff"
	"github.com/callctl/callctl/internal/hashlimit"
	"github.com/callctl/callctl/store/storetest"
)

func TestCheckerBacksOffAfterFailedPINs(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, NewAgent{Number: "1001", PIN: "1234"})
	c := NewChecker(db)
	ctx := context.Background()
	if _, err := c.Check(ctx, "1001", "1234", "192.0.2.10"); err != nil {
		t.Fatal(err)
	}
	for i := range backoff.DefaultPolicy.Free + 2 {
		_, err := c.Check(ctx, "1001", "0000", "198.51.100.7")
		want := ErrBadCredentials
		if i >= backoff.DefaultPolicy.Free {
			want = ErrThrottled
		}
		if err != want {
			t.Fatalf("wrong PIN %d: %v, want %v", i+1, err, want)
		}
	}
	// The guesser's address is held even with the right PIN; the agent's
	// own line's address is not.
	if _, err := c.Check(ctx, "1001", "1234", "198.51.100.7"); err != ErrThrottled {
		t.Fatalf("right PIN from the guesser: %v, want ErrThrottled", err)
	}
	if _, err := c.Check(ctx, "1001", "1234", "192.0.2.10"); err != nil {
		t.Fatalf("right PIN from the agent's usual address: %v", err)
	}
}

func TestCheckerBusyAndEndedWaits(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, NewAgent{Number: "1001", PIN: "1234"})
	c := NewChecker(db)
	c.limit = hashlimit.New(1, 1)
	release, holding := make(chan struct{}), make(chan struct{})
	var once sync.Once
	c.compare = func(hash, pin []byte) error {
		once.Do(func() { close(holding); <-release })
		return bcrypt.CompareHashAndPassword(hash, pin)
	}
	var wg sync.WaitGroup
	wg.Go(func() { c.Check(context.Background(), "1001", "1234", "192.0.2.1") })
	<-holding

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := c.Check(ctx, "1002", "1234", "192.0.2.2"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("unknown agent, wait ended: %v, want the deadline (not bad credentials)", err)
	}
	wg.Go(func() { c.Check(context.Background(), "1001", "1234", "192.0.2.3") }) // fills the queue
	for c.limit.Waiting() < 1 {
		time.Sleep(time.Millisecond)
	}
	for _, number := range []string{"1001", "1002"} {
		if _, err := c.Check(context.Background(), number, "1234", "192.0.2.4"); err != ErrBusy {
			t.Fatalf("%s with a full queue: %v, want ErrBusy", number, err)
		}
	}
	close(release)
	wg.Wait()
}
