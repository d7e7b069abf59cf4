package webhook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
)

// BenchmarkOutboxThroughput: call_end deliveries (each rendered from its
// stored record, signed, sent over HTTP and recorded) to a local receiver,
// with one client at concurrency 8. Reported: deliveries/s from the first
// enqueue to the last result recorded.
func BenchmarkOutboxThroughput(b *testing.B) {
	var received atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		received.Add(1)
		w.WriteHeader(204)
	}))
	defer srv.Close()
	db := storetest.New(b)
	o, err := New(db, DefaultConfig(), Options{Location: time.UTC, NodeID: "bench", Log: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := o.Save(Client{Name: "crm", Kind: KindCallEnd, URL: srv.URL, Concurrency: 8,
		Secret: "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"}, false); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- o.Run(ctx) }()
	defer func() { cancel(); <-done }()
	rec := sampleRecord()
	rec.Legs = []cdr.Leg{{ID: 1, Direction: cdr.Inbound, Start: rec.Start, Answer: rec.Answer, Hangup: rec.Hangup, Src: "1", Dst: "2", Exten: "1001"}}

	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i += 100 {
		err := db.Update(func(tx *store.Tx) error {
			for j := i; j < min(i+100, b.N); j++ {
				r := rec
				r.ID = uint64(j + 1)
				if err := cdrstore.Save(tx, &r); err != nil {
					return err
				}
				if err := o.OnFinished(tx, &r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for {
		if n, _ := o.sched.stats(); n == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	el := time.Since(start)
	b.ReportMetric(float64(b.N)/el.Seconds(), "deliveries/s")
	if received.Load() < int64(b.N) {
		b.Fatalf("received %d of %d", received.Load(), b.N)
	}
}

// BenchmarkRestart10000Pending: New on a database with 10,000 pending
// deliveries (the restart cost; its heap is logged by TestKill9With10000Pending).
func BenchmarkRestart10000Pending(b *testing.B) {
	db := storetest.New(b)
	o, err := New(db, DefaultConfig(), Options{Log: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := o.Save(Client{Name: "crm", Kind: KindCallNotify, URL: "http://127.0.0.1:9/"}, false); err != nil {
		b.Fatal(err)
	}
	for batch := 0; batch < 20; batch++ {
		db.Update(func(tx *store.Tx) error {
			for i := 1; i <= 500; i++ {
				call := uint64(batch*500 + i)
				if err := o.Notify(tx, CallEvent{CallID: call, Seq: 1, Trigger: TriggerArrival, Params: Params{ID: call, Src: "36301234567"}}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o2, err := New(db, DefaultConfig(), Options{Log: zerolog.Nop()})
		if err != nil {
			b.Fatal(err)
		}
		if n, _ := o2.sched.stats(); n != 10000 {
			b.Fatalf("%d pending", n)
		}
	}
}
