package natsink_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/callctl/callctl/natsink/natstest"
	"github.com/callctl/callctl/store"
)

// TestCrashChild is the callctl killed by TestKilledMidPublish: it runs the
// sink on the database in NATSINK_CRASH_DIR until it is killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("NATSINK_CRASH_DIR")
	if dir == "" {
		t.Skip("run by TestKilledMidPublish")
	}
	db, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := newSink(t, db, testConfig(os.Getenv("NATSINK_CRASH_URL")))
	s.Run(context.Background())
}

// kill -9 of callctl while it publishes a backlog, then a restart: every
// message is in the stream once (those acknowledged but not yet removed
// from the outbox are sent again and dropped by the stream's duplicate
// window), in order per call.
func TestKilledMidPublish(t *testing.T) {
	srv := natstest.Server(t)
	dir := t.TempDir()
	db, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs := calls(t, 1500)
	changes := interleave(cs)
	enqueue(t, db, newSink(t, db, testConfig(srv.URL())), changes, 50)
	db.Close()

	child := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	child.Env = append(os.Environ(), "NATSINK_CRASH_DIR="+dir, "NATSINK_CRASH_URL="+srv.URL())
	child.Stdout, child.Stderr = os.Stderr, os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		if ctx.Err() != nil {
			child.Process.Kill()
			t.Fatal("the child published too little")
		}
		if st, err := js.Stream(ctx, "CALLCTL"); err == nil {
			if info, err := st.Info(ctx); err == nil && info.State.Msgs >= uint64(len(changes)/3) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	child.Process.Signal(os.Kill) // kill -9
	child.Wait()

	db, err = store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // after the sink's stop
	left := pending(t, db)
	published := streamLen(t, ctx, js, "CALLCTL")
	t.Logf("killed with %d of %d messages in the stream, %d in the outbox (%d acknowledged, not yet removed)",
		published, len(changes), left, uint64(left)-(uint64(len(changes))-published))
	if left == 0 || left == len(changes) {
		t.Fatalf("killed with %d messages in the outbox: not mid-publish", left)
	}
	s := newSink(t, db, testConfig(srv.URL()))
	run(t, s)
	waitFor(t, "the outbox to drain", 30*time.Second, func() bool { return s.Status().Pending == 0 && pending(t, db) == 0 })
	checkStream(t, readStream(t, srv.URL(), "CALLCTL"), cs)
}

// One node of a three-node cluster dies during a load: the client moves
// to another node, the stream (three replicas) keeps its quorum, and no
// message is lost or doubled.
func TestClusterNodeKilledDuringLoad(t *testing.T) {
	cluster := natstest.NewCluster(t, 3)
	db := openDB(t)
	cfg := testConfig(cluster.URL())
	cfg.Replicas = 3
	s := newSink(t, db, cfg)
	run(t, s)
	cs := calls(t, 600)
	changes := interleave(cs)
	loaded := make(chan struct{})
	go func() {
		defer close(loaded)
		for i := 0; i < len(changes); i += 20 { // about 3 s of load
			enqueue(t, db, s, changes[i:min(i+20, len(changes))], 20)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	waitFor(t, "the first acknowledgements", 30*time.Second, func() bool { return s.Status().LastAck != nil })
	time.Sleep(500 * time.Millisecond)
	server := s.Status().Server
	var killed int
	for i, n := range cluster.Nodes {
		if strings.HasSuffix(server, strings.TrimPrefix(n.URL(), "nats://")) {
			killed = i
		}
	}
	cluster.Nodes[killed].Stop()
	t.Logf("node %d (%s) killed with %d messages pending", killed+1, server, s.Status().Pending)
	<-loaded
	waitFor(t, "the outbox to drain", 60*time.Second, func() bool { return s.Status().Pending == 0 })
	alive := cluster.Nodes[(killed+1)%3].URL()
	// The two nodes left elect new leaders in their own time (seconds on a
	// busy machine): read once the stream answers there.
	waitFor(t, "the stream to answer on a live node", 60*time.Second, func() bool { return streamAnswers(alive, "CALLCTL") })
	checkStream(t, readStream(t, alive, "CALLCTL"), cs)
	if st := s.Status(); !st.Connected || st.Server == server {
		t.Errorf("after the kill: status %+v", st)
	}
}
