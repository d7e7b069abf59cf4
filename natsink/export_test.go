package natsink

import "time"

// SetOnAck lets tests see each acknowledgement (the commit time of its
// message, the time of the ack).
func (s *Sink) SetOnAck(f func(created, at time.Time)) { s.onAck = f }
