package ami

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ivahaev/amigo"
)

// request is an encoded action waiting for the sender goroutine.
type request struct {
	msg   map[string]string
	state atomic.Int32 // queued → sending, or queued → withdrawn
	sent  chan error   // the library's verdict on sending, buffered
}

const (
	stateQueued int32 = iota
	stateSending
	stateWithdrawn
)

// waiter collects the messages that answer one action, matched by ActionID.
type waiter struct {
	// complete reports whether m ends the answer.
	complete func(m Message) bool

	mu       sync.Mutex
	response Message
	events   []Message
	err      error
	done     chan struct{}
}

func (w *waiter) add(m Message) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil || isClosed(w.done) {
		return false
	}
	if m.IsResponse() {
		w.response = m
	} else {
		w.events = append(w.events, m)
	}
	if w.complete(m) {
		close(w.done)
		return true
	}
	return false
}

func (w *waiter) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if isClosed(w.done) {
		return
	}
	w.err = err
	close(w.done)
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func (c *Client) waiter(id string) *waiter {
	if id == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waiters[id]
}

// deliver hands m to w and forgets w once its answer is complete.
func (c *Client) deliver(w *waiter, m Message) {
	if w.add(m) {
		c.mu.Lock()
		delete(c.waiters, m["ActionID"])
		c.mu.Unlock()
	}
}

// sender writes actions through the library one at a time (the library
// serialises them anyway). Its return value is ignored but for "not
// connected": responses are matched by the pump, under the caller's deadline.
func (c *Client) sender(ctx context.Context, lib *amigo.Amigo) {
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-c.requests:
			if !r.state.CompareAndSwap(stateQueued, stateSending) {
				continue // the caller gave up before we got to it
			}
			r.sent <- c.send(ctx, lib, r.msg)
		}
	}
}

// send hands msg to the library. Just after a reconnect the library may
// still say "not connected" for a moment after announcing the session; as
// nothing was sent, it is safe to try again while the session is believed up.
func (c *Client) send(ctx context.Context, lib *amigo.Amigo, msg map[string]string) error {
	for {
		_, err := lib.Action(msg)
		if err == nil || !c.actionsUp() {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// exchange sends a and waits until complete says its answer is whole.
func (c *Client) exchange(ctx context.Context, a Action, list bool, complete func(Message) bool) (resp Message, events []Message, err error) {
	start := time.Now()
	defer func() { c.observe(a.Name, start, err) }()

	prefix := actionIDPrefix
	if list {
		prefix = listIDPrefix
	}
	id := prefix + strconv.FormatUint(c.nextID.Add(1), 10)
	msg, err := a.encode(id)
	if err != nil {
		return nil, nil, err
	}
	w := &waiter{complete: complete, done: make(chan struct{})}
	c.mu.Lock()
	if !c.connected {
		c.mu.Unlock()
		return nil, nil, ErrNotConnected
	}
	c.waiters[id] = w
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiters, id)
		c.mu.Unlock()
	}()

	r := &request{msg: msg, sent: make(chan error, 1)}
	select {
	case c.requests <- r:
	default:
		return nil, nil, ErrBusy
	}

	sent := r.sent
	for {
		select {
		case <-w.done:
			w.mu.Lock()
			defer w.mu.Unlock()
			if w.err != nil {
				if r.state.CompareAndSwap(stateQueued, stateWithdrawn) {
					return nil, nil, ErrNotConnected
				}
				return nil, nil, fmt.Errorf("%w (%s: connection lost)", w.err, a.Name)
			}
			return w.response, w.events, responseError(a.Name, w.response)
		case err := <-sent:
			if err != nil {
				return nil, nil, ErrNotConnected
			}
			sent = nil
		case <-ctx.Done():
			if r.state.CompareAndSwap(stateQueued, stateWithdrawn) {
				return nil, nil, fmt.Errorf("ami: %s not sent: %w", a.Name, ctx.Err())
			}
			return nil, nil, fmt.Errorf("%w (%s: %v)", ErrUnknownOutcome, a.Name, ctx.Err())
		}
	}
}

func responseError(action string, resp Message) error {
	if resp == nil || strings.EqualFold(resp["Response"], "Error") {
		msg := resp["Message"]
		if msg == "" {
			msg = "error"
		}
		return &ResponseError{Action: action, Message: msg, Response: resp}
	}
	return nil
}

func (c *Client) observe(action string, start time.Time, err error) {
	result := "ok"
	var re *ResponseError
	switch {
	case err == nil:
	case errors.As(err, &re):
		result = "error"
	case errors.Is(err, ErrNotConnected):
		result = "not_connected"
	case errors.Is(err, ErrUnknownOutcome):
		result = "unknown"
	case errors.Is(err, ErrInvalidValue):
		result = "invalid"
	case errors.Is(err, ErrBusy):
		result = "busy"
	default:
		result = "not_sent"
	}
	c.metrics.actionDuration.WithLabelValues(action, result).Observe(time.Since(start).Seconds())
}

// Action sends a and returns Asterisk's response. A "Response: Error" is
// returned as *ResponseError together with the response.
func (c *Client) Action(ctx context.Context, a Action) (Message, error) {
	resp, _, err := c.exchange(ctx, a, false, Message.IsResponse)
	return resp, err
}

// List sends an action whose answer is an event list ("EventList: start" …
// "EventList: Complete") and returns the response and the list's items,
// without the closing "…Complete" event.
func (c *Client) List(ctx context.Context, a Action) (Message, []Message, error) {
	resp, events, err := c.exchange(ctx, a, true, func(m Message) bool {
		if m.IsResponse() {
			// An error, or a plain success that announces no list, ends it.
			return !strings.EqualFold(m["Response"], "Success") || !strings.EqualFold(m["EventList"], "start")
		}
		return strings.EqualFold(m["EventList"], "Complete")
	})
	if err != nil {
		return resp, nil, err
	}
	if n := len(events); n > 0 && strings.EqualFold(events[n-1]["EventList"], "Complete") {
		events = events[:n-1]
	}
	return resp, events, nil
}

// Originate sends an asynchronous Originate and waits for its
// OriginateResponse event, which Asterisk raises once the called channel
// answers or fails. The OriginateResponse is returned; its Response header
// is "Success" or "Failure" (with Reason).
func (c *Client) Originate(ctx context.Context, a Action) (Message, error) {
	result, err := c.StartOriginate(ctx, a)
	if err != nil {
		return nil, err
	}
	return result(ctx)
}

// StartOriginate sends an asynchronous Originate and returns once Asterisk
// has queued it. The returned function waits for the OriginateResponse
// event (Response: Success or Failure, with Reason), which comes when the
// called channel answers or fails; call it exactly once, with a deadline.
func (c *Client) StartOriginate(ctx context.Context, a Action) (result func(context.Context) (Message, error), err error) {
	a.Name = "Originate"
	h := make(map[string]string, len(a.Headers)+1)
	for k, v := range a.Headers {
		h[k] = v
	}
	h["Async"] = "true"
	a.Headers = h
	id := actionIDPrefix + strconv.FormatUint(c.nextID.Add(1), 10)
	msg, err := a.encode(id)
	if err != nil {
		return nil, err
	}
	queued := make(chan struct{})
	var once sync.Once
	w := &waiter{done: make(chan struct{})}
	w.complete = func(m Message) bool {
		if m.IsResponse() {
			if strings.EqualFold(m["Response"], "Error") {
				return true
			}
			once.Do(func() { close(queued) })
			return false
		}
		return m.Event() == "OriginateResponse"
	}
	c.mu.Lock()
	if !c.connected {
		c.mu.Unlock()
		return nil, ErrNotConnected
	}
	c.waiters[id] = w
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.waiters, id)
		c.mu.Unlock()
	}
	start := time.Now()
	r := &request{msg: msg, sent: make(chan error, 1)}
	select {
	case c.requests <- r:
	default:
		forget()
		return nil, ErrBusy
	}
	// wait is the returned function: the OriginateResponse, once it came.
	wait := func(ctx context.Context) (Message, error) {
		defer forget()
		select {
		case <-w.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (OriginateResponse: %v)", ErrUnknownOutcome, ctx.Err())
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.err != nil {
			return nil, w.err
		}
		for _, e := range w.events {
			if e.Event() == "OriginateResponse" {
				return e, nil
			}
		}
		return nil, ErrUnknownOutcome
	}
	sent := r.sent
	for {
		select {
		case <-queued:
			c.observe("Originate", start, nil)
			return wait, nil
		case <-w.done:
			select {
			case <-queued: // the OriginateResponse came as fast as the queued answer
				c.observe("Originate", start, nil)
				return wait, nil
			default:
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			for _, e := range w.events {
				if e.Event() == "OriginateResponse" { // it came before the answer: queued all the same
					c.observe("Originate", start, nil)
					return wait, nil
				}
			}
			forget()
			err := w.err
			if err == nil {
				err = responseError("Originate", w.response)
			}
			if err == nil {
				err = ErrUnknownOutcome
			}
			c.observe("Originate", start, err)
			return nil, err
		case err := <-sent:
			if err != nil {
				forget()
				return nil, ErrNotConnected
			}
			sent = nil
		case <-ctx.Done():
			forget()
			if r.state.CompareAndSwap(stateQueued, stateWithdrawn) {
				return nil, fmt.Errorf("ami: Originate not sent: %w", ctx.Err())
			}
			c.observe("Originate", start, ErrUnknownOutcome)
			return nil, fmt.Errorf("%w (Originate: %v)", ErrUnknownOutcome, ctx.Err())
		}
	}
}
