package flowrun

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/ari"
	"github.com/callctl/callctl/callflow"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/flow"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/webhook"
)

// ARI is what the runner needs of the ARI connection (*ari.Client).
type ARI interface {
	Subscribe(name string, size int) *ari.Subscription
	Answer(ctx context.Context, id string) error
	Ring(ctx context.Context, id string) error
	Continue(ctx context.Context, id, context_, exten string, priority int64) error
	SetVar(ctx context.Context, id, name, value string) error
	GetVar(ctx context.Context, id, name string) (string, error)
	Play(ctx context.Context, channelID, playbackID string, media ...string) (*ari.Playback, error)
	StopPlayback(ctx context.Context, playbackID string) error
	HangupCode(ctx context.Context, id string, cause int) error
}

// Recovery is what the recovery of calls left in Stasis needs of ARI
// (*ari.Client).
type Recovery interface {
	AppChannels(ctx context.Context) ([]string, error)
	Channel(ctx context.Context, id string) (*ari.Channel, error)
	Playback(ctx context.Context, playbackID string) (*ari.Playback, error)
}

// LineForwards are the lines' call forwards (*callflow.Forwards): a ring
// group rings a member that has one through callctl-flow-member.
type LineForwards interface {
	List(ctx context.Context, number string) ([]callflow.Forward, error)
}

// Flows is where the runner finds flows (the flow store).
type Flows interface {
	Get(name string) (flow.Flow, bool, error)
	ByExten(exten string) (flow.Flow, bool, error)
}

// Webhooks is what the query and notify steps need of the outbox
// (*webhook.Outbox).
type Webhooks interface {
	Query(ctx context.Context, name string, call webhook.Params) (webhook.Answer, error)
	NotifyStep(name string, ev webhook.CallEvent) error
}

// Directory is what the runner needs to know of the PBX (*pbx.Directory).
type Directory interface {
	DID(number string) (pbx.DID, bool)
	IsLine(number string) bool
	Config() pbx.Config
}

// LiveView finds the CDR engine's call of a channel (*cdrfeed.View).
type LiveView interface {
	WaitChannel(ctx context.Context, uniqueid string) (*cdr.LiveCall, error)
}

// AMI writes the DIDs' fallbacks to AstDB (*ami.Client).
type AMI interface {
	Action(ctx context.Context, a ami.Action) (ami.Message, error)
	Ready() bool
}

// Config is the runner's configuration (the daemon's flows section).
type Config struct {
	// MaxCalls bounds the calls in flows at once; a call over it goes to its
	// static fallback at once.
	MaxCalls int `yaml:"max_calls" env:"MAX_CALLS"`
	// MaxSteps bounds the steps one call runs (a loop that never exits).
	MaxSteps int `yaml:"max_steps" env:"MAX_STEPS"`
	// RequestTimeout bounds every ARI request of a flow.
	RequestTimeout time.Duration `yaml:"request_timeout" env:"REQUEST_TIMEOUT"`
}

// DefaultConfig returns the default limits.
func DefaultConfig() Config {
	return Config{MaxCalls: 500, MaxSteps: 100, RequestTimeout: 3 * time.Second}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	if c.MaxCalls < 1 || c.MaxSteps < 1 || c.RequestTimeout <= 0 {
		return errors.New("flows.max_calls, flows.max_steps and flows.request_timeout must be positive")
	}
	return nil
}

// Deps are the runner's collaborators; Webhooks, Live, AMI, Recovery and
// Forwards may be nil (then notify and query steps fail, AstDB is not
// written, calls left in Stasis are not recovered, and a ring group rings
// its members' phones only).
type Deps struct {
	ARI       ARI
	Recovery  Recovery
	Forwards  LineForwards
	Flows     Flows
	Directory Directory
	Webhooks  Webhooks
	Live      LiveView
	AMI       AMI
	Log       zerolog.Logger
	Metrics   *Metrics
}

// Runner runs call flows for the channels that enter the Stasis app.
type Runner struct {
	cfg  Config
	deps Deps
	log  zerolog.Logger
	m    *Metrics
	sem  chan struct{}
	sub  *ari.Subscription // from New: the first connect's event is not missed

	mu    sync.Mutex
	calls map[string]*session // by channel id
	// inApp: the channels in Stasis whose StasisStart this process got, with
	// the connection's generation then (gen counts the connects).
	inApp map[string]uint64
	gen   uint64
	wg    sync.WaitGroup
}

// New returns a runner, subscribed to the application's events (before the
// ARI client connects, so that the first connect, which recovers the calls
// an earlier run left in Stasis, is seen); Run starts it.
func New(cfg Config, deps Deps) *Runner {
	m := deps.Metrics
	if m == nil {
		m = NewMetrics(nil)
	}
	if f, ok := deps.ARI.(interface{ AllowEvents(types ...string) }); ok {
		f.AllowEvents(Events...)
	}
	return &Runner{cfg: cfg, deps: deps, log: deps.Log.With().Str("pkg", "flowrun").Logger(), m: m,
		sem: make(chan struct{}, cfg.MaxCalls), sub: deps.ARI.Subscribe("flowrun", 0),
		calls: map[string]*session{}, inApp: map[string]uint64{}}
}

// Stasis arguments the shipped dialplan passes (extensions_callctl_flow.conf).
const (
	argFlow   = "flow"   // flow,<technical extension>
	argDID    = "did"    // did,<number>
	argResume = "resume" // resume,<flow>,<step>,<index>,<DIALSTATUS or QUEUESTATUS>
	argExten  = "exten"  // exten,<number>: an extension-to-extension call (the built-in flow)
)

// Events is every ARI event type the runner reads (dispatch and the
// steps): when the ARI connection can filter (*ari.Client.AllowEvents),
// Asterisk sends only these, so the many others of a call in a flow
// (ChannelVarset for each variable set, ChannelStateChange,
// PlaybackStarted …) are neither sent nor decoded. A step that waits for
// another type must add it here.
var Events = []string{"StasisStart", "StasisEnd", "ChannelDestroyed", "ChannelHangupRequest",
	"ChannelDtmfReceived", "PlaybackFinished", "ApplicationReplaced"}

// Run reads the application's events until ctx ends, and waits for the
// calls' goroutines to end.
func (r *Runner) Run(ctx context.Context) error {
	sub := r.sub
	defer sub.Close()
	defer r.wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-sub.C():
			r.dispatch(ctx, e)
		}
	}
}

// dispatch hands an event to its call, or starts one.
func (r *Runner) dispatch(ctx context.Context, e ari.Event) {
	switch e.Type {
	case ari.EventConnected:
		r.mu.Lock()
		r.gen++
		gen := r.gen
		r.mu.Unlock()
		r.wg.Add(2)
		go func() {
			defer r.wg.Done()
			r.writeFallbacks(ctx)
		}()
		go func() {
			defer r.wg.Done()
			r.recoverCalls(ctx, gen)
		}()
		return
	case "StasisStart":
		if e.Channel != nil {
			r.start(ctx, e)
		}
		return
	}
	id := ""
	switch {
	case e.Channel != nil:
		id = e.Channel.ID
	case e.Playback != nil:
		id = strings.TrimPrefix(e.Playback.TargetURI, "channel:")
	}
	r.mu.Lock()
	s := r.calls[id]
	if e.Type == "StasisEnd" || e.Type == "ChannelDestroyed" {
		delete(r.inApp, id)
	}
	r.mu.Unlock()
	if s == nil {
		return
	}
	switch e.Type {
	case "StasisEnd", "ChannelDestroyed", "ChannelHangupRequest":
		s.cancel(errLeftStasis)
	default:
		select {
		case s.events <- e:
		default:
			r.m.eventsDropped.Inc()
		}
	}
}

var errLeftStasis = errors.New("flowrun: the channel left the application")

// start begins a call's flow, in its own goroutine.
func (r *Runner) start(ctx context.Context, e ari.Event) {
	ch := e.Channel
	if len(e.Args) == 0 {
		return // not the shipped dialplan's: someone else's originate into the app
	}
	kind := e.Args[0]
	if kind != argFlow && kind != argDID && kind != argResume && kind != argExten {
		return
	}
	r.mu.Lock()
	if g, seen := r.inApp[ch.ID]; seen && g == r.gen {
		// A second StasisStart on this connection with no StasisEnd
		// between: one that came after the recovery's grace, for a call
		// the recovery has taken (and may have sent on already).
		r.mu.Unlock()
		r.log.Warn().Str("channel", ch.Name).Msg("a late StasisStart for a call already recovered: ignored")
		return
	}
	gen := r.gen
	r.inApp[ch.ID] = gen
	r.mu.Unlock()
	select {
	case r.sem <- struct{}{}:
	default:
		r.m.fallbacks.WithLabelValues("busy").Inc()
		r.log.Warn().Str("channel", ch.Name).Int("max_calls", r.cfg.MaxCalls).Msg("too many calls in flows: sending the call to its static fallback")
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.fallback(ctx, ch.ID, kind)
		}()
		return
	}
	r.mu.Lock()
	s := r.newSession(ctx, ch, gen)
	r.mu.Unlock()
	r.launch(s, func(sctx context.Context) { s.run(sctx, e.Args) })
}

// newSession makes the session of channel ch and registers it; r.mu is held
// and a slot of r.sem taken.
func (r *Runner) newSession(ctx context.Context, ch *ari.Channel, gen uint64) *session {
	sctx, cancel := context.WithCancelCause(ctx)
	s := &session{r: r, ch: ch, id: ch.ID, gen: gen, ctx: sctx, events: make(chan ari.Event, 32), cancel: cancel}
	r.calls[ch.ID] = s
	return s
}

// launch runs f, the session's flow, in its own goroutine; at its end the
// session is unregistered and its slot of r.sem given back.
func (r *Runner) launch(s *session, f func(context.Context)) {
	r.m.running.Inc()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer func() {
			r.mu.Lock()
			if r.calls[s.id] == s {
				delete(r.calls, s.id)
			}
			r.mu.Unlock()
			s.cancel(nil)
			r.m.running.Dec()
			<-r.sem
		}()
		f(s.ctx)
	}()
}

// generation is the number of the current connection.
func (r *Runner) generation() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gen
}

// fallback hands a call the runner will not run back to the dialplan: the
// next priority after Stasis() (a DID's static destination, an extension
// call's ring); a resumed or technical-extension call is hung up.
func (r *Runner) fallback(ctx context.Context, id, kind string) {
	actx, cancel := context.WithTimeout(ctx, r.cfg.RequestTimeout)
	defer cancel()
	var err error
	if kind == argDID || kind == argExten {
		err = r.deps.ARI.Continue(actx, id, "", "", 0)
	} else {
		err = r.deps.ARI.HangupCode(actx, id, causeCongestion)
	}
	if err != nil && !ari.IsNotFound(err) {
		r.log.Warn().Err(err).Str("channel", id).Msg("sending a call to its fallback")
	}
}

// AstDB family where the DIDs' static fallbacks are (read by the shipped
// dialplan when callctl does not take a call).
const astdbDIDs = "callctl-did"

// writeFallbacks writes every DID's fallback extension to AstDB (once ARI
// is up: callctl is about to take calls).
func (r *Runner) writeFallbacks(ctx context.Context) {
	if r.deps.AMI == nil || r.deps.Directory == nil {
		return
	}
	for i := 0; ctx.Err() == nil; i++ {
		err := r.putFallbacks(ctx)
		if err == nil {
			return
		}
		if i == 0 {
			r.log.Warn().Err(err).Msg("writing the DIDs' fallbacks to AstDB; trying again")
		}
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}

func (r *Runner) putFallbacks(ctx context.Context) error {
	if !r.deps.AMI.Ready() {
		return errors.New("AMI not ready")
	}
	for _, did := range r.deps.Directory.Config().DIDs {
		a := ami.Action{Name: "DBPut", Headers: map[string]string{"Family": astdbDIDs, "Key": did.Number, "Val": did.Fallback}}
		if did.Fallback == "" {
			a = ami.Action{Name: "DBDel", Headers: map[string]string{"Family": astdbDIDs, "Key": did.Number}}
		}
		actx, cancel := context.WithTimeout(ctx, r.cfg.RequestTimeout)
		_, err := r.deps.AMI.Action(actx, a)
		cancel()
		if err != nil && did.Fallback != "" {
			return fmt.Errorf("did %s: %w", did.Number, err)
		}
	}
	return nil
}

// resumeArgs parses resume,<flow>,<step>,<index>,<status>.
func resumeArgs(args []string) (flowName, step string, index int, status string, err error) {
	if len(args) != 5 {
		return "", "", 0, "", fmt.Errorf("flowrun: resume wants 4 arguments, got %q", args[1:])
	}
	index, err = strconv.Atoi(args[3])
	return args[1], args[2], index, args[4], err
}
