// Package callflow is what callctl does to calls: the core actions the API
// dialects expose (click-to-call, dial to a context, hang up, list calls,
// spy, SIP status, call-center agents and queues, moving recordings), on
// the real Asterisk through AMI, with the PBX directory, the CDR engine's
// live view and the store.
//
// Every action validates its input once, here; a wire dialect only decodes
// a request into an action's parameters and encodes the result or the
// *Error. Errors name what went wrong (Kind) and, where an action looks up
// two lines, which one (Role), so that each dialect can give its own error
// numbers.
//
// Caveats: click-to-call and dial return once Asterisk has accepted the
// call (queued it); what happens next is in the call's CDR. Every AMI call
// runs under the request's context with a deadline of at most
// Config.ActionTimeout.
package callflow

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store"
)

// AMI is what the actions need of the AMI connection.
type AMI interface {
	Action(ctx context.Context, a ami.Action) (ami.Message, error)
	List(ctx context.Context, a ami.Action) (ami.Message, []ami.Message, error)
	StartOriginate(ctx context.Context, a ami.Action) (func(context.Context) (ami.Message, error), error)
}

// Recordings is where recordings may be written and how they are moved.
type Recordings interface {
	Roots() []string
	Within(asteriskPath string) bool
	Move(src, dir, name string) (string, error)
}

// LiveCalls is the CDR engine's view of the calls in progress.
type LiveCalls interface {
	Live() []*cdr.LiveCall
}

// Config tunes the actions.
type Config struct {
	// ActionTimeout bounds every AMI exchange of an action.
	ActionTimeout time.Duration `yaml:"action_timeout" env:"ACTION_TIMEOUT"`
	// Default ring times (s) of click-to-call's source and destination.
	SrcRingTimeout int `yaml:"src_ring_timeout" env:"SRC_RING_TIMEOUT"`
	DstRingTimeout int `yaml:"dst_ring_timeout" env:"DST_RING_TIMEOUT"`
}

// DefaultConfig is what the seeds imply when a request names no time.
func DefaultConfig() Config {
	return Config{ActionTimeout: 5 * time.Second, SrcRingTimeout: 30, DstRingTimeout: 60}
}

// Service runs the actions. It is safe for concurrent use.
type Service struct {
	cfg        Config
	ami        AMI
	dir        *pbx.Directory
	calls      LiveCalls
	db         *store.DB
	recordings Recordings
	log        zerolog.Logger
	now        func() time.Time
}

// New returns a Service.
func New(cfg Config, a AMI, dir *pbx.Directory, calls LiveCalls, db *store.DB, recs Recordings, log zerolog.Logger) *Service {
	if cfg.ActionTimeout <= 0 {
		cfg.ActionTimeout = DefaultConfig().ActionTimeout
	}
	return &Service{cfg: cfg, ami: a, dir: dir, calls: calls, db: db, recordings: recs,
		log: log.With().Str("pkg", "callflow").Logger(), now: time.Now}
}

// Kind is what went wrong.
type Kind int

// Error kinds.
const (
	KindInvalid          Kind = iota + 1 // a parameter's value is not acceptable (Param says which)
	KindMissing                          // a required parameter is missing
	KindConflict                         // several selectors where one is allowed
	KindAmbiguous                        // the number is in several dialplans: name one
	KindNotFound                         // no such line
	KindDialplanNotFound                 // no such dialplan
	KindHostMismatch                     // checkIpHost: registered from another address
	KindContactMismatch                  // checkIpContact: contact with another address
	KindLineState                        // checkExten: the line is not free (State says how)
	KindOutRouteNotFound                 // no such outbound route
	KindChannelNotFound                  // no such channel
	KindBadAgent                         // unknown agent or wrong PIN
	KindQueueNotFound                    // no such queue
	KindCDRNotFound                      // no such call record
	KindNoRecording                      // the call has no recording
	KindMkdir                            // the destination directory cannot be made
	KindSourceUnreadable                 // the recording cannot be read
	KindMoveFailed                       // the recording cannot be moved there
	KindAsterisk                         // Asterisk failed or did not answer
)

// Roles of a line in an action that names two.
const (
	RoleSource      = "source"
	RoleDestination = "destination"
)

// Error is an action's failure.
type Error struct {
	Kind  Kind
	Role  string // RoleSource or RoleDestination, for lookups
	Param string // the parameter concerned
	State LineState
	// Device, Actual and Requested describe an address mismatch: the line's
	// device (PJSIP/1000), the address it has, and the one asked for.
	Device, Actual, Requested string
	Detail                    string // a human-readable account
	Err                       error  // the cause, if any
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return "callflow: " + e.Detail
	}
	return fmt.Sprintf("callflow: error kind %d (%s)", e.Kind, e.Param)
}

func (e *Error) Unwrap() error { return e.Err }

func invalid(param, format string, a ...any) *Error {
	return &Error{Kind: KindInvalid, Param: param, Detail: param + ": " + fmt.Sprintf(format, a...)}
}

func missing(param string) *Error {
	return &Error{Kind: KindMissing, Param: param, Detail: "missing " + param}
}

// asteriskError wraps an AMI failure.
func asteriskError(what string, err error) *Error {
	return &Error{Kind: KindAsterisk, Detail: what + ": " + err.Error(), Err: err}
}

func (s *Service) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.ActionTimeout)
}
