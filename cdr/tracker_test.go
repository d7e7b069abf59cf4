package cdr_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
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
