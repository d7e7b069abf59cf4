package natsink_test

import (
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callctl/callctl/natsink/natstest"
)

// BenchmarkDrainBacklog: a backlog of committed messages (the outbox after
// an outage) published with acknowledgements and removed from the outbox,
// to one server and to a three-node cluster (stream with three replicas).
// Reports msgs/s and the drain time.
func BenchmarkDrainBacklog(b *testing.B) {
	const n = 3000 // calls: about 18,500 messages
	for _, c := range []struct {
		name     string
		nodes    int
		replicas int
	}{{"server", 1, 1}, {"cluster-R3", 3, 3}} {
		b.Run(c.name, func(b *testing.B) {
			cs := calls(b, n)
			changes := interleave(cs)
			for b.Loop() {
				b.StopTimer()
				url := ""
				if c.nodes == 1 {
					url = natstest.Server(b).URL()
				} else {
					url = natstest.NewCluster(b, c.nodes).URL()
				}
				db := openDB(b)
				cfg := testConfig(url)
				cfg.Replicas = c.replicas
				s := newSink(b, db, cfg)
				enqueue(b, db, s, changes, 500)
				b.StartTimer()
				start := time.Now()
				stop := run(b, s)
				waitFor(b, "the backlog", 120*time.Second, func() bool { return s.Status().Pending == 0 })
				took := time.Since(start)
				b.StopTimer()
				stop()
				b.ReportMetric(float64(len(changes))/took.Seconds(), "msgs/s")
				b.ReportMetric(took.Seconds(), "drain-s")
				b.ReportMetric(float64(len(changes)), "msgs")
				b.StartTimer()
			}
		})
	}
}

// BenchmarkAckLatency: calls finishing at 50 a second (each call's
// changes committed together at its end, as a burst: the worst case for
// the per-call order) to a three-node cluster; reports the commit →
// acknowledgement latency of all messages and of the finished calls', p50
// and p99.
func BenchmarkAckLatency(b *testing.B) {
	const rate, seconds = 50, 20
	for b.Loop() {
		b.StopTimer()
		cluster := natstest.NewCluster(b, 3)
		db := openDB(b)
		cfg := testConfig(cluster.URL())
		cfg.Replicas = 3
		s := newSink(b, db, cfg)
		var mu sync.Mutex
		var lat, finished []time.Duration
		s.SetOnAck(func(subject string, created, at time.Time) {
			mu.Lock()
			lat = append(lat, at.Sub(created))
			if strings.HasSuffix(subject, ".call.finished") {
				finished = append(finished, at.Sub(created))
			}
			mu.Unlock()
		})
		run(b, s)
		cs := calls(b, rate*seconds+1)
		// A first call: the stream is created and has its leader.
		enqueue(b, db, s, cs[0], len(cs[0]))
		waitFor(b, "the stream", 30*time.Second, func() bool { return s.Status().Pending == 0 })
		cs = cs[1:]
		mu.Lock()
		lat, finished = lat[:0], finished[:0]
		mu.Unlock()
		b.StartTimer()
		tick := time.NewTicker(time.Second / rate)
		for _, c := range cs {
			<-tick.C
			enqueue(b, db, s, c, len(c))
		}
		tick.Stop()
		waitFor(b, "the last acks", 30*time.Second, func() bool { return s.Status().Pending == 0 })
		b.StopTimer()
		mu.Lock()
		ms := func(ds []time.Duration, q int) float64 {
			slices.Sort(ds)
			return float64(ds[len(ds)*q/100].Microseconds()) / 1000
		}
		b.ReportMetric(ms(lat, 50), "p50-ms")
		b.ReportMetric(ms(lat, 99), "p99-ms")
		b.ReportMetric(ms(finished, 50), "finished-p50-ms")
		b.ReportMetric(ms(finished, 99), "finished-p99-ms")
		b.ReportMetric(float64(len(lat)), "msgs")
		mu.Unlock()
		b.StartTimer()
	}
}

// BenchmarkRestartWithBacklog: New with 100,000 messages waiting (an
// outage of NATS), the time to load them and the heap they keep.
func BenchmarkRestartWithBacklog(b *testing.B) {
	db := openDB(b)
	cfg := testConfig("nats://127.0.0.1:1")
	s := newSink(b, db, cfg)
	changes := interleave(calls(b, 16000)) // about 100,000
	enqueue(b, db, s, changes, 2000)
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := newSink(b, db, cfg)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(len(changes)), "heap-bytes/msg")
		b.ReportMetric(float64(s.Status().Pending), "msgs")
	}
}
