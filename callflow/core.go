package callflow

import (
	"context"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/agents"
	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store"
)

// AMI is what the services need of the AMI connection (*ami.Client).
type AMI interface {
	Action(ctx context.Context, a ami.Action) (ami.Message, error)
	List(ctx context.Context, a ami.Action) (ami.Message, []ami.Message, error)
	StartOriginate(ctx context.Context, a ami.Action) (func(context.Context) (ami.Message, error), error)
}

// RecordingStore is where recordings may be written and how they are moved
// (*recording.Store).
type RecordingStore interface {
	Roots() []string
	Within(asteriskPath string) bool
	Move(src, dir, name string) (string, error)
	// Open opens a recording for reading (recording.ErrSourceUnreadable,
	// ErrOutsideRoots …).
	Open(asteriskPath string) (*os.File, error)
}

// LiveView is the CDR engine's view of the calls in progress
// (*cdrfeed.View). Its calls are shared: never modify them.
type LiveView interface {
	Calls() []*cdr.LiveCall
	// WaitChannel returns the call the channel uniqueid is in, once the
	// CDR engine has seen the channel, or ctx's error.
	WaitChannel(ctx context.Context, uniqueid string) (*cdr.LiveCall, error)
}

// Config tunes the services.
type Config struct {
	// ActionTimeout bounds every AMI exchange of an action, and the wait
	// for a started call's CDR id.
	ActionTimeout time.Duration `yaml:"action_timeout" env:"ACTION_TIMEOUT"`
	// Default ring times (s) of click-to-call's source and destination.
	SrcRingTimeout int `yaml:"src_ring_timeout" env:"SRC_RING_TIMEOUT"`
	DstRingTimeout int `yaml:"dst_ring_timeout" env:"DST_RING_TIMEOUT"`
}

// DefaultConfig is what the seeds imply when a request names no time.
func DefaultConfig() Config {
	return Config{ActionTimeout: 5 * time.Second, SrcRingTimeout: 30, DstRingTimeout: 60}
}

// Deps are what the services run on.
type Deps struct {
	AMI        AMI
	Directory  *pbx.Directory
	Live       LiveView
	DB         *store.DB
	Recordings RecordingStore
	// Flows (optional) are the stored call flows (package flow): the
	// language of a technical extension that has one is its flow's.
	Flows FlowLanguages
	Log   zerolog.Logger
	// Metrics may be nil (nothing is exported).
	Metrics *Metrics
}

// FlowLanguages finds the stored call flow of a technical extension
// (the flow store): its language, or false when no stored flow has the
// extension.
type FlowLanguages interface {
	FlowLanguage(exten string) (language string, ok bool, err error)
}

// Core is the core's services, one per domain. Each is safe for concurrent
// use.
type Core struct {
	Calls      *Calls
	Lines      *Lines
	Agents     *Agents
	Recordings *Recordings
	Operators  *Operators
	Forwards   *Forwards
	Phonebook  *Phonebook
}

// New returns the services.
func New(cfg Config, d Deps) *Core {
	def := DefaultConfig()
	if cfg.ActionTimeout <= 0 {
		cfg.ActionTimeout = def.ActionTimeout
	}
	if cfg.SrcRingTimeout <= 0 {
		cfg.SrcRingTimeout = def.SrcRingTimeout
	}
	if cfg.DstRingTimeout <= 0 {
		cfg.DstRingTimeout = def.DstRingTimeout
	}
	if d.Metrics == nil {
		d.Metrics = NewMetrics(nil)
	}
	e := &env{cfg: cfg, Deps: d, log: d.Log.With().Str("pkg", "callflow").Logger(), now: time.Now}
	lines := &Lines{e}
	return &Core{
		Calls:      &Calls{env: e, lines: lines, outcomes: newOutcomes(maxOutcomes)},
		Lines:      lines,
		Agents:     &Agents{env: e, pins: agents.NewChecker(d.DB)},
		Recordings: &Recordings{e},
		Operators:  &Operators{e},
		Forwards:   &Forwards{e},
		Phonebook:  &Phonebook{e},
	}
}

// env is what every service shares.
type env struct {
	Deps
	cfg Config
	log zerolog.Logger
	now func() time.Time
}

// ctx bounds one AMI exchange.
func (e *env) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, e.cfg.ActionTimeout)
}
