//go:build integration

package integration

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/ari"
	"github.com/callctl/callctl/daemon"
	"github.com/callctl/callctl/test/phone"
	"github.com/callctl/callctl/test/scenario"
	"github.com/callctl/callctl/test/testbed"
)

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// connected waits until p gets a call and answers it, and until the
// caller sees the answer (a hangup that crosses it is a CANCEL the phone
// follows with a BYE Asterisk ignores until its 200 OK times out, 32 s).
func connected(ctx context.Context, call *phone.Call, p *phone.Phone) error {
	got, err := p.Incoming(ctx)
	if err == nil {
		err = got.WaitAnswered(ctx)
	}
	if err == nil {
		err = call.WaitAnswered(ctx)
	}
	return err
}

// phoneEnv registers the test bed's SIP phones for a test of daemon d;
// they are unregistered at the test's end.
func phoneEnv(t *testing.T, ctx context.Context, d *testbed.Daemon) *scenario.Env {
	t.Helper()
	env, err := scenario.NewEnv(ctx, d.AMI())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	return env
}

// Two Local channels waiting in the test context, as the list's content.
func TestCoreShowChannelsIsOneCollectedList(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, 20*time.Second)
	resp, err := d.AMI().Originate(ctx, ami.Action{Headers: map[string]string{
		"Channel": "Local/wait@callctl-test", "Application": "Wait", "Data": "5",
	}})
	if err != nil || resp["Response"] != "Success" {
		t.Fatalf("originate: %v %v", err, resp)
	}
	_, items, err := d.AMI().List(ctx, ami.Action{Name: "CoreShowChannels"})
	if err != nil {
		t.Fatal(err)
	}
	var ours []string
	for _, it := range items {
		if strings.HasPrefix(it["Channel"], "Local/wait@callctl-test") {
			ours = append(ours, it["Channel"])
		}
	}
	if len(ours) != 2 {
		t.Fatalf("got %d callctl-test channels in %d items, want the 2 halves of the Local channel: %v", len(ours), len(items), ours)
	}
	hangupAll(t, d, ours)
}

func hangupAll(t *testing.T, d *testbed.Daemon, channels []string) {
	for _, ch := range channels {
		d.AMI().Action(ctxFor(t, 5*time.Second), ami.Action{Name: "Hangup", Headers: map[string]string{"Channel": ch}})
	}
}

// Variables with the characters Asterisk's argument parser treats specially
// reach the channel unchanged.
func TestVariablesReachTheChannelUnchanged(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, 20*time.Second)
	want := `a,b "q" (p) [s] \x =y`
	sub := d.AMI().Subscribe("test", 0)
	defer sub.Close()
	_, err := d.AMI().Originate(ctx, ami.Action{
		Headers:   map[string]string{"Channel": "Local/wait@callctl-test", "Application": "Wait", "Data": "5"},
		Variables: map[string]string{"CALLCTL_TEST": want, "WAITSECS": "5"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var channel string
	for channel == "" {
		select {
		case e := <-sub.C():
			if e.Event() == "VarSet" && e["Variable"] == "CALLCTL_TEST" {
				channel = e["Channel"]
				if ami.Unescape(e["Value"]) != want {
					t.Errorf("VarSet value %q, want %q", e["Value"], want)
				}
			}
		case <-ctx.Done():
			t.Fatal("no VarSet of CALLCTL_TEST")
		}
	}
	resp, err := d.AMI().Action(ctx, ami.Action{Name: "Getvar", Headers: map[string]string{"Channel": channel, "Variable": "CALLCTL_TEST"}})
	if err != nil || resp["Value"] != want {
		t.Fatalf("Getvar = %q (%v), want %q", resp["Value"], err, want)
	}
	hangupAll(t, d, []string{channel})
}

// The injection LIBRARIES.md saw on the test bed is refused before the wire.
func TestInjectionNeverReachesAsterisk(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, 10*time.Second)
	_, err := d.AMI().Action(ctx, ami.Action{Name: "Originate", Headers: map[string]string{
		"Channel": "Local/wait@callctl-test",
		"Exten":   "100\r\nAction: Command\r\nCommand: core show uptime",
	}})
	if !errors.Is(err, ami.ErrInvalidValue) {
		t.Fatalf("err = %v, want ErrInvalidValue", err)
	}
}

func TestARIOriginateIntoStasisAndHangup(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, 20*time.Second)
	sub := d.ARI().Subscribe("test", 0)
	defer sub.Close()
	id := "it-ari-" + time.Now().Format("150405.000")
	ch, err := d.ARI().Originate(ctx, ari.OriginateParams{
		ID: id, Endpoint: "Local/wait@callctl-test", Timeout: 10 * time.Second,
		App: "callctl", AppArgs: []string{"test"}, Variables: map[string]string{"CALLCTL_TEST": "1"},
	})
	if err != nil || ch.ID != id {
		t.Fatalf("originate: %v %+v", err, ch)
	}
	waitARI(t, sub, func(e ari.Event) bool {
		return e.Type == "StasisStart" && e.Channel.ID == id && len(e.Args) == 1 && e.Args[0] == "test"
	})
	if err := d.ARI().Hangup(ctx, id, ""); err != nil {
		t.Fatal(err)
	}
	waitARI(t, sub, func(e ari.Event) bool { return e.Type == "ChannelDestroyed" && e.Channel.ID == id })
	if err := d.ARI().Hangup(ctx, id, ""); !ari.IsNotFound(err) {
		t.Fatalf("second hangup: %v, want 404", err)
	}
}

func waitARI(t *testing.T, sub *ari.Subscription, match func(ari.Event) bool) ari.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-sub.C():
			if match(e) {
				return e
			}
		case <-timeout:
			t.Fatal("expected ARI event did not arrive within 10 s")
			return ari.Event{}
		}
	}
}

// Restart Asterisk under a running daemon: /readyz goes 503, then 200 again
// within 10 s, and both event streams flow again.
func TestAsteriskRestartUnderARunningDaemon(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	amiSub := d.AMI().Subscribe("test", 0)
	defer amiSub.Close()
	ariSub := d.ARI().Subscribe("test", 0)
	defer ariSub.Close()

	testbed.Restart(t)
	restarted := time.Now()
	if !testbed.Eventually(10*time.Second, func() bool { return !d.Ready() }) {
		t.Fatal("/readyz never left 200 during the restart")
	}
	if !d.WaitReady(10 * time.Second) {
		t.Fatal("/readyz not 200 within 10 s of the restart")
	}
	t.Logf("ready again %v after up.sh returned", time.Since(restarted).Round(time.Millisecond))

	ctx := ctxFor(t, 20*time.Second)
	if _, err := d.AMI().Originate(ctx, ami.Action{Headers: map[string]string{
		"Channel": "Local/wait@callctl-test", "Application": "Wait", "Data": "1",
	}}); err != nil {
		t.Fatal(err)
	}
	sawConnected := false
	for {
		select {
		case e := <-amiSub.C():
			if e.Event() == ami.EventConnected {
				sawConnected = true
			}
			if e.Event() == "Newchannel" && strings.HasPrefix(e["Channel"], "Local/wait@callctl-test") {
				if !sawConnected {
					t.Error("no Connected event before the new session's events")
				}
				goto ari
			}
		case <-ctx.Done():
			t.Fatal("AMI events do not flow after the restart")
		}
	}
ari:
	id := "it-restart-" + time.Now().Format("150405.000")
	if _, err := d.ARI().Originate(ctx, ari.OriginateParams{ID: id, Endpoint: "Local/wait@callctl-test", Timeout: 5 * time.Second, App: "callctl"}); err != nil {
		t.Fatal(err)
	}
	waitARI(t, ariSub, func(e ari.Event) bool { return e.Type == "StasisStart" && e.Channel.ID == id })
	d.ARI().Hangup(ctx, id, "")
}

// An AMI Originate of PJSIP/1000 rings a real SIP phone, which answers; the
// channel's events arrive in order, Newchannel first and Hangup last.
func TestOriginateAnsweredByAPhone(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, 30*time.Second)
	p, err := phone.New(phone.Config{User: "1000", Password: "pw1000", PBX: "127.0.0.1:5060", Listen: "127.0.0.1:6000", MediaPort: 26000})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Register(ctx); err != nil {
		t.Fatal(err)
	}
	p.SetAnswer(phone.AnswerAfter(300 * time.Millisecond).HangupAfter(time.Second))
	sub := d.AMI().Subscribe("test", 0)
	defer sub.Close()
	resp, err := d.AMI().Originate(ctx, ami.Action{Headers: map[string]string{
		"Channel": "PJSIP/1000", "Application": "Echo", "Timeout": "10000",
	}})
	if err != nil || resp["Response"] != "Success" {
		t.Fatalf("originate: %v %v", err, resp)
	}
	call, err := p.Incoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := call.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	var seen []string
	uniqueid := ""
	for {
		select {
		case e := <-sub.C():
			if !strings.HasPrefix(e["Channel"], "PJSIP/1000-") {
				continue
			}
			if uniqueid == "" {
				uniqueid = e["Uniqueid"]
			}
			if e["Uniqueid"] != uniqueid {
				continue
			}
			seen = append(seen, e.Event())
			if e.Event() == "Hangup" {
				goto done
			}
		case <-ctx.Done():
			t.Fatalf("no Hangup; saw %v", seen)
		}
	}
done:
	if seen[0] != "Newchannel" {
		t.Fatalf("first event %s, want Newchannel: %v", seen[0], seen)
	}
	up := false
	for _, ev := range seen {
		up = up || ev == "Newstate"
	}
	if !up {
		t.Errorf("no Newstate between Newchannel and Hangup: %v", seen)
	}
}

// What the real Asterisk reads: a header line of 1,024 bytes (CR LF
// included) is read, one byte more is "line too long", answered without the
// message's ActionID when that header comes after the long line (the AMI
// library writes headers in map order). This is the limit package ami
// splits Variable headers by.
func TestAsteriskReadsLinesOf1024Bytes(t *testing.T) {
	cfg := daemon.DefaultConfig()
	conn, err := net.DialTimeout("tcp", cfg.AMI.Addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	// readMessage returns the next message that is not an event.
	readMessage := func() string {
		t.Helper()
		for {
			var msg strings.Builder
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					t.Fatalf("reading: %v (so far %q)", err, msg.String())
				}
				if line == "\r\n" {
					break
				}
				msg.WriteString(line)
			}
			if !strings.HasPrefix(msg.String(), "Event:") {
				return msg.String()
			}
		}
	}
	r.ReadString('\n') // banner
	fmt.Fprintf(conn, "Action: Login\r\nUsername: %s\r\nSecret: %s\r\nEvents: off\r\nActionID: login\r\n\r\n", cfg.AMI.Username, cfg.AMI.Secret)
	if m := readMessage(); !strings.Contains(m, "Response: Success") {
		t.Fatalf("login: %q", m)
	}
	send := func(id string, lineLen int) string {
		prefix := "Variable: X"
		line := prefix + strings.Repeat("y", lineLen-len(prefix)-2) + "\r\n"
		fmt.Fprintf(conn, "Action: Getvar\r\n%sActionID: %s\r\n\r\n", line, id)
		return readMessage()
	}
	if m := send("at-limit", 1024); !strings.Contains(m, "ActionID: at-limit") || strings.Contains(m, "too long") {
		t.Errorf("a line of 1,024 bytes: %q", m)
	}
	if m := send("over-limit", 1025); !strings.Contains(m, "line too long") || strings.Contains(m, "ActionID: over-limit") {
		t.Errorf("a line of 1,025 bytes: %q", m)
	}
}

// Variables that do not fit in one 1,024-byte line (four 255-byte values
// with escaped commas, a long recording path) reach the channel whole,
// split over several Variable headers.
func TestLongVariablesReachTheChannel(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, 20*time.Second)
	want := map[string]string{"WAITSECS": "5"}
	for i := 1; i <= 4; i++ {
		want[fmt.Sprintf("CALLCTL_TEST%d", i)] = strings.Repeat(fmt.Sprintf("%d,(x)", i), 51) // 255 bytes
	}
	want["CALLCTL_TEST_PATH"] = "/var/spool/asterisk/monitor/" + strings.Repeat("p/", 150) + strings.Repeat("f", 200) + ".wav"
	sub := d.AMI().Subscribe("test", 0)
	defer sub.Close()
	resp, err := d.AMI().Originate(ctx, ami.Action{
		Headers:   map[string]string{"Channel": "Local/wait@callctl-test", "Application": "Wait", "Data": "5"},
		Variables: want,
	})
	if err != nil || resp["Response"] != "Success" {
		t.Fatalf("originate: %v %v", err, resp)
	}
	var channel string
	for channel == "" {
		select {
		case e := <-sub.C():
			if e.Event() == "VarSet" && e["Variable"] == "CALLCTL_TEST_PATH" {
				channel = e["Channel"]
			}
		case <-ctx.Done():
			t.Fatal("no VarSet of CALLCTL_TEST_PATH")
		}
	}
	for name, value := range want {
		resp, err := d.AMI().Action(ctx, ami.Action{Name: "Getvar", Headers: map[string]string{"Channel": channel, "Variable": name}})
		if err != nil || resp["Value"] != value {
			t.Errorf("Getvar %s = %q (%v), want %q", name, resp["Value"], err, value)
		}
	}
	hangupAll(t, d, []string{channel})
}
