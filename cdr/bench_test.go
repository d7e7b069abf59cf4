package cdr_test

import (
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrfeed"
)

// allFixtureEvents is every recorded event, as AMI header maps.
func allFixtureEvents(b testing.TB) []map[string]string {
	var all []map[string]string
	for _, name := range fixtureNames(b) {
		if name == "restart-mid-call" {
			continue // its resync needs the replay helper
		}
		all = append(all, loadFixture(b, name)...)
	}
	return all
}

// BenchmarkTrackerApply: parsed events through the tracker.
func BenchmarkTrackerApply(b *testing.B) {
	var events []cdr.Event
	for _, m := range allFixtureEvents(b) {
		if e, ok := cdrfeed.ParseEvent(ami.Message(m)); ok {
			events = append(events, e)
		}
	}
	tr := newTestTracker(b)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for i := range events {
			tr.Apply(&events[i])
		}
		n += len(events)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkParseAndApply: AMI header maps (as the ami package delivers them,
// every event of the logs, tracked or not) parsed and applied.
func BenchmarkParseAndApply(b *testing.B) {
	events := allFixtureEvents(b)
	tr := newTestTracker(b)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for _, m := range events {
			if e, ok := cdrfeed.ParseEvent(ami.Message(m)); ok {
				tr.Apply(&e)
			}
		}
		n += len(events)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkLiveCallMemory: heap per call in progress, from the answered part
// of an inbound call (its events up to the bridge), copied with fresh ids.
func BenchmarkLiveCallMemory(b *testing.B) {
	upTo := untilHangup(b, "ivr-queue")
	const calls = 2000
	for b.Loop() {
		tr := newTestTracker(b)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		applyCopies(tr, upTo, calls)
		runtime.GC()
		runtime.ReadMemStats(&after)
		if len(tr.Live()) != calls {
			b.Fatalf("%d live calls, want %d", len(tr.Live()), calls)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/calls, "bytes/call")
	}
}

// BenchmarkTrackerLive100: building the live view of 100 answered calls
// in progress, as a listcalls request does now that the view is built
// when read.
func BenchmarkTrackerLive100(b *testing.B) {
	upTo := untilHangup(b, "outbound-answered")
	const calls = 100
	tr := newTestTracker(b)
	applyCopies(tr, upTo, calls)
	if n := len(tr.Live()); n != calls {
		b.Fatalf("%d live calls, want %d", n, calls)
	}
	b.ReportAllocs()
	for b.Loop() {
		tr.Live()
	}
}

// untilHangup is a fixture's messages up to its first HangupRequest: the
// part of the call while it is up.
func untilHangup(b *testing.B, fixture string) []map[string]string {
	var upTo []map[string]string
	for _, m := range loadFixture(b, fixture) {
		if m["Event"] == "HangupRequest" {
			break
		}
		upTo = append(upTo, m)
	}
	return upTo
}

// applyCopies applies calls copies of msgs to tr, each with its own ids.
func applyCopies(tr *cdr.Tracker, msgs []map[string]string, calls int) {
	for c := 0; c < calls; c++ {
		suffix := "-" + strconv.Itoa(c)
		for _, m := range msgs {
			mm := make(map[string]string, len(m))
			for k, v := range m {
				if strings.HasSuffix(k, "Uniqueid") || strings.HasSuffix(k, "Linkedid") {
					v += suffix
				}
				mm[k] = v
			}
			if e, ok := cdrfeed.ParseEvent(ami.Message(mm)); ok {
				tr.Apply(&e)
			}
		}
	}
}
