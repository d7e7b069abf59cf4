//go:build integration

package integration

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/callflow"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/test/phone"
	"github.com/callctl/callctl/test/scenario"
	"github.com/callctl/callctl/test/testbed"
)

// A dial over a Local channel returns the call's handle: callctl named
// both halves (ChannelId, OtherChannelId), Asterisk gave the call the ;1
// half's uniqueid as linkedid, and the CDR id is the one the finished
// record carries. Its outcome is kept and counted.
func TestDialReturnsTheCall(t *testing.T) {
	v := newVoipsunEnv(t)
	v.env.Phone("carrier").SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
	since := time.Now()
	ref, err := v.d.Core().Calls.Dial(v.ctx, callflow.DialRequest{
		Destination: scenario.External, OutRoute: callflow.RouteSelector{Name: "carrier"}, Context: "callctl-test-answered",
		CallerID: callflow.CallerID{Number: "3612345000", Name: "Dialer"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if ref.CallID == 0 || ref.Uniqueid == "" || ref.Linkedid != ref.Uniqueid {
		t.Fatalf("ref %+v", ref)
	}
	dst := answeredCall(t, v.ctx, v.env.Phone("carrier"))
	var live *cdr.LiveCall
	v.waitLive(t, func([]*cdr.LiveCall) bool {
		lc, ok := v.d.CDR().View().Channel(ref.Uniqueid)
		live = lc
		return ok && len(lc.Channels) == 3
	})
	var uniqueids []string
	for _, ch := range live.Channels {
		uniqueids = append(uniqueids, ch.Uniqueid)
	}
	if live.ID != ref.CallID || live.Linkedid != ref.Linkedid || !slices.Contains(uniqueids, ref.Uniqueid+";2") {
		t.Errorf("live call %+v, ref %+v", live, ref)
	}
	if !testbed.Eventually(5*time.Second, func() bool {
		o, ok := v.d.Core().Calls.Outcome(ref.CallID)
		return ok && o.Result == callflow.ResultAnswered
	}) {
		o, _ := v.d.Core().Calls.Outcome(ref.CallID)
		t.Errorf("outcome %+v", o)
	}
	resp, err := http.Get(v.d.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `callctl_calls_originate_total{action="dial_to_context",result="answered"} 1`) {
		t.Errorf("no answered dial in the metrics: %s", grepLines(string(metrics), "callctl_calls_originate_total"))
	}
	time.Sleep(1100 * time.Millisecond)
	dst.Hangup(v.ctx)
	v.idle(t)
	r := recordsSince(t, v.d, since, 1)[0]
	if r.ID != ref.CallID || r.Linkedid != ref.Linkedid {
		t.Errorf("record %d (%s), ref %+v", r.ID, r.Linkedid, ref)
	}
}

// A click-to-call's handle names the source line's channel and the call's
// record.
func TestClickToCallReturnsTheCall(t *testing.T) {
	v := newVoipsunEnv(t)
	v.env.Phone("1000").SetAnswer(phone.AnswerAfter(200 * time.Millisecond))
	v.env.Phone("carrier").SetAnswer(phone.AnswerAfter(200 * time.Millisecond).HangupAfter(time.Second))
	since := time.Now()
	ref, err := v.d.Core().Calls.ClickToCall(v.ctx, callflow.ClickToCallRequest{
		Source: callflow.LineSelector{InternalNumber: "1000"}, Destination: scenario.External,
	})
	if err != nil || ref.CallID == 0 || ref.Linkedid != ref.Uniqueid {
		t.Fatalf("ref %+v, %v", ref, err)
	}
	t.Logf("click-to-call with its handle in %v", time.Since(since))
	src := answeredCall(t, v.ctx, v.env.Phone("1000"))
	if src.From().User != scenario.External {
		t.Errorf("1000 saw %+v, want the destination number by default", src.From())
	}
	v.idle(t)
	if r := recordsSince(t, v.d, since, 1)[0]; r.ID != ref.CallID || r.Linkedid != ref.Linkedid || !slices.Contains(r.Uniqueids, ref.Uniqueid) {
		t.Errorf("record %d %s %v, ref %+v", r.ID, r.Linkedid, r.Uniqueids, ref)
	}
	if o, ok := v.d.Core().Calls.Outcome(ref.CallID); !ok || o.Result != callflow.ResultAnswered {
		t.Errorf("outcome %+v", o)
	}
}

// hangupcall ends only channels of callctl's lines and trunks: a channel
// of another kind on the PBX (here a Local channel of no line's call) is
// not found, and stays up.
func TestVoIPSUNHangupOnlyOurChannels(t *testing.T) {
	v := newVoipsunEnv(t)
	resp, err := v.d.AMI().Originate(v.ctx, ami.Action{Headers: map[string]string{
		"Channel": "Local/wait@callctl-test", "Application": "Wait", "Data": "10",
	}})
	if err != nil || resp["Response"] != "Success" {
		t.Fatalf("originate: %v %v", err, resp)
	}
	foreign := v.channelOf(t, "Local/wait@callctl-test", false)
	v.waitLive(t, func(calls []*cdr.LiveCall) bool {
		for _, c := range calls {
			for _, ch := range c.Channels {
				if ch.Name == foreign {
					return true
				}
			}
		}
		return false
	})
	wantErrno(t, v.api.call("hangupcall", "channelName", foreign), "401")
	wantErrno(t, v.api.call("hangupcall", "channelName", "IAX2/other-tenant-123"), "401")
	time.Sleep(200 * time.Millisecond)
	if ch, _ := v.env.Channels(v.ctx); !hasKey(ch, foreign) {
		t.Fatalf("%s was hung up: %v", foreign, ch)
	}
	v.hangupAll(t)
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// spyName is a caller name like dialerName: quotes or angle brackets would
// change the number the supervisor sees. Refused, and no call starts.
func TestVoIPSUNSpyNameChecked(t *testing.T) {
	v := newVoipsunEnv(t)
	for _, name := range []string{`Boss" <999>`, "a<b>"} {
		wantErrno(t, v.api.call("spying", "srcExtenInternalNum", "1002", "dstExtenInternalNum", "1003", "spyCid", "555", "spyName", name), "130")
	}
	time.Sleep(300 * time.Millisecond)
	if ch, _ := v.env.Channels(v.ctx); len(ch) != 0 {
		t.Fatalf("a call started: %v", ch)
	}
}

// A valid dial whose variables do not fit in one AMI line (four 255-byte
// customCDR values with commas, a recording) is carried out, and the record
// keeps every value.
func TestVoIPSUNDialWithLongValues(t *testing.T) {
	v := newVoipsunEnv(t)
	v.env.Phone("carrier").SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
	var custom [4]string
	kv := []string{"dstNum", scenario.External, "outrouteName", "carrier", "context", "callctl-test-answered",
		"hangupContext", "callctl-test-failed", "dialerCid", "3612345000", "macro", "callctl-predial-test",
		"monitorFilename", "long-" + strings.Repeat("f", 150), "monitorPath", "/var/spool/asterisk/monitor/" + strings.Repeat("d", 100),
		"dstRingTimeout", "20"}
	for i := range custom {
		custom[i] = strings.Repeat(string(rune('a'+i))+",", 127) + "z" // 255 bytes, 510 escaped
		kv = append(kv, "customCDR"+string(rune('1'+i)), custom[i])
	}
	since := time.Now()
	form := url.Values{"username": {"crm"}, "password": {"s3cret"}, "action": {"dial"}}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	code, m := v.api.post(form)
	if code != http.StatusOK {
		t.Fatalf("HTTP %d", code)
	}
	wantOK(t, m)
	dst := answeredCall(t, v.ctx, v.env.Phone("carrier"))
	time.Sleep(1100 * time.Millisecond)
	dst.Hangup(v.ctx)
	v.idle(t)
	r := recordsSince(t, v.d, since, 1)[0]
	if r.CustomCDR != custom {
		t.Errorf("customCDR %q", r.CustomCDR)
	}
	if want := "/var/spool/asterisk/monitor/" + strings.Repeat("d", 100) + "/long-" + strings.Repeat("f", 150) + ".wav"; r.RecordingPath != want {
		t.Errorf("recording %q", r.RecordingPath)
	}
}
