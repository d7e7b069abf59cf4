package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/recording"
	"github.com/callctl/callctl/store"
)

// Config tunes the outbox (the webhook: section of callctl's configuration).
type Config struct {
	// AllowLinkLocal lets clients call 169.254.0.0/16 and fe80::/10.
	AllowLinkLocal bool `yaml:"allow_link_local" env:"ALLOW_LINK_LOCAL"`
	// Concurrency is a new client's limit of requests in flight.
	Concurrency int `yaml:"concurrency" env:"CONCURRENCY"`
	// LogSize is how many delivered deliveries the log keeps.
	LogSize int `yaml:"log_size" env:"LOG_SIZE"`
	// ReferenceTTL is how long a recording reference stays valid.
	ReferenceTTL time.Duration `yaml:"reference_ttl" env:"REFERENCE_TTL"`
	// MaxRecordingBytes: larger recordings are sent without monitor_file.
	MaxRecordingBytes int64 `yaml:"max_recording_bytes" env:"MAX_RECORDING_BYTES"`
	// ShutdownGrace is how long attempts under way may finish at shutdown.
	ShutdownGrace time.Duration `yaml:"shutdown_grace" env:"SHUTDOWN_GRACE"`
}

// DefaultConfig is what callctl runs with.
func DefaultConfig() Config {
	return Config{Concurrency: 4, LogSize: 10000, ReferenceTTL: 90 * 24 * time.Hour,
		MaxRecordingBytes: 64 << 20, ShutdownGrace: 5 * time.Second}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	switch {
	case c.Concurrency < 1 || c.Concurrency > maxConcurrency:
		return fmt.Errorf("webhook.concurrency %d: want 1 to %d", c.Concurrency, maxConcurrency)
	case c.LogSize < 0:
		return fmt.Errorf("webhook.log_size %d: want 0 or more", c.LogSize)
	case c.ReferenceTTL < time.Minute:
		return fmt.Errorf("webhook.reference_ttl %s: want at least a minute", c.ReferenceTTL)
	case c.MaxRecordingBytes < 0 || c.ShutdownGrace < 0:
		return errors.New("webhook.max_recording_bytes and webhook.shutdown_grace must not be negative")
	}
	return nil
}

// Options are what the outbox needs besides its configuration.
type Options struct {
	Location   *time.Location   // the seed formats' zone; nil: Local
	NodeID     string           // node_id of every call_end body
	Recordings *recording.Store // where recordings are read; nil: none are
	Log        zerolog.Logger
	Registerer prometheus.Registerer // nil: no metrics
	Transport  Transport             // nil: HTTP
}

// refKeyName is the store secret recording references are signed with.
const refKeyName = "recording_ref_key"

// Outbox queues deliveries inside callers' transactions and sends them.
type Outbox struct {
	db        *store.DB
	cfg       Config
	opts      Options
	log       zerolog.Logger
	refs      *recording.RefSigner
	transport Transport
	sched     *scheduler
	results   chan result
	m         *metrics
	logCount  atomic.Int64 // entries in the delivery log
	triggers  atomic.Pointer[triggerSet]
	runOnce   sync.Once
	stopped   chan struct{} // closed when Run begins its shutdown
}

// New opens the outbox on db and loads its pending deliveries (they resume
// when Run starts).
func New(db *store.DB, cfg Config, opts Options) (*Outbox, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Transport == nil {
		opts.Transport = NewHTTPTransport(cfg.AllowLinkLocal)
	}
	o := &Outbox{db: db, cfg: cfg, opts: opts, log: opts.Log.With().Str("pkg", "webhook").Logger(),
		transport: opts.Transport, sched: newScheduler(cfg.Concurrency), results: make(chan result, 1024),
		stopped: make(chan struct{})}
	o.triggers.Store(&triggerSet{})
	var key []byte
	err := db.Update(func(tx *store.Tx) error {
		var err error
		if key, err = tx.GetSecret(refKeyName, recording.RefKeySize); err != nil {
			return err
		}
		n, err := tx.Count(store.BucketWebhookLog)
		if err != nil {
			return err
		}
		o.logCount.Store(int64(n))
		if err := o.loadTriggers(tx); err != nil {
			return err
		}
		return tx.Scan(store.BucketOutbox, nil, nil, func(k, v []byte) (bool, error) {
			var d Delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return false, fmt.Errorf("webhook: outbox %x: %w", k, err)
			}
			if d.State == StatePending {
				o.sched.add(itemOf(&d))
			}
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	if o.refs, err = recording.NewRefSigner(key); err != nil {
		return nil, err
	}
	o.m = newMetrics(opts.Registerer, o.sched)
	return o, nil
}

// References is the signer of the recording references the outbox sends
// (the VIPeX get_record action verifies them).
func (o *Outbox) References() *recording.RefSigner { return o.refs }

// OnFinished queues the end-of-call data of r for every call_end client:
// inbound and outbound calls, never internal ones. It runs inside the
// transaction that saves r (cdrfeed's OnFinished).
func (o *Outbox) OnFinished(tx *store.Tx, r *cdr.Record) error {
	if r.Internal {
		return nil
	}
	clients, err := listClients(tx, KindCallEnd)
	if err != nil {
		return err
	}
	for i := range clients {
		if err := o.enqueue(tx, &clients[i], &Delivery{Client: clients[i].Name, Kind: KindCallEnd, CallID: r.ID}); err != nil {
			return err
		}
	}
	return nil
}

// Notify queues an incoming-call notification for every call_notify client
// with the event's trigger, inside the caller's transaction.
func (o *Outbox) Notify(tx *store.Tx, ev CallEvent) error {
	clients, err := listClients(tx, KindCallNotify)
	if err != nil {
		return err
	}
	for i := range clients {
		if !contains(clients[i].Triggers, ev.Trigger) {
			continue
		}
		p := ev.Params
		d := &Delivery{Client: clients[i].Name, Kind: KindCallNotify, CallID: ev.CallID, SubCallID: ev.SubCallID,
			Seq: ev.Seq, Event: ev.Trigger, Params: &p}
		if err := o.enqueue(tx, &clients[i], d); err != nil {
			return err
		}
	}
	return nil
}

// TriggerFlowStep is the event of a call_notify delivery a call flow's
// notify step asked for (whatever the client's triggers).
const TriggerFlowStep = "flow"

// NotifyStep queues a call_notify delivery of the call for the client name,
// at a call flow's notify step: the client is told whatever its triggers.
// It returns once the delivery is stored (sending is the workers' job).
// Errors: ErrNoClient, ErrWrongKind, a store error.
func (o *Outbox) NotifyStep(name string, ev CallEvent) error {
	return o.db.Update(func(tx *store.Tx) error {
		c, err := getClient(tx, name)
		if err != nil {
			return err
		}
		if c.Kind != KindCallNotify {
			return fmt.Errorf("%w: %s is a %s client", ErrWrongKind, name, c.Kind)
		}
		p := ev.Params
		return o.enqueue(tx, &c, &Delivery{Client: c.Name, Kind: KindCallNotify, CallID: ev.CallID,
			SubCallID: ev.SubCallID, Seq: ev.Seq, Event: TriggerFlowStep, Params: &p})
	})
}

// EnqueueEvent queues a form-encoded event for a target, inside the
// caller's transaction. The target's URL must pass ValidateURL.
func (o *Outbox) EnqueueEvent(tx *store.Tx, t Target, ev FormEvent) error {
	if err := ValidateURL(t.URL, o.cfg.AllowLinkLocal); err != nil {
		return fmt.Errorf("webhook: target %s: %w", t.Name, err)
	}
	if t.Method != "GET" && t.Method != "POST" {
		return fmt.Errorf("webhook: target %s: method %q", t.Name, t.Method)
	}
	c := t.client(o.cfg.Concurrency)
	d := &Delivery{Client: t.Name, Kind: kindEvent, CallID: ev.CallID, SubCallID: ev.SubCallID, Seq: ev.Seq,
		Event: ev.Type, Target: &t, Fields: ev.Fields}
	return o.enqueue(tx, &c, d)
}

// enqueue writes d for client c and hands it to the scheduler once tx
// has committed.
func (o *Outbox) enqueue(tx *store.Tx, c *Client, d *Delivery) error {
	id, err := tx.NextID(store.BucketOutbox)
	if err != nil {
		return err
	}
	now := time.Now()
	d.ID, d.WebhookID, d.State, d.Created = id, newWebhookID(), StatePending, now
	d.Next = now
	if len(c.Retry) > 0 {
		d.Next = now.Add(c.Retry[0])
	}
	if err := tx.PutJSON(store.BucketOutbox, store.IDKey(id), d); err != nil {
		return err
	}
	it := itemOf(d)
	tx.OnCommit(func() { o.sched.add(it) })
	return nil
}

// Run sends due deliveries until ctx ends; then it lets the attempts under
// way finish (up to ShutdownGrace), records their results and returns.
// Pending deliveries stay in the outbox for the next start.
func (o *Outbox) Run(ctx context.Context) error {
	started := false
	o.runOnce.Do(func() { started = true })
	if !started {
		return errors.New("webhook: Run called twice")
	}
	sendCtx, cancelSends := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSends()
	var sending sync.WaitGroup
	recorded := make(chan struct{})
	go func() { o.recordLoop(); close(recorded) }()

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for ctx.Err() == nil {
		ready, wait := o.sched.due(time.Now())
		for _, it := range ready {
			sending.Add(1)
			go func() {
				defer sending.Done()
				o.attempt(sendCtx, it)
			}()
		}
		if wait >= 0 {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
		case <-o.sched.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
	close(o.stopped)
	done := make(chan struct{})
	go func() { sending.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(o.cfg.ShutdownGrace):
		cancelSends()
		<-done
	}
	close(o.results)
	<-recorded
	return nil
}

// result is an attempt's outcome on its way to the recorder.
type result struct {
	it       *item
	kind     string
	schedule []time.Duration
	at       time.Time
	dur      time.Duration
	status   int   // the receiver's, 0 if none
	err      error // nil: delivered
}

// attempt is one delivery attempt: render, send, hand the outcome to the
// recorder (which classifies and records it).
func (o *Outbox) attempt(ctx context.Context, it *item) {
	start := time.Now()
	c, req, err := o.render(it, start)
	status := 0
	if err == nil {
		actx, cancel := context.WithTimeout(ctx, c.Timeout)
		var reply *Reply
		reply, err = o.transport.Send(actx, req)
		cancel()
		if reply != nil {
			status = reply.Status
		}
	}
	dur := time.Since(start)
	var schedule []time.Duration
	if c != nil {
		schedule = c.Retry
	}
	o.sched.sent(it)
	o.results <- result{it: it, kind: it.kind, schedule: schedule, at: start, dur: dur, status: status, err: err}
}

// RecordingRef is the signed reference to a call's recording (legID 0:
// the main one), valid for the configured reference TTL from now: what
// receivers pass to the recording download, revealing no path.
func (o *Outbox) RecordingRef(callID, legID uint64, now time.Time) string {
	return o.refs.Sign(callID, legID, now.Add(o.cfg.ReferenceTTL))
}
