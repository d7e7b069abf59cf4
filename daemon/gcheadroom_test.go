package daemon

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestHeadroomPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		headroom, live, stacks, globals uint64
		want                            int
	}{
		{4 * mib, 4 * mib, 0, 0, 100},
		{4 * mib, 7 * mib, 512 << 10, 512 << 10, 50},
		{4 * mib, 64 * mib, 0, 0, minHeadroomPercent}, // a very large heap: at least a quarter
		{4 * mib, 512 << 10, 0, 0, maxHeadroomPercent},
		{4 * mib, 0, 0, 0, maxHeadroomPercent},
	} {
		if got := headroomPercent(c.headroom, c.live, c.stacks, c.globals); got != c.want {
			t.Errorf("headroomPercent(%d, %d, %d, %d) = %d, want %d", c.headroom, c.live, c.stacks, c.globals, got, c.want)
		}
	}
}

// After a collection the controller has set GOGC for the live heap.
func TestGCHeadroomSetsGOGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	g := &gcHeadroom{headroom: 1 << 30}
	startGCHeadroom(g.headroom)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		if p := debug.SetGCPercent(100); p == maxHeadroomPercent {
			return // a 1 GiB headroom over a test's heap: the upper bound
		}
	}
	t.Fatal("GOGC was not set after collections")
}
