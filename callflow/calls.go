package callflow

import (
	"context"
	"errors"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/pbx"
)

// Calls starts, lists and ends calls.
type Calls struct {
	*env
	lines    *Lines
	outcomes *outcomes
}

// Dialplan contexts callctl ships (test/asterisk/etc/extensions_callctl.conf).
const (
	ctxOriginate    = "callctl-originate"
	ctxDial         = "callctl-dial"
	ctxDialAnswered = "callctl-dial-answered"
	ctxSpy          = "callctl-spy"
)

// CallRef is the handle of a call callctl started.
type CallRef struct {
	// CallID is the id of the call's main CDR record, assigned by the CDR
	// engine; 0 when the engine did not show the call within the action's
	// deadline.
	CallID uint64
	// Linkedid is Asterisk's linkedid of the call; Uniqueid is the
	// uniqueid callctl gave the originated channel (the linkedid too,
	// unless the channel joined another call).
	Linkedid, Uniqueid string
}

// Recording asks for a call to be recorded (MixMonitor).
type Recording struct {
	// File is the file name: letters, digits and ._+-; without the
	// extension of an audio format MixMonitor writes, ".wav" is added.
	File string
	// Dir is an absolute directory inside the recording roots, as
	// Asterisk sees it; "" is the first root.
	Dir string
}

// audioFormats are the file extensions MixMonitor can write on the test bed.
var audioFormats = map[string]bool{"wav": true, "wav49": true, "gsm": true, "ulaw": true, "alaw": true, "sln": true, "raw": true}

// CallOptions are what click-to-call and dial share.
type CallOptions struct {
	// Custom are kept in the call's CDR (the seeds' customCDR1..4); at
	// most MaxCustomLen bytes each, no control characters.
	Custom [4]string
	// Record, when set, records the call once the destination is dialled.
	Record *Recording
	// PreDial names a dialplan context whose s,1 runs as a Gosub on the
	// destination's channel before it rings (the seeds' macro).
	PreDial string
	// DestinationRing is how long the destination rings, in whole
	// seconds; 0 is Config.DstRingTimeout.
	DestinationRing time.Duration
}

// ClickToCallRequest rings a line, and when it answers, dials Destination.
type ClickToCallRequest struct {
	Source LineSelector
	// Destination is a line's number (called directly) or any other
	// number (called through the first outbound route).
	Destination string
	// SourceRing is how long the source line rings, in whole seconds; 0
	// is Config.SrcRingTimeout.
	SourceRing time.Duration
	// SourceCallerID is what the source line's phone shows; zero shows
	// the destination number.
	SourceCallerID CallerID
	// DestinationCallerID is the number the destination sees; "" is the
	// line's public number (or its number).
	DestinationCallerID string
	// Check is what to check of the source line before it is rung.
	Check LineCheck
	CallOptions
}

// ClickToCall starts a click-to-call.
func (c *Calls) ClickToCall(ctx context.Context, r ClickToCallRequest) (CallRef, error) {
	if r.Destination == "" {
		return CallRef{}, Missing(FieldDestination)
	}
	if err := checkNumber(FieldDestination, r.Destination); err != nil {
		return CallRef{}, err
	}
	line, err := c.findLine(r.Source, FieldSource, FieldSourceDialplan)
	if err != nil {
		return CallRef{}, err
	}
	if err := r.Check.validate(); err != nil {
		return CallRef{}, err
	}
	srcRing, err := ringTime(FieldSourceRing, r.SourceRing, c.cfg.SrcRingTimeout)
	if err != nil {
		return CallRef{}, err
	}
	vars, err := c.callVariables(r.CallOptions)
	if err != nil {
		return CallRef{}, err
	}
	shown := r.SourceCallerID
	if shown.IsZero() {
		shown = CallerID{Number: r.Destination, Name: r.Destination}
	}
	if err := shown.check(FieldSourceCallerNumber, FieldSourceCallerName); err != nil {
		return CallRef{}, err
	}
	dstCid := r.DestinationCallerID
	if dstCid == "" {
		dstCid = line.PublicNumber
		if dstCid == "" {
			dstCid = line.Number
		}
	} else if err := checkNumber(FieldDestinationCallerNumber, dstCid); err != nil {
		return CallRef{}, err
	}
	if vars["CALLCTL_DIAL_OPTIONS"], err = c.dialOptions(ctx, r.PreDial); err != nil {
		return CallRef{}, err
	}
	vars["CALLCTL_DIAL"] = c.dialString(r.Destination)
	vars["CALLCTL_DST_CALLERID"] = dstCid
	if err := c.lines.check(ctx, line, r.Check); err != nil {
		return CallRef{}, err
	}
	return c.start(ctx, ActionClickToCall, originate{
		headers: map[string]string{
			"Channel":  line.Endpoint(),
			"Context":  ctxOriginate,
			"Exten":    r.Destination,
			"Priority": "1",
			"CallerID": shown.header(),
		},
		vars:        vars,
		ring:        time.Duration(srcRing) * time.Second,
		destination: r.Destination,
	})
}

// RouteSelector names an outbound route: by Name or by ID, one of them.
type RouteSelector struct {
	Name string
	ID   int // 0: not given; BadID (any negative): names no route
}

// DialRequest dials a number through an outbound route; when it answers,
// the call goes on in Context; when it does not (no answer, busy, failure),
// FailContext runs.
type DialRequest struct {
	Destination string
	OutRoute    RouteSelector
	// Context is where the answered call goes on: at the dialled number
	// if the context has it, else at s.
	Context string
	// FailContext (optional) runs at s when the number does not answer,
	// with CALLCTL_DIALSTATUS set.
	FailContext string
	// CallerID is what the destination sees; zero is the route's default.
	CallerID CallerID
	CallOptions
}

// Dial starts a dial to a context.
func (c *Calls) Dial(ctx context.Context, r DialRequest) (CallRef, error) {
	if r.Destination == "" {
		return CallRef{}, Missing(FieldDestination)
	}
	if r.Context == "" {
		return CallRef{}, Missing(FieldContext)
	}
	if r.OutRoute == (RouteSelector{}) {
		return CallRef{}, Missing(FieldOutRoute)
	}
	if r.OutRoute.Name != "" && r.OutRoute.ID != 0 {
		return CallRef{}, &Error{Kind: KindConflict, Field: FieldOutRoute, Detail: "name the outbound route one way only"}
	}
	if err := checkNumber(FieldDestination, r.Destination); err != nil {
		return CallRef{}, err
	}
	if r.OutRoute.ID < 0 {
		return CallRef{}, NotFound(FieldOutRoute, "")
	}
	route, err := c.Directory.OutRoute(r.OutRoute.Name, r.OutRoute.ID)
	if err != nil {
		e := NotFound(FieldOutRoute, r.OutRoute.Name)
		e.Err = err
		return CallRef{}, e
	}
	for _, x := range []struct {
		field Field
		name  string
	}{{FieldContext, r.Context}, {FieldFailContext, r.FailContext}} {
		if x.name == "" {
			continue
		}
		if err := checkContextName(x.field, x.name); err != nil {
			return CallRef{}, err
		}
		if err := c.contextExists(ctx, x.field, x.name); err != nil {
			return CallRef{}, err
		}
	}
	vars, err := c.callVariables(r.CallOptions)
	if err != nil {
		return CallRef{}, err
	}
	headers := map[string]string{
		// A Local channel: its dialling half (;2) rings the number, and
		// runs the FailContext when it does not answer; this half (;1)
		// goes on in the request's context once it answers.
		"Channel":  "Local/" + r.Destination + "@" + ctxDial + "/n",
		"Context":  ctxDialAnswered,
		"Exten":    "s",
		"Priority": "1",
	}
	if !r.CallerID.IsZero() {
		if err := r.CallerID.check(FieldDestinationCallerNumber, FieldDestinationCallerName); err != nil {
			return CallRef{}, err
		}
		headers["CallerID"] = r.CallerID.header()
	}
	if vars["CALLCTL_DIAL_OPTIONS"], err = c.dialOptions(ctx, r.PreDial); err != nil {
		return CallRef{}, err
	}
	timeout, _ := strconv.Atoi(vars["CALLCTL_DST_TIMEOUT"])
	vars["CALLCTL_DIAL"] = route.DialString(r.Destination)
	vars["CALLCTL_DST"] = r.Destination
	vars["CALLCTL_CONTEXT"] = r.Context
	vars["CALLCTL_EXTEN"] = c.entryExten(ctx, r.Context, r.Destination)
	vars["CALLCTL_HANGUP_CONTEXT"] = r.FailContext
	return c.start(ctx, ActionDialToContext, originate{
		headers: headers, vars: vars, local: true,
		ring: time.Duration(timeout+5) * time.Second,
	})
}

// SpyRequest rings a supervisor's line; when it answers, it hears the
// target line's calls or the target channel (listen only).
type SpyRequest struct {
	Source LineSelector
	// Target or TargetChannel, one of them: a channel of callctl's lines
	// and trunks (see Hangup).
	Target        LineSelector
	TargetChannel string
	// CallerID is what the supervisor's phone shows; zero is Asterisk's
	// default.
	CallerID CallerID
}

// Spy starts listening in.
func (c *Calls) Spy(ctx context.Context, r SpyRequest) (CallRef, error) {
	if n := r.Source.given(); n != 1 {
		_, err := c.findLine(r.Source, FieldSource, FieldSourceDialplan)
		return CallRef{}, err
	}
	targets := r.Target.given()
	if r.TargetChannel != "" {
		targets++
	}
	if targets == 0 {
		return CallRef{}, &Error{Kind: KindMissing, Field: FieldTarget, Detail: "no line or channel to listen to"}
	}
	if targets > 1 {
		return CallRef{}, &Error{Kind: KindConflict, Field: FieldTarget, Detail: "name what to listen to one way only"}
	}
	src, err := c.findLine(r.Source, FieldSource, FieldSourceDialplan)
	if err != nil {
		return CallRef{}, err
	}
	var target string
	if r.TargetChannel != "" {
		if !c.ours(r.TargetChannel) {
			return CallRef{}, NotFound(FieldTargetChannel, r.TargetChannel)
		}
		target = r.TargetChannel
	} else {
		line, err := c.findLine(r.Target, FieldTarget, FieldTargetDialplan)
		if err != nil {
			return CallRef{}, err
		}
		// ChanSpy takes a prefix: "PJSIP/1001-" is every call of the line.
		target = line.Endpoint() + "-"
	}
	headers := map[string]string{
		"Channel":  src.Endpoint(),
		"Context":  ctxSpy,
		"Exten":    "s",
		"Priority": "1",
	}
	if !r.CallerID.IsZero() {
		if err := r.CallerID.check(FieldSourceCallerNumber, FieldSourceCallerName); err != nil {
			return CallRef{}, err
		}
		headers["CallerID"] = r.CallerID.header()
	}
	return c.start(ctx, ActionSpy, originate{
		headers: headers,
		vars:    map[string]string{"CALLCTL_SPY_TARGET": target},
		ring:    time.Duration(c.cfg.SrcRingTimeout) * time.Second,
	})
}

// Hangup hangs up a channel of callctl's lines and trunks, or a Local
// channel of their calls; any other channel on the PBX is not found.
func (c *Calls) Hangup(ctx context.Context, channel string) error {
	if channel == "" {
		return Missing(FieldChannel)
	}
	if !c.ours(channel) {
		return NotFound(FieldChannel, channel)
	}
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	_, err := c.AMI.Action(ctx, ami.Action{Name: "Hangup", Headers: map[string]string{"Channel": channel, "Cause": "16"}})
	var re *ami.ResponseError
	if errors.As(err, &re) {
		e := NotFound(FieldChannel, channel)
		e.Err = err
		return e // it ended meanwhile
	}
	if err != nil {
		return amiError("hangup", err)
	}
	return nil
}

// ours reports whether the channel is in a call now (as the CDR engine
// sees it) and is a channel of callctl's lines or trunks (PJSIP endpoints
// of the directory), or a Local channel of such a call or of a dial
// callctl started (Local/…@callctl-dial, which rings before any trunk
// channel exists).
func (c *Calls) ours(name string) bool {
	if !channelRE.MatchString(name) {
		return false
	}
	for _, call := range c.Live.Calls() {
		for _, ch := range call.Channels {
			if ch.Name != name {
				continue
			}
			switch {
			case strings.HasPrefix(name, "PJSIP/"):
				return ch.Line != "" || ch.Trunk
			case strings.HasPrefix(name, "Local/"):
				return strings.Contains(name, "@"+ctxDial+"-") || hasLineOrTrunk(call)
			}
			return false
		}
	}
	return false
}

func hasLineOrTrunk(call *cdr.LiveCall) bool {
	for _, ch := range call.Channels {
		if strings.HasPrefix(ch.Name, "PJSIP/") && (ch.Line != "" || ch.Trunk) {
			return true
		}
	}
	return false
}

// CallChannel is one channel of a call in progress.
type CallChannel struct {
	Name     string
	Context  string
	Src      string // the call's caller
	Dst      string // the line for a line that was rung, else the number dialled
	Seconds  int    // since the channel was created
	Status   string // Asterisk's channel state: Up, Ring, Ringing …
	Trunk    bool   // a trunk's channel, else a line's
	ID       int    // the line's or the trunk's id
	Uniqueid string
	CallID   uint64 // the call's main CDR record
}

// ListCalls returns the channels of lines and trunks in calls now, oldest
// first.
func (c *Calls) ListCalls(ctx context.Context) []CallChannel {
	now := c.now()
	var out []CallChannel
	for _, call := range c.Live.Calls() {
		for _, ch := range call.Channels {
			cc := CallChannel{Name: ch.Name, Context: ch.Context, Src: call.Caller, Dst: call.Dialled, Status: ch.State,
				Seconds: int(now.Sub(ch.Created).Seconds()), Uniqueid: ch.Uniqueid, CallID: call.ID}
			switch {
			case ch.Line != "":
				e, _ := c.Directory.ByEndpoint(ch.Endpoint)
				cc.ID = e.ID
				if call.Inbound || ch.Line != call.Caller {
					cc.Dst = ch.Line // a line that was rung
				}
			case ch.Trunk:
				t, _ := c.Directory.Trunk(ch.Endpoint)
				cc.Trunk, cc.ID = true, t.ID
			default:
				continue // Local and other helper channels
			}
			if cc.Seconds < 0 {
				cc.Seconds = 0
			}
			out = append(out, cc)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Seconds != out[j].Seconds {
			return out[i].Seconds > out[j].Seconds
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Outcome returns what became of a call callctl started, while it is among
// the recent ones (see Outcome).
func (c *Calls) Outcome(callID uint64) (Outcome, bool) { return c.outcomes.get(callID) }

// dialString is how the destination number is dialled: a line directly,
// anything else through the default outbound route.
func (c *Calls) dialString(number string) string {
	if e, err := c.Directory.Find(pbx.Selector{InternalNumber: number}); err == nil {
		return e.Endpoint()
	}
	routes := c.Directory.Config().OutRoutes
	if len(routes) == 0 {
		return "PJSIP/" + number
	}
	return routes[0].DialString(number)
}

// callVariables validates the options that become channel variables: the
// CDR's custom values, the destination's ring time and the recording.
func (c *Calls) callVariables(o CallOptions) (map[string]string, error) {
	vars := map[string]string{}
	for i, v := range o.Custom {
		if v == "" {
			continue
		}
		if err := checkText(FieldCustom1+Field(i), v, MaxCustomLen); err != nil {
			return nil, err
		}
		vars["CALLCTL_CUSTOMCDR"+strconv.Itoa(i+1)] = v
	}
	ring, err := ringTime(FieldDestinationRing, o.DestinationRing, c.cfg.DstRingTimeout)
	if err != nil {
		return nil, err
	}
	vars["CALLCTL_DST_TIMEOUT"] = strconv.Itoa(ring)
	file, err := c.recordingFile(o.Record)
	if err != nil {
		return nil, err
	}
	vars["CALLCTL_MONITOR"] = file
	return vars, nil
}

// recordingFile returns the file a recording goes to (as Asterisk sees
// it), "" for none.
func (c *Calls) recordingFile(r *Recording) (string, error) {
	if r == nil {
		return "", nil
	}
	if r.File == "" {
		return "", Invalid(FieldRecordingDir, "a directory without a file name")
	}
	if !fileRE.MatchString(r.File) || r.File == "." || r.File == ".." {
		return "", Invalid(FieldRecordingFile, "%s: letters, digits and ._+- only", quote(r.File))
	}
	dir := r.Dir
	if dir == "" {
		roots := c.Recordings.Roots()
		if len(roots) == 0 {
			return "", Invalid(FieldRecordingFile, "no recording root is configured")
		}
		dir = roots[0]
	}
	if !pathRE.MatchString(dir) {
		return "", Invalid(FieldRecordingDir, "%s is not an absolute path of letters, digits and ._/+-", quote(dir))
	}
	file := path.Join(dir, r.File)
	if !audioFormats[strings.ToLower(strings.TrimPrefix(path.Ext(file), "."))] {
		file += ".wav" // MixMonitor takes the format from the extension
	}
	if !c.Recordings.Within(file) {
		return "", Invalid(FieldRecordingDir, "%s is outside the recording directories", quote(dir))
	}
	return file, nil
}

// dialOptions turns the pre-dial routine into Dial's options: the
// context's s,1 runs on the destination before it rings (Asterisk 22 has
// no app_macro; Dial's b() is the Gosub that replaces it. AMI's
// PreDialGoSub would be the other way, but an asynchronous Originate
// ignores it).
func (c *Calls) dialOptions(ctx context.Context, preDial string) (string, error) {
	if preDial == "" {
		return "", nil
	}
	if err := checkContextName(FieldPreDial, preDial); err != nil {
		return "", err
	}
	if err := c.contextExists(ctx, FieldPreDial, preDial); err != nil {
		return "", err
	}
	return "b(" + preDial + "^s^1)", nil
}

// contextExists asks Asterisk whether a dialplan context exists.
func (c *Calls) contextExists(ctx context.Context, f Field, name string) error {
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	_, _, err := c.AMI.List(ctx, ami.Action{Name: "ShowDialPlan", Headers: map[string]string{"Context": name}})
	if err != nil {
		var re *ami.ResponseError
		if errors.As(err, &re) {
			return Invalid(f, "dialplan context %s does not exist", quote(name))
		}
		return amiError("checking the dialplan", err)
	}
	return nil
}

// entryExten is where an answered dial enters its context: the dialled
// number if the context has it, else s.
func (c *Calls) entryExten(ctx context.Context, context_, number string) string {
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	if _, _, err := c.AMI.List(ctx, ami.Action{Name: "ShowDialPlan", Headers: map[string]string{"Context": context_, "Extension": number}}); err == nil {
		return number
	}
	return "s"
}
