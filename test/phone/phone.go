package phone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Config describes one phone.
type Config struct {
	User      string       // "1005", or "carrier" for the carrier peer
	Password  string       // digest password; "" for the carrier (no registration, no auth)
	Listen    string       // local UDP address (IPv4 literal), e.g. "127.0.0.1:6005"
	PBX       string       // Asterisk's SIP address, e.g. "127.0.0.1:5060"
	MediaPort int          // UDP port advertised in SDP; bound, and what arrives is discarded
	Logger    *slog.Logger // receives sipgo's own log; nil discards it
}

// ErrClosed is returned by a phone that has been closed.
var ErrClosed = errors.New("phone closed")

// registerExpiry is what Register asks for; the phone never refreshes.
const registerExpiry = 3600

// closeTimeout bounds the polite part of Close (hang up, unregister).
const closeTimeout = 5 * time.Second

// allowed lists the methods the phone handles, for Allow headers.
const allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, REFER"

// Phone is a SIP test phone. All its methods are safe for concurrent use.
type Phone struct {
	cfg     Config
	host    string // listen IP
	pbxHost string
	pbxPort int
	laddr   sip.Addr // local address every request is sent from

	ua       *sipgo.UserAgent
	client   *sipgo.Client
	server   *sipgo.Server
	dialogUA *sipgo.DialogUA
	contact  sip.ContactHeader // read-only once New returns
	sipConn  net.PacketConn
	media    net.PacketConn // RTP socket, drained

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // goroutines and request handlers of the phone

	incoming chan *Call

	regMu     sync.Mutex // serialises Register and Unregister
	regCallID string
	regTag    string
	regCSeq   uint32

	mu            sync.Mutex
	stopping      bool // no new work is accepted
	registered    bool
	answer        Answer
	calls         map[string]*Call // by Call-ID, while not ended
	events        []Event
	eventsChanged chan struct{}

	closeOnce sync.Once
}

// New creates a phone and starts listening on cfg.Listen and on the media
// port. It does not register; call Register for that.
func New(cfg Config) (*Phone, error) {
	if cfg.User == "" || cfg.Listen == "" || cfg.PBX == "" || cfg.MediaPort <= 0 {
		return nil, errors.New("phone: Config needs User, Listen, PBX and MediaPort")
	}
	host, port, err := splitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("phone: Listen: %w", err)
	}
	pbxHost, pbxPort, err := splitHostPort(cfg.PBX)
	if err != nil {
		return nil, fmt.Errorf("phone: PBX: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	p := &Phone{
		cfg: cfg, host: host, pbxHost: pbxHost, pbxPort: pbxPort,
		laddr:         sip.Addr{IP: net.ParseIP(host), Port: port, Hostname: host},
		incoming:      make(chan *Call, 64),
		regCallID:     sip.GenerateTagN(24) + "@" + host,
		regTag:        sip.GenerateTagN(16),
		calls:         make(map[string]*Call),
		eventsChanged: make(chan struct{}),
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.contact = sip.ContactHeader{
		Address: sip.Uri{Scheme: "sip", User: cfg.User, Host: host, Port: port},
		Params:  sip.NewParams(),
	}

	// Sockets first, so that a busy port fails New before anything runs.
	p.sipConn, err = net.ListenPacket("udp4", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("phone: %w", err)
	}
	// RTCP (MediaPort+1) is left alone: with media ports one apart (SIP
	// port + 20000) it is the next phone's RTP port.
	p.media, err = net.ListenPacket("udp4", net.JoinHostPort(host, strconv.Itoa(cfg.MediaPort)))
	if err != nil {
		p.closeSockets()
		return nil, fmt.Errorf("phone: media: %w", err)
	}

	p.ua, err = sipgo.NewUA(
		sipgo.WithUserAgent(cfg.User),
		sipgo.WithUserAgentHostname(host),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(log),
			// Late retransmissions of responses are of no interest.
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {}),
		),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
	)
	if err == nil {
		p.server, err = sipgo.NewServer(p.ua, sipgo.WithServerLogger(log))
	}
	if err == nil {
		p.client, err = sipgo.NewClient(p.ua, sipgo.WithClientLogger(log), sipgo.WithClientConnectionAddr(cfg.Listen))
	}
	if err != nil {
		p.closeSockets()
		if p.ua != nil {
			p.ua.Close()
		}
		return nil, fmt.Errorf("phone: %w", err)
	}
	p.dialogUA = &sipgo.DialogUA{Client: p.client, ContactHDR: p.contact}

	p.handle(sip.INVITE, p.onInvite)
	p.handle(sip.ACK, p.onAck)
	p.handle(sip.BYE, p.onBye)
	p.handle(sip.CANCEL, p.onCancel)
	p.handle(sip.OPTIONS, p.onOptions)
	p.handle(sip.INFO, p.onInfo)
	p.handle(sip.NOTIFY, p.onNotify)
	p.handle(sip.UPDATE, p.onUpdate)

	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		_ = p.server.ServeUDP(p.sipConn) // returns when sipConn is closed
	}()
	go func() {
		defer p.wg.Done()
		buf := make([]byte, 2048)
		for {
			if _, _, err := p.media.ReadFrom(buf); err != nil {
				return // closed
			}
		}
	}()

	// Requests are sent from the listening socket: wait until sipgo knows it.
	deadline := time.Now().Add(2 * time.Second)
	for {
		if c, err := p.ua.TransportLayer().GetConnection("udp", p.laddr.String()); err == nil {
			_, _ = c.TryClose() // GetConnection took a reference
			break
		}
		if time.Now().After(deadline) {
			p.Close()
			return nil, errors.New("phone: SIP listener did not start")
		}
		time.Sleep(time.Millisecond)
	}
	return p, nil
}

func splitHostPort(addr string) (string, int, error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	if ip := net.ParseIP(host); ip == nil || ip.To4() == nil {
		return "", 0, fmt.Errorf("%q is not an IPv4 address", host)
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port in %q", addr)
	}
	return host, port, nil
}

// User returns the configured user ("1005", "carrier").
func (p *Phone) User() string { return p.cfg.User }

// Addr returns the local SIP address.
func (p *Phone) Addr() string { return p.cfg.Listen }

// Close hangs up the calls that are still up, unregisters if registered
// (both best effort, bounded by a few seconds), then stops listening and
// waits for the phone's goroutines. Calls still not ended end with
// ReasonClosed. Close is idempotent and always returns nil.
func (p *Phone) Close() error {
	p.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		for _, c := range p.liveCalls() {
			_ = c.Hangup(ctx)
		}
		p.mu.Lock()
		registered := p.registered
		p.mu.Unlock()
		if registered && ctx.Err() == nil {
			_ = p.Unregister(ctx)
		}
		cancel()

		p.mu.Lock()
		p.stopping = true
		p.mu.Unlock()
		p.cancel()
		p.closeSockets() // makes pending sends fail fast and ends ServeUDP
		p.ua.Close()     // terminates all transactions
		p.wg.Wait()
		for _, c := range p.liveCalls() {
			c.end(EventFailed, Ending{By: Local, Reason: ReasonClosed, Detail: "phone closed"})
		}
	})
	return nil
}

func (p *Phone) closeSockets() {
	if p.sipConn != nil {
		p.sipConn.Close()
	}
	if p.media != nil {
		p.media.Close()
	}
}

// track registers one unit of work (a handler, a goroutine) that Close waits
// for. It fails once Close has begun to stop the phone.
func (p *Phone) track() (done func(), ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping {
		return nil, false
	}
	p.wg.Add(1)
	return p.wg.Done, true
}

// handle installs a request handler that Close waits for.
func (p *Phone) handle(method sip.RequestMethod, h func(*sip.Request, sip.ServerTransaction)) {
	p.server.OnRequest(method, func(req *sip.Request, tx sip.ServerTransaction) {
		done, ok := p.track()
		if !ok {
			if !req.IsAck() {
				respond(req, tx, 503)
			}
			return
		}
		defer done()
		h(req, tx)
	})
}

func respond(req *sip.Request, tx sip.ServerTransaction, code int) {
	_ = tx.Respond(sip.NewResponseFromRequest(req, code, reasonPhrase(code), nil))
}

// SetAnswer sets what the phone does with every incoming call from now on.
func (p *Phone) SetAnswer(a Answer) {
	p.mu.Lock()
	p.answer = a
	p.mu.Unlock()
}

// Incoming returns the next incoming call, in arrival order. A call is
// queued when its INVITE arrives, before the phone rings or answers.
func (p *Phone) Incoming(ctx context.Context) (*Call, error) {
	select {
	case c := <-p.incoming:
		return c, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("phone %s: waiting for an incoming call: %w", p.cfg.User, ctx.Err())
	case <-p.ctx.Done():
		return nil, ErrClosed
	}
}

// Register registers the phone's contact with the PBX (digest auth).
func (p *Phone) Register(ctx context.Context) error { return p.register(ctx, registerExpiry) }

// Unregister removes the phone's contact from the PBX.
func (p *Phone) Unregister(ctx context.Context) error { return p.register(ctx, 0) }

func (p *Phone) register(ctx context.Context, expires int) error {
	if p.cfg.Password == "" {
		return fmt.Errorf("phone %s: no password: this phone does not register", p.cfg.User)
	}
	if p.ctx.Err() != nil {
		return ErrClosed
	}
	p.regMu.Lock()
	defer p.regMu.Unlock()

	aor := sip.Uri{Scheme: "sip", User: p.cfg.User, Host: p.pbxHost}
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: p.pbxHost, Port: p.pbxPort})
	req.AppendHeader(&sip.FromHeader{Address: aor, Params: sip.NewParams().Add("tag", p.regTag)})
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	callID := sip.CallIDHeader(p.regCallID)
	req.AppendHeader(&callID)
	p.regCSeq++
	req.AppendHeader(&sip.CSeqHeader{SeqNo: p.regCSeq, MethodName: sip.REGISTER})
	req.AppendHeader(p.contact.Clone())
	exp := sip.ExpiresHeader(expires)
	req.AppendHeader(&exp)

	res, err := p.client.Do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) {
		res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.cfg.User, Password: p.cfg.Password})
		p.regCSeq = req.CSeq().SeqNo
	}
	if err != nil {
		return fmt.Errorf("phone %s: REGISTER: %w", p.cfg.User, err)
	}
	if res.StatusCode != 200 {
		return fmt.Errorf("phone %s: REGISTER: %d %s", p.cfg.User, res.StatusCode, res.Reason)
	}
	p.mu.Lock()
	p.registered = expires > 0
	p.mu.Unlock()
	if expires > 0 {
		p.record(EventRegistered, Local, "", fmt.Sprintf("expires %d", expires))
	} else {
		p.record(EventUnregistered, Local, "", "")
	}
	return nil
}

// Dial sends an INVITE for number to the PBX and returns the call at once,
// while it rings; use Call.WaitAnswered or Call.WaitEnded. The INVITE is
// authenticated with the phone's password when challenged (not at all for
// the carrier). ctx only bounds sending the INVITE.
func (p *Phone) Dial(ctx context.Context, number string, opts ...DialOption) (*Call, error) {
	done, ok := p.track()
	if !ok {
		return nil, ErrClosed
	}
	o := dialOptions{callerNumber: p.cfg.User}
	for _, opt := range opts {
		opt(&o)
	}

	c := p.newCall(false)
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: number, Host: p.pbxHost, Port: p.pbxPort})
	from := &sip.FromHeader{
		DisplayName: o.callerName,
		Address:     sip.Uri{Scheme: "sip", User: o.callerNumber, Host: p.pbxHost},
		Params:      sip.NewParams().Add("tag", sip.GenerateTagN(16)),
	}
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: number, Host: p.pbxHost}, Params: sip.NewParams()})
	req.AppendHeader(p.contact.Clone())
	req.AppendHeader(sip.NewHeader("Allow", allowed))
	for _, h := range o.headers {
		req.AppendHeader(sip.NewHeader(h[0], h[1]))
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(c.sdp([]string{"0", "8"}, sendrecv))

	sess, err := p.dialogUA.WriteInvite(ctx, req)
	if err != nil {
		done()
		return nil, fmt.Errorf("phone %s: INVITE %s: %w", p.cfg.User, number, err)
	}
	// setInvite copies req before runOutbound may change it (auth).
	c.setInvite(req, sess, nil)
	p.addCall(c)
	p.record(EventInvite, Local, c.id, c.from.User+" -> "+number)
	go func() {
		defer done()
		c.runOutbound()
	}()
	return c, nil
}

// newCall makes an empty call of this phone.
func (p *Phone) newCall(inbound bool) *Call {
	c := &Call{
		p:         p,
		inbound:   inbound,
		sessionID: time.Now().UnixNano() % 1e9,
		decide:    make(chan decision, 1),
		referred:  make(chan int, 16),
		acked:     make(chan struct{}),
		cancelled: make(chan struct{}),
		answered:  make(chan struct{}),
		ended:     make(chan struct{}),
	}
	c.ctx, c.cancel = context.WithCancel(p.ctx)
	return c
}

func (p *Phone) addCall(c *Call) {
	p.mu.Lock()
	p.calls[c.id] = c
	p.mu.Unlock()
}

func (p *Phone) removeCall(c *Call) {
	p.mu.Lock()
	if p.calls[c.id] == c {
		delete(p.calls, c.id)
	}
	p.mu.Unlock()
}

func (p *Phone) call(req *sip.Request) *Call {
	id := req.CallID()
	if id == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[id.Value()]
}

func (p *Phone) liveCalls() []*Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	calls := make([]*Call, 0, len(p.calls))
	for _, c := range p.calls {
		calls = append(calls, c)
	}
	return calls
}

// onInvite handles new calls and re-INVITEs.
func (p *Phone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		p.onReinvite(req, tx)
		return
	}
	if req.CallID() == nil || req.From() == nil || req.To() == nil || req.CSeq() == nil || req.Contact() == nil {
		respond(req, tx, 400)
		return
	}
	c := p.newCall(true)
	c.setInvite(req, nil, tx)
	p.mu.Lock()
	mode := p.answer
	p.mu.Unlock()
	p.addCall(c)
	p.record(EventInvite, Remote, c.id, c.from.User+" -> "+c.to.User)
	select {
	case p.incoming <- c:
	default: // nobody reads Incoming; the call still rings
	}
	c.runInbound(req, mode)
}

// onReinvite answers a re-INVITE of a known call with the same SDP, its
// direction mirroring the offer.
func (p *Phone) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c := p.call(req)
	if c == nil {
		respond(req, tx, 481)
		return
	}
	offer := parseSDP(req.Body())
	res := sip.NewSDPResponseFromRequest(req, c.sdp([]string{offer.answerFormat()}, answerDirection(offer.direction)))
	res.AppendHeader(p.contact.Clone())
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	detail := offer.direction
	if len(req.Body()) == 0 {
		detail = "no SDP"
	}
	p.record(EventReinvite, Remote, c.id, detail)
	_ = tx.Respond(res)
}

func (p *Phone) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if c := p.call(req); c != nil {
		c.gotAck()
	}
}

func (p *Phone) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := p.call(req)
	if c == nil {
		respond(req, tx, 481)
		return
	}
	c.gotBye(req, tx)
}

// onCancel sees only CANCELs that match no INVITE transaction: sipgo
// answers the others itself (200, then 487 for the INVITE).
func (p *Phone) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	respond(req, tx, 481)
}

func (p *Phone) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	res.AppendHeader(sip.NewHeader("Accept", "application/sdp, application/dtmf-relay"))
	_ = tx.Respond(res)
}

// onInfo collects DTMF (application/dtmf-relay "Signal=5" or
// application/dtmf "5") and answers any other INFO with 200 too.
func (p *Phone) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := p.call(req)
	if c == nil {
		respond(req, tx, 481)
		return
	}
	respond(req, tx, 200)
	if digit := dtmfDigit(req); digit != "" {
		c.gotDTMF(digit)
	}
}

func dtmfDigit(req *sip.Request) string {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = strings.ToLower(h.Value())
	}
	body := strings.TrimSpace(string(req.Body()))
	switch {
	case strings.HasPrefix(ct, "application/dtmf-relay"):
		for _, line := range strings.Split(body, "\n") {
			k, v, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				return strings.TrimSpace(v)
			}
		}
	case strings.HasPrefix(ct, "application/dtmf"):
		return body
	}
	return ""
}

// onNotify accepts every NOTIFY; those of a call (REFER progress) are
// recorded with their event package and the first line of the body.
func (p *Phone) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	respond(req, tx, 200)
	id := ""
	if h := req.CallID(); h != nil {
		id = h.Value()
	}
	event := ""
	if h := req.GetHeader("Event"); h != nil {
		event = h.Value()
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(req.Body())), "\n")
	first = strings.TrimSpace(first)
	p.record(EventNotify, Remote, id, strings.TrimSpace(event+" "+first))
	if c := p.call(req); c != nil && strings.HasPrefix(strings.ToLower(event), "refer") {
		c.gotReferNotify(first)
	}
}

// onUpdate accepts UPDATE (Asterisk may use it for connected line updates).
func (p *Phone) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	c := p.call(req)
	if c == nil {
		respond(req, tx, 481)
		return
	}
	var res *sip.Response
	if len(req.Body()) > 0 {
		offer := parseSDP(req.Body())
		res = sip.NewSDPResponseFromRequest(req, c.sdp([]string{offer.answerFormat()}, answerDirection(offer.direction)))
	} else {
		res = sip.NewResponseFromRequest(req, 200, "OK", nil)
	}
	res.AppendHeader(p.contact.Clone())
	p.record(EventUpdate, Remote, c.id, "")
	_ = tx.Respond(res)
}
