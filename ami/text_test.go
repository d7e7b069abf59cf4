package ami

import (
	"testing"
	"time"
)

func TestTimestampRoundTrip(t *testing.T) {
	ts := "1795422803.111871"
	got := ParseTimestamp(ts)
	if got.UnixMicro() != 1795422803111871 || FormatTimestamp(got) != ts {
		t.Fatalf("got %v / %s", got, FormatTimestamp(got))
	}
	if !ParseTimestamp("x.1").IsZero() || !ParseTimestamp("").IsZero() {
		t.Fatal("malformed timestamps must give the zero time")
	}
	if FormatTimestamp(time.Unix(5, 7000)) != "5.000007" {
		t.Fatal(FormatTimestamp(time.Unix(5, 7000)))
	}
}
