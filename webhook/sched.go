package webhook

import (
	"container/heap"
	"sync"
	"time"
)

// scheduler is the in-memory picture of the pending deliveries: which are
// due, per lane (a client or a target) under the lane's concurrency limit,
// and in order per call. It is loaded once from the outbox and then kept
// up to date by enqueues (after their commit) and results (after theirs),
// so nothing ever scans the outbox to find work.
type scheduler struct {
	mu    sync.Mutex
	lanes map[string]*lane
	items map[uint64]*item // every pending delivery, by id
	wake  chan struct{}
	limit int // a new lane's concurrency until its client is read
}

type itemState int

const (
	queued  itemState = iota // in its lane's heap, waiting for its time
	behind                   // waiting for an earlier delivery of its call
	sending                  // an attempt is under way
	settled                  // the attempt is done, its result not yet recorded
)

type item struct {
	id       uint64
	lane     string
	call     uint64 // 0: no order to keep
	kind     string
	created  time.Time
	next     time.Time
	attempts int
	state    itemState
	idx      int // in the lane's heap
}

type lane struct {
	limit, inflight int
	heap            itemHeap
	calls           map[uint64][]*item // per call: the head first
	down            bool               // its last attempt failed and may succeed later
}

func newScheduler(limit int) *scheduler {
	return &scheduler{lanes: map[string]*lane{}, items: map[uint64]*item{}, wake: make(chan struct{}, 1), limit: limit}
}

func (s *scheduler) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *scheduler) laneOf(name string) *lane {
	l := s.lanes[name]
	if l == nil {
		l = &lane{limit: s.limit, calls: map[uint64][]*item{}}
		s.lanes[name] = l
	}
	return l
}

func itemOf(d *Delivery) *item {
	return &item{id: d.ID, lane: d.lane(), call: d.CallID, kind: d.Kind, created: d.Created, next: d.Next, attempts: d.Attempts}
}

// add takes a pending delivery (once: a second add of the same id is
// ignored) behind the earlier ones of its call.
func (s *scheduler) add(it *item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.items[it.id]; ok {
		return
	}
	s.items[it.id] = it
	l := s.laneOf(it.lane)
	if it.call != 0 {
		l.calls[it.call] = append(l.calls[it.call], it)
		if len(l.calls[it.call]) > 1 {
			it.state = behind
			return
		}
	}
	it.state = queued
	heap.Push(&l.heap, it)
	s.signal()
}

// due takes the deliveries due at now that their lanes have room for, and
// says how long until the next one is due (-1: none waits for a time).
func (s *scheduler) due(now time.Time) ([]*item, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ready []*item
	wait := time.Duration(-1)
	for _, l := range s.lanes {
		for l.inflight < l.limit && l.heap.Len() > 0 && !l.heap[0].next.After(now) {
			it := heap.Pop(&l.heap).(*item)
			it.state = sending
			l.inflight++
			ready = append(ready, it)
		}
		if l.inflight < l.limit && l.heap.Len() > 0 {
			if w := l.heap[0].next.Sub(now); wait < 0 || w < wait {
				wait = w
			}
		}
	}
	return ready, wait
}

// setLimit sets a lane's concurrency (from its client, read for each attempt).
func (s *scheduler) setLimit(name string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.lanes[name]; l != nil && n > 0 && l.limit != n {
		l.limit = n
		s.signal()
	}
}

// sent frees the lane's slot once an attempt is over.
func (s *scheduler) sent(it *item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it.state = settled
	if l := s.lanes[it.lane]; l != nil && s.items[it.id] == it {
		l.inflight--
	}
	s.signal()
}

// done removes a delivery that was delivered or failed for good (or is
// gone) and lets the next of its call go. A delivery to a lane that was
// down brings the lane's waiting deliveries forward: the receiver is back.
func (s *scheduler) done(it *item, delivered bool, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remove(it)
	l := s.lanes[it.lane]
	if l == nil {
		return
	}
	if delivered && l.down {
		l.down = false
		for _, h := range l.heap {
			if h.next.After(now) {
				h.next = now
			}
		}
		heap.Init(&l.heap)
	}
	s.signal()
}

func (s *scheduler) remove(it *item) {
	if s.items[it.id] != it {
		return
	}
	delete(s.items, it.id)
	l := s.lanes[it.lane]
	if l == nil {
		return
	}
	if it.state == queued {
		heap.Remove(&l.heap, it.idx)
	}
	if it.call == 0 {
		return
	}
	q := l.calls[it.call]
	for i, x := range q {
		if x == it {
			q = append(q[:i:i], q[i+1:]...)
			break
		}
	}
	if len(q) == 0 {
		delete(l.calls, it.call)
		return
	}
	l.calls[it.call] = q
	if h := q[0]; h.state == behind {
		h.state = queued
		heap.Push(&l.heap, h)
	}
}

// retry puts a delivery back for its next attempt at next.
func (s *scheduler) retry(it *item, attempts int, next time.Time, laneDown bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.items[it.id] != it {
		return
	}
	it.attempts, it.next, it.state = attempts, next, queued
	if l := s.lanes[it.lane]; l != nil {
		l.down = l.down || laneDown
		heap.Push(&l.heap, it)
	}
	s.signal()
}

// requeue makes a delivery due now: known and waiting, it is brought
// forward; unknown (failed or delivered before), it is added.
func (s *scheduler) requeue(d *Delivery) {
	s.mu.Lock()
	if it, ok := s.items[d.ID]; ok {
		if it.state == queued {
			it.next = d.Next
			heap.Fix(&s.lanes[it.lane].heap, it.idx)
			s.signal()
		}
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.add(itemOf(d))
}

// dropLane forgets a deleted client's deliveries.
func (s *scheduler) dropLane(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, it := range s.items {
		if it.lane == name {
			delete(s.items, id)
		}
	}
	delete(s.lanes, name)
}

// stats returns the number of pending deliveries and the creation time of
// the oldest.
func (s *scheduler) stats() (int, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var oldest time.Time
	for _, it := range s.items {
		if oldest.IsZero() || it.created.Before(oldest) {
			oldest = it.created
		}
	}
	return len(s.items), oldest
}

// itemHeap orders a lane's due candidates by time, then id.
type itemHeap []*item

func (h itemHeap) Len() int { return len(h) }
func (h itemHeap) Less(i, j int) bool {
	if !h[i].next.Equal(h[j].next) {
		return h[i].next.Before(h[j].next)
	}
	return h[i].id < h[j].id
}
func (h itemHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *itemHeap) Push(x any) {
	it := x.(*item)
	it.idx = len(*h)
	*h = append(*h, it)
}
func (h *itemHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	it.idx = -1
	return it
}
