package ari

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/callctl/callctl/internal/fanout"
	"github.com/coder/websocket"
	"github.com/rs/zerolog"
)

// maxEventSize bounds one websocket message (ARI sends whole channel
// snapshots, variables included).
const maxEventSize = 4 << 20

// Client is a connection to ARI. Create it with New, start it with Run, then
// subscribe to events and make REST calls from any goroutine.
type Client struct {
	cfg     Config
	log     zerolog.Logger
	metrics *Metrics
	http    *http.Client
	base    string // cfg.URL without a trailing slash
	hub     *fanout.Hub[Event]

	mu          sync.Mutex
	connected   bool // the application's websocket is up
	responsive  bool // the last watchdog check was answered
	startupTime time.Time
	sessions    int
	conn        *websocket.Conn
	allowed     []string   // the application's event filter (AllowEvents)
	filterMu    sync.Mutex // one event filter request at a time
}

// New returns a Client; nil metrics are allowed (nothing is registered).
func New(cfg Config, log zerolog.Logger, metrics *Metrics) *Client {
	if metrics == nil {
		metrics = NewMetrics(nil)
	}
	c := &Client{
		cfg:     cfg,
		log:     log.With().Str("pkg", "ari").Logger(),
		metrics: metrics,
		http:    &http.Client{Transport: transport()}, // no Timeout: call bounds each request by its context
		base:    strings.TrimRight(cfg.URL, "/"),
	}
	c.hub = &fanout.Hub[Event]{
		Lost: func(n int, next Event) Event {
			return Event{Type: EventsLost, Count: n, Timestamp: next.Timestamp}
		},
		Dropped: func(name string, first bool) {
			if first {
				c.log.Warn().Str("subscriber", name).Msg("subscriber queue full: dropping ARI events until it catches up")
			}
			c.metrics.eventsDropped.WithLabelValues(name).Inc()
		},
	}
	return c
}

// transport is http.DefaultTransport's, keeping more idle connections to
// Asterisk: calls in flows make their requests in bursts (a dozen per
// call), and with the default two idle connections per host most of a
// burst's would be new TCP connections (and a new HTTP thread in
// Asterisk for each).
func transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	return t
}

// Subscription receives every event of the application in order, plus the
// synthetic Connected, Disconnected, AsteriskRestarted and EventsLost events.
type Subscription = fanout.Sub[Event]

// Subscribe returns a new subscription with a queue of size events (the
// configured QueueSize if size is 0); name labels its drop metrics.
func (c *Client) Subscribe(name string, size int) *Subscription {
	if size <= 0 {
		size = c.cfg.QueueSize
	}
	return c.hub.Subscribe(name, size)
}

// Connected reports whether the application's websocket is up.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connected
}

// Ready reports whether the websocket is up and Asterisk answers the watchdog.
func (c *Client) Ready() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connected && c.responsive
}

// Run keeps the application's websocket up until ctx ends, reconnecting with
// capped exponential backoff, and runs the watchdog.
func (c *Client) Run(ctx context.Context) error {
	go c.watchdog(ctx)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := c.session(ctx)
		if ctx.Err() != nil {
			break
		}
		c.log.Debug().Err(err).Dur("retry_in", backoff).Msg("ARI websocket")
		select {
		case <-ctx.Done():
		case <-time.After(backoff + rand.N(backoff/4+1)):
		}
		if err == errSessionWasUp {
			backoff = 100 * time.Millisecond
		} else {
			backoff = min(2*backoff, c.cfg.MaxBackoff)
		}
	}
	return nil
}

var errSessionWasUp = errors.New("ari: session ended")

// session dials the websocket, delivers its events until it fails, and
// reports errSessionWasUp if it got that far.
func (c *Client) session(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	q := url.Values{"app": {c.cfg.App}}
	wsURL := "ws" + strings.TrimPrefix(c.base, "http") + "/events?" + q.Encode()
	conn, _, err := websocket.Dial(dctx, wsURL, &websocket.DialOptions{
		HTTPClient: c.http,
		HTTPHeader: http.Header{"Authorization": {"Basic " + basicAuth(c.cfg.Username, c.cfg.Password)}},
	})
	cancel()
	if err != nil {
		return err
	}
	conn.SetReadLimit(maxEventSize)
	defer conn.CloseNow()

	// The startup time tells a restart apart from a dropped socket.
	ictx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	info, err := c.Info(ictx)
	cancel()
	if err != nil {
		return err
	}
	// The filter before the connection is announced: the events read
	// after it (StasisStarts queued meanwhile among them) come as soon as
	// the subscribers know of the connection (flowrun's recovery waits
	// only briefly for them).
	allowed := c.applyEventFilter(ctx)
	c.up(conn, info)
	defer c.down(conn)
	if c.allowedCount() != allowed { // allowed while this connection was not yet up
		c.applyEventFilter(ctx)
	}

	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			if ctx.Err() == nil {
				c.log.Warn().Err(err).Msg("ARI websocket lost")
			}
			return errSessionWasUp
		}
		e, err := decodeEvent(data)
		if err != nil {
			c.log.Warn().Err(err).Int("bytes", len(data)).Msg("undecodable ARI event dropped")
			continue
		}
		c.metrics.eventsReceived.Inc()
		if e.Type == "ApplicationReplaced" {
			c.log.Error().Str("app", c.cfg.App).Msg("another client registered the same ARI application: it now receives the events")
		}
		c.hub.Publish(e)
	}
}

func (c *Client) up(conn *websocket.Conn, info Info) {
	c.mu.Lock()
	restarted := !c.startupTime.IsZero() && !info.StartupTime.Equal(c.startupTime)
	c.startupTime = info.StartupTime
	c.connected, c.responsive, c.conn = true, true, conn
	c.sessions++
	if c.sessions > 1 {
		c.metrics.reconnects.Inc()
	}
	c.mu.Unlock()
	c.metrics.connected.Set(1)
	if restarted {
		c.metrics.restarts.Inc()
		c.log.Warn().Time("startup", info.StartupTime).Msg("Asterisk restarted")
		c.hub.Publish(Event{Type: EventAsteriskRestarted, Timestamp: time.Now()})
	}
	c.log.Info().Str("app", c.cfg.App).Str("asterisk", info.Version).Msg("ARI application registered")
	c.hub.Publish(Event{Type: EventConnected, Timestamp: time.Now()})
}

func (c *Client) down(conn *websocket.Conn) {
	c.mu.Lock()
	c.connected, c.conn = false, nil
	c.mu.Unlock()
	c.metrics.connected.Set(0)
	c.hub.Publish(Event{Type: EventDisconnected, Timestamp: time.Now()})
}

// watchdog checks that Asterisk answers, and forces a reconnect when its
// startup time changed under a websocket that did not notice.
func (c *Client) watchdog(ctx context.Context) {
	t := time.NewTicker(c.cfg.WatchdogInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ictx, cancel := context.WithTimeout(ctx, c.cfg.WatchdogInterval)
		info, err := c.Info(ictx)
		cancel()
		c.mu.Lock()
		wasResponsive := c.responsive
		c.responsive = err == nil
		conn := c.conn
		stale := err == nil && conn != nil && !info.StartupTime.Equal(c.startupTime)
		c.mu.Unlock()
		switch {
		case err != nil && wasResponsive:
			c.log.Warn().Err(err).Msg("Asterisk does not answer ARI")
		case err == nil && !wasResponsive:
			c.log.Info().Msg("Asterisk answers ARI again")
		}
		if stale {
			c.log.Warn().Msg("Asterisk restarted under an open websocket: reconnecting")
			conn.Close(websocket.StatusGoingAway, "asterisk restarted")
		}
	}
}
