package ari

import (
	"context"
	"net/http"
	"slices"
)

// AllowEvents adds event types to the application's event filter (ARI's
// PUT /applications/{app}/eventFilter, Asterisk 16.3 and later): once any
// type is allowed, Asterisk sends the application only the allowed types
// (ApplicationReplaced too must be allowed to come), so the events nobody
// reads are neither sent nor decoded. A subscriber that reads an event
// type must allow it; without any call, every event comes. The filter is
// set on every connect before the connection is announced, and before
// AllowEvents returns when the websocket is up.
func (c *Client) AllowEvents(types ...string) {
	c.mu.Lock()
	for _, t := range types {
		if !slices.Contains(c.allowed, t) {
			c.allowed = append(c.allowed, t)
		}
	}
	connected := c.connected
	c.mu.Unlock()
	if connected {
		c.applyEventFilter(context.Background())
	}
}

// applyEventFilter sets the application's event filter, if any type is
// allowed, and returns how many it allowed; one at a time, so the last
// request Asterisk gets has the whole list. A failure costs only CPU
// (every event comes): it is logged.
func (c *Client) applyEventFilter(ctx context.Context) int {
	c.filterMu.Lock()
	defer c.filterMu.Unlock()
	c.mu.Lock()
	types := slices.Clone(c.allowed)
	c.mu.Unlock()
	if len(types) == 0 {
		return 0
	}
	type eventType struct {
		Type string `json:"type"`
	}
	body := struct {
		Allowed    []eventType `json:"allowed"`
		Disallowed []eventType `json:"disallowed"`
	}{Disallowed: []eventType{}}
	for _, t := range types {
		body.Allowed = append(body.Allowed, eventType{t})
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	if err := c.call(actx, "application_event_filter", http.MethodPut, "/applications/"+c.cfg.App+"/eventFilter", nil, body, nil); err != nil {
		c.log.Warn().Err(err).Strs("allowed", types).Msg("setting the application's event filter: every event comes")
	}
	return len(types)
}

// allowedCount is how many event types AllowEvents has allowed.
func (c *Client) allowedCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.allowed)
}
