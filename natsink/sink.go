package natsink

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/store"
)

// Options are what the sink needs besides its configuration.
type Options struct {
	NodeID     string         // node_id of every message and its subjects' second token
	Location   *time.Location // the seed format's zone; nil: Local
	Log        zerolog.Logger
	Registerer prometheus.Registerer // nil: no metrics
}

// entry is a message in the outbox bucket, rendered when its change was
// committed.
type entry struct {
	Subject string          `json:"subject"`
	MsgID   string          `json:"msg_id"` // Nats-Msg-Id: the same on every attempt
	Call    string          `json:"call"`   // linkedid: messages of a call go in order
	Created time.Time       `json:"created"`
	Body    json.RawMessage `json:"body"`
}

// LastAck is the last acknowledgement the servers sent.
type LastAck struct {
	At        time.Time `json:"at"`
	Stream    string    `json:"stream"`
	Seq       uint64    `json:"seq"` // the message's sequence in the stream
	MsgID     string    `json:"msg_id"`
	Duplicate bool      `json:"duplicate,omitempty"` // the stream had it already
}

var lastAckKey = []byte("last_ack")

// epochName is the store secret that makes message ids unique across
// databases (a node whose database was reset starts its ids at 1 again).
const epochName = "nats_msg_id_epoch"

// Sink publishes the changes of calls to NATS JetStream from a durable
// outbox: Enqueue writes a message inside the CDR engine's commit
// transaction, Run publishes the messages and removes each once the
// stream acknowledged it.
type Sink struct {
	db    *store.DB
	cfg   Config
	opts  Options
	log   zerolog.Logger
	node  string // the node id as a subject token
	epoch string
	q     *queue
	m     *metrics

	acks      chan ackedMsg
	lastAck   atomic.Pointer[LastAck]
	lastErr   atomic.Pointer[errorAt]
	conn      atomic.Pointer[nats.Conn]
	pauseMu   sync.Mutex
	pause     time.Time     // no publishing before (after a failure)
	backoff   time.Duration // the last pause
	recheck   atomic.Bool   // the stream may be missing: look again
	connected chan struct{} // a (re)connection happened
	onAck     func(subject string, created, at time.Time)
}

type errorAt struct {
	At    time.Time
	Error string
}

type ackedMsg struct {
	m   *message
	ack LastAck
}

// New opens the sink on db and loads the messages waiting in its outbox
// (they are published when Run starts).
func New(db *store.DB, cfg Config, opts Options) (*Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	s := &Sink{db: db, cfg: cfg, opts: opts, log: opts.Log.With().Str("pkg", "natsink").Logger(),
		node: SubjectToken(opts.NodeID), q: newQueue(), acks: make(chan ackedMsg, 4096), connected: make(chan struct{}, 1)}
	err := db.Update(func(tx *store.Tx) error {
		key, err := tx.GetSecret(epochName, 4)
		if err != nil {
			return err
		}
		s.epoch = hex.EncodeToString(key)
		var last LastAck
		if ok, err := tx.GetJSON(store.BucketNATSState, lastAckKey, &last); err != nil {
			return err
		} else if ok {
			s.lastAck.Store(&last)
		}
		return tx.Scan(store.BucketNATSOutbox, nil, nil, func(k, v []byte) (bool, error) {
			var e struct { // the body is read when the message is sent
				Call    string    `json:"call"`
				Created time.Time `json:"created"`
			}
			if err := json.Unmarshal(v, &e); err != nil {
				return false, fmt.Errorf("natsink: outbox %x: %w", k, err)
			}
			s.q.add(&message{id: store.TimeKeyID(k), call: e.Call, created: e.Created})
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	s.m = newMetrics(opts.Registerer, s.q)
	return s, nil
}

// Wants reports that every change is published.
func (s *Sink) Wants(*cdr.Change) bool { return true }

// Enqueue writes the message of a change inside tx (cdrfeed.Outbox).
func (s *Sink) Enqueue(tx *store.Tx, c *cdr.Change) error {
	body, err := render(s.opts.NodeID, s.opts.Location, c)
	if err != nil {
		return fmt.Errorf("natsink: %w", err)
	}
	id, err := tx.NextID(store.BucketNATSOutbox)
	if err != nil {
		return err
	}
	e := entry{Subject: Subject(s.opts.NodeID, c.Kind), MsgID: fmt.Sprintf("%s-%s-%d", s.node, s.epoch, id),
		Call: c.Call.Linkedid, Created: time.Now(), Body: body}
	if err := tx.PutJSON(store.BucketNATSOutbox, store.IDKey(id), &e); err != nil {
		return err
	}
	m := &message{id: id, call: e.Call, created: e.Created}
	tx.OnCommit(func() { s.q.add(m) })
	return nil
}

// Run connects and publishes until ctx ends; then it waits (up to the ack
// timeout) for the acknowledgements of what is in flight, records them and
// returns. Unacknowledged messages stay in the outbox for the next start.
func (s *Sink) Run(ctx context.Context) error {
	opts, err := s.cfg.options()
	if err != nil {
		return err
	}
	wakeConn := func() {
		select {
		case s.connected <- struct{}{}:
		default:
		}
	}
	opts = append(opts, nats.Name("callctl "+s.opts.NodeID), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.RetryOnFailedConnect(true),
		// No buffering while disconnected: a publish then fails at once and
		// the message waits in the outbox instead of in the client.
		nats.ReconnectBufSize(-1),
		nats.ConnectHandler(func(*nats.Conn) { wakeConn() }),
		nats.ReconnectHandler(func(*nats.Conn) { s.recheck.Store(true); wakeConn() }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				s.setError(fmt.Errorf("disconnected: %w", err))
			}
		}),
		// Failed (re)connection attempts: refused, bad credentials, TLS.
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				s.setError(fmt.Errorf("cannot connect: %w", err))
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if err != nil {
				s.setError(err)
			}
		}))
	nc, err := nats.Connect(s.cfg.URL, opts...)
	if err != nil {
		return fmt.Errorf("natsink: %w", err)
	}
	s.conn.Store(nc)
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(s.cfg.AckTimeout),
		jetstream.WithPublishAsyncMaxPending(2*s.cfg.MaxInFlight))
	if err != nil {
		return fmt.Errorf("natsink: %w", err)
	}
	recorded := make(chan struct{})
	go func() { s.recordLoop(); close(recorded) }()

	var waiting sync.WaitGroup
	stop := make(chan struct{}) // closed when the waits for acks are given up
	s.recheck.Store(true)
	timer := time.NewTimer(time.Hour)
	for ctx.Err() == nil {
		wait := time.Duration(-1)
		switch {
		case !nc.IsConnected():
			wait = time.Second
		case s.recheck.Load():
			if err := s.ensureStream(ctx, js); err != nil {
				s.failure(fmt.Errorf("stream %s: %w", s.cfg.Stream, err))
				wait = s.pauseLeft()
				break
			}
			s.recheck.Store(false)
			continue
		case s.pauseLeft() > 0:
			wait = s.pauseLeft()
		default:
			batch := s.q.take(s.cfg.MaxInFlight)
			if len(batch) == 0 {
				break
			}
			s.publish(js, batch, &waiting, stop)
			continue
		}
		timer.Stop()
		if wait >= 0 {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
		case <-s.q.wake:
		case <-s.connected:
		case <-timer.C:
		}
	}
	timer.Stop()
	done := make(chan struct{})
	go func() { waiting.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(s.cfg.AckTimeout):
		close(stop)
		<-done
	}
	close(s.acks)
	<-recorded
	return nil
}

// publish sends a batch asynchronously; a goroutine per message waits for
// its acknowledgement.
func (s *Sink) publish(js jetstream.JetStream, batch []*message, waiting *sync.WaitGroup, stop <-chan struct{}) {
	entries := make([]*entry, len(batch))
	err := s.db.View(func(tx *store.Tx) error {
		for i, m := range batch {
			var e entry
			ok, err := tx.GetJSON(store.BucketNATSOutbox, store.IDKey(m.id), &e)
			if err != nil {
				return err
			}
			if ok {
				entries[i] = &e
			}
		}
		return nil
	})
	if err != nil {
		s.log.Error().Err(err).Msg("cannot read the NATS outbox")
		for _, m := range batch {
			s.q.failed(m)
		}
		s.failure(err)
		return
	}
	for i, m := range batch {
		e := entries[i]
		if e == nil { // not in the outbox any more
			s.q.acked(m)
			continue
		}
		msg := &nats.Msg{Subject: e.Subject, Header: nats.Header{nats.MsgIdHdr: []string{e.MsgID}}, Data: e.Body}
		f, err := js.PublishMsgAsync(msg)
		if err != nil {
			s.m.published.WithLabelValues("error").Inc()
			s.q.failed(m)
			s.failure(err)
			continue
		}
		waiting.Add(1)
		go func() {
			defer waiting.Done()
			select {
			case ack := <-f.Ok():
				s.acked(m, e, ack)
			case err := <-f.Err():
				s.m.published.WithLabelValues("error").Inc()
				s.q.failed(m)
				s.failure(err)
			case <-stop:
			}
		}()
	}
}

// acked releases the next message of the call at once (the stream holds
// this one: a re-send after a crash is a duplicate it drops) and hands the
// removal from the outbox to the recorder.
func (s *Sink) acked(m *message, e *entry, ack *jetstream.PubAck) {
	now := time.Now()
	result := "acked"
	if ack.Duplicate {
		result = "duplicate"
	}
	s.m.published.WithLabelValues(result).Inc()
	s.m.latency.Observe(now.Sub(m.created).Seconds())
	if s.onAck != nil {
		s.onAck(e.Subject, m.created, now)
	}
	s.q.acked(m)
	s.succeeded()
	s.acks <- ackedMsg{m: m, ack: LastAck{At: now, Stream: ack.Stream, Seq: ack.Sequence, MsgID: e.MsgID, Duplicate: ack.Duplicate}}
}

// recordLoop removes acknowledged messages from the outbox in group
// commits, with the last acknowledgement. It returns when acks is closed
// and drained.
func (s *Sink) recordLoop() {
	var batch []ackedMsg
	for a := range s.acks {
		batch = append(batch[:0], a)
	more:
		for len(batch) < 4096 {
			select {
			case a, ok := <-s.acks:
				if !ok {
					break more
				}
				batch = append(batch, a)
			default:
				break more
			}
		}
		last := batch[len(batch)-1].ack
		err := s.db.Update(func(tx *store.Tx) error {
			for _, a := range batch {
				if err := tx.Delete(store.BucketNATSOutbox, store.IDKey(a.m.id)); err != nil {
					return err
				}
			}
			return tx.PutJSON(store.BucketNATSState, lastAckKey, &last)
		})
		if err != nil {
			// The messages are in the stream; they are sent again after a
			// restart and dropped there as duplicates (within its window).
			s.log.Error().Err(err).Int("messages", len(batch)).Msg("cannot remove acknowledged messages from the NATS outbox")
		}
		s.lastAck.Store(&last)
	}
}

// ensureStream looks the stream up and creates it when it is missing.
func (s *Sink) ensureStream(ctx context.Context, js jetstream.JetStream) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.AckTimeout)
	defer cancel()
	_, err := js.Stream(ctx, s.cfg.Stream)
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return err
	}
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: s.cfg.Stream, Subjects: []string{SubjectPrefix + ".>"},
		Storage: jetstream.FileStorage, Replicas: s.cfg.Replicas, Duplicates: s.cfg.Duplicates})
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return nil // another node created it meanwhile
	}
	if err == nil {
		s.log.Info().Str("stream", s.cfg.Stream).Int("replicas", s.cfg.Replicas).Msg("NATS stream created")
	}
	return err
}

// failure pauses publishing (100 ms, doubling up to 5 s) after a publish
// or stream lookup failed; a missing stream is looked up again.
func (s *Sink) failure(err error) {
	s.setError(err)
	if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrStreamNotFound) {
		s.recheck.Store(true)
	}
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	now := time.Now()
	if now.Before(s.pause) {
		return // one pause for the failures of one outage
	}
	s.backoff = min(max(2*s.backoff, 100*time.Millisecond), 5*time.Second)
	s.pause = now.Add(s.backoff)
	s.log.Warn().Err(err).Dur("pause", s.backoff).Msg("NATS publish failed; messages wait in the outbox")
}

func (s *Sink) succeeded() {
	s.pauseMu.Lock()
	s.backoff = 0
	s.pauseMu.Unlock()
}

func (s *Sink) pauseLeft() time.Duration {
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	return max(time.Until(s.pause), 0)
}

func (s *Sink) setError(err error) {
	s.lastErr.Store(&errorAt{At: time.Now(), Error: err.Error()})
}
