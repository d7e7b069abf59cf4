package cel_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrfeed"
	"github.com/callctl/callctl/cdr/cel"
)

// testDirectory is the test bed's PBX (as in package cdr's tests): lines
// 1000–1009, the trunk carrier, queues support (1) and sales (2).
type testDirectory struct{}

func (testDirectory) Line(ep string) (cdr.Line, bool) {
	if len(ep) == 4 && strings.HasPrefix(ep, "100") {
		n := int(ep[3] - '0')
		return cdr.Line{Number: ep, UserID: 100 + n, CostLocation: "CL-" + ep, UserNumber: "3612345" + ep}, true
	}
	return cdr.Line{}, false
}
func (testDirectory) IsTrunk(ep string) bool { return ep == "carrier" }
func (testDirectory) QueueID(q string) int   { return map[string]int{"support": 1, "sales": 2}[q] }

type counter struct{ n uint64 }

func (c *counter) NextID() uint64 { c.n++; return c.n }

func newTracker() *cdr.Tracker {
	return cdr.NewTracker(cdr.Options{Directory: testDirectory{}, IDs: &counter{}})
}

// liveRecords replays the AMI events recorded with the CEL rows.
func liveRecords(t *testing.T, name string) []cdr.Record {
	f, err := os.Open("testdata/" + name + ".jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := newTracker()
	var out []cdr.Record
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m ami.Message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		if e, ok := cdrfeed.ParseEvent(m); ok {
			out = append(out, cdr.Records(tr.Apply(&e))...)
		}
	}
	return out
}

func loadRows(t testing.TB, name string) []cel.Row {
	f, err := os.Open("testdata/" + name + ".cel.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := cel.ReadCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// celRecords rebuilds the records from the CEL rows.
func celRecords(rows []cel.Row) []cdr.Record {
	tr, tl := newTracker(), cel.NewTranslator()
	tl.Prepare(rows)
	var out []cdr.Record
	for i := range rows {
		for _, e := range tl.Events(&rows[i]) {
			out = append(out, cdr.Records(tr.Apply(&e))...)
		}
	}
	return out
}

// What CEL cannot rebuild, per scenario (see Translator).
var celBlind = map[string]func(r *cdr.Record){
	// The call flow runs over ARI (flowrun): the variables it sets
	// (CALLCTL_FLOW_EXTEN, the IVR digits, the tags) are not in CEL, so the
	// record rebuilt from CEL has no flow leg, no flow extension (its
	// extension is the line that answered), no IVR digits and no tags. The
	// queue legs, who answered and hung up, and the times are rebuilt.
	"ivr-queue": func(r *cdr.Record) {
		r.CustomField, r.IVRDigits, r.Exten = "", "", r.LastExten
		r.Legs = slices.DeleteFunc(r.Legs, func(l cdr.Leg) bool { return l.Kind == cdr.KindFlow })
	},
}

// TestCELRebuildsTheLiveRecords: for every scenario recorded with CEL on,
// the records rebuilt from the CEL rows are those the tracker made from
// the AMI events of the same calls: who answered and hung up, direction,
// numbers, statuses, legs; times within a second.
func TestCELRebuildsTheLiveRecords(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.cel.csv")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".cel.csv")
		t.Run(name, func(t *testing.T) {
			live, back := liveRecords(t, name), celRecords(loadRows(t, name))
			if len(live) != len(back) {
				t.Fatalf("%d records from CEL, %d live", len(back), len(live))
			}
			for i := range live {
				if blind := celBlind[name]; blind != nil {
					blind(&live[i])
				}
				compareRecords(t, &live[i], &back[i])
			}
		})
	}
}

func compareRecords(t *testing.T, live, back *cdr.Record) {
	t.Helper()
	within := func(what string, a, b int) {
		if d := a - b; d < -1 || d > 1 {
			t.Errorf("%s: live %d, CEL %d", what, a, b)
		}
	}
	same := func(what string, a, b any) {
		if a != b {
			t.Errorf("%s: live %v, CEL %v", what, a, b)
		}
	}
	same("linkedid", live.Linkedid, back.Linkedid)
	same("direction", live.Direction, back.Direction)
	same("internal", live.Internal, back.Internal)
	same("src", live.Src, back.Src)
	same("dst", live.Dst, back.Dst)
	same("exten", live.Exten, back.Exten)
	same("answered_by", live.AnsweredBy, back.AnsweredBy)
	same("hangup_by", live.HangupBy, back.HangupBy)
	same("last_exten", live.LastExten, back.LastExten)
	same("other_party_number", live.OtherPartyNumber, back.OtherPartyNumber)
	same("ivr_digits", live.IVRDigits, back.IVRDigits)
	same("custom_field", live.CustomField, back.CustomField)
	same("cc_call", live.CCCall, back.CCCall)
	same("recording", live.RecordingPath, back.RecordingPath)
	same("answered", live.Answer.IsZero(), back.Answer.IsZero())
	within("duration", live.Duration, back.Duration)
	within("billsec", live.Billsec, back.Billsec)
	within("ringtime", live.Ringtime, back.Ringtime)
	if len(live.Legs) != len(back.Legs) {
		t.Fatalf("%d legs from CEL, %d live:\nlive %+v\nCEL  %+v", len(back.Legs), len(live.Legs), live.Legs, back.Legs)
	}
	for i := range live.Legs {
		l, b := live.Legs[i], back.Legs[i]
		p := "leg " + l.Exten + " "
		same(p+"kind", l.Kind, b.Kind)
		same(p+"exten", l.Exten, b.Exten)
		same(p+"src", l.Src, b.Src)
		same(p+"dst", l.Dst, b.Dst)
		same(p+"status", l.Status, b.Status)
		same(p+"hangup_by", l.HangupBy, b.HangupBy)
		same(p+"queue", l.Queue, b.Queue)
		same(p+"answered", l.Answer.IsZero(), b.Answer.IsZero())
		within(p+"duration", l.Duration, b.Duration)
		within(p+"billsec", l.Billsec, b.Billsec)
	}
}
