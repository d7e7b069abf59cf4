package hashlimit

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestQueueIsBoundedAndWaitsEndWithTheirContext(t *testing.T) {
	l := New(1, 2)
	release, running := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { l.Do(context.Background(), func() error { close(running); <-release; return nil }) })
	<-running
	ctx, cancel := context.WithCancel(context.Background())
	waiters := make(chan error, 2)
	for range 2 {
		go func() { waiters <- l.Do(ctx, func() error { t.Error("ran after its context ended"); return nil }) }()
	}
	for l.Waiting() < 2 {
		time.Sleep(time.Millisecond)
	}
	if err := l.Do(context.Background(), func() error { return nil }); err != ErrBusy {
		t.Fatalf("third waiter: %v, want ErrBusy", err)
	}
	cancel()
	for range 2 {
		if err := <-waiters; err != context.Canceled {
			t.Fatalf("waiter: %v, want context.Canceled", err)
		}
	}
	if l.Waiting() != 0 {
		t.Fatalf("%d still waiting", l.Waiting())
	}
	close(release)
	wg.Wait()
	if err := l.Do(context.Background(), func() error { return nil }); err != nil {
		t.Fatalf("free slot: %v", err)
	}
}
