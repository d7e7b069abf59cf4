package natsink

import (
	"container/heap"
	"sync"
	"time"
)

// queue is the in-memory picture of the messages waiting in the outbox:
// per call in their order, the head of each call ready to be published
// unless it is in flight. It is loaded once at start and then kept
// current by enqueues (after their commit) and acknowledgements.
type queue struct {
	mu       sync.Mutex
	calls    map[string][]*message // per call, the head first
	ready    idHeap                // heads not in flight, oldest first
	known    map[uint64]bool
	inflight int
	wake     chan struct{}
}

// message is one pending message, without its body (read when it is sent).
type message struct {
	id      uint64
	call    string
	created time.Time
	idx     int // in ready; -1 if not there
}

func newQueue() *queue {
	return &queue{calls: map[string][]*message{}, known: map[uint64]bool{}, wake: make(chan struct{}, 1)}
}

func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// add takes a pending message behind the earlier ones of its call (a
// second add of the same id is ignored).
func (q *queue) add(m *message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.known[m.id] {
		return
	}
	q.known[m.id] = true
	m.idx = -1
	q.calls[m.call] = append(q.calls[m.call], m)
	if len(q.calls[m.call]) == 1 {
		heap.Push(&q.ready, m)
		q.signal()
	}
}

// take claims up to limit-inflight ready messages, oldest first.
func (q *queue) take(limit int) []*message {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []*message
	for q.inflight < limit && q.ready.Len() > 0 {
		out = append(out, heap.Pop(&q.ready).(*message))
		q.inflight++
	}
	return out
}

// acked removes a message the server stored and lets the next of its
// call go.
func (q *queue) acked(m *message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.inflight--
	delete(q.known, m.id)
	rest := q.calls[m.call][1:]
	if len(rest) == 0 {
		delete(q.calls, m.call)
	} else {
		q.calls[m.call] = rest
		heap.Push(&q.ready, rest[0])
	}
	q.signal()
}

// failed puts a message back at the head of its call, to be sent again.
func (q *queue) failed(m *message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.inflight--
	heap.Push(&q.ready, m)
	q.signal()
}

// stats returns the pending messages (in flight included) and the
// creation time of the oldest.
func (q *queue) stats() (int, time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var oldest time.Time
	for _, ms := range q.calls {
		if c := ms[0].created; oldest.IsZero() || c.Before(oldest) {
			oldest = c
		}
	}
	return len(q.known), oldest
}

// idHeap orders the ready messages by id: the order they were committed.
type idHeap []*message

func (h idHeap) Len() int           { return len(h) }
func (h idHeap) Less(i, j int) bool { return h[i].id < h[j].id }
func (h idHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *idHeap) Push(x any) {
	m := x.(*message)
	m.idx = len(*h)
	*h = append(*h, m)
}
func (h *idHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	m.idx = -1
	return m
}
