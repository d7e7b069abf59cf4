package phone

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Reason says why a call ended.
type Reason string

// Reasons.
const (
	ReasonBye      Reason = "bye"      // BYE after the answer
	ReasonCancel   Reason = "cancel"   // CANCEL while ringing
	ReasonRejected Reason = "rejected" // final non-2xx response; Ending.Code has it
	ReasonFailed   Reason = "failed"   // a SIP error; Ending.Detail says which
	ReasonClosed   Reason = "closed"   // the phone was closed first
)

// Ending says who ended a call and how.
type Ending struct {
	By     Side
	Reason Reason
	Code   int // status code when Reason is ReasonRejected
	Detail string
}

func (e Ending) String() string {
	s := fmt.Sprintf("%s by %s", e.Reason, e.By)
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Party is one end of a call as written in a From or To header.
type Party struct {
	Name string // display name
	User string // user part of the URI: number or extension
	URI  string
}

type callState int

const (
	stateRinging callState = iota // no final response yet
	stateAnswered
	stateEnded
)

// decision is what the test asks a ringing incoming call to do.
type decision struct {
	answer bool
	code   int
}

// Call is one SIP dialog of a phone, incoming or outgoing. Its methods are
// safe for concurrent use.
//
// sipgo runs the INVITE transactions (and, for outgoing calls, the
// authentication, CANCEL and ACK); the dialog itself (tags, CSeq, remote
// target) is kept here, and in-dialog requests are built here. sipgo's
// DialogServerSession is not used: its WriteResponse misses an ACK that
// arrives before it starts to wait for one, and then waits for 32 s.
type Call struct {
	p         *Phone
	inbound   bool
	sessionID int64

	// Set before the call is shared, read-only afterwards.
	id          string
	invite      *sip.Request // private copy of the initial INVITE
	from, to    Party
	requestUser string
	tx          sip.ServerTransaction      // incoming calls: the INVITE transaction
	cli         *sipgo.DialogClientSession // outgoing calls: INVITE, auth, CANCEL, ACK

	ctx       context.Context // cancelled to abandon a ringing outgoing call
	cancel    context.CancelFunc
	decide    chan decision // Answer/Reject/Hangup of a ringing incoming call
	referred  chan int      // status codes of REFER progress NOTIFYs (sipfrag)
	acked     chan struct{} // incoming calls: closed by the ACK of our 200
	ackOnce   sync.Once
	cancelled chan struct{} // incoming calls: closed by a CANCEL
	cnclOnce  sync.Once
	answered  chan struct{} // closed once answered
	ended     chan struct{} // closed once ended

	reqMu sync.Mutex // one in-dialog request at a time (CSeq order)

	mu     sync.Mutex
	state  callState
	ending Ending
	hangup bool // Hangup asked while an outgoing call rang
	// The dialog, as this phone sees it.
	local, remote       *sip.FromHeader // name and URI of each side (tag unused)
	localTag, remoteTag string
	target              sip.Uri // remote target of in-dialog requests
	cseq                uint32  // last local CSeq
	dtmf                strings.Builder
	sdpVersion          int
}

func party(name string, uri sip.Uri) Party {
	return Party{Name: name, User: uri.User, URI: uri.String()}
}

// setInvite fills the read-only part of the call, and the dialog as far as
// it is known, from the initial INVITE.
func (c *Call) setInvite(req *sip.Request, cli *sipgo.DialogClientSession, tx sip.ServerTransaction) {
	c.cli, c.tx = cli, tx
	c.invite = req.Clone()
	c.id = c.invite.CallID().Value()
	from, to := c.invite.From(), c.invite.To()
	c.from = party(from.DisplayName, from.Address)
	c.to = party(to.DisplayName, to.Address)
	c.requestUser = c.invite.Recipient.User
	fromTag, _ := from.Params.Get("tag")
	fromSide := &sip.FromHeader{DisplayName: from.DisplayName, Address: *from.Address.Clone()}
	toSide := &sip.FromHeader{DisplayName: to.DisplayName, Address: *to.Address.Clone()}
	if c.inbound {
		c.local, c.remote = toSide, fromSide
		c.localTag, c.remoteTag = sip.GenerateTagN(16), fromTag
		if ct := c.invite.Contact(); ct != nil {
			c.target = *ct.Address.Clone()
		}
	} else {
		c.local, c.remote = fromSide, toSide
		c.localTag = fromTag
	}
}

// ID returns the SIP Call-ID.
func (c *Call) ID() string { return c.id }

// Inbound tells whether the call came in (true) or was dialled (false).
func (c *Call) Inbound() bool { return c.inbound }

// From returns the From header of the initial INVITE.
func (c *Call) From() Party { return c.from }

// To returns the To header of the initial INVITE.
func (c *Call) To() Party { return c.to }

// CallerNumber returns the user part of the From header of the initial
// INVITE: the caller's number as an ordinary phone shows it.
func (c *Call) CallerNumber() string { return c.from.User }

// RequestUser returns the user part of the Request-URI of the initial
// INVITE: on an incoming call, the number that was dialled (the DID).
func (c *Call) RequestUser() string { return c.requestUser }

// Header returns a header of the initial INVITE (received or sent), or "".
func (c *Call) Header(name string) string {
	if h := c.invite.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

// DTMF returns the digits received so far as SIP INFO.
func (c *Call) DTMF() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dtmf.String()
}

// Events returns the phone's events of this call.
func (c *Call) Events() []Event {
	var out []Event
	for _, e := range c.p.Events() {
		if e.CallID == c.id {
			out = append(out, e)
		}
	}
	return out
}

// Ended tells whether the call has ended, and how.
func (c *Call) Ended() (Ending, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ending, c.state == stateEnded
}

// WaitAnswered waits until the call is answered. It fails if the call ends
// first (rejected, cancelled, ...) or ctx is done.
func (c *Call) WaitAnswered(ctx context.Context) error {
	select {
	case <-c.answered:
		return nil
	case <-c.ended:
		select {
		case <-c.answered: // answered, then ended
			return nil
		default:
		}
		e, _ := c.Ended()
		return fmt.Errorf("call %s ended before it was answered: %s", c.id, e)
	case <-ctx.Done():
		return fmt.Errorf("call %s: waiting for the answer: %w", c.id, ctx.Err())
	}
}

// WaitEnded waits until the call ends and tells who ended it and how.
func (c *Call) WaitEnded(ctx context.Context) (Ending, error) {
	select {
	case <-c.ended:
		e, _ := c.Ended()
		return e, nil
	case <-ctx.Done():
		return Ending{}, fmt.Errorf("call %s: waiting for the end: %w", c.id, ctx.Err())
	}
}

// Answer answers a ringing incoming call (one in NeverAnswer mode) and
// waits until the answer is acknowledged.
func (c *Call) Answer(ctx context.Context) error {
	if !c.inbound {
		return fmt.Errorf("call %s: Answer: not an incoming call", c.id)
	}
	c.decideOnce(decision{answer: true})
	return c.WaitAnswered(ctx)
}

// Reject refuses a ringing incoming call with a final status code (400-699).
func (c *Call) Reject(ctx context.Context, code int) error {
	if !c.inbound {
		return fmt.Errorf("call %s: Reject: not an incoming call", c.id)
	}
	if code < 400 || code > 699 {
		return fmt.Errorf("call %s: Reject: bad status code %d", c.id, code)
	}
	c.decideOnce(decision{code: code})
	_, err := c.WaitEnded(ctx)
	return err
}

func (c *Call) decideOnce(d decision) {
	select {
	case c.decide <- d:
	default: // a decision is already pending
	}
}

// Hangup ends the call in the way its state asks for: BYE once answered,
// CANCEL while an outgoing call rings, 603 Decline while an incoming call
// rings. It returns when the call has ended; on a call that has already
// ended it does nothing.
func (c *Call) Hangup(ctx context.Context) error {
	c.mu.Lock()
	state := c.state
	if state == stateRinging && !c.inbound {
		c.hangup = true
	}
	c.mu.Unlock()

	switch {
	case state == stateEnded:
		return nil
	case state == stateAnswered:
		return c.bye(ctx)
	case c.inbound:
		c.decideOnce(decision{code: 603})
		select {
		case <-c.ended:
			return nil
		case <-c.answered: // the answer came first
			return c.bye(ctx)
		case <-ctx.Done():
			return fmt.Errorf("call %s: hangup: %w", c.id, ctx.Err())
		}
	default:
		c.cancel() // runOutbound sends the CANCEL, or a BYE if the answer crosses it
		_, err := c.WaitEnded(ctx)
		return err
	}
}

// bye sends a BYE on an answered call; the call ends whatever the answer.
func (c *Call) bye(ctx context.Context) error {
	res, err := c.request(ctx, sip.BYE, "", nil)
	if err != nil {
		if _, ended := c.Ended(); ended { // the other side was quicker
			return nil
		}
		c.end(EventBye, Ending{By: Local, Reason: ReasonBye, Detail: err.Error()})
		return err
	}
	detail := ""
	if res.StatusCode != 200 {
		detail = fmt.Sprintf("%d %s", res.StatusCode, res.Reason)
	}
	c.end(EventBye, Ending{By: Local, Reason: ReasonBye, Detail: detail})
	if !res.IsSuccess() && res.StatusCode != 481 {
		return fmt.Errorf("call %s: BYE: %d %s", c.id, res.StatusCode, res.Reason)
	}
	return nil
}

// markAnswered moves a ringing call to answered and records it. It returns
// whether Hangup was asked meanwhile (outgoing calls).
func (c *Call) markAnswered(by Side) (hangup bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateRinging {
		return false
	}
	c.state = stateAnswered
	close(c.answered)
	c.p.record(EventAnswered, by, c.id, "")
	return c.hangup
}

// end ends the call once and records why; later calls do nothing.
func (c *Call) end(kind EventKind, e Ending) bool {
	c.mu.Lock()
	if c.state == stateEnded {
		c.mu.Unlock()
		return false
	}
	c.state = stateEnded
	c.ending = e
	close(c.ended)
	c.p.record(kind, e.By, c.id, e.Detail)
	c.mu.Unlock()
	c.cancel()
	c.p.removeCall(c)
	return true
}

// response builds a response to the initial INVITE with our To tag.
func (c *Call) response(req *sip.Request, code int) *sip.Response {
	res := sip.NewResponseFromRequest(req, code, reasonPhrase(code), nil)
	if to := res.To(); to != nil {
		if to.Params == nil {
			to.Params = sip.NewParams()
		}
		to.Params["tag"] = c.localTag
	}
	return res
}

// runInbound rings, then answers or refuses as the mode or the test says.
// It runs in the INVITE handler (req is the INVITE) and returns once the
// call is answered and ACKed, or has ended.
func (c *Call) runInbound(req *sip.Request, mode Answer) {
	if !c.tx.OnCancel(func(*sip.Request) { c.cnclOnce.Do(func() { close(c.cancelled) }) }) {
		c.endEarly("before ringing")
		return
	}
	if !mode.silent {
		ringing := c.response(req, 180)
		ringing.AppendHeader(c.p.contact.Clone())
		if err := c.tx.Respond(ringing); err != nil {
			c.endEarly("sending 180: " + err.Error())
			return
		}
		c.p.record(EventRinging, Local, c.id, "180 Ringing")
	}

	d := decision{code: mode.code}
	if d.code == 0 {
		var timer <-chan time.Time // nil (never) for NeverAnswer
		if mode.answer {
			t := time.NewTimer(mode.delay)
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-timer:
			d.answer = true
		case d = <-c.decide:
		case <-c.cancelled:
			c.endEarly("")
			return
		case <-c.tx.Done():
			c.endEarly("ringing")
			return
		case <-c.p.ctx.Done():
			d.code = 480
		}
	}

	if !d.answer {
		// sipgo retransmits the final response and absorbs the ACK.
		if err := c.tx.Respond(c.response(req, d.code)); err != nil {
			c.endEarly("rejecting: " + err.Error())
			return
		}
		c.end(EventRejected, Ending{By: Local, Reason: ReasonRejected, Code: d.code,
			Detail: fmt.Sprintf("%d %s", d.code, reasonPhrase(d.code))})
		return
	}

	offer := parseSDP(c.invite.Body())
	res := c.response(req, 200)
	res.AppendHeader(c.p.contact.Clone())
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	ct := sip.ContentTypeHeader("application/sdp")
	res.AppendHeader(&ct)
	res.SetBody(c.sdp([]string{offer.answerFormat()}, answerDirection(offer.direction)))
	if err := c.tx.Respond(res); err != nil {
		c.endEarly("answering: " + err.Error())
		return
	}
	if !c.awaitAck(res) {
		return
	}
	c.markAnswered(Local)
	if mode.hangupAfter > 0 {
		c.hangupLater(mode.hangupAfter)
	}
}

// awaitAck retransmits our 200 until its ACK arrives, as the transaction
// does not do it (RFC 3261 13.3.1.4, RFC 6026). Without an ACK the call
// ends.
func (c *Call) awaitAck(res *sip.Response) bool {
	interval := sip.T1
	retransmit := time.NewTimer(interval)
	defer retransmit.Stop()
	giveUp := time.NewTimer(64 * sip.T1)
	defer giveUp.Stop()
	for {
		select {
		case <-c.acked: // a new transaction, seen by onAck
			return true
		case <-c.tx.Acks(): // in case it matched the INVITE transaction
			return true
		case <-c.ended: // a BYE came first
			return false
		case <-retransmit.C:
			_ = c.tx.Respond(res)
			interval = min(2*interval, sip.T2)
			retransmit.Reset(interval)
		case <-giveUp.C:
			c.end(EventFailed, Ending{By: Local, Reason: ReasonFailed, Detail: "no ACK for 200"})
			return false
		case <-c.p.ctx.Done():
			c.end(EventFailed, Ending{By: Local, Reason: ReasonClosed, Detail: "phone closed before the ACK"})
			return false
		}
	}
}

// endEarly ends an incoming call before the answer: cancelled by the caller,
// or failed for the given reason.
func (c *Call) endEarly(failure string) {
	select {
	case <-c.cancelled:
		c.end(EventCancel, Ending{By: Remote, Reason: ReasonCancel})
		return
	default:
	}
	if errors.Is(c.tx.Err(), sip.ErrTransactionCanceled) {
		c.end(EventCancel, Ending{By: Remote, Reason: ReasonCancel})
		return
	}
	if err := c.tx.Err(); err != nil {
		failure += ": " + err.Error()
	}
	c.end(EventFailed, Ending{By: Local, Reason: ReasonFailed, Detail: failure})
}

func (c *Call) hangupLater(d time.Duration) {
	done, ok := c.p.track()
	if !ok {
		return
	}
	go func() {
		defer done()
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			ctx, cancel := context.WithTimeout(c.p.ctx, 10*time.Second)
			_ = c.Hangup(ctx)
			cancel()
		case <-c.ended:
		case <-c.p.ctx.Done():
		}
	}()
}

// runOutbound waits for the answer to an INVITE we sent (sipgo
// authenticates it when challenged), ACKs it, or records why the call did
// not happen.
func (c *Call) runOutbound() {
	sess := c.cli
	err := sess.WaitAnswer(c.ctx, sipgo.AnswerOptions{
		Username: c.p.cfg.User,
		Password: c.p.cfg.Password, // "" turns authentication off
		OnResponse: func(res *sip.Response) error {
			if res.StatusCode == 180 || res.StatusCode == 183 {
				c.p.record(EventRinging, Remote, c.id, fmt.Sprintf("%d %s", res.StatusCode, res.Reason))
			}
			return nil
		},
	})
	var rejected *sipgo.ErrDialogResponse
	switch {
	case err == nil:
		// WaitAnswer has finished with the session: read it here only.
		res := sess.InviteResponse
		c.mu.Lock()
		c.target = c.invite.Recipient
		if ct := res.Contact(); ct != nil {
			c.target = *ct.Address.Clone()
		}
		c.remoteTag, _ = res.To().Params.Get("tag")
		c.cseq = sess.InviteRequest.CSeq().SeqNo // after authentication
		c.mu.Unlock()
		if err := sess.Ack(context.Background()); err != nil {
			c.end(EventFailed, Ending{By: Local, Reason: ReasonFailed, Detail: "ACK: " + err.Error()})
			return
		}
		if c.markAnswered(Remote) { // Hangup was asked while the 200 was on its way
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = c.bye(ctx)
			cancel()
		}
	case errors.As(err, &rejected):
		code := rejected.Res.StatusCode
		c.end(EventRejected, Ending{By: Remote, Reason: ReasonRejected, Code: code,
			Detail: fmt.Sprintf("%d %s", code, rejected.Res.Reason)})
	case c.ctx.Err() != nil: // Hangup (or Close) while ringing: sipgo sent the CANCEL
		detail := ""
		if !errors.Is(err, context.Canceled) {
			detail = err.Error()
		}
		c.end(EventCancel, Ending{By: Local, Reason: ReasonCancel, Detail: detail})
	default:
		c.end(EventFailed, Ending{By: Local, Reason: ReasonFailed, Detail: err.Error()})
	}
}

// gotAck takes an ACK of this call; the first one confirms our 200.
func (c *Call) gotAck() {
	if c.inbound {
		c.ackOnce.Do(func() { close(c.acked) })
	}
}

// gotBye answers a BYE and ends the call.
func (c *Call) gotBye(req *sip.Request, tx sip.ServerTransaction) {
	respond(req, tx, 200)
	// A BYE means the dialog was confirmed, even if we have not noted the
	// answer yet; note it first so that the events keep their order.
	if c.inbound {
		c.markAnswered(Local)
	} else {
		c.markAnswered(Remote)
	}
	c.end(EventBye, Ending{By: Remote, Reason: ReasonBye})
}

func (c *Call) gotDTMF(digit string) {
	c.mu.Lock()
	c.dtmf.WriteString(digit)
	c.p.record(EventDTMF, Remote, c.id, digit)
	c.mu.Unlock()
}

// sdp builds the next version of this call's session description.
func (c *Call) sdp(formats []string, direction string) []byte {
	c.mu.Lock()
	c.sdpVersion++
	v := c.sdpVersion
	c.mu.Unlock()
	return buildSDP(c.p.host, c.p.cfg.MediaPort, c.sessionID, v, formats, direction)
}

// newRequest builds an in-dialog request; ACK takes the CSeq of the last
// request (the re-INVITE it acknowledges), others the next one.
func (c *Call) newRequest(method sip.RequestMethod) (*sip.Request, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateAnswered {
		return nil, fmt.Errorf("call %s: %s: the call is not up", c.id, method)
	}
	req := sip.NewRequest(method, c.target)
	req.AppendHeader(&sip.FromHeader{DisplayName: c.local.DisplayName, Address: *c.local.Address.Clone(),
		Params: sip.NewParams().Add("tag", c.localTag)})
	req.AppendHeader(&sip.ToHeader{DisplayName: c.remote.DisplayName, Address: *c.remote.Address.Clone(),
		Params: sip.NewParams().Add("tag", c.remoteTag)})
	callID := sip.CallIDHeader(c.id)
	req.AppendHeader(&callID)
	if method != sip.ACK {
		c.cseq++
	}
	req.AppendHeader(&sip.CSeqHeader{SeqNo: c.cseq, MethodName: method})
	req.AppendHeader(c.p.contact.Clone())
	return req, nil
}

// request sends an in-dialog request on an answered call and returns the
// final response. A 2xx to a re-INVITE is ACKed.
func (c *Call) request(ctx context.Context, method sip.RequestMethod, contentType string, body []byte, headers ...sip.Header) (*sip.Response, error) {
	c.reqMu.Lock()
	defer c.reqMu.Unlock()
	req, err := c.newRequest(method)
	if err != nil {
		return nil, err
	}
	for _, h := range headers {
		req.AppendHeader(h)
	}
	if body != nil {
		ct := sip.ContentTypeHeader(contentType)
		req.AppendHeader(&ct)
		req.SetBody(body)
	}
	res, err := c.p.client.Do(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("call %s: %s: %w", c.id, method, err)
	}
	if method == sip.INVITE && res.IsSuccess() {
		ack, err := c.newRequest(sip.ACK)
		if err == nil {
			err = c.p.client.WriteRequest(ack)
		}
		if err != nil {
			return nil, fmt.Errorf("call %s: ACK of re-INVITE: %w", c.id, err)
		}
	}
	return res, nil
}

// SendDTMF sends the digits (0-9, *, #, A-D) as SIP INFO
// application/dtmf-relay, one request per digit, each waiting for its 200.
func (c *Call) SendDTMF(ctx context.Context, digits string) error {
	for _, r := range strings.ToUpper(digits) {
		if !strings.ContainsRune("0123456789*#ABCD", r) {
			return fmt.Errorf("call %s: SendDTMF: bad digit %q", c.id, r)
		}
	}
	for _, r := range strings.ToUpper(digits) {
		body := fmt.Sprintf("Signal=%c\r\nDuration=160\r\n", r)
		res, err := c.request(ctx, sip.INFO, "application/dtmf-relay", []byte(body))
		if err != nil {
			return err
		}
		if !res.IsSuccess() {
			return fmt.Errorf("call %s: INFO %c: %d %s", c.id, r, res.StatusCode, res.Reason)
		}
		c.p.record(EventDTMF, Local, c.id, string(r))
	}
	return nil
}

// BlindTransfer asks the PBX, with a REFER on this call, to transfer the
// other party to target (an extension or number, sent as sip:target@PBX).
// Like a real phone it then waits for the NOTIFY reporting the final outcome
// (all NOTIFYs are recorded as EventNotify) and, on success, hangs this call
// up with a BYE. It fails if the REFER is refused or the transfer fails; the
// call then stays up.
func (c *Call) BlindTransfer(ctx context.Context, target string) error {
	return c.refer(ctx, fmt.Sprintf("<sip:%s@%s>", target, c.pbxHostPort()))
}

// AttendedTransfer connects the other party of this call with the other
// party of other (another answered call of the same phone): a REFER on this
// call whose Refer-To carries Replaces for other's dialog. As BlindTransfer,
// it hangs this call up once the PBX reports success; the PBX ends other
// itself.
func (c *Call) AttendedTransfer(ctx context.Context, other *Call) error {
	if other == nil || other.p != c.p || other == c {
		return fmt.Errorf("call %s: AttendedTransfer: need another call of the same phone", c.id)
	}
	other.mu.Lock()
	state, localTag, remoteTag := other.state, other.localTag, other.remoteTag
	other.mu.Unlock()
	if state != stateAnswered {
		return fmt.Errorf("call %s: AttendedTransfer: call %s is not up", c.id, other.id)
	}
	user := other.to.User // whom the other call reaches
	if other.inbound {
		user = other.from.User
	}
	// Tags as the PBX sees them: to-tag is its tag, from-tag is ours.
	replaces := other.id + ";to-tag=" + remoteTag + ";from-tag=" + localTag
	return c.refer(ctx, fmt.Sprintf("<sip:%s@%s?Replaces=%s>", user, c.pbxHostPort(), url.QueryEscape(replaces)))
}

func (c *Call) pbxHostPort() string {
	return net.JoinHostPort(c.p.pbxHost, strconv.Itoa(c.p.pbxPort))
}

// refer sends a REFER, waits for the final NOTIFY and hangs up on success.
func (c *Call) refer(ctx context.Context, referTo string) error {
	for len(c.referred) > 0 { // left over from an earlier REFER
		<-c.referred
	}
	res, err := c.request(ctx, sip.REFER, "", nil,
		sip.NewHeader("Refer-To", referTo),
		sip.NewHeader("Referred-By", fmt.Sprintf("<sip:%s@%s>", c.p.cfg.User, c.p.pbxHost)))
	if err != nil {
		return err
	}
	c.p.record(EventRefer, Local, c.id, fmt.Sprintf("%s -> %d %s", referTo, res.StatusCode, res.Reason))
	if !res.IsSuccess() {
		return fmt.Errorf("call %s: REFER: %d %s", c.id, res.StatusCode, res.Reason)
	}
	for {
		select {
		case code := <-c.referred:
			switch {
			case code < 200:
				continue
			case code < 300:
				return c.Hangup(ctx)
			default:
				return fmt.Errorf("call %s: transfer failed: NOTIFY reports %d", c.id, code)
			}
		case <-c.ended: // the PBX hung up itself
			return nil
		case <-ctx.Done():
			return fmt.Errorf("call %s: waiting for the outcome of the transfer: %w", c.id, ctx.Err())
		}
	}
}

// gotReferNotify takes the status line of a REFER NOTIFY's sipfrag body
// ("SIP/2.0 200 OK").
func (c *Call) gotReferNotify(statusLine string) {
	f := strings.Fields(statusLine)
	if len(f) < 2 {
		return
	}
	code, err := strconv.Atoi(f[1])
	if err != nil {
		return
	}
	select {
	case c.referred <- code:
	default:
	}
}

// Hold puts the call on hold with a re-INVITE offering a=sendonly.
func (c *Call) Hold(ctx context.Context) error { return c.reinvite(ctx, sendonly) }

// Unhold takes the call off hold with a re-INVITE offering a=sendrecv.
func (c *Call) Unhold(ctx context.Context) error { return c.reinvite(ctx, sendrecv) }

func (c *Call) reinvite(ctx context.Context, direction string) error {
	res, err := c.request(ctx, sip.INVITE, "application/sdp", c.sdp([]string{"0", "8"}, direction),
		sip.NewHeader("Allow", allowed))
	if err != nil {
		return err
	}
	if !res.IsSuccess() {
		return fmt.Errorf("call %s: re-INVITE: %d %s", c.id, res.StatusCode, res.Reason)
	}
	c.p.record(EventReinvite, Local, c.id, direction+", answered "+parseSDP(res.Body()).direction)
	return nil
}
