package cdrfeed_test

import (
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/cdr/cdrfeed"
)

// callCopies returns the Asterisk events of n copies of a recorded call,
// each with its own uniqueids and linkedid, up to (not including) the
// first event named stop ("" for the whole call), as AMI text; copies are
// numbered from first.
func callCopies(t testing.TB, name string, n int, stop string, first int) (string, int) {
	var events []map[string]string
	for _, m := range loadFixture(t, name) {
		if stop != "" && m["Event"] == stop {
			break
		}
		if !strings.HasPrefix(m["Event"], "Callctl") && m["ActionID"] == "" && !strings.HasPrefix(m["Event"], "CoreShowChannel") {
			events = append(events, m)
		}
	}
	var b strings.Builder
	for c := first; c < first+n; c++ {
		suffix := "-" + strconv.Itoa(c)
		for _, m := range events {
			mm := make(map[string]string, len(m))
			for k, v := range m {
				if strings.HasSuffix(k, "Uniqueid") || strings.HasSuffix(k, "Linkedid") {
					v += suffix
				}
				if k == "Channel" || k == "DestChannel" {
					v += suffix
				}
				mm[k] = v
			}
			amiText(&b, mm)
		}
	}
	return b.String(), n * len(events)
}

// BenchmarkFeedLiveCallMemory: heap kept per call in progress by the whole
// CDR engine (the tracker, the live view, the state waiting to be saved,
// the AMI client's share), for answered outbound calls (the load test's
// kind), read over AMI text from a fake Asterisk.
func BenchmarkFeedLiveCallMemory(b *testing.B) {
	const calls = 2000
	for b.Loop() {
		r := start(b, cdrfeed.Options{})
		const chunk = 100 // calls written at once: within the AMI queue
		var texts []string
		for i := 0; i < calls/chunk; i++ {
			text, _ := callCopies(b, "outbound-answered", chunk, "HangupRequest", i*chunk)
			texts = append(texts, text)
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i, text := range texts {
			r.fake.write(text)
			waitFor(b, "the calls", 5*time.Second, func() bool { return r.feed.View().Len() == (i+1)*chunk })
		}
		time.Sleep(1500 * time.Millisecond) // a save of the calls in progress
		runtime.GC()
		runtime.ReadMemStats(&after)
		if path := os.Getenv("CDRFEED_HEAP_PROFILE"); path != "" { // where the bytes are
			if f, err := os.Create(path); err == nil {
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
		runtime.KeepAlive(texts)
		b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/calls, "bytes/call")
		r.stop()
	}
}
