package cdrfeed_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr/cdrfeed"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store/storetest"
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
	if os.Getenv("CDRFEED_HEAP_PROFILE") != "" {
		runtime.MemProfileRate = 1 // every allocation, for a profile of a few MB
	}
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

// BenchmarkFeedReplay50cps replays the AMI stream callctl's AMI user
// received during a 50 calls/s load run on the test bed (300 outbound
// answered calls, 3 s talk, recorded with `go run ./test/load/cps -record`)
// through the whole feed: AMI text over TCP → parse → tracker → live view →
// group commits on a temporary bbolt, at the recorded pace (from another
// process), so wake-ups and commit batching are those of the running
// daemon. It reports the CPU time (user+system), context switches and
// allocations per event of the feed's process. Run it with GOMAXPROCS=1,
// as the daemon runs (max_procs).
func BenchmarkFeedReplay50cps(b *testing.B) {
	events := recordedStream(b, "load-50cps.ami.gz")
	replayedEvents = len(events)
	calls := map[string]bool{}
	for _, e := range events {
		if id := header(e.text, "Linkedid"); id != "" {
			calls[id] = true
		}
	}
	for b.Loop() {
		replay(b, len(calls))
	}
}

// replay plays the events from a separate process (this test binary,
// re-executed: see TestMain), so that the CPU time and context switches
// measured here are the feed's and its AMI client's alone.
func replay(b *testing.B, calls int) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), replayServerEnv+"=load-50cps.ami.gz")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close() // the replayer ends when its stdin does
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		b.Fatal("the replayer did not start")
	}
	cfg := ami.DefaultConfig()
	cfg.Addr = lines.Text()
	cfg.PingInterval = time.Hour
	client := ami.New(cfg, zerolog.Nop(), nil)
	dir, err := pbx.New(pbx.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	db := storetest.New(b)
	feed, err := cdrfeed.New(cdrfeed.DefaultConfig(), client, db, dir, zerolog.Nop(), nil, cdrfeed.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go client.Run(ctx)
	done := make(chan error, 1)
	go func() { done <- feed.Run(ctx) }()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	u0 := usage()
	if !lines.Scan() || lines.Text() != "done" { // it starts after the feed's first resynchronisation
		b.Fatal("the replay did not end")
	}
	waitFor(b, "the records", 30*time.Second, func() bool { return len(stored(b, db)) == calls })
	u1 := usage()
	runtime.ReadMemStats(&m1)
	cancel()
	<-done
	n := float64(replayedEvents)
	b.ReportMetric(float64((u1.cpu-u0.cpu).Microseconds())/n, "cpu-µs/event")
	b.ReportMetric(float64(u1.switches-u0.switches)/n, "ctxsw/event")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/n, "allocs/event")
}

// replayedEvents is the number of events of the recording.
var replayedEvents int

const replayServerEnv = "CALLCTL_CDRFEED_REPLAY_SERVER"

func TestMain(m *testing.M) {
	if name := os.Getenv(replayServerEnv); name != "" {
		replayServer(name)
		return
	}
	os.Exit(m.Run())
}

// processTB lets the test helpers run outside a test: a failure ends the
// process.
type processTB struct{ testing.TB }

func (processTB) Helper()           {}
func (processTB) Cleanup(func())    {}
func (processTB) Fatal(args ...any) { fmt.Fprintln(os.Stderr, args...); os.Exit(1) }
func (processTB) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

// replayServer is a fake Asterisk that prints its address, waits for a
// client's first CoreShowChannels, writes a recording at its pace, prints
// "done", and serves until its stdin ends.
func replayServer(name string) {
	t := processTB{}
	events := recordedStream(t, name)
	fake := newFakeAMI(t)
	fmt.Println(fake.addr())
	for fake.resyncs() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	t0, first := time.Now(), events[0].at
	for i := 0; i < len(events); {
		// Everything due by now goes in one write, as Asterisk's
		// bursts arrive.
		due := first.Add(time.Since(t0))
		var burst strings.Builder
		for ; i < len(events) && !events[i].at.After(due); i++ {
			burst.WriteString(events[i].text)
		}
		if burst.Len() > 0 {
			fake.write(burst.String())
		}
		if i < len(events) {
			time.Sleep(time.Until(t0.Add(events[i].at.Sub(first))))
		}
	}
	fmt.Println("done")
	io.Copy(io.Discard, os.Stdin)
	fake.close()
}

type recordedEvent struct {
	at   time.Time // its Timestamp (events without one go with the one before)
	text string
}

// recordedStream reads a gzipped AMI text recording into its events.
func recordedStream(t testing.TB, name string) []recordedEvent {
	f, err := os.Open(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	var out []recordedEvent
	var at time.Time
	text := string(raw)
	for {
		block, rest, ok := strings.Cut(text, "\r\n\r\n")
		if !ok { // a recording stops where the run did: drop a partial event
			break
		}
		text = rest
		if ts := header(block, "Timestamp"); ts != "" {
			at = ami.ParseTimestamp(ts)
		}
		if !at.IsZero() {
			out = append(out, recordedEvent{at, block + "\r\n\r\n"})
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no events", name)
	}
	return out
}

// header returns the value of an AMI header in an event's text.
func header(block, name string) string {
	for _, line := range strings.Split(block, "\r\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && k == name {
			return v
		}
	}
	return ""
}

type rusage struct {
	cpu      time.Duration // user and system
	switches int64         // context switches, voluntary or not
}

// usage is what the process has used so far.
func usage() rusage {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return rusage{time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Nvcsw + ru.Nivcsw}
}
