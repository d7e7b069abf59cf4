package callflow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr"
)

// originate is an AMI Originate to start.
type originate struct {
	headers, vars map[string]string
	local         bool          // a Local channel: name its ;2 half too
	ring          time.Duration // how long the originated channel may ring
	destination   string        // the number a click-to-call dials (Outcome.Destination)
}

// Waits of a started call.
const (
	// outcomeMargin is how long after the ring time an outcome is waited
	// for before it counts as unknown.
	outcomeMargin = 30 * time.Second
	// viewGrace is how long the CDR engine may still take to show a
	// call's channel once Asterisk has said how the call went.
	viewGrace = 250 * time.Millisecond
)

// newUniqueid returns a uniqueid for a channel callctl originates.
// Asterisk takes up to 149 bytes; its own are "<epoch>.<sequence>".
func newUniqueid() string {
	var b [10]byte
	rand.Read(b[:])
	return "callctl-" + strconv.FormatInt(time.Now().Unix(), 10) + "-" + hex.EncodeToString(b[:])
}

// result is what Asterisk said of a started call.
type result struct {
	res    Result
	reason string
}

// start originates a call under the uniqueid it chooses, returns once
// Asterisk has queued it and the CDR engine shows its channel (or the
// action's deadline passes), and follows its outcome in a goroutine.
func (c *Calls) start(ctx context.Context, action Action, o originate) (CallRef, error) {
	id := newUniqueid()
	headers := make(map[string]string, len(o.headers)+3)
	for k, v := range o.headers {
		headers[k] = v
	}
	headers["ChannelId"] = id
	if o.local {
		headers["OtherChannelId"] = id + ";2"
	}
	headers["Timeout"] = strconv.FormatInt(o.ring.Milliseconds(), 10)
	actx, cancel := c.ctx(ctx)
	defer cancel()
	wait, err := c.AMI.StartOriginate(actx, ami.Action{Headers: headers, Variables: o.vars})
	if err != nil {
		return CallRef{}, amiError(string(action), err)
	}
	started := c.now()
	results := make(chan result, 1)
	go func() {
		wctx, cancel := context.WithTimeout(context.Background(), o.ring+outcomeMargin)
		defer cancel()
		results <- classify(wait(wctx))
	}()
	ref, early := c.handle(actx, CallRef{Linkedid: id, Uniqueid: id}, results)
	out := Outcome{Action: action, Ref: ref, Destination: o.destination, Result: ResultPending, Started: started}
	if early != nil {
		out.Result, out.Reason, out.Ended = early.res, early.reason, c.now()
		c.finished(out)
		return ref, nil
	}
	c.outcomes.put(out)
	go func() {
		r := <-results
		out.Result, out.Reason, out.Ended = r.res, r.reason, c.now()
		c.finished(out)
	}()
	return ref, nil
}

// handle waits until the CDR engine shows the originated channel and fills
// in the call's CDR id and linkedid. When Asterisk tells how the call went
// first (it failed at once), the engine gets a moment more; the outcome is
// returned.
func (c *Calls) handle(ctx context.Context, ref CallRef, results <-chan result) (CallRef, *result) {
	vctx, cancel := context.WithCancel(ctx)
	defer cancel()
	found := make(chan *cdr.LiveCall, 1)
	go func() {
		lc, _ := c.Live.WaitChannel(vctx, ref.Uniqueid)
		found <- lc
	}()
	var early *result
	var grace <-chan time.Time
	for {
		select {
		case lc := <-found:
			if lc != nil {
				ref.CallID, ref.Linkedid = lc.ID, lc.Linkedid
			} else if early == nil {
				c.log.Warn().Str("uniqueid", ref.Uniqueid).Msg("the CDR engine did not show a started call in time: its CDR id is unknown")
			}
			return ref, early
		case r := <-results:
			early, results = &r, nil
			grace = time.After(viewGrace)
		case <-grace:
			cancel() // found follows at once
		}
	}
}

// classify reads an OriginateResponse.
func classify(ev ami.Message, err error) result {
	switch {
	case err != nil:
		return result{ResultUnknown, err.Error()}
	case ev["Response"] == "Success":
		return result{ResultAnswered, ""}
	default:
		return result{ResultFailed, originateReason(ev["Reason"])}
	}
}

// originateReason names an OriginateResponse's Reason (Asterisk's
// AST_CONTROL_* value of how the dial ended).
func originateReason(code string) string {
	switch code {
	case "0":
		return "no channel" // the channel could not be created or called
	case "1":
		return "hung up"
	case "3":
		return "no answer"
	case "5":
		return "busy"
	case "8":
		return "congestion"
	}
	return "reason " + code
}

// finished records a started call's outcome.
func (c *Calls) finished(o Outcome) {
	c.outcomes.put(o)
	c.Metrics.originated.WithLabelValues(string(o.Action), string(o.Result)).Inc()
	ev := c.log.Info()
	if o.Result == ResultUnknown {
		ev = c.log.Warn()
	}
	ev.Str("action", string(o.Action)).Uint64("call", o.Ref.CallID).Str("uniqueid", o.Ref.Uniqueid).
		Str("result", string(o.Result)).Str("reason", o.Reason).Msg("started call's outcome")
}
