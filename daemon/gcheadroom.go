package daemon

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// The collector's target under gc_headroom_mib: GOGC is set after every
// collection so that the next one comes when the heap has grown by a fixed
// number of bytes over what was live, instead of by a share of it (Go's
// GOGC: 100 lets a heap of calls in progress double before a collection,
// so each call costs twice its live bytes in RSS). With a fixed headroom
// the memory per call in progress is its live heap, and the collections
// come as often as the allocation rate and the headroom say, whatever the
// number of calls up. minHeadroomPercent bounds the CPU when a very large
// heap is live (the headroom never falls under this share of it);
// maxHeadroomPercent bounds the GOGC a small heap gets.
const (
	minHeadroomPercent = 25
	maxHeadroomPercent = 400
)

// headroomPercent is the GOGC that makes the next heap goal live +
// headroom: Go's goal is live + (live + stacks + globals) × GOGC/100.
func headroomPercent(headroom, live, stacks, globals uint64) int {
	base := live + stacks + globals
	if base == 0 {
		return maxHeadroomPercent
	}
	p := int(headroom * 100 / base)
	return min(max(p, minHeadroomPercent), maxHeadroomPercent)
}

// gcHeadroom keeps the collector's headroom at a fixed number of bytes,
// re-reading the live heap after each collection (a cleanup on an object
// that only the collector frees runs once per cycle).
type gcHeadroom struct {
	headroom uint64
	samples  []metrics.Sample
	last     int
}

// startGCHeadroom sets GOGC after every collection from now on, for a
// heap goal of the live heap plus headroom bytes.
func startGCHeadroom(headroom uint64) {
	g := &gcHeadroom{headroom: headroom, samples: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"},
	}}
	g.adjust()
	g.arm()
}

// sentinel is garbage as soon as it is made: its cleanup runs after the
// next collection. It holds a pointer so that it is not a tiny allocation
// (those share a block, and the cleanup would wait for its neighbours).
type sentinel struct{ _ *int }

func (g *gcHeadroom) arm() {
	runtime.AddCleanup(new(sentinel), func(g *gcHeadroom) { g.adjust(); g.arm() }, g)
}

func (g *gcHeadroom) adjust() {
	metrics.Read(g.samples)
	var v [3]uint64
	for i, s := range g.samples {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	if v[0] == 0 { // no collection yet: Go's first goal (4 MiB) stands
		return
	}
	if p := headroomPercent(g.headroom, v[0], v[1], v[2]); p != g.last {
		debug.SetGCPercent(p)
		g.last = p
	}
}
