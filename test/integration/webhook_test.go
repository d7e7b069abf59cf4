//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrtest"
	"github.com/callctl/callctl/daemon"
	"github.com/callctl/callctl/test/scenario"
	"github.com/callctl/callctl/test/testbed"
	"github.com/callctl/callctl/webhook"
)

// Outbound calls on the real Asterisk, answered and busy: each reaches a
// call_end client once, through the CDR feed's OnFinished, as the stored
// record in the seed's shape plus node_id, signed; an internal call sends
// nothing.
func TestCallEndLive(t *testing.T) {
	type post struct {
		body map[string]any
		at   time.Time
		h    http.Header
	}
	var mu sync.Mutex
	var posts []post
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		mu.Lock()
		posts = append(posts, post{m, time.Now(), r.Header.Clone()})
		mu.Unlock()
		w.WriteHeader(204)
	}))
	defer rcv.Close()
	d := testbed.StartDaemon(t, func(c *daemon.Config) { c.NodeID = "testbed-pbx" })
	if _, err := d.Webhook().Save(webhook.Client{Name: "crm", Kind: webhook.KindCallEnd, URL: rcv.URL + "/end",
		Secret: "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"}, false); err != nil {
		t.Fatal(err)
	}
	ctx := ctxFor(t, 3*time.Minute)
	env, err := scenario.NewEnv(ctx, d.AMI())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	for _, name := range []string{"outbound-answered", "outbound-busy", "internal"} {
		t.Run(name, func(t *testing.T) {
			s, _ := scenario.Get(name)
			mu.Lock()
			posts = nil
			mu.Unlock()
			before := len(asteriskCDRs(t))
			since := time.Now()
			if err := scenario.Play(ctx, env, s); err != nil {
				t.Fatal(err)
			}
			recs := recordsSince(t, d, since, 1)
			r := recs[0]
			if name == "internal" {
				time.Sleep(500 * time.Millisecond)
				mu.Lock()
				defer mu.Unlock()
				if !r.Internal || len(posts) != 0 {
					t.Errorf("internal call: %d posts", len(posts))
				}
				return
			}
			var got []post
			testbed.Eventually(5*time.Second, func() bool {
				mu.Lock()
				defer mu.Unlock()
				got = append(got[:0], posts...)
				return len(got) >= 1
			})
			time.Sleep(200 * time.Millisecond)
			mu.Lock()
			got = append(got[:0], posts...)
			mu.Unlock()
			if len(got) != 1 {
				t.Fatalf("%d posts for one call", len(got))
			}
			want := map[string]any{}
			b, _ := json.Marshal(r.Seed(time.Local))
			json.Unmarshal(b, &want)
			want["node_id"] = "testbed-pbx"
			if !reflect.DeepEqual(got[0].body, want) {
				t.Errorf("body\n %v\nwant the stored record\n %v", got[0].body, want)
			}
			if got[0].h.Get("Webhook-Signature") == "" || got[0].h.Get("Webhook-Id") == "" {
				t.Errorf("headers %v", got[0].h)
			}
			for _, diff := range callEndVersusAsterisk(t, got[0].body, r.Linkedid, before) {
				t.Errorf("differs from Asterisk's CDR: %s", diff)
			}
			switch name {
			case "outbound-answered":
				if r.Direction != cdr.Outbound || got[0].body["answer_time"] == nil || got[0].body["billsec"].(float64) < 1 {
					t.Errorf("answered: %v", got[0].body)
				}
			case "outbound-busy":
				if got[0].body["answer_time"] != nil || got[0].body["billsec"] != 0.0 {
					t.Errorf("busy: %v", got[0].body)
				}
			}
			t.Logf("%s: hangup → end-of-call POST received in %s", name, got[0].at.Sub(r.Hangup).Round(time.Millisecond))
		})
	}
}

// callEndVersusAsterisk compares an end-of-call body field by field with
// the CDR Asterisk's own engine wrote (cdr_custom) for the call's dial out
// through the trunk: start, answer and hangup times and duration and
// billsec within a second (Asterisk truncates to whole seconds), and the
// disposition (answered or not, busy).
func callEndVersusAsterisk(t *testing.T, body map[string]any, linkedid string, before int) []string {
	t.Helper()
	var lines []string
	testbed.Eventually(5*time.Second, func() bool {
		prev := len(lines)
		time.Sleep(200 * time.Millisecond)
		lines = asteriskCDRs(t)[before:]
		return len(lines) > 0 && len(lines) == prev
	})
	ast, err := cdrtest.ParseCSV(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	var a *cdrtest.AsteriskCDR
	for i := range ast {
		if ast[i].Linkedid == linkedid && strings.HasPrefix(ast[i].DstChannel, "PJSIP/carrier-") {
			a = &ast[i]
		}
	}
	if a == nil {
		return []string{fmt.Sprintf("Asterisk wrote no CDR of call %s through the trunk (%d lines)", linkedid, len(ast))}
	}
	var diffs []string
	str := func(k string) string { s, _ := body[k].(string); return s }
	num := func(k string) int { f, _ := body[k].(float64); return int(f) }
	near := func(field, ours, theirs string) {
		if ours == "" || theirs == "" {
			if ours != theirs {
				diffs = append(diffs, fmt.Sprintf("%s: callctl %q, Asterisk %q", field, ours, theirs))
			}
			return
		}
		o, err1 := time.ParseInLocation(cdr.SeedTimeFormat, ours, time.Local)
		th, err2 := time.ParseInLocation(cdr.SeedTimeFormat, theirs, time.Local)
		if d := o.Sub(th); err1 != nil || err2 != nil || d > time.Second || d < -time.Second {
			diffs = append(diffs, fmt.Sprintf("%s: callctl %q, Asterisk %q", field, ours, theirs))
		}
	}
	near("start_time", str("start_time"), a.Start)
	near("answer_time", str("answer_time"), a.Answer)
	near("hangup_time", str("hangup_time"), a.End)
	for _, f := range []struct {
		name         string
		ours, theirs int
	}{{"duration", num("duration"), a.Duration}, {"billsec", num("billsec"), a.Billsec}} {
		if d := f.ours - f.theirs; d > 1 || d < -1 {
			diffs = append(diffs, fmt.Sprintf("%s: callctl %d, Asterisk %d", f.name, f.ours, f.theirs))
		}
	}
	answered := body["answer_time"] != nil
	if answered != (a.Disposition == "ANSWERED") {
		diffs = append(diffs, fmt.Sprintf("disposition: Asterisk %s, callctl answer_time %v", a.Disposition, body["answer_time"]))
	}
	t.Logf("Asterisk: %s, %s → %s (%s), duration %d, billsec %d; callctl: %s, %s → %s, duration %d, billsec %d",
		a.Disposition, a.Start, a.End, a.Answer, a.Duration, a.Billsec,
		str("start_time"), str("answer_time"), str("hangup_time"), num("duration"), num("billsec"))
	return diffs
}
