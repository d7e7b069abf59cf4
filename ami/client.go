package ami

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callctl/callctl/internal/fanout"
	"github.com/ivahaev/amigo"
	"github.com/rs/zerolog"
)

// The library's reader reads lines into a 4,096-byte buffer and cuts longer
// ones; a header whose line reaches that size was cut.
const libraryLineLimit = 4096

// ActionID prefixes: list actions' events are consumed by their collector and
// never broadcast; other actions' events (OriginateResponse) are broadcast too.
const (
	listIDPrefix   = "callctl-L-"
	actionIDPrefix = "callctl-A-"
)

// Client is a connection to Asterisk's manager interface. Create it with New,
// start it with Run, then send actions and subscribe to events from any
// goroutine.
type Client struct {
	cfg     Config
	log     zerolog.Logger
	metrics *Metrics

	in       chan map[string]string // every message the library reads
	control  chan control           // the library's connect/error notices
	requests chan *request          // actions waiting for the sender
	nextID   atomic.Uint64
	started  atomic.Bool

	mu            sync.Mutex
	connected     bool // the library's session, for actions
	eventsUp      bool // the event session (events.go)
	eventSessions int
	responsive    bool // the last keepalive ping was answered
	sessions      int
	waiters       map[string]*waiter
	lastError     string

	hub *fanout.Hub[Message]
}

const stopped = "client stopped"

type control struct {
	connect bool
	message string
}

// New returns a Client; nil metrics are allowed (nothing is registered).
func New(cfg Config, log zerolog.Logger, metrics *Metrics) *Client {
	if metrics == nil {
		metrics = NewMetrics(nil)
	}
	c := &Client{
		cfg:      cfg,
		log:      log.With().Str("pkg", "ami").Logger(),
		metrics:  metrics,
		in:       make(chan map[string]string, 1024),
		control:  make(chan control, 64),
		requests: make(chan *request, cfg.MaxPending),
		waiters:  make(map[string]*waiter),
	}
	c.hub = c.newHub()
	return c
}

// Run connects to Asterisk and delivers messages until ctx ends. It may be
// called once: the library keeps reconnecting in the background for the life
// of the process and cannot be closed.
func (c *Client) Run(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("ami: Run called twice")
	}
	host, port, err := net.SplitHostPort(c.cfg.Addr)
	if err != nil {
		return fmt.Errorf("ami: %w", err)
	}
	lib := amigo.New(&amigo.Settings{
		Username:          c.cfg.Username,
		Password:          c.cfg.Secret,
		Host:              host,
		Port:              port,
		DialTimeout:       c.cfg.DialTimeout,
		ReconnectInterval: time.Second,
		// The library's own pinger races with its reconnect loop (a data
		// race on the connection id when a session ends within 5 s): our
		// keepalive below sends Ping through the normal action path instead.
		Keepalive: false,
	})
	// One channel receives every message, responses included; the pump
	// below drains it without ever blocking, so the library's reader never
	// stalls on us.
	lib.SetEventChannel(c.in)
	lib.On("connect", func(string) { c.notice(control{connect: true}) })
	lib.On("error", func(msg string) { c.notice(control{message: msg}) })
	lib.Connect()
	c.log.Info().Str("addr", c.cfg.Addr).Msg("connecting to AMI")

	go c.sender(ctx, lib)
	go c.keepalive(ctx)
	go c.runEvents(ctx)
	c.pump(ctx)
	return nil
}

// keepalive pings Asterisk; a session whose pings go unanswered is up but
// not ready (a hung Asterisk keeps its socket open).
func (c *Client) keepalive(ctx context.Context) {
	t := time.NewTicker(c.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !c.actionsUp() {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, c.cfg.PingInterval)
		_, err := c.Action(pctx, Action{Name: "Ping"})
		cancel()
		responsive := err == nil || !errors.Is(err, ErrUnknownOutcome)
		c.mu.Lock()
		changed := c.responsive != responsive
		c.responsive = responsive
		c.mu.Unlock()
		if changed && !responsive {
			c.log.Warn().Err(err).Msg("Asterisk does not answer AMI pings")
		} else if changed {
			c.log.Info().Msg("Asterisk answers AMI pings again")
		}
	}
}

// Connected reports whether both AMI sessions (actions, events) are up.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connected && c.eventsUp
}

// Ready reports whether the sessions are up and Asterisk answers pings.
func (c *Client) Ready() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connected && c.eventsUp && c.responsive
}

// actionsUp reports whether the library's session (for actions) is up.
func (c *Client) actionsUp() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connected
}

// notice forwards a library notice without blocking the library's goroutine.
func (c *Client) notice(n control) {
	select {
	case c.control <- n:
	default:
	}
}

// pump is the only goroutine that reads messages; it routes each one and
// never blocks.
func (c *Client) pump(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			c.setConnected(false, stopped)
			// The library cannot be stopped: keep its channel drained.
			go func() {
				for range c.in {
				}
			}()
			return
		case raw := <-c.in:
			c.handle(raw)
		case n := <-c.control:
			c.handleNotice(n)
		}
	}
}

func (c *Client) handle(raw map[string]string) {
	if raw["#"] == "0" { // the library's message counter: a new connection
		c.setConnected(true, "")
	}
	// Only answers to actions are wanted here: responses, list items and
	// an OriginateResponse, all with our ActionID. Other events are read,
	// and delivered, by the event session.
	_, response := raw["Response"]
	id := raw["ActionID"]
	if id == "" || !response && raw["Event"] == "" {
		return
	}
	w := c.waiter(id)
	if w == nil {
		return
	}
	m := make(Message, len(raw))
	truncated := false
	for k, v := range raw {
		if k == "#" || k == "TimeReceived" {
			continue
		}
		if len(k)+2+len(v) >= libraryLineLimit {
			truncated = true
		}
		m[k] = v
	}
	if truncated {
		m[HeaderTruncated] = "1"
		c.metrics.truncated.Inc()
		c.log.Warn().Str("action", id).Msg("AMI line longer than 4096 bytes was cut by the library; answer flagged")
	}
	c.deliver(w, m)
}

func (c *Client) handleNotice(n control) {
	if n.connect {
		c.setConnected(true, "")
		go c.eventsOff()
		return
	}
	switch {
	case strings.HasPrefix(n.message, "AMI TCP ERROR"),
		strings.HasPrefix(n.message, "AMI Reconnect failed"),
		strings.HasPrefix(n.message, "Asterisk connection error"),
		strings.HasPrefix(n.message, "Asterisk login error"):
		c.setConnected(false, n.message)
	case n.message == "events chan is full":
		c.log.Warn().Msg("the AMI library's event channel is full")
	}
	c.mu.Lock()
	repeated := n.message == c.lastError
	c.lastError = n.message
	c.mu.Unlock()
	if !repeated {
		c.log.Warn().Str("error", n.message).Msg("AMI")
	}
}

func (c *Client) setConnected(up bool, reason string) {
	c.mu.Lock()
	if c.connected == up {
		c.mu.Unlock()
		return
	}
	c.connected = up
	var lost []*waiter
	if up {
		c.sessions++
		c.responsive = true
		c.lastError = ""
	} else {
		for id, w := range c.waiters {
			lost = append(lost, w)
			delete(c.waiters, id)
		}
	}
	both := c.connected && c.eventsUp
	c.mu.Unlock()

	c.metrics.connected.Set(boolGauge(both))
	switch {
	case up:
		c.log.Info().Str("addr", c.cfg.Addr).Msg("AMI session up")
	case reason == stopped:
		c.log.Info().Msg("AMI session closed")
	default:
		c.log.Warn().Str("reason", reason).Msg("AMI session down")
	}
	for _, w := range lost {
		w.fail(ErrUnknownOutcome)
	}
}

// eventsOff asks Asterisk to send the library's session no events: the
// event session reads them.
func (c *Client) eventsOff() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Action(ctx, Action{Name: "Events", Headers: map[string]string{"EventMask": "off"}}); err != nil {
		c.log.Warn().Err(err).Msg("cannot turn events off on the action session (events that reach it are ignored)")
	}
}

func timestamp(t time.Time) string { return FormatTimestamp(t) }
