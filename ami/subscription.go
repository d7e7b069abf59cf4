package ami

import (
	"strconv"

	"github.com/callctl/callctl/internal/fanout"
)

// Subscription receives every event in the order Asterisk sent it, plus the
// synthetic Connected, Disconnected and EventsLost events. Its queue is
// bounded: a subscriber that falls behind loses events, and the next event it
// receives is an EventsLost event with their Count. Read it with C; Close it
// when done.
type Subscription = fanout.Sub[Message]

func (c *Client) newHub() *fanout.Hub[Message] {
	return &fanout.Hub[Message]{
		Lost: func(n int, next Message) Message {
			return Message{"Event": EventsLost, "Count": strconv.Itoa(n), "Timestamp": next["Timestamp"]}
		},
		Dropped: func(name string, first bool) {
			if first {
				c.log.Warn().Str("subscriber", name).Msg("subscriber queue full: dropping AMI events until it catches up")
			}
			c.metrics.eventsDropped.WithLabelValues(name).Inc()
		},
	}
}

// Subscribe returns a new subscription with a queue of size events (the
// configured QueueSize if size is 0); name labels its drop metrics.
func (c *Client) Subscribe(name string, size int) *Subscription {
	if size <= 0 {
		size = c.cfg.QueueSize
	}
	return c.hub.Subscribe(name, size)
}
