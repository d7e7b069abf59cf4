// Command cps places calls through the test bed at a fixed rate with sipp
// and reports what callctl cost the PBX host and whether it kept every
// call (`make load-cps`):
//
//	go run ./test/load/cps [-calls 1000] [-rate 50] [-talk 10s] [-callctl=false]
//
// sipp plays line 1000 calling an outside number (test/load/cps/uac.xml,
// digest auth); Asterisk sends each call to the carrier trunk, where a sipp
// UAS answers. callctl runs as its own process (the binary built from this
// tree, the test bed's defaults and a fresh data directory), so its CPU and
// memory are the daemon's alone. With -callctl=false the same calls run
// without callctl, to compare Asterisk alone.
//
// Before the run it places -warmup one-second calls at the same rate (500
// by default) and waits until they are committed: callctl's baseline is
// then that of a daemon that has taken calls. A daemon fresh from its start
// grows by several MiB during its first seconds of traffic whatever the
// number of calls up (the collector's headroom used for the first time,
// buffers, caches): with 100 calls up instead of 500 it grew nearly as
// much, and without a warm-up that growth was counted as the calls in
// progress'. The CPU, the calls and the commit delays are those of the run
// alone.
//
// It prints, from one run: calls ok/failed (sipp), CDRs recorded vs calls
// (missing, duplicate), AMI events dropped, callctl and Asterisk CPU seconds
// and their ratio (and the Go collector's cycles and CPU), callctl's peak
// RSS and RSS per live call, where a live call's memory goes, and the commit
// delay from callctl's histogram. Bounded: every wait has a deadline.
//
// With -kill-every D, callctl is killed with SIGKILL every D while the calls
// run and started again half a second later on the same data directory: the
// calls it missed must come back from Asterisk's CEL log (backfill). The
// report then compares the calls with Asterisk's own CDRs (missing,
// doubled); callctl's CPU and memory are not measured.
//
// With -flow, the calls come in from the carrier instead (sipp on the
// carrier's address, 127.0.0.1:5090, test/load/cps/inbound.xml) to DID
// 3612340350, which runs the test bed's call flow "load" (stored in the
// fresh database as `callctl flow set` does): a menu, where sipp presses 1
// (SIP INFO, the carrier endpoint's dtmf_mode), then the queue load, whose
// member, line 1009, is a second sipp (register.xml, agent.xml) that
// answers every call. A call_end client on a local receiver is configured
// as with -callend. The report adds the records that went through the menu
// and the queue (ivr_digits 1, cc_call, an answered queue leg), the flow
// runner's errors and fallbacks, and the call_end POSTs received.
package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/daemon"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/test/testbed"
)

func main() {
	calls := flag.Int("calls", 1000, "calls to place")
	rate := flag.Float64("rate", 50, "calls per second")
	talk := flag.Duration("talk", 10*time.Second, "how long each call is up")
	withCallctl := flag.Bool("callctl", true, "run callctl beside Asterisk")
	ext := flag.String("ext", "1010", "the line that calls (test bed password pw<ext>; 1010 is the load test's own)")
	flag.StringVar(&perfOut, "perf", "", "record callctl's CPU profile with perf into this file (perf report -i FILE)")
	flag.IntVar(&perfHz, "perf-hz", 499, "-perf's sampling frequency (a short run needs more: e.g. 4999)")
	flag.DurationVar(&idleFor, "idle", 0, "before the calls, measure callctl's and Asterisk's CPU for this long with nothing to do (callctl up, the metrics scraped as during the run), and report the calls' CPU net of it")
	flag.DurationVar(&killEvery, "kill-every", 0, "kill -9 callctl this often while the calls run, and start it again (0: never)")
	flag.BoolVar(&measureDelivery, "callend", false, "a call_end client and 1010's hangup event subscription on a local receiver: report hangup → POST received")
	flag.StringVar(&heapOut, "heap", "", "write callctl's heap profile, taken when the last calls are up, into this file (go tool pprof)")
	flag.IntVar(&warmup, "warmup", 500, "calls of a second placed at -rate before the run, so that callctl's baseline memory is that of a daemon that has taken calls (0: none)")
	flag.StringVar(&samplesOut, "samples", "", "write the memory samples (one a second: calls up, anonymous memory, the Go runtime's classes, KiB) into this CSV file")
	flag.StringVar(&recordOut, "record", "", "write the AMI event stream callctl's AMI user receives during the run into this gzip file (the feed's replay benchmark reads one)")
	flag.StringVar(&amiUser, "ami-user", "", "callctl's AMI user (the test bed's callctl-all has no event filter; default callctl's own default)")
	flag.StringVar(&binPath, "bin", "", "run this callctl binary instead of building one from this tree (e.g. an older version, for a before/after table)")
	flag.BoolVar(&flowMode, "flow", false, "inbound calls from the carrier to DID 3612340350: the call flow load (a menu, key 1 by SIP INFO, then the queue load, whose agent is a sipp on line 1009); a call_end client as with -callend (at most 500 calls, talk at most 1m)")
	flag.Parse()
	if err := run(*calls, *rate, *talk, *withCallctl, *ext); err != nil {
		fmt.Fprintln(os.Stderr, "cps:", err)
		os.Exit(1)
	}
}

// perfOut, when set, is where perf records callctl's profile.
var perfOut, heapOut, recordOut, binPath, amiUser, samplesOut string

var killEvery time.Duration

// perfHz is perf's sampling frequency; idleFor, when set, is how long the
// idle baseline is measured before the calls; warmup is the number of
// one-second calls placed before the run (outbound mode).
var (
	perfHz  int
	idleFor time.Duration
	warmup  int
)

type result struct {
	ok, failed, retrans     int
	callctlCPU, asteriskCPU float64
	peakRSS, baseRSS        int64 // KiB
	peakAnon, baseAnon      int64 // KiB: anonymous memory (the database file's mapped pages aside)
	samples                 []sample
	peakLive                int
	switches                int64   // callctl's context switches
	gcCycles, gcCPU         float64 // the Go collector's, from callctl's /metrics
	warmedUp                int     // warm-up calls placed before the run
	records, dupes          int
	kills                   int
	astCalls, astMissing    int // Asterisk's CDRs of the run, and those callctl has no record of
	dropped, truncated      float64
	delays                  histogram
	// -flow: the flow runner's counters, and the records that went
	// through the menu (ivr_digits 1) and the queue (cc_call)
	flowErrors, flowFallbacks float64
	menuSteps, queueSteps     float64
	// -idle: CPU seconds per second with no calls (callctl, Asterisk)
	idleCallctl, idleAsterisk float64
}

func run(calls int, rate float64, talk time.Duration, withCallctl bool, ext string) error {
	if flowMode {
		// flows.max_calls is 500 by default: more calls would not run
		// the flow; the agent's sipp and the run are bounded by the talk.
		if calls < 1 || calls > maxFlowCalls || talk > time.Minute || talk < 0 {
			return fmt.Errorf("-flow: 1–%d calls and -talk at most 1m", maxFlowCalls)
		}
		if killEvery > 0 || !withCallctl {
			return errors.New("-flow needs callctl, and without -kill-every")
		}
		measureDelivery = true
	}
	if err := testbed.Up(); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "callctl-cps-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	astPID, err := asteriskPID()
	if err != nil {
		return err
	}
	here, err := sourceDir()
	if err != nil {
		return err
	}

	astCSV := filepath.Join(testbed.Root(), "var/log/asterisk/cdr-custom/Master.csv")
	_, astBefore := csvLinkedids(astCSV, 0)
	var d *daemonProc
	if withCallctl {
		if d, err = startDaemon(work); err != nil {
			return err
		}
		defer d.stop()
	}
	var rcv *deliveryReceiver
	if measureDelivery && d != nil {
		if rcv, err = startDeliveryReceiver(d); err != nil {
			return err
		}
		defer rcv.Close()
	}
	if recordOut != "" {
		rec, err := startRecorder(recordOut)
		if err != nil {
			return err
		}
		defer rec.stop()
	}
	if flowMode {
		if err := d.setFlow(filepath.Join(here, "..", "..", "testbed", "testdata", "flows", "load.yaml")); err != nil {
			return err
		}
		stopAgent, err := startAgent(work, here, time.Duration(float64(calls)/rate*float64(time.Second))+talk+120*time.Second)
		if err != nil {
			return err
		}
		defer stopAgent()
	} else {
		uas, err := startUAS(work, talk, calls+warmup, rate)
		if err != nil {
			return err
		}
		defer uas.Process.Kill()
	}

	var res result
	var warmDelays histogram
	if d != nil && warmup > 0 && killEvery == 0 && !flowMode {
		if err := warmUp(d, work, here, ext, warmup, rate); err != nil {
			return err
		}
		_, astBefore = csvLinkedids(astCSV, 0)
		warmDelays = d.histogram("callctl_cdr_commit_delay_seconds")
		res.warmedUp = warmup
	}
	if idleFor > 0 && d != nil {
		res.idleCallctl, res.idleAsterisk = measureIdle(d, astPID, idleFor)
	}

	astStart := cpuSeconds(astPID)
	var ctlStart float64
	if d != nil {
		ctlStart = cpuSeconds(d.cmd.Process.Pid)
		res.switches = -contextSwitches(d.cmd.Process.Pid)
		res.baseRSS = rss(d.cmd.Process.Pid, "VmRSS")
		res.baseAnon = rss(d.cmd.Process.Pid, "RssAnon")
		if m, err := d.metrics(); err == nil {
			res.gcCycles, res.gcCPU = -m["go_gc_cycles_total_gc_cycles_total"], -m["go_cpu_classes_gc_total_cpu_seconds_total"]
		}
	}
	started := time.Now()
	var perf *exec.Cmd
	if perfOut != "" && d != nil {
		perf = exec.Command("perf", "record", "-F", strconv.Itoa(perfHz), "-g", "-p", strconv.Itoa(d.cmd.Process.Pid), "-o", perfOut)
		perf.Stdout, perf.Stderr = os.Stderr, os.Stderr
		if err := perf.Start(); err != nil {
			return fmt.Errorf("perf: %w", err)
		}
	}

	// Sample live calls while sipp runs.
	stopSampling := make(chan struct{})
	sampled := make(chan []sample)
	go func() {
		var samples []sample
		t := time.NewTicker(time.Second) // a scrape costs callctl CPU too: not too often
		defer t.Stop()
		for {
			select {
			case <-stopSampling:
				sampled <- samples
				return
			case <-t.C:
				if d == nil {
					continue
				}
				if m, err := d.metrics(); err == nil {
					samples = append(samples, newSample(m, rss(d.cmd.Process.Pid, "RssAnon")))
				}
			}
		}
	}()

	if heapOut != "" && d != nil { // when the last call is placed, most calls are up
		time.AfterFunc(time.Duration(float64(calls)/rate*float64(time.Second)), func() {
			resp, err := plainHTTP.Get(d.url + "/debug/pprof/heap?gc=1") // after a collection: what is live now
			if err != nil {
				return
			}
			defer resp.Body.Close()
			if f, err := os.Create(heapOut); err == nil {
				io.Copy(f, resp.Body)
				f.Close()
			}
		})
	}
	uac, stat, uacOut := sippUAC(work, here, ext, "uac", calls, rate, talk)
	fmt.Fprintf(os.Stderr, "placing %d calls at %g/s, %v each (callctl: %v, flow: %v)\n", calls, rate, talk, withCallctl, flowMode)
	stopKilling, killed := make(chan struct{}), make(chan int, 1)
	if d != nil && killEvery > 0 {
		go func() { killed <- d.killLoop(killEvery, stopKilling) }()
	} else {
		killed <- 0
	}
	uacErr := uac.Run()
	close(stopKilling)
	if res.kills = <-killed; res.kills < 0 {
		return errors.New("callctl did not start again after a kill")
	}
	uacOut.Close()
	res.ok, res.failed, res.retrans = sippCounts(stat)
	if res.failed > 0 {
		b, _ := os.ReadFile(filepath.Join(work, "uac-errors.log"))
		fmt.Fprintf(os.Stderr, "sipp's errors:\n%s\n", head(string(b), 1500))
	}
	if uacErr != nil && res.ok+res.failed == 0 {
		out, _ := os.ReadFile(filepath.Join(work, "uac.out"))
		return fmt.Errorf("sipp: %v\n%s", uacErr, tail(string(out), 2000))
	}

	// Let the last calls end and be committed.
	if d != nil {
		d.settle(30*time.Second, rcv != nil)
	} else {
		time.Sleep(2 * time.Second)
	}
	close(stopSampling)
	res.samples = <-sampled
	for _, sm := range res.samples {
		res.peakLive = max(res.peakLive, int(sm.live))
		res.peakAnon = max(res.peakAnon, int64(sm.anon))
	}
	if perf != nil {
		perf.Process.Signal(os.Interrupt)
		perf.Wait()
	}
	res.asteriskCPU = cpuSeconds(astPID) - astStart
	elapsed := time.Since(started)
	if d != nil {
		pid := d.cmd.Process.Pid
		res.callctlCPU = cpuSeconds(pid) - ctlStart // the last process's alone after kills
		res.switches += contextSwitches(pid)
		res.peakRSS = rss(pid, "VmHWM")
		m, err := d.metrics()
		if err != nil {
			return err
		}
		res.dropped = m["callctl_ami_events_dropped_total"]
		res.gcCycles += m["go_gc_cycles_total_gc_cycles_total"]
		res.gcCPU += m["go_cpu_classes_gc_total_cpu_seconds_total"]
		res.truncated = m["callctl_ami_truncated_events_total"]
		res.delays = d.histogram("callctl_cdr_commit_delay_seconds").minus(warmDelays)
		if flowMode {
			res.flowErrors = d.sum("callctl_flowrun_errors_total")
			res.flowFallbacks = d.sum("callctl_flowrun_fallbacks_total")
			res.menuSteps = d.sum(`callctl_flowrun_steps_total{kind="menu"}`)
			res.queueSteps = d.sum(`callctl_flowrun_steps_total{kind="queue"}`)
		}
		d.stop()
		var have map[string]int
		if res.records, res.dupes, have, err = countRecords(d.dataDir, started.Add(-time.Second)); err != nil {
			return err
		}
		time.Sleep(time.Second) // Asterisk's last CDR lines
		ast, _ := csvLinkedids(astCSV, astBefore)
		res.astCalls = len(ast)
		for id := range ast {
			if have[id] == 0 {
				res.astMissing++
			}
		}
	}
	report(res, calls, rate, talk, elapsed, withCallctl)
	if samplesOut != "" {
		if err := writeSamples(samplesOut, res.samples); err != nil {
			return err
		}
	}
	if rcv != nil {
		if err := rcv.report(d.dataDir, started.Add(-time.Second)); err != nil {
			return err
		}
	}
	return nil
}

func report(r result, calls int, rate float64, talk, elapsed time.Duration, withCallctl bool) {
	fmt.Printf("calls placed      %d at %g/s, %v talk (run %v)\n", calls, rate, talk, elapsed.Round(time.Second))
	fmt.Printf("calls ok/failed   %d / %d (sipp retransmissions %d)\n", r.ok, r.failed, r.retrans)
	fmt.Printf("Asterisk CPU      %.2f s\n", r.asteriskCPU)
	if !withCallctl {
		return
	}
	missing := r.ok + r.failed - r.records
	fmt.Printf("CDRs recorded     %d (missing %d, duplicate %d)\n", r.records, missing, r.dupes)
	fmt.Printf("Asterisk's CDRs   %d calls, %d of them without a record in callctl\n", r.astCalls, r.astMissing)
	if r.kills > 0 {
		fmt.Printf("callctl killed    %d times (kill -9, started again 0.5 s later); CPU below: the last process only\n", r.kills)
		fmt.Printf("  records         %d backfilled from CEL, %d resynced (up at a kill, closed at the restart), %d adopted\n",
			flagged.backfilled, flagged.resynced, flagged.adopted)
	}
	if flowMode {
		fmt.Printf("through the flow  %d records with ivr_digits 1, %d with cc_call, %d with a queue leg answered; steps run: %.0f menu, %.0f queue; flow errors %.0f, fallbacks %.0f\n",
			flagged.digits, flagged.queued, flagged.agentAnswered, r.menuSteps, r.queueSteps, r.flowErrors, r.flowFallbacks)
	}
	fmt.Printf("events dropped    %.0f (lines truncated %.0f)\n", r.dropped, r.truncated)
	fmt.Printf("callctl CPU       %.2f s, ratio to Asterisk %.3f (%d context switches)\n", r.callctlCPU, r.callctlCPU/r.asteriskCPU, r.switches)
	if r.gcCycles > 0 {
		fmt.Printf("  of which GC     %.0f collections, %.2f CPU-s (the runtime's estimate)\n", r.gcCycles, r.gcCPU)
	}
	if idleFor > 0 {
		idleCtl, idleAst := r.idleCallctl*elapsed.Seconds(), r.idleAsterisk*elapsed.Seconds()
		fmt.Printf("  net of idle     idle %.1f ms/s callctl, %.1f ms/s Asterisk (measured %v before the calls): %.2f s of the run's callctl CPU; the calls' own %.2f s against Asterisk's %.2f s, ratio %.3f, %.2f ms of callctl per call\n",
			r.idleCallctl*1000, r.idleAsterisk*1000, idleFor, idleCtl, r.callctlCPU-idleCtl, r.asteriskCPU-idleAst,
			(r.callctlCPU-idleCtl)/(r.asteriskCPU-idleAst), (r.callctlCPU-idleCtl)/float64(calls)*1000)
	}
	perCall, anonPerCall := 0.0, 0.0
	if r.peakLive > 0 {
		perCall = float64(r.peakRSS-r.baseRSS) / float64(r.peakLive)
		anonPerCall = float64(r.peakAnon-r.baseAnon) / float64(r.peakLive)
	}
	if r.warmedUp > 0 {
		fmt.Printf("baseline          after a warm-up of %d one-second calls at %g/s (start: when it was over)\n", r.warmedUp, rate)
	}
	fmt.Printf("callctl RSS       peak %.1f MiB (start %.1f MiB), %d calls up at most, %.1f KiB per live call\n",
		float64(r.peakRSS)/1024, float64(r.baseRSS)/1024, r.peakLive, perCall)
	fmt.Printf("  anonymous       peak %.1f MiB (start %.1f MiB), %.1f KiB per live call (the rest is the database file's pages)\n",
		float64(r.peakAnon)/1024, float64(r.baseAnon)/1024, anonPerCall)
	if flowMode { // all calls come up within a second or so: too few samples for a slope
		fmt.Printf("commit delay      p50 ≤ %s, p99 ≤ %s, max ≤ %s (n=%.0f, histogram bounds)\n",
			r.delays.quantile(.5), r.delays.quantile(.99), r.delays.quantile(1), r.delays.count)
		return
	}
	fmt.Printf("  per live call   %.1f KiB: slope of anonymous memory over calls up, while they come up and stay (samples 1 s apart)\n",
		slope(r.samples, func(s sample) float64 { return s.anon }))
	fmt.Printf("  of which (Go)   heap %.1f KiB (live at the last GC %.1f), idle heap kept %.1f, stacks %.1f KiB (%.2f goroutines per call)\n",
		slope(r.samples, func(s sample) float64 { return s.heapAlloc }), slope(r.samples, func(s sample) float64 { return s.heapLive }),
		slope(r.samples, func(s sample) float64 { return s.heapIdle }), slope(r.samples, func(s sample) float64 { return s.stacks }),
		slope(r.samples, func(s sample) float64 { return s.goroutines }))
	fmt.Printf("                  free in spans in use %.1f, runtime metadata %.1f KiB\n",
		slope(r.samples, func(s sample) float64 { return s.heapFree }), slope(r.samples, func(s sample) float64 { return s.runtimeMem }))
	fmt.Printf("commit delay      p50 ≤ %s, p99 ≤ %s, max ≤ %s (n=%.0f, histogram bounds)\n",
		r.delays.quantile(.5), r.delays.quantile(.99), r.delays.quantile(1), r.delays.count)
}

// measureIdle returns callctl's and Asterisk's CPU seconds per second
// over d with no calls, callctl's metrics scraped once a second as during
// the run (the scrape is part of what the run measures).
func measureIdle(d *daemonProc, astPID int, dur time.Duration) (callctl, asterisk float64) {
	pid := d.cmd.Process.Pid
	ctl0, ast0, t0 := cpuSeconds(pid), cpuSeconds(astPID), time.Now()
	for end := t0.Add(dur); time.Now().Before(end); {
		time.Sleep(time.Second)
		d.metrics()
	}
	s := time.Since(t0).Seconds()
	return (cpuSeconds(pid) - ctl0) / s, (cpuSeconds(astPID) - ast0) / s
}

// sample is callctl's memory (KiB) with so many calls up: its anonymous
// memory from /proc and the Go runtime's own account of it (/metrics), to
// tell where the memory of a call in progress goes.
type sample struct {
	live, anon float64
	heapAlloc  float64            // live objects and garbage not collected yet
	heapFree   float64            // free slots in the heap's spans in use (heap in use − allocated)
	runtimeMem float64            // the runtime's own: span and GC metadata, caches, profiling buckets, other
	heapLive   float64            // marked live at the last collection (next GC target / (1+GOGC/100))
	heapIdle   float64            // heap spans free but kept (not returned to the system)
	stacks     float64            // goroutine stacks
	goroutines float64            // a count, not KiB
	classes    map[string]float64 // Go's memory classes (go_memory_classes_*), KiB
}

// gogc is callctl's GOGC, for the live heap from the next GC target (the
// load test runs callctl with the default gc_percent unless GOGC is set).
func gogc() float64 {
	if v, err := strconv.ParseFloat(os.Getenv("GOGC"), 64); err == nil && v > 0 {
		return v
	}
	return 100
}

// heapLive is what the last collection found live: the runtime's own
// figure when callctl exports it, else from the next GC target.
func heapLive(m map[string]float64) float64 {
	if v, ok := m["go_gc_heap_live_bytes"]; ok {
		return v
	}
	return m["go_memstats_next_gc_bytes"] / (1 + gogc()/100)
}

// memoryClasses are the Go runtime's memory classes callctl exports
// (/memory/classes/...), KiB, by name without the prefix.
func memoryClasses(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if c, ok := strings.CutPrefix(k, "go_memory_classes_"); ok {
			out[strings.TrimSuffix(c, "_bytes")] = v / 1024
		}
	}
	return out
}

func newSample(m map[string]float64, anon int64) sample {
	return sample{live: m["callctl_cdr_live_calls"], anon: float64(anon),
		heapAlloc: m["go_memstats_heap_alloc_bytes"] / 1024,
		heapFree:  (m["go_memstats_heap_inuse_bytes"] - m["go_memstats_heap_alloc_bytes"]) / 1024,
		runtimeMem: (m["go_memstats_mspan_inuse_bytes"] + m["go_memstats_mcache_inuse_bytes"] + m["go_memstats_gc_sys_bytes"] +
			m["go_memstats_other_sys_bytes"] + m["go_memstats_buck_hash_sys_bytes"]) / 1024,
		heapLive:   heapLive(m) / 1024,
		heapIdle:   (m["go_memstats_heap_idle_bytes"] - m["go_memstats_heap_released_bytes"]) / 1024,
		stacks:     m["go_memstats_stack_inuse_bytes"] / 1024,
		goroutines: m["go_goroutines"], classes: memoryClasses(m)}
}

// writeSamples writes the memory samples as CSV, for plotting.
func writeSamples(path string, samples []sample) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	var classes []string
	if len(samples) > 0 {
		classes = slices.Sorted(maps.Keys(samples[0].classes))
	}
	w.Write(append([]string{"live", "anon", "heap_alloc", "heap_live", "heap_free", "heap_idle", "stacks", "runtime", "goroutines"}, classes...))
	for _, s := range samples {
		row := []float64{s.live, s.anon, s.heapAlloc, s.heapLive, s.heapFree, s.heapIdle, s.stacks, s.runtimeMem, s.goroutines}
		for _, c := range classes {
			row = append(row, s.classes[c])
		}
		rec := make([]string, len(row))
		for i, v := range row {
			rec[i] = strconv.FormatFloat(v, 'f', 1, 64)
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// slope is the least-squares slope of y over calls up while calls come up
// and stay (not while they end: freed memory is returned late): what one
// more call in progress costs, the garbage collector's headroom included.
func slope(samples []sample, y func(sample) float64) float64 {
	peak := 0.0
	for _, s := range samples {
		peak = max(peak, s.live)
	}
	for i, s := range samples {
		if s.live == peak {
			for j := i; j < len(samples); j++ {
				if samples[j].live < 0.9*peak {
					samples = samples[:j]
					break
				}
			}
			break
		}
	}
	var n, sx, sy, sxx, sxy float64
	for _, s := range samples {
		n++
		sx, sy, sxx, sxy = sx+s.live, sy+y(s), sxx+s.live*s.live, sxy+s.live*y(s)
	}
	if d := n*sxx - sx*sx; n > 2 && d != 0 {
		return (n*sxy - sx*sy) / d
	}
	return 0
}

// sippUAC is sipp placing calls from line ext, its statistics file and
// its output.
func sippUAC(work, here, ext, name string, calls int, rate float64, talk time.Duration) (*exec.Cmd, string, *os.File) {
	stat := filepath.Join(work, name+"-stat.csv")
	bound := time.Duration(float64(calls)/rate*float64(time.Second)) + talk + 60*time.Second
	// Line 1010 calling out, or the carrier calling in (no auth: Asterisk
	// knows the carrier by its address; -aa answers the UPDATE of the
	// queue member's connected line).
	side := []string{"-sf", filepath.Join(here, "uac.xml"),
		"-s", "3630111222", "-set", "ext", ext, "-au", ext, "-ap", "pw" + ext, "-p", "5170"}
	if flowMode {
		side = []string{"-sf", filepath.Join(here, "inbound.xml"), "-s", flowDID, "-set", "digit", "1", "-p", "5090", "-aa"}
	}
	uac := exec.Command("sipp", append(append([]string{"127.0.0.1:5060"}, side...),
		"-i", "127.0.0.1", "-mp", "26600",
		"-m", strconv.Itoa(calls), "-r", strconv.FormatFloat(rate, 'f', -1, 64), "-rp", "1000",
		"-l", strconv.Itoa(calls), "-d", strconv.FormatInt(talk.Milliseconds(), 10),
		"-timeout", strconv.Itoa(int(bound.Seconds()))+"s", "-timeout_error",
		"-trace_stat", "-stf", stat, "-fd", "1", "-trace_err", "-error_file", filepath.Join(work, name+"-errors.log"), "-nostdin")...)
	uac.Dir = work
	out, _ := os.Create(filepath.Join(work, name+".out"))
	uac.Stdout, uac.Stderr = out, out
	return uac, stat, out
}

// warmUp places n calls of a second at rate and waits until callctl has
// committed them: the memory a run's churn takes (the collector's
// headroom filled, buffers grown) is then in the baseline, not counted
// as the calls in progress'.
func warmUp(d *daemonProc, work, here, ext string, n int, rate float64) error {
	fmt.Fprintf(os.Stderr, "warm-up: %d calls at %g/s, 1s each\n", n, rate)
	uac, stat, out := sippUAC(work, here, ext, "warmup", n, rate, time.Second)
	err := uac.Run()
	out.Close()
	ok, failed, _ := sippCounts(stat)
	if err != nil && ok+failed == 0 {
		return fmt.Errorf("warm-up sipp: %v", err)
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "warm-up: %d of %d calls failed\n", failed, n)
	}
	d.settle(30*time.Second, false)
	time.Sleep(1500 * time.Millisecond) // the run's records start after the warm-up's
	return nil
}

// settle waits until no call is up and every commit is done (and, with
// webhooks, every delivery).
func (d *daemonProc) settle(bound time.Duration, webhooks bool) {
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		m, err := d.metrics()
		if err == nil && m["callctl_cdr_live_calls"] == 0 && m["callctl_cdr_commits_pending"] == 0 &&
			(!webhooks || m["callctl_webhook_pending"] == 0) {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// daemonProc is callctl running as its own process.
type daemonProc struct {
	cfg          daemon.Config
	cmd          *exec.Cmd
	url          string
	dataDir      string
	done         chan struct{}
	bin, cfgPath string
	log          *os.File
}

func startDaemon(work string) (*daemonProc, error) {
	bin := binPath
	if bin == "" {
		bin = filepath.Join(work, "callctl")
		build := exec.Command("go", "build", "-o", bin, "./cmd/callctl")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("building callctl: %w", err)
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	d := &daemonProc{url: "http://127.0.0.1:" + port, dataDir: filepath.Join(work, "data"), done: make(chan struct{})}
	// The test bed's defaults, and the load test's line 1010. Only the keys
	// set here are written, so an older binary (-bin) reads the file too.
	cfg := daemon.DefaultConfig()
	cfg.PBX.Extensions = append(cfg.PBX.Extensions, pbx.Extension{ID: 11, Number: "1010", PublicNumber: "36123451010"})
	if flowMode { // the flow load's queue (test bed queues.conf), as test/testbed configures it
		cfg.PBX.Queues = append(cfg.PBX.Queues, pbx.Queue{ID: 3, Name: "load"})
	}
	cfg.DataDir = d.dataDir
	d.cfg = cfg // for the admin socket (-callend)
	file := map[string]any{
		"data_dir":  d.dataDir,
		"http":      map[string]any{"listen": "127.0.0.1:" + port},
		"log":       map[string]any{"level": "warn", "format": "json"},
		"recording": map[string]any{"host_prefix": testbed.Root()},
		"pbx":       cfg.PBX,
	}
	if amiUser != "" {
		file["ami"] = map[string]any{"username": amiUser}
	}
	if killEvery > 0 { // the calls callctl misses come back from CEL
		file["cdr"] = map[string]any{"backfill": map[string]any{"cel_path": testbed.CELPath()}}
	}
	if heapOut != "" {
		file["debug"] = map[string]any{"pprof": true}
	}
	y, err := yaml.Marshal(file)
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(work, "callctl.yaml")
	if err := os.WriteFile(cfgPath, y, 0o600); err != nil {
		return nil, err
	}
	d.bin, d.cfgPath = bin, cfgPath
	if d.log, err = os.Create(filepath.Join(work, "callctl.log")); err != nil {
		return nil, err
	}
	return d, d.start()
}

// start runs the daemon and waits until it is ready.
func (d *daemonProc) start() error {
	d.cmd = exec.Command(d.bin, "serve", "--config", d.cfgPath)
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	d.done = done
	go func(cmd *exec.Cmd) { cmd.Wait(); close(done) }(d.cmd)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(d.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			d.stop()
			return fmt.Errorf("callctl did not become ready (log: %s)", d.log.Name())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// killLoop kills the daemon with SIGKILL every interval until stop, and
// starts it again half a second later; it returns how many times it
// killed it (-1: it did not start again).
func (d *daemonProc) killLoop(every time.Duration, stop chan struct{}) int {
	kills := 0
	for {
		select {
		case <-stop:
			return kills
		case <-time.After(every):
		}
		d.cmd.Process.Kill()
		<-d.done
		kills++
		time.Sleep(500 * time.Millisecond)
		if err := d.start(); err != nil {
			fmt.Fprintln(os.Stderr, "cps:", err)
			return -1
		}
	}
}

func (d *daemonProc) stop() {
	select {
	case <-d.done:
		return
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(15 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
	}
}

// metrics reads the daemon's plain (unlabelled) metric samples.
func (d *daemonProc) metrics() (map[string]float64, error) {
	lines, err := d.metricLines()
	if err != nil {
		return nil, err
	}
	m := map[string]float64{}
	for _, l := range lines {
		name, val, ok := strings.Cut(l, " ")
		if ok && !strings.Contains(name, "{") {
			m[name], _ = strconv.ParseFloat(val, 64)
		}
	}
	return m, nil
}

// plainHTTP asks for uncompressed answers: gzip would cost callctl CPU the
// measurement adds.
var plainHTTP = &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}

func (d *daemonProc) metricLines() ([]string, error) {
	resp, err := plainHTTP.Get(d.url + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

// sum adds the samples of a metric whose labels start with prefix (the
// name alone: every label; name{kind="menu"}: that one).
func (d *daemonProc) sum(prefix string) float64 {
	lines, _ := d.metricLines()
	if !strings.Contains(prefix, "{") {
		prefix += "{"
	} else {
		prefix = strings.TrimSuffix(prefix, "}")
	}
	total := 0.0
	for _, l := range lines {
		name, val, ok := strings.Cut(l, " ")
		if ok && strings.HasPrefix(name, prefix) {
			v, _ := strconv.ParseFloat(val, 64)
			total += v
		}
	}
	return total
}

// histogram is a Prometheus histogram's cumulative buckets.
type histogram struct {
	bounds []float64
	counts []float64
	count  float64
}

func (d *daemonProc) histogram(name string) histogram {
	var h histogram
	lines, _ := d.metricLines()
	for _, l := range lines {
		rest, ok := strings.CutPrefix(l, name+`_bucket{le="`)
		if !ok {
			continue
		}
		le, val, _ := strings.Cut(rest, `"} `)
		b, err := strconv.ParseFloat(le, 64)
		if err != nil {
			b = math.Inf(1)
		}
		c, _ := strconv.ParseFloat(val, 64)
		h.bounds, h.counts = append(h.bounds, b), append(h.counts, c)
		h.count = c
	}
	return h
}

// minus is h without the observations of an earlier reading of the
// same histogram (the warm-up's).
func (h histogram) minus(earlier histogram) histogram {
	if len(earlier.counts) != len(h.counts) {
		return h
	}
	out := histogram{bounds: h.bounds, counts: make([]float64, len(h.counts)), count: h.count - earlier.count}
	for i := range h.counts {
		out.counts[i] = h.counts[i] - earlier.counts[i]
	}
	return out
}

// quantile returns the upper bound of the bucket holding quantile q.
func (h histogram) quantile(q float64) string {
	if h.count == 0 {
		return "-"
	}
	want := q * h.count
	for i, c := range h.counts {
		if c >= want && c > 0 {
			if math.IsInf(h.bounds[i], 1) {
				return "+Inf"
			}
			return (time.Duration(h.bounds[i] * float64(time.Second))).String()
		}
	}
	return "+Inf"
}

// startUAS runs the carrier: sipp's built-in UAS on the trunk's address.
func startUAS(work string, talk time.Duration, calls int, rate float64) (*exec.Cmd, error) {
	bound := time.Duration(float64(calls)/rate*float64(time.Second)) + talk + 120*time.Second
	uas := exec.Command("sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", "5090", "-mp", "26700",
		"-timeout", strconv.Itoa(int(bound.Seconds()))+"s", "-nostdin")
	uas.Dir = work
	out, err := os.Create(filepath.Join(work, "uas.out"))
	if err != nil {
		return nil, err
	}
	uas.Stdout, uas.Stderr = out, out
	if err := uas.Start(); err != nil {
		return nil, fmt.Errorf("sipp uas: %w", err)
	}
	go func() { uas.Wait(); out.Close() }()
	time.Sleep(300 * time.Millisecond)
	return uas, nil
}

// sippCounts reads the last line of sipp's statistics file.
func sippCounts(path string) (ok, failed, retrans int) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = ';'
	r.FieldsPerRecord = -1
	rows, _ := r.ReadAll()
	if len(rows) < 2 {
		return 0, 0, 0
	}
	head, last := rows[0], rows[len(rows)-1]
	get := func(name string) int {
		for i, h := range head {
			if h == name && i < len(last) {
				n, _ := strconv.Atoi(last[i])
				return n
			}
		}
		return 0
	}
	return get("SuccessfulCall(C)"), get("FailedCall(C)"), get("Retransmissions(C)")
}

// countRecords reads the stopped daemon's store: records that started
// after since, and how many share a linkedid with another.
func countRecords(dataDir string, since time.Time) (n, dupes int, seen map[string]int, err error) {
	db, err := store.Open(dataDir, &store.Options{ReadOnly: true})
	if err != nil {
		return 0, 0, nil, err
	}
	defer db.Close()
	seen = map[string]int{}
	err = db.View(func(tx *store.Tx) error {
		recs, err := cdrstore.List(tx, cdrstore.Filter{Since: since, Limit: math.MaxInt32})
		for _, r := range recs {
			seen[r.Linkedid]++
			if r.IVRDigits == "1" {
				flagged.digits++
			}
			if r.CCCall != 0 {
				flagged.queued++
			}
			for _, l := range r.Legs {
				if l.Kind == cdr.KindQueue && l.Status == "ANSWER" {
					flagged.agentAnswered++
					break
				}
			}
			switch {
			case r.Backfilled:
				flagged.backfilled++
			case r.Resynced:
				flagged.resynced++
			case r.Adopted:
				flagged.adopted++
			}
		}
		n = len(recs)
		return err
	})
	for _, c := range seen {
		if c > 1 {
			dupes += c - 1
		}
	}
	return n, dupes, seen, err
}

// flagged counts the records of the last countRecords by how callctl
// got them, other than live.
var flagged struct{ backfilled, resynced, adopted, digits, queued, agentAnswered int }

// csvLinkedids reads the linkedids (first column) of Asterisk's CDR lines
// after the first skip lines, and how many lines there are.
func csvLinkedids(path string, skip int) (map[string]bool, int) {
	out := map[string]bool{}
	f, err := os.Open(path)
	if err != nil {
		return out, 0
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	i := 0
	for ; ; i++ {
		rec, err := r.Read()
		if err != nil {
			break
		}
		if i >= skip && len(rec) > 0 {
			out[rec[0]] = true
		}
	}
	return out, i
}

// cpuSeconds is a process's user + system CPU time so far.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

// contextSwitches sums the context switches of a process's threads.
func contextSwitches(pid int) int64 {
	dirs, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	var n int64
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "voluntary_ctxt_switches:"); ok {
				x, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				n += x
			} else if v, ok := strings.CutPrefix(l, "nonvoluntary_ctxt_switches:"); ok {
				x, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				n += x
			}
		}
	}
	return n
}

// rss reads a memory line of /proc/PID/status in KiB (VmRSS, VmHWM).
func rss(pid int, key string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}

func asteriskPID() (int, error) {
	b, err := os.ReadFile(filepath.Join(testbed.Root(), "run/asterisk/asterisk.pid"))
	if err != nil {
		return 0, fmt.Errorf("Asterisk's pid: %w", err)
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// sourceDir is this command's directory (its sipp scenario is there).
func sourceDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(wd, "test/load/cps")
	if _, err := os.Stat(filepath.Join(dir, "uac.xml")); err != nil {
		return "", fmt.Errorf("run from the repository's root: %w", err)
	}
	return dir, nil
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func head(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
