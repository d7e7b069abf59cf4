package cdr_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrfeed"
)

// testDirectory is the test bed's PBX: lines 1000–1009, the trunk carrier,
// queues support (1) and sales (2).
type testDirectory struct{}

func (testDirectory) Line(ep string) (cdr.Line, bool) {
	if len(ep) == 4 && strings.HasPrefix(ep, "100") {
		n := int(ep[3] - '0')
		return cdr.Line{Number: ep, UserID: 100 + n, CostLocation: "CL-" + ep, UserNumber: "3612345" + ep}, true
	}
	return cdr.Line{}, false
}
func (testDirectory) IsTrunk(ep string) bool { return ep == "carrier" }
func (testDirectory) QueueID(q string) int {
	return map[string]int{"support": 1, "sales": 2}[q]
}

type counter struct{ n uint64 }

func (c *counter) NextID() uint64 { c.n++; return c.n }

func newTestTracker(t testing.TB) *cdr.Tracker {
	rates, err := cdr.NewRateTable([]cdr.Rate{{Prefix: "36", PerMinute: 0.06, Increment: 1}, {Prefix: "3630", PerMinute: 0.12, Increment: 60}})
	if err != nil {
		t.Fatal(err)
	}
	return cdr.NewTracker(cdr.Options{Directory: testDirectory{}, IDs: &counter{}, Rates: rates})
}

// loadFixture reads a recorded event log (test/record).
func loadFixture(t testing.TB, name string) []map[string]string {
	f, err := os.Open("testdata/" + name + ".jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]string
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// replay feeds a fixture to tr the way the feed does: events in order, and
// after a reconnect the CoreShowChannels answer that follows it to Resync.
func replay(tr *cdr.Tracker, events []map[string]string) []cdr.Record {
	return cdr.Records(replayChanges(tr, events))
}

// replayChanges is replay's changes, in order.
func replayChanges(tr *cdr.Tracker, events []map[string]string) []cdr.Change {
	var out []cdr.Change
	for i := 0; i < len(events); i++ {
		m := events[i]
		if m["Event"] == "CallctlConnected" && i+1 < len(events) && isListItem(events[i+1]) {
			at := parseTS(m["Timestamp"])
			var live []cdr.ChannelSnapshot
			for i++; i < len(events) && events[i]["Event"] == "CoreShowChannel"; i++ {
				live = append(live, cdrfeed.ParseChannel(events[i]))
			}
			out = append(out, tr.Resync(at, live)...)
			continue
		}
		if e, ok := cdrfeed.ParseEvent(ami.Message(m)); ok {
			out = append(out, tr.Apply(&e)...)
		}
	}
	return out
}

func isListItem(m map[string]string) bool {
	return m["Event"] == "CoreShowChannel" || m["Event"] == "CoreShowChannelsComplete"
}

func parseTS(s string) time.Time {
	return ami.ParseTimestamp(s)
}

func TestPrintFixtures(t *testing.T) {
	if os.Getenv("CDR_PRINT") == "" {
		t.Skip("set CDR_PRINT=1 to print the records of every fixture")
	}
	for _, name := range fixtureNames(t) {
		recs := replay(newTestTracker(t), loadFixture(t, name))
		b, _ := json.MarshalIndent(recs, "", "  ")
		t.Logf("== %s\n%s", name, b)
	}
}

func fixtureNames(t testing.TB) []string {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".jsonl"); ok {
			names = append(names, n)
		}
	}
	return names
}

func TestSummaryOfFixtures(t *testing.T) {
	if os.Getenv("CDR_PRINT") == "" {
		t.Skip("set CDR_PRINT=1")
	}
	for _, name := range fixtureNames(t) {
		var b strings.Builder
		for _, r := range replay(newTestTracker(t), loadFixture(t, name)) {
			fmt.Fprintf(&b, "\n  MAIN id=%d dir=%d int=%v %s→%s exten=%s ans=%s by=%s dur=%d bill=%d ring=%d last=%s other=%s hb=%s ivr=%q cc=%d tags=%q price=%v resynced=%v",
				r.ID, r.Direction, r.Internal, r.Src, r.Dst, r.Exten, r.Answer.Format("05.000"), r.AnsweredBy, r.Duration, r.Billsec, r.Ringtime, r.LastExten, r.OtherPartyNumber, r.HangupBy, r.IVRDigits, r.CCCall, r.CustomField, r.Price, r.Resynced)
			for _, l := range r.Legs {
				fmt.Fprintf(&b, "\n     leg id=%d %s dir=%d %s→%s exten=%s start=%s ans=%s end=%s dur=%d bill=%d ring=%d st=%s hb=%s q=%s cc=%d ivr=%q",
					l.ID, l.Kind, l.Direction, l.Src, l.Dst, l.Exten, l.Start.Format("05.000"), l.Answer.Format("05.000"), l.Hangup.Format("05.000"), l.Duration, l.Billsec, l.Ringtime, l.Status, l.HangupBy, l.Queue, l.CCCall, l.IVRDigits)
			}
		}
		t.Logf("== %s%s", name, b.String())
	}
}

// ReplayFixture replays testdata/<name>.jsonl on a test tracker (exported
// for the package's external tests).
func ReplayFixture(t testing.TB, name string) []cdr.Record {
	return replay(newTestTracker(t), loadFixture(t, name))
}

// FixtureNames lists the recorded scenarios (exported for external tests).
func FixtureNames(t testing.TB) []string { return fixtureNames(t) }
