//go:build load

// Package load measures callctl under load on the test bed: listcalls
// latency with 100 calls up at 500 requests/s, and click-to-call
// throughput. It reports numbers and asserts none: run it with
// `make load` (go test -tags load -v ./test/load).
package load

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/test/phone"
	"github.com/callctl/callctl/test/scenario"
	"github.com/callctl/callctl/test/testbed"
)

func TestMain(m *testing.M) { testbed.Main(m) }

// percentiles reports p50, p90, p99 and max of ds.
func percentiles(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no samples"
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	p := func(q float64) time.Duration { return ds[int(q*float64(len(ds)-1))] }
	return fmt.Sprintf("p50 %v  p90 %v  p99 %v  max %v  (n=%d)",
		p(.5).Round(10*time.Microsecond), p(.9).Round(10*time.Microsecond), p(.99).Round(10*time.Microsecond), ds[len(ds)-1].Round(10*time.Microsecond), len(ds))
}

type env struct {
	d     *testbed.Daemon
	env   *scenario.Env
	ctx   context.Context
	api   string
	http  *http.Client
	calls int
}

func setup(t *testing.T) *env {
	d := testbed.StartDaemon(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	e, err := scenario.NewEnv(ctx, d.AMI())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	if err := users.Add(d.DB(), "load", "load", nil); err != nil {
		t.Fatal(err)
	}
	return &env{d: d, env: e, ctx: ctx, api: d.URL + "/api/api.php?username=load&password=load&action=",
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 10 * time.Second}}
}

func (e *env) get(t *testing.T, action string, kv ...string) (time.Duration, error) {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	start := time.Now()
	resp, err := e.http.Get(e.api + action + "&" + q.Encode())
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return time.Since(start), nil
}

// upCalls puts n calls up: half from the carrier to the lines (two channels
// each), half out to the carrier from AMI (one channel each).
func (e *env) upCalls(t *testing.T, n int) {
	e.env.Phone("carrier").SetAnswer(phone.AnswerAfter(0))
	for _, ext := range scenario.Extensions {
		e.env.Phone(ext).SetAnswer(phone.AnswerAfter(0))
	}
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			ext := scenario.Extensions[(i/2)%len(scenario.Extensions)]
			if _, err := e.env.Phone("carrier").Dial(e.ctx, "361234510"+ext[2:], phone.WithCallerNumber(strconv.Itoa(36300000000+i))); err != nil {
				t.Fatal(err)
			}
		} else {
			_, err := e.d.AMI().Action(e.ctx, ami.Action{Name: "Originate", Headers: map[string]string{
				"Channel": "PJSIP/3630" + strconv.Itoa(1000000+i) + "@carrier", "Application": "Wait", "Data": "300", "Async": "true",
			}})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	want := n/2*2 + (n - n/2)
	if !testbed.Eventually(60*time.Second, func() bool {
		up := 0
		for _, c := range e.d.CDR().Live() {
			for _, ch := range c.Channels {
				if ch.State == "Up" {
					up++
				}
			}
		}
		return up >= want
	}) {
		t.Fatalf("the %d calls did not come up", n)
	}
}

func (e *env) hangupAll(t *testing.T) {
	_, items, _ := e.d.AMI().List(e.ctx, ami.Action{Name: "CoreShowChannels"})
	for _, it := range items {
		e.d.AMI().Action(e.ctx, ami.Action{Name: "Hangup", Headers: map[string]string{"Channel": it["Channel"]}})
	}
	e.env.WaitIdle(e.ctx)
}

// listcalls at a fixed rate (open loop: requests are sent on schedule,
// whatever the answers' latency) for a fixed time.
func TestListCallsLatency(t *testing.T) {
	e := setup(t)
	const calls, rate, seconds = 100, 500, 10
	e.upCalls(t, calls)
	defer e.hangupAll(t)
	time.Sleep(time.Second)

	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	end := time.Now().Add(seconds * time.Second)
	for time.Now().Before(end) {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := e.get(t, "listcalls")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs++
				return
			}
			lat = append(lat, d)
		}()
	}
	wg.Wait()
	n := len(e.d.CDR().Live())
	t.Logf("listcalls with %d calls up (%d live in the CDR engine), %d req/s for %d s: %s; %d errors", calls, n, rate, seconds, percentiles(lat), errs)
	report(t, fmt.Sprintf("listcalls %d calls %d req/s: %s errors=%d", calls, rate, percentiles(lat), errs))
}

// Click-to-calls as fast as the API takes them (10 clients), each ringing
// a line that answers and a destination that answers.
func TestOriginateThroughput(t *testing.T) {
	e := setup(t)
	total, clients := 100, envInt("CALLCTL_LOAD_CLIENTS", 10)
	e.env.Phone("carrier").SetAnswer(phone.AnswerAfter(0))
	for _, ext := range scenario.Extensions {
		e.env.Phone(ext).SetAnswer(phone.AnswerAfter(0))
	}
	defer e.hangupAll(t)
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	jobs := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				ext := scenario.Extensions[i%len(scenario.Extensions)]
				d, err := e.get(t, "originate", "srcExtenInternalNum", ext, "dstNum", strconv.Itoa(3630200000+i), "dstRingTimeout", "30")
				mu.Lock()
				if err != nil {
					errs++
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < total; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	accepted := time.Since(start)
	// Every call has its two legs up.
	ok := testbed.Eventually(60*time.Second, func() bool {
		up := 0
		for _, c := range e.d.CDR().Live() {
			for _, ch := range c.Channels {
				if ch.Trunk && ch.State == "Up" {
					up++
				}
			}
		}
		return up >= total
	})
	connected := time.Since(start)
	t.Logf("originate: %d accepted in %v (%.0f/s), API latency %s, %d errors; all %d connected after %v (%.0f calls/s end to end, complete=%v)",
		total, accepted.Round(time.Millisecond), float64(total)/accepted.Seconds(), percentiles(lat), errs, total, connected.Round(time.Millisecond), float64(total)/connected.Seconds(), ok)
	report(t, fmt.Sprintf("originate %d with %d clients: accepted %.0f/s, API %s, connected %.0f calls/s errors=%d", total, clients, float64(total)/accepted.Seconds(), percentiles(lat), float64(total)/connected.Seconds(), errs))
}

// report appends a line to $CALLCTL_LOAD_REPORT, if set.
func report(t *testing.T, line string) {
	if path := os.Getenv("CALLCTL_LOAD_REPORT"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fmt.Fprintf(f, "%s %s\n", time.Now().Format(time.RFC3339), line)
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
