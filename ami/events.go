package ami

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Events are read on an AMI session of their own, not through the library.
//
// Why: the library hands every message through three goroutines and two
// channels (one of them unbuffered) before we see it, formats a receive
// time into it and cuts lines at 4 KiB; on the PBX host that cost as much
// CPU as Asterisk spent on the calls (measured with test/load/cps). Here
// one goroutine reads the events, makes each one a Message with two
// allocations (its text, and the map of headers pointing into it), and
// hands it to the subscribers' queues. The library's session keeps the
// actions and their answers; it asks Asterisk for no events (Events:
// EventMask off), and events that still reach it are not delivered twice.
// OriginateResponse, an event that answers an action, arrives here and is
// matched to its action by ActionID.

const (
	// maxEventLine bounds one line of an event; longer lines are cut and
	// the event flagged (Asterisk's own events stay far below).
	maxEventLine = 64 << 10
	// loginTimeout bounds the greeting and the login exchange.
	loginTimeout = 5 * time.Second
	// maxEventBackoff caps the wait between reconnect attempts.
	maxEventBackoff = 2 * time.Second
)

// runEvents keeps an event session up until ctx ends.
func (c *Client) runEvents(ctx context.Context) {
	delay := 100 * time.Millisecond
	defer c.setEventsUp(false, stopped)
	for ctx.Err() == nil {
		began := time.Now()
		err := c.eventSession(ctx)
		if ctx.Err() != nil {
			return
		}
		c.setEventsUp(false, err.Error())
		if time.Since(began) > 10*time.Second {
			delay = 100 * time.Millisecond // a session that lasted: start over
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, maxEventBackoff)
	}
}

// eventSession connects, logs in and reads events until the connection or
// ctx ends.
func (c *Client) eventSession(ctx context.Context) error {
	d := net.Dialer{Timeout: c.cfg.DialTimeout, KeepAlive: 15 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
		}
		conn.Close()
	}()
	r := bufio.NewReaderSize(newRawReader(conn), maxEventLine)
	if err := c.eventLogin(conn, r); err != nil {
		return err
	}
	c.setEventsUp(true, "")
	ev := eventReader{r: r}
	for {
		m, err := ev.next()
		if err != nil {
			return fmt.Errorf("events: %w", err)
		}
		c.handleEvent(m, ev.truncated)
	}
}

// eventLogin reads the greeting and logs in with events on.
func (c *Client) eventLogin(conn net.Conn, r *bufio.Reader) error {
	for _, v := range []string{c.cfg.Username, c.cfg.Secret} {
		if err := CheckValue(v); err != nil {
			return fmt.Errorf("events: login: %w", err)
		}
	}
	conn.SetDeadline(time.Now().Add(loginTimeout))
	defer conn.SetDeadline(time.Time{})
	greeting, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("events: greeting: %w", err)
	}
	if !strings.HasPrefix(greeting, "Asterisk Call Manager") {
		return fmt.Errorf("events: not an AMI greeting: %q", truncate(greeting, 40))
	}
	login := "Action: Login\r\nActionID: callctl-E-login\r\nUsername: " + c.cfg.Username +
		"\r\nSecret: " + c.cfg.Secret + "\r\nEvents: on\r\n\r\n"
	if _, err := io.WriteString(conn, login); err != nil {
		return fmt.Errorf("events: login: %w", err)
	}
	ev := eventReader{r: r}
	for {
		m, err := ev.next()
		if err != nil {
			return fmt.Errorf("events: login: %w", err)
		}
		if !m.IsResponse() {
			continue
		}
		if !strings.EqualFold(m["Response"], "Success") {
			return fmt.Errorf("events: login refused: %s", m["Message"])
		}
		return nil
	}
}

// handleEvent delivers one event of the event session.
func (c *Client) handleEvent(m Message, truncated bool) {
	if truncated {
		m[HeaderTruncated] = "1"
		c.metrics.truncated.Inc()
		c.log.Warn().Str("event", m.Event()).Msg("AMI line longer than 64 KiB was cut; event flagged")
	}
	if m.Event() == "" {
		return
	}
	c.metrics.eventsReceived.Inc()
	if id := m["ActionID"]; id != "" {
		if w := c.waiter(id); w != nil {
			c.deliver(w, m) // OriginateResponse
		}
	}
	c.hub.Publish(m)
}

// eventReader reads AMI messages ("Key: Value" lines up to a blank line).
type eventReader struct {
	r         *bufio.Reader
	buf       []byte // the current message's lines, reused
	truncated bool   // a line of the last message was cut
}

// next returns the next message. Its keys and values share one string.
func (e *eventReader) next() (Message, error) {
	e.buf, e.truncated = e.buf[:0], false
	lines := 0
	for {
		line, err := e.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// Keep the start of the line, drop the rest of it.
			e.truncated = true
			e.buf = append(e.buf, line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = e.r.ReadSlice('\n')
			}
			if err != nil {
				return nil, err
			}
			e.buf = append(e.buf, '\n')
			lines++
			continue
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			if lines == 0 {
				continue // stray blank line between messages
			}
			break
		}
		e.buf = append(e.buf, line...)
		lines++
	}
	text := string(e.buf)
	m := make(Message, lines)
	for len(text) > 0 {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		line = strings.TrimRight(line, "\r")
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		m[strings.TrimRight(k, " ")] = strings.TrimLeft(v, " \t")
	}
	return m, nil
}

// setEventsUp records the event session's state and tells the subscribers:
// a new session's events follow a Connected event; a lost session is a
// Disconnected event.
func (c *Client) setEventsUp(up bool, reason string) {
	c.mu.Lock()
	if c.eventsUp == up {
		c.mu.Unlock()
		return
	}
	c.eventsUp = up
	if up {
		c.eventSessions++
		if c.eventSessions > 1 {
			c.metrics.reconnects.Inc()
		}
	}
	both := c.connected && c.eventsUp
	c.mu.Unlock()
	c.metrics.connected.Set(boolGauge(both))
	if up {
		c.log.Info().Str("addr", c.cfg.Addr).Msg("AMI event session up")
		c.hub.Publish(Message{"Event": EventConnected, "Timestamp": timestamp(time.Now())})
		return
	}
	if reason == stopped {
		c.log.Info().Msg("AMI event session closed")
	} else {
		c.log.Warn().Str("reason", reason).Msg("AMI event session down")
	}
	c.hub.Publish(Message{"Event": EventDisconnected, "Timestamp": timestamp(time.Now()), "Reason": reason})
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
