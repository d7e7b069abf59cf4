package flowrun

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/callctl/callctl/ari"
	"github.com/callctl/callctl/flow"
	"github.com/callctl/callctl/webhook"
)

// Q.850 causes the runner hangs up with.
const (
	causeNormal     = 16
	causeCongestion = 34 // no flow could take the call
	causeFailure    = 41 // the flow failed and has no default step
)

// Channel variables the CDR engine reads (package cdr) and the shipped
// dialplan's contexts use.
const (
	varFlowExten = "CALLCTL_FLOW_EXTEN"
	varDigits    = "CALLCTL_IVR_DIGITS"
	varTags      = "CALLCTL_TAGS"
	varCCCall    = "CALLCTL_CC_CALL"
	varSteps     = "CALLCTL_FLOW_STEPS"
	varResume    = "CALLCTL_FLOW_RESUME"
	varDID       = "CALLCTL_FLOW_DID"
)

// Dialplan contexts of extensions_callctl_flow.conf.
const (
	ctxRing      = "callctl-flow-ring"
	ctxQueue     = "callctl-flow-queue"
	ctxVoicemail = "callctl-flow-voicemail"
	ctxExtenRing = "callctl-exten-ring"
	ctxMember    = "callctl-flow-member"
)

// session is one call in a flow.
type session struct {
	r      *Runner
	ch     *ari.Channel
	id     string
	gen    uint64          // the connection's generation at its start
	ctx    context.Context // ends with cancel
	events chan ari.Event
	cancel context.CancelCauseFunc

	flow     flow.Flow
	byID     map[string]*flow.Step
	answered bool
	digits   []string
	tags     []string
	steps    int
	did      string
}

// errGone: the caller hung up or the channel left Stasis.
var errGone = errors.New("flowrun: the call is gone")

// handedOff: the step passed the channel to the dialplan (Dial, Queue,
// VoiceMail); the flow goes on, if at all, in a new StasisStart (resume).
var handedOff = errors.New("flowrun: handed to the dialplan")

// run runs the flow from the StasisStart's arguments to its end.
func (s *session) run(ctx context.Context, args []string) {
	s.answered = s.ch.State == "Up"
	var next string
	var err error
	switch args[0] {
	case argResume:
		next, err = s.resume(ctx, args)
	case argExten:
		err = s.ringExtension(ctx, args)
	default:
		next, err = s.enter(ctx, args)
	}
	if err == nil {
		s.loop(ctx, next)
		return
	}
	s.fail(ctx, err)
}

// flowOf is the flow a Stasis() of the shipped dialplan runs: a DID's
// (pbx.dids; s.did is set), a technical extension's, or a resumed one's
// by name.
func (s *session) flowOf(args []string) (flow.Flow, error) {
	var f flow.Flow
	var ok bool
	var err error
	switch args[0] {
	case argDID:
		s.did = args[1]
		did, known := s.r.deps.Directory.DID(args[1])
		if !known {
			return f, fmt.Errorf("flowrun: DID %s is not in pbx.dids", args[1])
		}
		f, ok, err = s.r.deps.Flows.Get(did.Flow)
	case argFlow:
		f, ok, err = s.r.deps.Flows.ByExten(args[1])
	default:
		f, ok, err = s.r.deps.Flows.Get(args[1])
	}
	if err == nil && !ok {
		err = fmt.Errorf("flowrun: no flow for %s", strings.Join(args, ","))
	}
	return f, err
}

// enter finds the flow of a DID or a technical extension and starts it.
func (s *session) enter(ctx context.Context, args []string) (string, error) {
	if len(args) < 2 {
		return "", fmt.Errorf("flowrun: %s without a number", args[0])
	}
	f, err := s.flowOf(args)
	if err != nil {
		if s.did != "" {
			s.r.m.fallbacks.WithLabelValues("no_flow").Inc()
			return "", s.toFallback(ctx, err)
		}
		return "", err
	}
	s.setFlow(f)
	if !s.answered {
		// The caller hears ringing while the flow decides (a query …).
		if err := s.ari(ctx, func(c context.Context) error { return s.r.deps.ARI.Ring(c, s.id) }); err != nil {
			return "", err
		}
	}
	if s.did != "" {
		if err := s.setVar(ctx, varDID, s.did); err != nil {
			return "", err
		}
	}
	exten := f.Exten
	if exten == "" {
		exten = args[1]
	}
	if err := s.setVar(ctx, varFlowExten, exten); err != nil {
		return "", err
	}
	if f.Language != "" {
		if err := s.setVar(ctx, "CHANNEL(language)", f.Language); err != nil {
			return "", err
		}
	}
	if len(f.Steps) == 0 {
		return "", nil
	}
	return f.Steps[0].ID, nil
}

// ringExtension is the built-in flow of an extension-to-extension call:
// ring the extension with its call forwards, in the dialplan
// (callctl-exten-ring, on the caller's own channel, with the forwards
// callctl-exten read before Stasis). It sets no CALLCTL_FLOW_EXTEN: the
// call's record is a plain internal call's, without a flow leg.
func (s *session) ringExtension(ctx context.Context, args []string) error {
	dpContext, exten, priority := ctxExtenRing, "", int64(1)
	if len(args) == 2 && lineNumber.MatchString(args[1]) {
		exten = args[1]
		s.r.m.extensionCalls.Inc()
	} else {
		// Not the shipped dialplan's: the dialplan after Stasis() rings.
		s.r.log.Warn().Strs("args", args[1:]).Str("channel", s.ch.Name).Msg("exten wants one extension: back to the dialplan")
		dpContext, priority = "", 0
	}
	if err := s.ari(ctx, func(c context.Context) error { return s.r.deps.ARI.Continue(c, s.id, dpContext, exten, priority) }); err != nil {
		return err
	}
	return handedOff
}

// toFallback sends a DID's call to the dialplan's static destination and
// reports why (handedOff when that worked).
func (s *session) toFallback(ctx context.Context, why error) error {
	s.r.log.Warn().Err(why).Str("channel", s.ch.Name).Msg("sending the call to the DID's static destination")
	if err := s.ari(ctx, func(c context.Context) error { return s.r.deps.ARI.Continue(c, s.id, "", "", 0) }); err != nil {
		return err
	}
	return handedOff
}

// resume goes on after the dialplan's Dial or Queue came back unanswered.
func (s *session) resume(ctx context.Context, args []string) (string, error) {
	name, stepID, index, status, err := resumeArgs(args)
	if err != nil {
		return "", err
	}
	f, ok, err := s.r.deps.Flows.Get(name)
	if err == nil && !ok {
		err = fmt.Errorf("flowrun: flow %s is gone", name)
	}
	if err != nil {
		return "", err
	}
	s.setFlow(f)
	s.answered = s.ch.State == "Up"
	if err := s.restoreVars(ctx); err != nil {
		return "", err
	}
	st := s.byID[stepID]
	if st == nil {
		return "", fmt.Errorf("flowrun: flow %s has no step %s", name, stepID)
	}
	switch {
	case st.Ring != nil:
		if st.Ring.Strategy == "order" && index+1 < len(st.Ring.Extensions) && status != "ANSWER" {
			return "", s.ringOne(ctx, st, index+1)
		}
		return ringExit(st, status), nil
	case st.Query != nil:
		return st.Query.Fallback, nil
	case st.Queue != nil:
		return or(st.Queue.Exit, st.Next), nil
	}
	return st.Next, nil
}

// restoreVars reads the flow's state kept in the channel's variables: the
// keys chosen, the tags, the steps run and the DID.
func (s *session) restoreVars(ctx context.Context) error {
	for _, v := range []struct {
		name string
		to   *[]string
	}{{varDigits, &s.digits}, {varTags, &s.tags}} {
		val, err := s.getVar(ctx, v.name)
		if err != nil && !ari.IsNotFound(err) {
			return err
		}
		if val != "" {
			*v.to = strings.Split(val, ",")
		}
	}
	steps, err := s.getVar(ctx, varSteps)
	if err != nil && !ari.IsNotFound(err) {
		return err
	}
	s.steps, _ = strconv.Atoi(steps)
	if did, _ := s.getVar(ctx, varDID); did != "" {
		s.did = did
	}
	return nil
}

func (s *session) setFlow(f flow.Flow) {
	s.flow = f
	s.byID = make(map[string]*flow.Step, len(f.Steps))
	for i := range f.Steps {
		s.byID[f.Steps[i].ID] = &f.Steps[i]
	}
}

// loop runs steps from next until the flow ends, hands the call off, or
// the call is gone.
func (s *session) loop(ctx context.Context, next string) {
	inDefault := false
	for {
		if next == "" {
			s.hangup(ctx, causeNormal)
			return
		}
		st := s.byID[next]
		var err error
		if st == nil {
			err = fmt.Errorf("flowrun: flow %s has no step %s", s.flow.Name, next)
		} else if s.steps++; s.steps > s.r.cfg.MaxSteps {
			s.r.m.errors.WithLabelValues("step_budget").Inc()
			s.r.log.Warn().Str("flow", s.flow.Name).Int("steps", s.steps).Msg("the flow ran out of steps (a loop?): hanging up")
			s.hangup(ctx, causeFailure)
			return
		} else {
			kind := kindOf(st)
			s.r.m.steps.WithLabelValues(kind).Inc()
			next, err = s.step(ctx, st)
			if err != nil && !errors.Is(err, handedOff) && ctx.Err() == nil {
				s.r.m.errors.WithLabelValues(kind).Inc()
			}
		}
		if err == nil {
			continue
		}
		if errors.Is(err, handedOff) || ctx.Err() != nil {
			return
		}
		s.r.log.Warn().Err(err).Str("flow", s.flow.Name).Str("step", next).Str("channel", s.ch.Name).Msg("flow step failed")
		if s.flow.Default != "" && !inDefault {
			inDefault, next = true, s.flow.Default
			continue
		}
		s.hangup(ctx, causeFailure)
		return
	}
}

// fail ends a call whose flow could not start.
func (s *session) fail(ctx context.Context, err error) {
	if errors.Is(err, handedOff) || ctx.Err() != nil {
		return
	}
	s.r.m.errors.WithLabelValues("start").Inc()
	s.r.log.Warn().Err(err).Str("channel", s.ch.Name).Msg("call flow")
	if s.flow.Default != "" && s.byID != nil {
		s.loop(ctx, s.flow.Default)
		return
	}
	s.hangup(ctx, causeFailure)
}

func (s *session) hangup(ctx context.Context, cause int) {
	if ctx.Err() != nil {
		return
	}
	err := s.ari(ctx, func(c context.Context) error { return s.r.deps.ARI.HangupCode(c, s.id, cause) })
	if err != nil && !ari.IsNotFound(err) && ctx.Err() == nil {
		s.r.log.Warn().Err(err).Str("channel", s.ch.Name).Msg("hanging up after the flow")
	}
}

func kindOf(st *flow.Step) string {
	switch {
	case st.Notify != nil:
		return "notify"
	case st.Query != nil:
		return "query"
	case st.Menu != nil:
		return "menu"
	case st.Tag != nil:
		return "tag"
	case st.Ring != nil:
		return "ring"
	case st.Queue != nil:
		return "queue"
	case st.Voicemail != nil:
		return "voicemail"
	case st.Playback != nil:
		return "playback"
	case st.SayDigits != nil:
		return "say_digits"
	case st.Goto != nil:
		return "goto"
	case st.Hangup != nil:
		return "hangup"
	}
	return "none"
}

// step runs one step and returns the next step's ID.
func (s *session) step(ctx context.Context, st *flow.Step) (string, error) {
	switch {
	case st.Tag != nil:
		for _, t := range st.Tag.Tags {
			if !slices.Contains(s.tags, t) {
				s.tags = append(s.tags, t)
			}
		}
		return st.Next, s.setVar(ctx, varTags, strings.Join(s.tags, ","))
	case st.Menu != nil:
		return s.menu(ctx, st)
	case st.Playback != nil:
		media := make([]string, len(st.Playback.Sounds))
		for i, snd := range st.Playback.Sounds {
			media[i] = "sound:" + snd
		}
		return st.Next, s.play(ctx, media, 30*time.Second*time.Duration(len(media)))
	case st.SayDigits != nil:
		return st.Next, s.sayDigits(ctx, st.SayDigits)
	case st.Goto != nil:
		if st.Goto.Flow == "" {
			return st.Goto.Step, nil
		}
		f, ok, err := s.r.deps.Flows.Get(st.Goto.Flow)
		if err == nil && !ok {
			err = fmt.Errorf("flowrun: goto: no flow %s", st.Goto.Flow)
		}
		if err != nil {
			return "", err
		}
		s.setFlow(f)
		if st.Goto.Step != "" {
			return st.Goto.Step, nil
		}
		if len(f.Steps) == 0 {
			return "", nil
		}
		return f.Steps[0].ID, nil
	case st.Hangup != nil:
		cause := st.Hangup.Cause
		if cause == 0 {
			cause = causeNormal
		}
		s.hangup(ctx, cause)
		return "", handedOff
	case st.Notify != nil:
		return st.Next, s.notify(ctx, st.Notify.Client)
	case st.Query != nil:
		return s.query(ctx, st)
	case st.Ring != nil:
		return "", s.ringOne(ctx, st, 0)
	case st.Queue != nil:
		return "", s.queue(ctx, st)
	case st.Voicemail != nil:
		return "", s.handOff(ctx, st, 0, ctxVoicemail, map[string]string{"CALLCTL_VM_BOX": st.Voicemail.Box})
	}
	return "", fmt.Errorf("flowrun: step %s has no kind", st.ID)
}

// ari runs one ARI request under the request deadline; a call that hung up
// meanwhile reports errGone.
func (s *session) ari(ctx context.Context, f func(context.Context) error) error {
	actx, cancel := context.WithTimeout(ctx, s.r.cfg.RequestTimeout)
	defer cancel()
	err := f(actx)
	if err != nil && ctx.Err() != nil {
		return errGone
	}
	return err
}

func (s *session) setVar(ctx context.Context, name, value string) error {
	return s.ari(ctx, func(c context.Context) error { return s.r.deps.ARI.SetVar(c, s.id, name, value) })
}

func (s *session) getVar(ctx context.Context, name string) (string, error) {
	var v string
	err := s.ari(ctx, func(c context.Context) (err error) { v, err = s.r.deps.ARI.GetVar(c, s.id, name); return })
	return v, err
}

// answer answers the channel before the first prompt.
func (s *session) answer(ctx context.Context) error {
	if s.answered {
		return nil
	}
	if err := s.ari(ctx, func(c context.Context) error { return s.r.deps.ARI.Answer(c, s.id) }); err != nil {
		return err
	}
	s.answered = true
	return nil
}

func newID() string {
	var b [12]byte
	rand.Read(b[:])
	return "flow-" + hex.EncodeToString(b[:])
}

// play plays media and waits until it finished (at most limit). A key
// pressed meanwhile is kept for a menu that follows.
func (s *session) play(ctx context.Context, media []string, limit time.Duration) error {
	if len(media) == 0 {
		return nil
	}
	if err := s.answer(ctx); err != nil {
		return err
	}
	id := newID()
	if err := s.ari(ctx, func(c context.Context) error { _, err := s.r.deps.ARI.Play(c, s.id, id, media...); return err }); err != nil {
		return err
	}
	t := time.NewTimer(limit)
	defer t.Stop()
	var keys []ari.Event
	defer func() {
		for _, k := range keys { // back into the queue, for a menu
			select {
			case s.events <- k:
			default:
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return errGone
		case <-t.C:
			s.stopPlayback(ctx, id)
			return nil
		case e := <-s.events:
			switch {
			case e.Type == "ChannelDtmfReceived":
				keys = append(keys, e)
			case e.Type == "PlaybackFinished" && e.Playback != nil && e.Playback.ID == id:
				if e.Playback.State == "failed" {
					return fmt.Errorf("flowrun: playing %s failed", strings.Join(media, ", "))
				}
				return nil
			case e.Type == ari.EventConnected && s.playbackOver(ctx, id):
				return nil
			}
		}
	}
}

func (s *session) stopPlayback(ctx context.Context, id string) {
	err := s.ari(ctx, func(c context.Context) error { return s.r.deps.ARI.StopPlayback(c, id) })
	if err != nil && !ari.IsNotFound(err) && ctx.Err() == nil {
		s.r.log.Debug().Err(err).Msg("stopping a prompt")
	}
}

// menu plays the prompt and waits for a key, with retries.
func (s *session) menu(ctx context.Context, st *flow.Step) (string, error) {
	m := st.Menu
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	if err := s.answer(ctx); err != nil {
		return "", err
	}
	for try := 0; try <= m.Retries; try++ {
		key, err := s.prompt(ctx, m.Prompt, timeout)
		if err != nil {
			return "", err
		}
		if next, ok := m.Choices[key]; ok {
			s.digits = append(s.digits, key)
			return next, s.setVar(ctx, varDigits, strings.Join(s.digits, ","))
		}
	}
	return or(m.Fallback, st.Next), nil
}

// prompt plays a prompt and returns the first key pressed during it or
// within timeout after it, "" for none. A key stops the prompt.
func (s *session) prompt(ctx context.Context, sound string, timeout time.Duration) (string, error) {
	// A key pressed before (type-ahead, or during a playback step) counts.
	select {
	case e := <-s.events:
		if e.Type == "ChannelDtmfReceived" {
			return e.Digit, nil
		}
	default:
	}
	id := newID()
	playing := sound != ""
	if playing {
		if err := s.ari(ctx, func(c context.Context) error { _, err := s.r.deps.ARI.Play(c, s.id, id, "sound:"+sound); return err }); err != nil {
			return "", err
		}
	}
	// While the prompt plays, the wait is the prompt's bound; after it, timeout.
	limit := timeout
	if playing {
		limit = timeout + 60*time.Second
	}
	t := time.NewTimer(limit)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return "", errGone
		case <-t.C:
			if playing {
				s.stopPlayback(ctx, id)
			}
			return "", nil
		case e := <-s.events:
			switch {
			case e.Type == "ChannelDtmfReceived":
				if playing {
					s.stopPlayback(ctx, id)
				}
				return e.Digit, nil
			case e.Type == "PlaybackFinished" && e.Playback != nil && e.Playback.ID == id,
				e.Type == ari.EventConnected && playing && s.playbackOver(ctx, id):
				playing = false
				t.Reset(timeout)
			}
		}
	}
}

// sayDigits reads digits out in the step's or the flow's language.
func (s *session) sayDigits(ctx context.Context, d *flow.SayDigits) error {
	digits := d.Digits
	if digits == "${caller}" {
		digits = s.ch.CallerNumber
	}
	digits = strings.Map(func(r rune) rune {
		if (r >= '0' && r <= '9') || r == '*' || r == '#' {
			return r
		}
		return -1
	}, digits)
	if digits == "" {
		return nil
	}
	if lang := or(d.Language, s.flow.Language); lang != "" {
		if err := s.setVar(ctx, "CHANNEL(language)", lang); err != nil {
			return err
		}
	}
	return s.play(ctx, []string{"digits:" + digits}, time.Duration(len(digits))*2*time.Second+5*time.Second)
}

// call is the CDR engine's call of the channel, for webhooks.
func (s *session) call(ctx context.Context) (webhook.Params, uint64, error) {
	if s.r.deps.Live == nil {
		return webhook.Params{}, 0, errors.New("flowrun: no CDR engine")
	}
	wctx, cancel := context.WithTimeout(ctx, s.r.cfg.RequestTimeout)
	defer cancel()
	c, err := s.r.deps.Live.WaitChannel(wctx, s.id)
	if err != nil {
		return webhook.Params{}, 0, fmt.Errorf("flowrun: the call of %s: %w", s.ch.Name, err)
	}
	return webhook.Params{ID: c.ID, StartTime: c.Start, Src: c.Caller, Dst: c.Dialled, Exten: s.flow.Exten,
		IVRDigits: strings.Join(s.digits, ","), CustomField: strings.Join(s.tags, ",")}, c.ID, nil
}

func (s *session) notify(ctx context.Context, client string) error {
	if s.r.deps.Webhooks == nil {
		return errors.New("flowrun: no webhooks")
	}
	p, id, err := s.call(ctx)
	if err != nil {
		return err
	}
	return s.r.deps.Webhooks.NotifyStep(client, webhook.CallEvent{CallID: id, Trigger: webhook.TriggerFlowStep, Params: p})
}

var lineNumber = regexp.MustCompile(`^[A-Za-z0-9_.+-]{1,64}$`)

// query asks a data_query client and routes on its answer.
func (s *session) query(ctx context.Context, st *flow.Step) (string, error) {
	q := st.Query
	if s.r.deps.Webhooks == nil {
		return q.Fallback, nil
	}
	p, _, err := s.call(ctx)
	if err != nil {
		return "", err
	}
	timeout := q.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	qctx, cancel := context.WithTimeout(ctx, timeout)
	a, err := s.r.deps.Webhooks.Query(qctx, q.Client, p)
	cancel()
	if ctx.Err() != nil {
		return "", errGone
	}
	if err != nil {
		s.r.m.queryFallbacks.Inc()
		s.r.log.Info().Err(err).Str("client", q.Client).Str("flow", s.flow.Name).Msg("data query failed: its fallback")
		return q.Fallback, nil
	}
	if q.Field != "" {
		if next, ok := q.Branches[a.Fields[q.Field]]; ok {
			return next, nil
		}
	}
	if q.Extension != "" {
		if ext := a.Fields[q.Extension]; ext != "" && lineNumber.MatchString(ext) && s.r.deps.Directory.IsLine(ext) {
			ring := *st
			ring.Ring = &flow.Ring{Extensions: []string{ext}, Timeout: q.RingTimeout}
			return "", s.ringOne(ctx, &ring, 0)
		}
	}
	s.r.m.queryFallbacks.Inc()
	return q.Fallback, nil
}

// ringOne rings the ring step's extensions (all at once), or the index-th
// one (strategy order), in the shipped dialplan; an unanswered ring comes
// back as a resume.
func (s *session) ringOne(ctx context.Context, st *flow.Step, index int) error {
	r := st.Ring
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	exts := r.Extensions
	if r.Strategy == "order" {
		exts = exts[index : index+1]
	}
	for _, e := range exts {
		if !lineNumber.MatchString(e) {
			return fmt.Errorf("flowrun: ring: bad extension %q", e)
		}
	}
	// Inheritable: callctl-flow-line runs on a Local channel.
	vars := map[string]string{
		"_CALLCTL_RING_TIMEOUT": strconv.Itoa(int((timeout + time.Second - 1) / time.Second)),
		"_CALLCTL_RING_OPTIONS": "",
	}
	if st.Record {
		vars["_CALLCTL_RING_OPTIONS"] = "U(callctl-record-member)"
	}
	exten := "one"
	if len(exts) == 1 {
		vars["CALLCTL_RING_TARGET"] = exts[0]
		vars["_CALLCTL_FLOW_CALLER"] = s.ch.Name
	} else {
		exten = "group"
		// Without forwards the members' phones ring in one Dial; with one,
		// every member rings through callctl-flow-member, with its forwards
		// (and the recording made there).
		local := s.forwarded(ctx, exts)
		dial := make([]string, len(exts))
		for i, e := range exts {
			dial[i] = "PJSIP/" + e
			if local {
				dial[i] = "Local/" + e + "@" + ctxMember
			}
		}
		vars["CALLCTL_RING_DIAL"] = strings.Join(dial, "&")
		vars["CALLCTL_RING_GROUP_OPTIONS"] = vars["_CALLCTL_RING_OPTIONS"]
		if local {
			vars["CALLCTL_RING_GROUP_OPTIONS"] = ""
		}
	}
	return s.handOffAt(ctx, st, index, ctxRing, exten, vars)
}

// forwarded reports whether a line of exts has a call forward for external
// calls (or the forwards could not be read: the dialplan then decides).
func (s *session) forwarded(ctx context.Context, exts []string) bool {
	if s.r.deps.Forwards == nil {
		return false
	}
	for _, e := range exts {
		fs, err := s.r.deps.Forwards.List(ctx, e)
		if err != nil {
			s.r.log.Debug().Err(err).Str("line", e).Msg("reading a ring group member's forwards")
			return true
		}
		for _, f := range fs {
			if f.CallType != "internal" {
				return true
			}
		}
	}
	return false
}

func (s *session) queue(ctx context.Context, st *flow.Step) error {
	q := st.Queue
	timeout := q.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	vars := map[string]string{
		varCCCall:               "1",
		"CALLCTL_QUEUE":         q.Name,
		"CALLCTL_QUEUE_TIMEOUT": strconv.Itoa(int((timeout + time.Second - 1) / time.Second)),
		"CALLCTL_QUEUE_GOSUB":   "",
	}
	if st.Record {
		vars["CALLCTL_QUEUE_GOSUB"] = "callctl-record-member"
	}
	return s.handOff(ctx, st, 0, ctxQueue, vars)
}

func (s *session) handOff(ctx context.Context, st *flow.Step, index int, dpContext string, vars map[string]string) error {
	return s.handOffAt(ctx, st, index, dpContext, "s", vars)
}

// handOffAt sets the step's variables and where to resume, and continues
// the channel in the dialplan.
func (s *session) handOffAt(ctx context.Context, st *flow.Step, index int, dpContext, exten string, vars map[string]string) error {
	if strings.ContainsAny(s.flow.Name+st.ID, ",|()") {
		return fmt.Errorf("flowrun: flow %q step %q: names with , | ( ) cannot resume", s.flow.Name, st.ID)
	}
	vars[varResume] = s.flow.Name + "," + st.ID + "," + strconv.Itoa(index)
	vars[varSteps] = strconv.Itoa(s.steps)
	for _, k := range sortedKeys(vars) {
		if err := s.setVar(ctx, k, vars[k]); err != nil {
			return err
		}
	}
	if err := s.ari(ctx, func(c context.Context) error { return s.r.deps.ARI.Continue(c, s.id, dpContext, exten, 1) }); err != nil {
		return err
	}
	return handedOff
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ringExit is the exit of a ring step for Dial's DIALSTATUS.
func ringExit(st *flow.Step, status string) string {
	r := st.Ring
	switch status {
	case "BUSY":
		return or(r.Busy, st.Next)
	case "CHANUNAVAIL", "CONGESTION":
		return or(r.Unavailable, st.Next)
	case "NOANSWER":
		return or(r.NoAnswer, st.Next)
	}
	return st.Next
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
