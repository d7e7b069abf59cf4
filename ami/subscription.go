package ami

import "strconv"

// Subscription receives every event in the order Asterisk sent it, plus the
// synthetic Connected, Disconnected and EventsLost events. Its queue is
// bounded: a subscriber that falls behind loses events, and the next event it
// receives is an EventsLost event with their Count.
type Subscription struct {
	name   string
	ch     chan Message
	client *Client
	lost   int // guarded by client.mu; only the pump changes it
}

// Subscribe returns a new subscription with a queue of size events (the
// configured QueueSize if size is 0); name labels its drop metrics.
func (c *Client) Subscribe(name string, size int) *Subscription {
	if size <= 0 {
		size = c.cfg.QueueSize
	}
	s := &Subscription{name: name, ch: make(chan Message, size), client: c}
	c.mu.Lock()
	c.subscribers = append(c.subscribers, s)
	c.mu.Unlock()
	return s
}

// C returns the channel of events. It is closed by Close.
func (s *Subscription) C() <-chan Message { return s.ch }

// Close stops delivery and closes the channel.
func (s *Subscription) Close() {
	c := s.client
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.subscribers {
		if x == s {
			c.subscribers = append(c.subscribers[:i], c.subscribers[i+1:]...)
			close(s.ch)
			return
		}
	}
}

// broadcast offers m to every subscriber without blocking.
func (c *Client) broadcast(m Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.subscribers {
		s.offer(m, c)
	}
}

func (s *Subscription) offer(m Message, c *Client) {
	if s.lost > 0 {
		marker := Message{"Event": EventsLost, "Count": strconv.Itoa(s.lost), "Timestamp": m["Timestamp"]}
		select {
		case s.ch <- marker:
			s.lost = 0
		default:
			s.drop(m, c)
			return
		}
	}
	select {
	case s.ch <- m:
	default:
		s.drop(m, c)
	}
}

func (s *Subscription) drop(m Message, c *Client) {
	if s.lost == 0 {
		c.log.Warn().Str("subscriber", s.name).Str("event", m.Event()).Msg("subscriber queue full: dropping AMI events until it catches up")
	}
	s.lost++
	c.metrics.eventsDropped.WithLabelValues(s.name).Inc()
}
