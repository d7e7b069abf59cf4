package webhook

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/store"
)

// TestMain runs the crash helper when the test binary is started as one.
func TestMain(m *testing.M) {
	if os.Getenv("CALLCTL_WEBHOOK_CRASH_HELPER") != "" {
		crashHelper()
		return
	}
	os.Exit(m.Run())
}

const crashDeliveries = 10000

// crashHelper queues crashDeliveries notifications in the database of
// CALLCTL_WEBHOOK_CRASH_HELPER, says so, and sends them until it is killed.
func crashHelper() {
	fail := func(err error) { fmt.Println("error:", err); os.Exit(1) }
	db, err := store.Open(os.Getenv("CALLCTL_WEBHOOK_CRASH_HELPER"), nil)
	if err != nil {
		fail(err)
	}
	o, err := New(db, DefaultConfig(), Options{Log: zerolog.Nop()})
	if err != nil {
		fail(err)
	}
	for batch := 0; batch < crashDeliveries/500; batch++ {
		err := db.Update(func(tx *store.Tx) error {
			for i := 1; i <= 500; i++ {
				call := uint64(batch*500 + i)
				if err := o.Notify(tx, CallEvent{CallID: call, Seq: 1, Trigger: TriggerArrival, Params: Params{ID: call, Src: "36301234567"}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			fail(err)
		}
	}
	fmt.Println("queued")
	o.Run(context.Background())
}

// kill -9 of a process with 10,000 deliveries pending (some in flight):
// after the restart every one is delivered, each under its own stable
// webhook-id, none lost.
func TestKill9With10000Pending(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t)
	rcv.delay = 20 * time.Millisecond // slow: most are still pending at the kill
	o, err := New(db, DefaultConfig(), Options{Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	mustSave(t, o, Client{Name: "crm", Kind: KindCallNotify, URL: rcv.URL(), Retry: fast(8, 50*time.Millisecond), Concurrency: 16})
	db.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CALLCTL_WEBHOOK_CRASH_HELPER="+dir)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "queued\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper: %q", line)
	}
	rcv.wait(50, 30*time.Second)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()
	before := len(rcv.requests())

	// Restart: how long loading takes, and what it holds in memory.
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	db, err = store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	o, err = New(db, DefaultConfig(), Options{Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	loaded := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	pending, _ := o.sched.stats()
	var delivered int
	db.View(func(tx *store.Tx) error { delivered, _ = tx.Count(store.BucketWebhookLog); return nil })
	if pending+delivered != crashDeliveries {
		t.Fatalf("after kill -9: %d pending + %d delivered, want %d", pending, delivered, crashDeliveries)
	}
	t.Logf("killed after %d requests; restart loaded %d pending in %s, %.1f MiB heap", before, pending, loaded,
		float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/(1<<20))

	rcv.delay = 0
	rctx, stop := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- o.Run(rctx) }()
	defer func() { stop(); <-runDone }()
	ids := map[string]bool{}
	perCall := map[string]map[string]bool{}
	seen := 0
	waitFor(t, 90*time.Second, "every delivery received", func() bool {
		reqs := rcv.requests()
		for _, r := range reqs[seen:] {
			id := r.Header.Get("webhook-id")
			ids[id] = true
			q, _ := urlQuery(r.URL)
			if perCall[q["id"]] == nil {
				perCall[q["id"]] = map[string]bool{}
			}
			perCall[q["id"]][id] = true
		}
		seen = len(reqs)
		return len(perCall) == crashDeliveries
	})
	for call, set := range perCall {
		if len(set) != 1 {
			t.Errorf("call %s arrived under %d webhook-ids", call, len(set))
		}
	}
	if len(ids) != crashDeliveries {
		t.Errorf("%d distinct webhook-ids, want %d", len(ids), crashDeliveries)
	}
	waitFor(t, 10*time.Second, "nothing pending", func() bool { n, _ := o.sched.stats(); return n == 0 })
	t.Logf("%d requests in all: %d sent again after the kill (in flight, not yet recorded)", len(rcv.requests()), len(rcv.requests())-crashDeliveries)
}
