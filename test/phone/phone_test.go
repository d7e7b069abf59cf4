//go:build integration

// These tests run against the real Asterisk of the test bed (test/asterisk),
// which TestMain brings up if it is down, hence the integration build tag
// (make integration). They use only extensions 1005-1009 and the carrier
// address 127.0.0.1:5090.
package phone_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/test/phone"
)

const (
	pbx     = "127.0.0.1:5060"
	waitFor = 15 * time.Second // bound of every wait; nothing is timed
)

func TestMain(m *testing.M) {
	if _, err := asteriskCLI("core show version"); err != nil {
		if out, err := exec.Command("bash", filepath.Join(asteriskDir(), "up.sh")).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "test bed is down and up.sh failed: %v\n%s", err, out)
			os.Exit(1)
		}
	}
	hangupStaleChannels()
	before := runtime.NumGoroutine()
	code := m.Run()
	hangupStaleChannels()
	if code == 0 && !goroutinesBackTo(before, 10*time.Second) {
		buf := make([]byte, 1<<20)
		fmt.Fprintf(os.Stderr, "goroutines leaked: %d before, %d after\n%s\n",
			before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		code = 1
	}
	os.Exit(code)
}

// ourChannel tells whether an Asterisk channel belongs to the phones of
// these tests (the lead's tests use 1000-1004).
func ourChannel(name string) bool {
	for _, p := range []string{"PJSIP/1005-", "PJSIP/1006-", "PJSIP/1007-", "PJSIP/1008-", "PJSIP/1009-", "PJSIP/carrier-"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// channels returns Asterisk's channels of our phones: name -> bridge ID.
func channels() map[string]string {
	out, _ := asteriskCLI("core show channels concise")
	chans := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		// Channel!Context!Exten!Priority!State!Application!Data!CallerID!
		// Accountcode!PeerAccount!AMAFlags!Duration!BridgeID!Uniqueid
		f := strings.Split(strings.TrimSpace(line), "!")
		if len(f) >= 13 && ourChannel(f[0]) {
			chans[f[0]] = f[12]
		}
	}
	return chans
}

// hangupStaleChannels hangs up channels left over by an earlier, aborted run
// (Asterisk keeps a call up when a phone vanishes without a BYE).
func hangupStaleChannels() {
	for name := range channels() {
		asteriskCLI("channel request hangup " + name)
	}
}

// hasChannel tells whether Asterisk has a channel whose name starts with
// prefix ("PJSIP/1005-"); bridged also asks for it to be in a bridge.
func hasChannel(prefix string, bridged bool) bool {
	for name, bridge := range channels() {
		if strings.HasPrefix(name, prefix) && (bridge != "" || !bridged) {
			return true
		}
	}
	return false
}

// waitBridged waits until the channel of each extension is in a bridge:
// Asterisk refuses to transfer a call that is not bridged yet (NOTIFY 400),
// and Dial bridges the call only just after it has passed the answer on.
func waitBridged(t *testing.T, extensions ...string) {
	t.Helper()
	for _, ext := range extensions {
		eventually(t, ext+" bridged", func() bool { return hasChannel("PJSIP/"+ext+"-", true) })
	}
}

func goroutinesBackTo(n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

func asteriskDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "asterisk")
}

func asteriskCLI(command string) (string, error) {
	out, err := exec.Command("bash", filepath.Join(asteriskDir(), "cli.sh"), command).CombinedOutput()
	return string(out), err
}

func cli(t *testing.T, command string) string {
	t.Helper()
	out, err := asteriskCLI(command)
	if err != nil {
		t.Fatalf("cli.sh %q: %v\n%s", command, err, out)
	}
	return out
}

// eventually polls cond until it holds or waitFor passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, waitFor)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), waitFor)
	t.Cleanup(cancel)
	return c
}

// newPhone creates extension user (1005-1009) on 127.0.0.1:60xx with media
// on 260xx; it is closed, and its events logged on failure, at the end.
func newPhone(t *testing.T, user string) *phone.Phone {
	t.Helper()
	n, _ := strconv.Atoi(user)
	return start(t, phone.Config{
		User: user, Password: "pw" + user, PBX: pbx,
		Listen: fmt.Sprintf("127.0.0.1:%d", 5000+n), MediaPort: 25000 + n, // SIP port + 20000
	})
}

// registered is newPhone plus Register.
func registered(t *testing.T, user string) *phone.Phone {
	t.Helper()
	p := newPhone(t, user)
	if err := p.Register(ctx(t)); err != nil {
		t.Fatal(err)
	}
	return p
}

// newCarrier creates the carrier peer on 127.0.0.1:5090.
func newCarrier(t *testing.T) *phone.Phone {
	t.Helper()
	return start(t, phone.Config{User: "carrier", Listen: "127.0.0.1:5090", PBX: pbx, MediaPort: 25090})
}

func start(t *testing.T, cfg phone.Config) *phone.Phone {
	t.Helper()
	p, err := phone.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Close()
		if t.Failed() {
			for _, e := range p.Events() {
				t.Logf("%s: %s", cfg.User, e)
			}
		}
	})
	return p
}

func incoming(t *testing.T, p *phone.Phone) *phone.Call {
	t.Helper()
	c, err := p.Incoming(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func dial(t *testing.T, p *phone.Phone, number string, opts ...phone.DialOption) *phone.Call {
	t.Helper()
	c, err := p.Dial(ctx(t), number, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func answered(t *testing.T, calls ...*phone.Call) {
	t.Helper()
	for _, c := range calls {
		if err := c.WaitAnswered(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
}

// ends waits for the end of c and checks who ended it and how.
func ends(t *testing.T, c *phone.Call, by phone.Side, reason phone.Reason) phone.Ending {
	t.Helper()
	e, err := c.WaitEnded(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if e.By != by || e.Reason != reason {
		t.Fatalf("call %s ended %s, want %s by %s", c.ID(), e, reason, by)
	}
	return e
}

func hangup(t *testing.T, c *phone.Call) {
	t.Helper()
	if err := c.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
}

// kinds lists the kinds of events, for order checks.
func kinds(events []phone.Event) string {
	var s []string
	for _, e := range events {
		s = append(s, fmt.Sprintf("%s/%s", e.Kind, e.By))
	}
	return strings.Join(s, " ")
}

// lastEvent returns the last event of a kind of a call.
func lastEvent(c *phone.Call, kind phone.EventKind) phone.Event {
	var last phone.Event
	for _, e := range c.Events() {
		if e.Kind == kind {
			last = e
		}
	}
	return last
}

func TestRegisterUnregister(t *testing.T) {
	p := newPhone(t, "1005")
	if err := p.Register(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if out := cli(t, "pjsip show contacts"); !strings.Contains(out, "1005/sip:1005@127.0.0.1:6005") {
		t.Fatalf("contact of 1005 missing:\n%s", out)
	}
	if err := p.Unregister(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if out := cli(t, "pjsip show contacts"); strings.Contains(out, "1005/sip:") {
		t.Fatalf("contact of 1005 still there:\n%s", out)
	}
	if got := kinds(p.Events()); got != "registered/local unregistered/local" {
		t.Fatalf("events %q", got)
	}
	// The carrier does not register.
	if err := newCarrier(t).Register(ctx(t)); err == nil {
		t.Fatal("carrier registered")
	}
}

func TestOriginateRingsAnswersHangsUp(t *testing.T) {
	p := registered(t, "1005")
	p.SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
	go asteriskCLI("channel originate PJSIP/1005 application Echo")

	c := incoming(t, p)
	if !c.Inbound() || c.RequestUser() != "1005" {
		t.Fatalf("inbound %v, request user %q", c.Inbound(), c.RequestUser())
	}
	answered(t, c)
	eventually(t, "channel of 1005 up", func() bool { return hasChannel("PJSIP/1005-", false) })
	hangup(t, c)
	ends(t, c, phone.Local, phone.ReasonBye)
	if got := kinds(c.Events()); got != "invite/remote ringing/local answered/local bye/local" {
		t.Fatalf("events %q", got)
	}
	eventually(t, "channel of 1005 gone", func() bool { return !hasChannel("PJSIP/1005-", false) })
}

func TestHangupAfter(t *testing.T) {
	p := registered(t, "1005")
	p.SetAnswer(phone.AnswerAfter(0).HangupAfter(500 * time.Millisecond))
	go asteriskCLI("channel originate PJSIP/1005 application Echo")
	c := incoming(t, p)
	ends(t, c, phone.Local, phone.ReasonBye)
}

func TestBusy(t *testing.T) {
	caller, callee := registered(t, "1006"), registered(t, "1007")
	callee.SetAnswer(phone.Busy())
	out := dial(t, caller, "1007")
	in := incoming(t, callee)
	if e := ends(t, in, phone.Local, phone.ReasonRejected); e.Code != 486 {
		t.Fatalf("callee sent %d", e.Code)
	}
	if e := ends(t, out, phone.Remote, phone.ReasonRejected); e.Code != 486 {
		t.Fatalf("caller got %d", e.Code)
	}
	if err := out.WaitAnswered(ctx(t)); err == nil {
		t.Fatal("busy call answered")
	}
}

func TestNeverAnswerCancel(t *testing.T) {
	caller, callee := registered(t, "1006"), registered(t, "1007")
	callee.SetAnswer(phone.NeverAnswer())
	out := dial(t, caller, "1007")
	in := incoming(t, callee)
	if _, err := caller.WaitEvent(ctx(t), func(e phone.Event) bool {
		return e.CallID == out.ID() && e.Kind == phone.EventRinging
	}); err != nil {
		t.Fatal(err)
	}
	hangup(t, out) // CANCEL
	ends(t, out, phone.Local, phone.ReasonCancel)
	ends(t, in, phone.Remote, phone.ReasonCancel)
	if got := kinds(in.Events()); got != "invite/remote ringing/local cancel/remote" {
		t.Fatalf("callee events %q", got)
	}
}

func TestManualAnswerAndReject(t *testing.T) {
	caller, callee := registered(t, "1006"), registered(t, "1007")
	out := dial(t, caller, "1007") // default mode: ring until told
	in := incoming(t, callee)
	if err := in.Reject(ctx(t), 480); err != nil {
		t.Fatal(err)
	}
	ends(t, out, phone.Remote, phone.ReasonRejected)

	out = dial(t, caller, "1007")
	in = incoming(t, callee)
	if err := in.Answer(ctx(t)); err != nil {
		t.Fatal(err)
	}
	answered(t, out)
	hangup(t, in)
	ends(t, out, phone.Remote, phone.ReasonBye)
}

func TestExtensionToExtension(t *testing.T) {
	caller, callee := registered(t, "1006"), registered(t, "1007")
	callee.SetAnswer(phone.AnswerAfter(200 * time.Millisecond))
	out := dial(t, caller, "1007")
	in := incoming(t, callee)
	if in.CallerNumber() != "1006" || in.RequestUser() != "1007" {
		t.Fatalf("callee sees %q calling %q", in.CallerNumber(), in.RequestUser())
	}
	answered(t, out, in)

	if err := out.SendDTMF(ctx(t), "12#"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "DTMF relayed to the callee", func() bool { return in.DTMF() == "12#" })

	// Hold and unhold from both ends: the caller is the UAC of its dialog
	// with Asterisk, the callee the UAS of its own.
	for _, c := range []*phone.Call{out, in} {
		if err := c.Hold(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if got := lastEvent(c, phone.EventReinvite).Detail; got != "sendonly, answered recvonly" {
			t.Fatalf("hold: %q", got)
		}
		if err := c.Unhold(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if got := lastEvent(c, phone.EventReinvite).Detail; got != "sendrecv, answered sendrecv" {
			t.Fatalf("unhold: %q", got)
		}
	}

	hangup(t, out)
	ends(t, out, phone.Local, phone.ReasonBye)
	ends(t, in, phone.Remote, phone.ReasonBye)
	if got := kinds(out.Events()); !strings.HasPrefix(got, "invite/local ringing/remote answered/remote dtmf/local") ||
		!strings.HasSuffix(got, "bye/local") {
		t.Fatalf("caller events %q", got)
	}
}

func TestOutboundToCarrier(t *testing.T) {
	ext, carrier := registered(t, "1006"), newCarrier(t)
	carrier.SetAnswer(phone.AnswerAfter(200 * time.Millisecond))
	out := dial(t, ext, "3630111222")
	in := incoming(t, carrier)
	if in.RequestUser() != "3630111222" || in.CallerNumber() != "1006" {
		t.Fatalf("carrier sees %q calling %q", in.CallerNumber(), in.RequestUser())
	}
	answered(t, out, in)
	hangup(t, in)
	ends(t, out, phone.Remote, phone.ReasonBye)
}

func TestInboundFromCarrier(t *testing.T) {
	ext, carrier := registered(t, "1008"), newCarrier(t)
	ext.SetAnswer(phone.AnswerAfter(200 * time.Millisecond))
	out := dial(t, carrier, "36123451008", phone.WithCallerNumber("3630999888"))
	in := incoming(t, ext)
	if in.CallerNumber() != "3630999888" {
		t.Fatalf("1008 sees caller %q", in.CallerNumber())
	}
	answered(t, out, in)
	hangup(t, out)
	ends(t, in, phone.Remote, phone.ReasonBye)
}

func TestUnknownDIDIsRefused(t *testing.T) {
	carrier := newCarrier(t)
	out := dial(t, carrier, "3699999999", phone.WithCallerNumber("3630999888"))
	e, err := out.WaitEnded(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if e.By != phone.Remote || e.Reason != phone.ReasonRejected {
		t.Fatalf("call ended %s", e)
	}
}

func TestBlindTransfer(t *testing.T) {
	a, b, c := registered(t, "1006"), registered(t, "1007"), registered(t, "1008")
	b.SetAnswer(phone.AnswerAfter(0))
	c.SetAnswer(phone.AnswerAfter(200 * time.Millisecond))
	ab := dial(t, a, "1007")
	ba := incoming(t, b)
	answered(t, ab, ba)
	waitBridged(t, "1007")

	if err := ba.BlindTransfer(ctx(t), "1008"); err != nil {
		t.Fatal(err)
	}
	ends(t, ba, phone.Local, phone.ReasonBye) // 1007 hangs up after the final NOTIFY
	ca := incoming(t, c)
	answered(t, ca)
	if _, ended := ab.Ended(); ended {
		t.Fatal("transferred call ended")
	}
	hangup(t, ab)
	ends(t, ca, phone.Remote, phone.ReasonBye)
}

func TestAttendedTransfer(t *testing.T) {
	a, b, c := registered(t, "1006"), registered(t, "1007"), registered(t, "1008")
	b.SetAnswer(phone.AnswerAfter(0))
	c.SetAnswer(phone.AnswerAfter(0))
	ab := dial(t, a, "1007")
	ba := incoming(t, b)
	answered(t, ab, ba)
	ac := dial(t, a, "1008")
	ca := incoming(t, c)
	answered(t, ac, ca)
	waitBridged(t, "1007", "1008")

	if err := ab.AttendedTransfer(ctx(t), ac); err != nil {
		t.Fatal(err)
	}
	ends(t, ab, phone.Local, phone.ReasonBye)  // 1006 hangs up after the final NOTIFY
	ends(t, ac, phone.Remote, phone.ReasonBye) // replaced by Asterisk
	// b and c now talk to each other.
	if _, ended := ba.Ended(); ended {
		t.Fatal("1007 hung up by the transfer")
	}
	if _, ended := ca.Ended(); ended {
		t.Fatal("1008 hung up by the transfer")
	}
	hangup(t, ba)
	ends(t, ca, phone.Remote, phone.ReasonBye)
}

func TestCloseEndsCalls(t *testing.T) {
	caller, callee := registered(t, "1006"), registered(t, "1007")
	callee.SetAnswer(phone.AnswerAfter(0))
	out := dial(t, caller, "1007")
	in := incoming(t, callee)
	answered(t, out, in)

	caller.Close()
	ends(t, out, phone.Local, phone.ReasonBye)
	ends(t, in, phone.Remote, phone.ReasonBye)
	if _, err := caller.Dial(ctx(t), "1007"); err == nil {
		t.Fatal("closed phone dialled")
	}
	if _, err := caller.Incoming(ctx(t)); err == nil {
		t.Fatal("closed phone has incoming calls")
	}
	if out := cli(t, "pjsip show contacts"); strings.Contains(out, "1006/sip:") {
		t.Fatalf("Close did not unregister 1006:\n%s", out)
	}
}
