package flight

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestConcurrentCallersShareOneRun(t *testing.T) {
	var g Group[string]
	var runs atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			err := g.Do(context.Background(), "k", func(context.Context) error {
				runs.Add(1)
				<-release
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	time.Sleep(50 * time.Millisecond) // let them all queue on the one run
	close(release)
	wg.Wait()
	if n := runs.Load(); n != 1 {
		t.Fatalf("%d runs for 50 concurrent callers, want 1", n)
	}
	// Done runs are forgotten: the next caller runs again.
	g.Do(context.Background(), "k", func(context.Context) error { runs.Add(1); return nil })
	if n := runs.Load(); n != 2 {
		t.Fatalf("runs = %d after a later call, want 2", n)
	}
}

func TestWaiterLeavesWithItsContext(t *testing.T) {
	var g Group[int]
	release := make(chan struct{})
	started := make(chan struct{})
	go g.Do(context.Background(), 1, func(context.Context) error { close(started); <-release; return nil })
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := g.Do(ctx, 1, func(context.Context) error { return nil }); err != context.DeadlineExceeded {
		t.Fatalf("waiter: %v, want its deadline", err)
	}
	close(release)
}

func TestWaiterRetriesWhenTheLeaderGivesUp(t *testing.T) {
	var g Group[int]
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	started := make(chan struct{})
	leaderDone := make(chan error, 1)
	go func() {
		leaderDone <- g.Do(leaderCtx, 1, func(ctx context.Context) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		})
	}()
	<-started
	waiter := make(chan error, 1)
	go func() { waiter <- g.Do(context.Background(), 1, func(context.Context) error { return nil }) }()
	time.Sleep(20 * time.Millisecond)
	cancelLeader()
	if err := <-leaderDone; err != context.Canceled {
		t.Fatalf("leader: %v", err)
	}
	if err := <-waiter; err != nil {
		t.Fatalf("waiter after the leader gave up: %v, want its own run's nil", err)
	}
}
