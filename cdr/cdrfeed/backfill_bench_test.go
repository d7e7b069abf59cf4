package cdrfeed_test

import (
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callctl/callctl/cdr/cdrfeed"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/cdr/cel"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
)

// manyCalls repeats recorded calls n times in all, each copy with its own
// ids and 3 s after the previous one.
func manyCalls(t testing.TB, n int) []cel.Row {
	var kinds [][]cel.Row
	for _, name := range []string{"outbound-answered", "outbound-busy", "outbound-noanswer", "ring-group", "inbound-missed"} {
		kinds = append(kinds, celFixture(t, name))
	}
	base := kinds[0][0].Time
	var out []cel.Row
	for k := 0; k < n; k++ {
		rows := kinds[k%len(kinds)]
		shift := base.Add(time.Duration(k) * 3 * time.Second).Sub(rows[0].Time)
		suffix := "-" + strconv.Itoa(k)
		for _, r := range rows {
			r.Uniqueid += suffix
			r.Linkedid += suffix
			r.Time = r.Time.Add(shift)
			out = append(out, r)
		}
	}
	return out
}

// BenchmarkBackfill10000Calls: a start after a gap of 10,000 calls, from
// the CEL file to the records committed (cpu-s: the process's CPU time).
// Run: go test -run - -bench Backfill10000 -benchtime 1x ./cdr/cdrfeed/
func BenchmarkBackfill10000Calls(b *testing.B) {
	const calls = 10000
	rows := manyCalls(b, calls)
	path := b.TempDir() + "/cel.db"
	writeCELFile(b, path, rows)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := storetest.New(b)
		if err := db.Update(func(tx *store.Tx) error { return cdrstore.SaveLastEvent(tx, rows[0].Time.Add(-time.Second)) }); err != nil {
			b.Fatal(err)
		}
		cfg := cdrfeed.DefaultConfig()
		cfg.Backfill.CELPath = path
		reg := prometheus.NewRegistry()
		cpu0 := cpuTime()
		start := time.Now()
		b.StartTimer()
		stop := runFeed(b, cfg, db, reg, nil)
		waitFor(b, "the backfill", 5*time.Minute, func() bool {
			return metric(b, reg, "callctl_cdr_calls_finished_total", "", "") >= calls
		})
		b.StopTimer()
		b.ReportMetric(time.Since(start).Seconds(), "s/backfill")
		b.ReportMetric((cpuTime() - cpu0).Seconds(), "cpu-s")
		b.ReportMetric(metric(b, reg, "callctl_cdr_backfill_seconds", "", ""), "s-read-replay")
		stop()
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
