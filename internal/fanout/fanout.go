// Package fanout delivers a stream of events to several subscribers in
// order without ever blocking the publisher. Each subscriber has a bounded
// queue; when it is full the event is dropped, counted, and the subscriber's
// next delivered event is a loss report, so a consumer always knows it has
// to resynchronise. The ami and ari packages use it for their event streams.
package fanout

import "sync"

// Hub fans events of type T out to subscribers.
type Hub[T any] struct {
	// Lost builds the event that tells a subscriber n events were dropped
	// before next.
	Lost func(n int, next T) T
	// Dropped is called for every dropped event, with the subscriber's name
	// and whether it starts a run of drops (for logging once per run).
	Dropped func(subscriber string, first bool)

	mu   sync.Mutex
	subs []*Sub[T]
}

// Sub is one subscriber's queue.
type Sub[T any] struct {
	name string
	ch   chan T
	hub  *Hub[T]
	lost int // guarded by hub.mu
}

// Subscribe adds a subscriber with a queue of size events.
func (h *Hub[T]) Subscribe(name string, size int) *Sub[T] {
	s := &Sub[T]{name: name, ch: make(chan T, size), hub: h}
	h.mu.Lock()
	h.subs = append(h.subs, s)
	h.mu.Unlock()
	return s
}

// C returns the subscriber's channel; Close closes it.
func (s *Sub[T]) C() <-chan T { return s.ch }

// Close removes the subscriber and closes its channel. It is safe to call twice.
func (s *Sub[T]) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, x := range h.subs {
		if x == s {
			h.subs = append(h.subs[:i], h.subs[i+1:]...)
			close(s.ch)
			return
		}
	}
}

// Publish offers e to every subscriber without blocking.
func (h *Hub[T]) Publish(e T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.subs {
		s.offer(e)
	}
}

func (s *Sub[T]) offer(e T) {
	if s.lost > 0 {
		select {
		case s.ch <- s.hub.Lost(s.lost, e):
			s.lost = 0
		default:
			s.drop()
			return
		}
	}
	select {
	case s.ch <- e:
	default:
		s.drop()
	}
}

func (s *Sub[T]) drop() {
	s.lost++
	if s.hub.Dropped != nil {
		s.hub.Dropped(s.name, s.lost == 1)
	}
}
