package cdr_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/callctl/callctl/cdr"
)

var update = flag.Bool("update", false, "rewrite testdata/*.records.json from the replays (review the diff!)")

// Every recorded scenario replays to exactly the records in its golden file:
// every field of every record and sub-record. The golden files were checked
// by hand against the scenario (test/scenario) and the semantics below.
func TestReplayMatchesGolden(t *testing.T) {
	for _, name := range fixtureNames(t) {
		t.Run(name, func(t *testing.T) {
			recs := replay(newTestTracker(t), loadFixture(t, name))
			got, _ := json.MarshalIndent(recs, "", "  ")
			path := "testdata/" + name + ".records.json"
			if *update {
				os.WriteFile(path, append(got, '\n'), 0o644)
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
				t.Errorf("records differ from %s; got:\n%s", path, got)
			}
		})
	}
}

// Every recorded scenario reports the changes in its golden file
// (testdata/<name>.changes.txt, one line a change), and the changes of
// every call are numbered 1, 2, 3 … with its CallFinished last.
func TestChangesMatchGolden(t *testing.T) {
	for _, name := range FixtureNames(t) {
		t.Run(name, func(t *testing.T) {
			changes := replayChanges(newTestTracker(t), loadFixture(t, name))
			var b strings.Builder
			seq := map[uint64]int{}
			finished := map[uint64]bool{}
			for _, c := range changes {
				fmt.Fprintf(&b, "call=%d seq=%d %s", c.Call.ID, c.Seq, c.Kind)
				if c.Leg.ID != 0 {
					fmt.Fprintf(&b, " leg=%d/%s/%s status=%s", c.Leg.ID, c.Leg.Kind, c.Leg.Exten, c.Leg.Status)
				}
				if c.Number != "" {
					fmt.Fprintf(&b, " number=%s forwarded=%v", c.Number, c.Forwarded)
				}
				fmt.Fprintf(&b, " inbound=%v caller=%s dialled=%s\n", c.Call.Inbound, c.Call.Caller, c.Call.Dialled)
				if finished[c.Call.ID] {
					t.Errorf("call %d: %s after its CallFinished", c.Call.ID, c.Kind)
				}
				if seq[c.Call.ID]++; seq[c.Call.ID] != c.Seq {
					t.Errorf("call %d: seq %d, want %d", c.Call.ID, c.Seq, seq[c.Call.ID])
				}
				finished[c.Call.ID] = c.Kind == cdr.CallFinished
			}
			got := b.String()
			path := "testdata/" + name + ".changes.txt"
			if *update {
				os.WriteFile(path, []byte(got), 0o644)
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("changes differ from %s; got:\n%s", path, got)
			}
		})
	}
}
