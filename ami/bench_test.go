package ami

import (
	"strings"
	"testing"
)

// BenchmarkWireToSubscriber: AMI events as Asterisk writes them (the
// recorded frames of testdata), read by the library over TCP, through the
// pump, to a subscriber. Together with cdr's BenchmarkParseAndApply this is
// the full path of an event into the CDR engine.
func BenchmarkWireToSubscriber(b *testing.B) {
	f := newFakeAMI(b)
	c, _ := startClient(b, f, 0)
	sub := c.Subscribe("bench", 1<<16)
	defer sub.Close()
	var batch strings.Builder
	for range 50 {
		for _, e := range f.events {
			batch.WriteString(e)
		}
	}
	per := 50 * len(f.events)
	b.SetBytes(int64(batch.Len()))
	b.ResetTimer()
	for b.Loop() {
		f.write(batch.String())
		for n := 0; n < per; {
			if e := <-sub.C(); !strings.HasPrefix(e.Event(), "Callctl") {
				n++
			}
		}
	}
	b.ReportMetric(float64(b.N*per)/b.Elapsed().Seconds(), "events/s")
}
