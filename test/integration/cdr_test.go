//go:build integration

package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/cdr/cdrtest"
	"github.com/callctl/callctl/daemon"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/test/phone"
	"github.com/callctl/callctl/test/scenario"
	"github.com/callctl/callctl/test/testbed"
	"github.com/callctl/callctl/webhook"
)

// asteriskCDRs returns the lines of Asterisk's own CDR file.
func asteriskCDRs(t *testing.T) []string {
	b, err := os.ReadFile(filepath.Join(testbed.Root(), "var/log/asterisk/cdr-custom/Master.csv"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	s := strings.TrimRight(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// recordsSince waits until callctl has saved n calls that started after
// since, and returns them in the order they ended.
func recordsSince(t *testing.T, d *testbed.Daemon, since time.Time, n int) []cdr.Record {
	t.Helper()
	var recs []cdr.Record
	ok := testbed.Eventually(10*time.Second, func() bool {
		d.DB().View(func(tx *store.Tx) error {
			var err error
			recs, err = cdrstore.List(tx, cdrstore.Filter{Since: since})
			return err
		})
		return len(recs) >= n
	})
	if !ok {
		t.Fatalf("%d calls saved, want %d", len(recs), n)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Hangup.Before(recs[j].Hangup) })
	return recs
}

// The scenarios the CDR fixtures were recorded from, live: callctl's stored
// records mean what the scenario means, and agree with the CDRs Asterisk's
// own engine wrote for the same calls (but for the documented differences).
// The daemon connects as the test bed's AMI user "callctl", whose
// eventfilter lines send only the events callctl reads.
func TestCDRScenariosLive(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	playScenarios(t, d, nil)
	logCommitDelays(t, d)
}

// Without Asterisk's event filters (every event reaches callctl) the records
// are the same: the filters only save work.
func TestCDRScenariosLiveWithoutEventFilter(t *testing.T) {
	d := testbed.StartDaemon(t, func(c *daemon.Config) { c.AMI.Username = "callctl-all" })
	playScenarios(t, d, []string{"outbound-answered", "ring-group", "ivr-queue", "blind-transfer", "pickup"})
}

// playScenarios plays the named scenarios (nil: all) and checks the records.
func playScenarios(t *testing.T, d *testbed.Daemon, names []string) {
	ctx := ctxFor(t, 10*time.Minute)
	env, err := scenario.NewEnv(ctx, d.AMI())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	for _, s := range scenario.All {
		if s.Name == "restart-mid-call" {
			continue // TestCDRSurvivesAsteriskCrash
		}
		if names != nil && !slices.Contains(names, s.Name) {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			before := len(asteriskCDRs(t))
			since := time.Now()
			if err := scenario.Play(ctx, env, s); err != nil {
				t.Fatal(err)
			}
			recs := recordsSince(t, d, since, len(cdrtest.Expectations[s.Name]))
			for _, diff := range cdrtest.CheckScenario(s.Name, recs) {
				t.Error(diff)
			}
			// Asterisk writes its CDRs as the channels go: wait until it is done.
			var lines []string
			testbed.Eventually(5*time.Second, func() bool {
				prev := len(lines)
				time.Sleep(200 * time.Millisecond)
				lines = asteriskCDRs(t)[before:]
				return len(lines) > 0 && len(lines) == prev
			})
			ast, err := cdrtest.ParseCSV(strings.NewReader(strings.Join(lines, "\n")))
			if err != nil {
				t.Fatal(err)
			}
			for _, diff := range cdrtest.KnownDifferences.Unexpected(s.Name, cdrtest.Compare(recs, ast)) {
				t.Errorf("differs from Asterisk's CDR: %s", diff)
			}
			if s.Name == "ivr-queue" {
				for _, diff := range cdrtest.SeedInboundDifferences(recs[0].Seed(time.Local), scenario.Caller, "3612340300") {
					t.Errorf("differs from the seed's inbound example: %s", diff)
				}
			}
		})
	}
}

// logCommitDelays reports how long finished calls waited to be committed
// (callctl_cdr_commit_delay_seconds).
func logCommitDelays(t *testing.T, d *testbed.Daemon) {
	resp, err := http.Get(d.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	vals := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "callctl_cdr_commit_delay_seconds") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			vals[f[0]] = v
		}
	}
	n := vals["callctl_cdr_commit_delay_seconds_count"]
	if n == 0 {
		t.Fatal("no commit measured")
	}
	t.Logf("%v calls committed, mean %.1f ms after their last event; %v within 10 ms, %v within 50 ms",
		n, 1000*vals["callctl_cdr_commit_delay_seconds_sum"]/n,
		vals[`callctl_cdr_commit_delay_seconds_bucket{le="0.01"}`], vals[`callctl_cdr_commit_delay_seconds_bucket{le="0.05"}`])
}

// Asterisk killed with a call up: the call's record is written when callctl
// sees Asterisk again, closed at that time and flagged.
func TestCDRSurvivesAsteriskCrash(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, 2*time.Minute)
	env, err := scenario.NewEnv(ctx, d.AMI())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	env.Restart = testbed.Crash
	s, _ := scenario.Get("restart-mid-call")
	since := time.Now()
	if err := s.Run(ctx, env); err != nil {
		t.Fatal(err)
	}
	recs := recordsSince(t, d, since, 1)
	for _, diff := range cdrtest.CheckScenario(s.Name, recs) {
		t.Error(diff)
	}
	if !recs[0].Resynced || recs[0].Billsec < 1 {
		t.Errorf("record %+v: want it flagged resynced, with the time until the crash billed", recs[0])
	}
}

// Calls in progress when callctl stops: one ends while it is down (closed
// when it starts again, flagged), the other is still up and is followed to
// its real end.
func TestCDRSurvivesADaemonRestart(t *testing.T) {
	dataDir := t.TempDir()
	d := testbed.StartDaemon(t, func(c *daemonConfig) { c.DataDir = dataDir })
	ctx := ctxFor(t, 2*time.Minute)
	env, err := scenario.NewEnv(ctx, d.AMI())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	carrier := env.Phone("carrier")
	answer := func(ext, did string) *phone.Call {
		env.Phone(ext).SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
		c, err := carrier.Dial(ctx, did, phone.WithCallerNumber(scenario.Caller))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitAnswered(ctx); err != nil {
			t.Fatal(err)
		}
		return c
	}
	since := time.Now()
	endsWhileDown := answer("1001", "36123451001")
	staysUp := answer("1002", "36123451002")
	if !testbed.Eventually(5*time.Second, func() bool { return len(d.CDR().Live()) == 2 }) {
		t.Fatalf("live calls: %d, want 2", len(d.CDR().Live()))
	}
	time.Sleep(1500 * time.Millisecond) // talk time to bill
	d.Stop(t)

	endsWhileDown.Hangup(ctx)
	time.Sleep(500 * time.Millisecond)
	d2 := testbed.StartDaemon(t, func(c *daemonConfig) { c.DataDir = dataDir })
	recs := recordsSince(t, d2, since, 1)
	if len(recs) != 1 || !recs[0].Resynced || recs[0].AnsweredBy != "1001" || recs[0].Billsec < 1 {
		t.Fatalf("the call that ended while callctl was down: %+v", recs)
	}
	if live := d2.CDR().Live(); len(live) != 1 || live[0].Dialled != "36123451002" {
		t.Fatalf("live after restart: %+v", live)
	}
	time.Sleep(time.Second)
	staysUp.Hangup(ctx)
	recs = recordsSince(t, d2, since, 2)
	last := recs[1]
	if last.Resynced || last.AnsweredBy != "1002" || last.HangupBy != cdr.ByCaller || len(last.Legs) != 1 {
		t.Fatalf("the call that stayed up: %+v", last)
	}
}

type daemonConfig = daemon.Config

// Calls that start and end while callctl is stopped are rebuilt from
// Asterisk's CEL log when it starts again: one record each, flagged
// backfilled, meaning what the scenario means and agreeing with Asterisk's
// own CDR; their end-of-call data is sent once; a further restart doubles
// nothing.
func TestCDRBackfillsCallsMadeWhileCallctlWasDown(t *testing.T) {
	var mu sync.Mutex
	posts := map[string]int{} // by record id
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		posts[fmt.Sprint(m["id"])]++
		mu.Unlock()
		w.WriteHeader(204)
	}))
	defer rcv.Close()
	postCount := func() (n int, most int) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range posts {
			n += c
			most = max(most, c)
		}
		return n, most
	}

	dataDir := t.TempDir()
	d := testbed.StartDaemon(t, func(c *daemonConfig) { c.DataDir = dataDir })
	if _, err := d.Webhook().Save(webhook.Client{Name: "crm", Kind: webhook.KindCallEnd, URL: rcv.URL + "/end",
		Secret: "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"}, false); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // callctl saves how far it has seen Asterisk
	d.Stop(t)

	ctx := ctxFor(t, 3*time.Minute)
	env, err := scenario.NewEnv(ctx, testbed.AllEvents(t))
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	names := []string{"outbound-answered", "outbound-busy", "outbound-noanswer", "ring-group"}
	since := time.Now()
	var astLines [][]string
	for _, name := range names {
		s, _ := scenario.Get(name)
		before := len(asteriskCDRs(t))
		if err := scenario.Play(ctx, env, s); err != nil {
			t.Fatal(err)
		}
		var lines []string
		testbed.Eventually(5*time.Second, func() bool {
			prev := len(lines)
			time.Sleep(200 * time.Millisecond)
			lines = asteriskCDRs(t)[before:]
			return len(lines) > 0 && len(lines) == prev
		})
		astLines = append(astLines, lines)
	}

	started := time.Now()
	d2 := testbed.StartDaemon(t, func(c *daemonConfig) { c.DataDir = dataDir })
	recs := recordsSince(t, d2, since, len(names))
	t.Logf("%d calls backfilled %s after the start", len(recs), time.Since(started).Round(time.Millisecond))
	if len(recs) != len(names) {
		t.Fatalf("%d records, want %d", len(recs), len(names))
	}
	for i, name := range names {
		r := recs[i]
		if !r.Backfilled {
			t.Errorf("%s: not flagged backfilled", name)
		}
		for _, diff := range cdrtest.CheckScenario(name, recs[i:i+1]) {
			t.Errorf("%s: %s", name, diff)
		}
		ast, err := cdrtest.ParseCSV(strings.NewReader(strings.Join(astLines[i], "\n")))
		if err != nil {
			t.Fatal(err)
		}
		for _, diff := range cdrtest.KnownDifferences.Unexpected(name, cdrtest.Compare(recs[i:i+1], ast)) {
			t.Errorf("%s differs from Asterisk's CDR: %s", name, diff)
		}
	}
	// ring-group is inbound; the outbound calls are sent too (internal
	// calls are not).
	if !testbed.Eventually(10*time.Second, func() bool { n, _ := postCount(); return n >= len(names) }) {
		n, _ := postCount()
		t.Fatalf("%d end-of-call POSTs, want %d", n, len(names))
	}
	d2.Stop(t)

	d3 := testbed.StartDaemon(t, func(c *daemonConfig) { c.DataDir = dataDir })
	time.Sleep(3 * time.Second) // its backfill, and deliveries it would make
	var all []cdr.Record
	d3.DB().View(func(tx *store.Tx) error {
		var err error
		all, err = cdrstore.List(tx, cdrstore.Filter{Since: since})
		return err
	})
	if len(all) != len(names) {
		t.Errorf("%d records after a second restart, want %d", len(all), len(names))
	}
	if n, most := postCount(); n != len(names) || most != 1 {
		t.Errorf("%d POSTs (at most %d for one call), want %d, one each", n, most, len(names))
	}
}
