//go:build integration

package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/test/phone"
	"github.com/callctl/callctl/test/scenario"
	"github.com/callctl/callctl/test/testbed"
)

// appChannels is GET /applications/callctl's channel_ids, straight from
// Asterisk (what callctl's recovery reads).
func appChannels(t *testing.T) []string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:8088/ari/applications/callctl", nil)
	req.SetBasicAuth("callctl", "callctl")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var app struct {
		ChannelIDs []string `json:"channel_ids"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &app) != nil {
		t.Fatalf("GET /applications/callctl: %s %s", resp.Status, b)
	}
	return app.ChannelIDs
}

// callctl stops while a caller is in a menu: Asterisk keeps the channel in
// Stasis(callctl) (listed in GET /applications/callctl) and, when callctl
// connects again, sends no StasisStart for it. The new callctl finds it
// and sends it on: a DID of pbx.dids to its static destination (1001), a
// flow with a default step to that step (ringing 1003). The call's record
// is whole: the flow leg, then the line that answered.
func TestFlowRecoversCallsLeftInStasisByARestart(t *testing.T) {
	cases := []struct {
		name, did, answers, legs string
		action                   string
		kill                     bool // SIGKILL a callctl process, else stop the in-process one
	}{
		{"killed: a DID's static destination", "3612340300", "1001", "flow:200: direct:1001:ANSWER", "static", true},
		{"stopped: the flow's default step", "3612340380", "1003", "flow:280: direct:1003:ANSWER", "default", false},
	}
	ctx := ctxFor(t, 3*time.Minute)
	env, err := scenario.NewEnv(ctx, testbed.AllEvents(t)) // outlives the daemons
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dataDir := t.TempDir()
			stop := func() {}
			if c.kill {
				stop = daemonProcess(t, dataDir)
			} else {
				d := testbed.StartDaemon(t, func(cfg *daemonConfig) { cfg.DataDir = dataDir })
				stop = func() { d.Stop(t) }
			}
			env.Reset()
			env.Phone(c.answers).SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
			since := time.Now()
			call, err := env.Phone("carrier").Dial(ctx, c.did, phone.WithCallerNumber(scenario.Caller))
			if err != nil {
				t.Fatal(err)
			}
			defer call.Hangup(ctx)
			if err := call.WaitAnswered(ctx); err != nil { // the menu answers
				t.Fatal(err)
			}
			time.Sleep(time.Second) // in the menu, its prompt played
			stop()
			stopped := time.Now()
			time.Sleep(time.Second)
			inApp := appChannels(t)
			t.Logf("callctl stopped: channels still in Stasis(callctl): %v; %s", inApp,
				strings.TrimSpace(testbed.CLI(t, "ari show app callctl")))
			if len(inApp) != 1 {
				t.Fatalf("%d channels in the application, want the caller's", len(inApp))
			}
			d2 := testbed.StartDaemon(t, func(cfg *daemonConfig) { cfg.DataDir = dataDir })
			rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			got, err := env.Phone(c.answers).Incoming(rctx)
			if err == nil {
				err = got.WaitAnswered(ctx)
			}
			if err != nil {
				t.Fatalf("%s did not get the call after the restart: %v", c.answers, err)
			}
			t.Logf("%s answered %s after callctl stopped", c.answers, time.Since(stopped).Round(time.Millisecond))
			if err := env.WaitBridged(ctx, c.answers); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			call.Hangup(ctx)
			env.WaitIdle(ctx)
			r := recordsSince(t, d2, since, 1)[0]
			t.Logf("record %s→%s exten %s answered by %s billsec %d resynced %v, sub-records %s", r.Src, r.Dst, r.Exten, r.AnsweredBy, r.Billsec, r.Resynced, legsOf(r))
			if r.AnsweredBy != c.answers || legsOf(r) != c.legs || r.Src != scenario.Caller || r.Dst != c.did {
				t.Errorf("record answered by %s, sub-records %s, %s→%s; want %s, %s", r.AnsweredBy, legsOf(r), r.Src, r.Dst, c.answers, c.legs)
			}
			if v := metric(t, d2, `callctl_flowrun_recovered_total{action="`+c.action+`"}`); v != 1 {
				t.Errorf("recovered_total{action=%q} = %v, want 1", c.action, v)
			}
		})
	}
}

// daemonProcess runs callctl on dataDir in a process of its own (this test
// binary, TestHelperDaemonProcess) and returns once it is ready; the
// function it returns kills it (SIGKILL).
func daemonProcess(t *testing.T, dataDir string) (kill func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperDaemonProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "CALLCTL_TEST_DAEMON_DIR="+dataDir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "CALLCTL-DAEMON-READY") {
				close(ready)
			}
		}
	}()
	killed := false
	kill = func() {
		if !killed {
			killed = true
			cmd.Process.Kill()
			cmd.Wait()
		}
	}
	t.Cleanup(kill)
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("the callctl process did not get ready")
	}
	return kill
}

// TestHelperDaemonProcess is the callctl process of daemonProcess; it runs
// only under it, until it is killed.
func TestHelperDaemonProcess(t *testing.T) {
	dir := os.Getenv("CALLCTL_TEST_DAEMON_DIR")
	if dir == "" {
		t.Skip("only as the process of daemonProcess")
	}
	testbed.StartDaemon(t, func(cfg *daemonConfig) { cfg.DataDir = dir })
	fmt.Println("CALLCTL-DAEMON-READY")
	select {}
}

// The application's websocket drops while a caller is in a menu (the
// test bed's CLI shuts ARI's websocket sessions down) and callctl
// connects again within the same process: the flow that was running goes
// on (the caller's key, pressed after the reconnect, rings 1002), nothing
// is recovered twice, and no step failed.
func TestFlowSurvivesAnARIWebsocketDrop(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	ctx := ctxFor(t, time.Minute)
	env := phoneEnv(t, ctx, d)
	env.Phone("1002").SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
	since := time.Now()
	call, err := env.Phone("carrier").Dial(ctx, "3612340380", phone.WithCallerNumber(scenario.Caller))
	if err != nil {
		t.Fatal(err)
	}
	defer call.Hangup(ctx)
	if err := call.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	reconnects := metric(t, d, "callctl_ari_reconnects_total")
	t.Logf("%s", strings.TrimSpace(testbed.CLI(t, "ari shutdown websocket sessions")))
	if !testbed.Eventually(10*time.Second, func() bool {
		return metric(t, d, "callctl_ari_reconnects_total") != reconnects && d.Ready()
	}) {
		t.Fatalf("callctl did not reconnect (reconnects %v)", metric(t, d, "callctl_ari_reconnects_total"))
	}
	inApp := appChannels(t)
	t.Logf("reconnected; channels in Stasis(callctl): %v", inApp)
	if len(inApp) != 1 {
		t.Fatalf("%d channels in the application, want the caller's", len(inApp))
	}
	time.Sleep(1500 * time.Millisecond) // past the recovery's grace: the flow is still the one running
	if err := call.SendDTMF(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	got, err := env.Phone("1002").Incoming(ctx)
	if err == nil {
		err = got.WaitAnswered(ctx)
	}
	if err != nil {
		t.Fatalf("1002 did not get the call after the key: %v", err)
	}
	time.Sleep(time.Second)
	call.Hangup(ctx)
	env.WaitIdle(ctx)
	r := recordsSince(t, d, since, 1)[0]
	t.Logf("record answered by %s, ivr_digits %q, sub-records %s", r.AnsweredBy, r.IVRDigits, legsOf(r))
	if r.AnsweredBy != "1002" || r.IVRDigits != "1" || legsOf(r) != "flow:280: direct:1002:ANSWER" {
		t.Errorf("record answered by %s, ivr_digits %q, sub-records %s", r.AnsweredBy, r.IVRDigits, legsOf(r))
	}
	for _, a := range []string{"default", "static", "hangup", "busy", "gone"} {
		if v := metric(t, d, `callctl_flowrun_recovered_total{action="`+a+`"}`); v != 0 {
			t.Errorf("recovered_total{action=%q} = %v, want 0", a, v)
		}
	}
}
