package cdr_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/cdr/cdrtest"
)

func TestAgreesWithAsterisksOwnCDR(t *testing.T) {
	entries, _ := os.ReadDir("testdata")
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".asterisk.csv")
		if !ok {
			continue
		}
		f, err := os.Open("testdata/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		ast, err := cdrtest.ParseCSV(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		recs := ReplayFixture(t, name)
		for _, d := range cdrtest.KnownDifferences.Unexpected(name, cdrtest.Compare(recs, ast)) {
			t.Errorf("%s: %s", name, d)
		}
	}
}

func TestSeedInboundExample(t *testing.T) {
	recs := ReplayFixture(t, "ivr-queue")
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	for _, d := range cdrtest.SeedInboundDifferences(recs[0].Seed(time.UTC), "3630999888", "3612340300") {
		t.Error(d)
	}
}

func TestScenarioSemantics(t *testing.T) {
	for _, name := range FixtureNames(t) {
		for _, d := range cdrtest.CheckScenario(name, ReplayFixture(t, name)) {
			t.Errorf("%s: %s", name, d)
		}
	}
}
