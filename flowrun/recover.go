package flowrun

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/callctl/callctl/ari"
)

// Recovery of calls left in Stasis (see the package doc): Asterisk keeps a
// channel in Stasis(callctl) when callctl restarts or its websocket drops,
// lists it in GET /applications/callctl, and sends no new StasisStart for
// it when callctl connects again.

// strandGrace is how long after a connect a channel listed in the
// application must stay unowned before it counts as stranded: a
// StasisStart on its way in the new websocket is dispatched by then.
var strandGrace = time.Second

// recoverWorkers bounds the stranded calls dealt with at once.
const recoverWorkers = 4

// ctxStatic is where a DID's call goes when callctl will not run it.
const ctxStatic = "callctl-did-static-fresh"

// recoverCalls runs after every (re)connect of generation gen: it resyncs
// the sessions that ran across the disconnect and deals with the channels
// in the application that no session owns.
func (r *Runner) recoverCalls(ctx context.Context, gen uint64) {
	if r.deps.Recovery == nil {
		return
	}
	var ids []string
	for try := 0; ; try++ {
		actx, cancel := context.WithTimeout(ctx, r.cfg.RequestTimeout)
		var err error
		ids, err = r.deps.Recovery.AppChannels(actx)
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil || try == 2 || r.generation() != gen {
			r.log.Warn().Err(err).Msg("listing the application's channels: calls left in Stasis are not recovered")
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	listed := make(map[string]bool, len(ids))
	for _, id := range ids {
		listed[id] = true
	}
	// Sessions that ran across the disconnect: a channel no longer in the
	// application left it (hung up) while the events were lost; the others
	// check what they may have missed (a prompt's end).
	r.mu.Lock()
	for id, s := range r.calls {
		if s.gen >= gen {
			continue
		}
		if !listed[id] {
			r.m.recovered.WithLabelValues("gone").Inc()
			s.cancel(errLeftStasis)
			continue
		}
		select {
		case s.events <- ari.Event{Type: ari.EventConnected}:
		default:
		}
	}
	for id, g := range r.inApp {
		if g < gen && !listed[id] {
			delete(r.inApp, id)
		}
	}
	r.mu.Unlock()

	select {
	case <-ctx.Done():
		return
	case <-time.After(strandGrace):
	}
	var stranded []string
	r.mu.Lock()
	for _, id := range ids {
		if r.calls[id] == nil && r.inApp[id] != gen {
			stranded = append(stranded, id)
		}
	}
	r.mu.Unlock()
	if len(stranded) == 0 {
		return
	}
	r.log.Warn().Int("channels", len(stranded)).Msg("calls left in Stasis by an earlier run or connection: recovering them")
	work := make(chan string)
	var wg sync.WaitGroup
	for range min(recoverWorkers, len(stranded)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				r.rescue(ctx, id, gen)
			}
		}()
	}
	for _, id := range stranded {
		select {
		case work <- id:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
}

// rescue takes over one channel left in Stasis, if it is the shipped
// dialplan's and still unowned.
func (r *Runner) rescue(ctx context.Context, id string, gen uint64) {
	actx, cancel := context.WithTimeout(ctx, r.cfg.RequestTimeout)
	ch, err := r.deps.Recovery.Channel(actx, id)
	cancel()
	if err != nil {
		if !ari.IsNotFound(err) && ctx.Err() == nil {
			r.log.Warn().Err(err).Str("channel", id).Msg("reading a channel left in Stasis")
		}
		return
	}
	args := r.stasisArgs(ctx, ch)
	if args == nil {
		r.log.Debug().Str("channel", ch.Name).Str("context", ch.Context).Msg("a channel in the application that the shipped dialplan did not send: left alone")
		return
	}
	r.mu.Lock()
	// Owned meanwhile, or a newer connection's recovery is at work.
	if r.calls[id] != nil || r.inApp[id] == gen || r.gen != gen {
		r.mu.Unlock()
		return
	}
	select {
	case r.sem <- struct{}{}:
	default:
		r.mu.Unlock()
		r.m.recovered.WithLabelValues("busy").Inc()
		r.fallback(ctx, id, args[0])
		return
	}
	r.inApp[id] = gen
	s := r.newSession(ctx, ch, gen)
	r.mu.Unlock()
	r.log.Info().Str("channel", ch.Name).Strs("stasis", args).Msg("recovering a call left in Stasis")
	r.launch(s, func(sctx context.Context) { s.rescue(sctx, args) })
}

// Contexts of the shipped dialplan that run Stasis(callctl,…).
const (
	ctxDID    = "callctl-did"
	ctxFlow   = "callctl-flow"
	ctxResume = "callctl-flow-resume"
	ctxExten  = "callctl-exten"
)

// stasisArgs are the arguments of the channel's Stasis() if it runs the
// shipped dialplan's (flow, did, resume, exten), else nil: from the
// snapshot's application (Stasis, callctl,did,3612340300) when it shows
// Stasis, else from the channel's place in the dialplan: callctl-did,<DID>
// is did,<DID>; callctl-flow,<exten> is flow,<exten>; callctl-exten,<n> is
// exten,<n>; callctl-flow-resume is resume,<CALLCTL_FLOW_RESUME>.
func (r *Runner) stasisArgs(ctx context.Context, ch *ari.Channel) []string {
	if strings.EqualFold(ch.AppName, "Stasis") {
		if args := strings.Split(ch.AppData, ","); len(args) >= 3 && slices.Contains([]string{argFlow, argDID, argResume, argExten}, args[1]) {
			return args[1:] // after the application's name
		}
		return nil // another Stasis(callctl,…): not the shipped dialplan's
	}
	switch ch.Context {
	case ctxDID:
		return []string{argDID, ch.Exten}
	case ctxFlow:
		return []string{argFlow, ch.Exten}
	case ctxExten:
		return []string{argExten, ch.Exten}
	case ctxResume:
		actx, cancel := context.WithTimeout(ctx, r.cfg.RequestTimeout)
		v, err := r.deps.ARI.GetVar(actx, ch.ID, varResume)
		cancel()
		if err != nil || v == "" {
			return nil
		}
		return append([]string{argResume}, strings.Split(v, ",")...)
	}
	return nil
}

// rescue deals with a call found in Stasis with no session: the state of
// its step is lost, so it goes on as a failed step does, at the flow's
// default step; without one a DID's call goes to its static destination
// (callctl-did-static-fresh) and any other is hung up with cause 41. An
// extension call has no state to lose: it rings its extension.
func (s *session) rescue(ctx context.Context, args []string) {
	s.answered = s.ch.State == "Up"
	if args[0] == argExten {
		s.r.m.recovered.WithLabelValues("static").Inc()
		s.r.log.Info().Str("channel", s.ch.Name).Strs("stasis", args).Msg("recovered call: the extension rings")
		if err := s.ringExtension(ctx, args); err != handedOff && ctx.Err() == nil {
			s.hangup(ctx, causeFailure)
		}
		return
	}
	f, err := s.flowOf(args)
	if s.did == "" {
		s.did, _ = s.getVar(ctx, varDID)
	}
	if ctx.Err() != nil {
		return
	}
	if err == nil && f.Default != "" {
		s.setFlow(f)
		if err := s.restoreVars(ctx); err == nil {
			s.r.m.recovered.WithLabelValues("default").Inc()
			s.r.log.Info().Str("channel", s.ch.Name).Str("flow", f.Name).Msg("recovered call: the flow's default step")
			s.loop(ctx, f.Default)
			return
		}
	}
	if s.did != "" {
		s.r.m.recovered.WithLabelValues("static").Inc()
		s.r.log.Info().Str("channel", s.ch.Name).Str("did", s.did).Msg("recovered call: the DID's static destination")
		err := s.ari(ctx, func(c context.Context) error { return s.r.deps.ARI.Continue(c, s.id, ctxStatic, s.did, 1) })
		if err == nil || ctx.Err() != nil || ari.IsNotFound(err) {
			return
		}
		s.r.log.Warn().Err(err).Str("channel", s.ch.Name).Msg("sending a recovered call to its static destination")
	}
	s.r.m.recovered.WithLabelValues("hangup").Inc()
	s.hangup(ctx, causeFailure)
}

// playbackOver reports, after a reconnect, whether the playback id ended
// while the websocket was down (its PlaybackFinished was lost).
func (s *session) playbackOver(ctx context.Context, id string) bool {
	if s.r.deps.Recovery == nil {
		return false
	}
	err := s.ari(ctx, func(c context.Context) error { _, err := s.r.deps.Recovery.Playback(c, id); return err })
	return ari.IsNotFound(err)
}
