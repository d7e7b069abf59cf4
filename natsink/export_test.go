package natsink

import "time"

// SetOnAck lets tests see each acknowledgement (its message's subject
// and commit time, the time of the ack).
func (s *Sink) SetOnAck(f func(subject string, created, at time.Time)) { s.onAck = f }
