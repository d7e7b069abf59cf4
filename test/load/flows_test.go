//go:build load

package load

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/test/phone"
	"github.com/callctl/callctl/test/scenario"
	"github.com/callctl/callctl/test/testbed"
	"github.com/callctl/callctl/webhook"
)

// procCPU is a process's user+system CPU seconds (/proc/PID/stat).
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / 100
}

// 50 calls at once through callctl's flow "load" (DID 3612340350: a menu
// the caller answers 1, then the queue load, whose one Local member answers
// every call): every call has its record with ivr_digits "1" and its
// end-of-call POST. CPU of this test process (callctl in-process, plus the
// 50 SIP phones' side and the receiver: an upper bound for callctl) versus
// Asterisk's in the same run.
func TestFlowLoad50(t *testing.T) {
	const calls = 50
	var posts atomic.Int32
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		posts.Add(1)
		w.WriteHeader(204)
	}))
	defer rcv.Close()
	d := testbed.StartDaemon(t, nil)
	if _, err := d.Webhook().Save(webhook.Client{Name: "crm", Kind: webhook.KindCallEnd, URL: rcv.URL + "/end"}, false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env, err := scenario.NewEnv(ctx, d.AMI())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	member := map[string]string{"Queue": "load", "Interface": "Local/wait@callctl-test/n"}
	if _, err := d.AMI().Action(ctx, ami.Action{Name: "QueueAdd", Headers: member}); err != nil {
		t.Fatal(err)
	}
	defer d.AMI().Action(context.Background(), ami.Action{Name: "QueueRemove", Headers: map[string]string{"Queue": "load", "Interface": member["Interface"]}})

	b, err := os.ReadFile(filepath.Join(testbed.Root(), "run/asterisk/asterisk.pid"))
	if err != nil {
		t.Fatal(err)
	}
	astPID, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	ast0, self0, start := procCPU(astPID), procCPU(os.Getpid()), time.Now()

	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := env.Phone("carrier").Dial(ctx, "3612340350", phone.WithCallerNumber(fmt.Sprintf("36309%05d", i)))
			if err == nil {
				err = c.WaitAnswered(ctx) // the flow answers for its menu
			}
			if err == nil {
				time.Sleep(time.Second)
				err = c.SendDTMF(ctx, "1")
			}
			time.Sleep(3 * time.Second) // in the queue, then connected
			if c != nil {
				c.Hangup(ctx)
			}
			if err != nil {
				failed.Add(1)
				t.Logf("call %d: %v", i, err)
			}
		}()
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	env.WaitIdle(ctx)

	var recs []cdr.Record
	testbed.Eventually(20*time.Second, func() bool {
		d.DB().View(func(tx *store.Tx) error {
			var err error
			recs, err = cdrstore.List(tx, cdrstore.Filter{Since: start})
			return err
		})
		return len(recs) >= calls && posts.Load() >= calls
	})
	elapsed := time.Since(start)
	ast, self := procCPU(astPID)-ast0, procCPU(os.Getpid())-self0
	digits, queued := 0, 0
	for _, r := range recs {
		if r.IVRDigits == "1" {
			digits++
		}
		if r.CCCall != 0 {
			queued++
		}
	}
	t.Logf("%d calls (%d failed) in %s: %d records (%d with ivr_digits 1, %d cc_call), %d end-of-call POSTs", calls, failed.Load(),
		elapsed.Round(time.Millisecond), len(recs), digits, queued, posts.Load())
	t.Logf("CPU: Asterisk %.2f s, this test process (callctl + 50 phones + receiver) %.2f s: ratio %.2f (an upper bound for callctl)", ast, self, self/ast)
	if failed.Load() != 0 || len(recs) != calls || digits != calls || queued != calls || posts.Load() != calls {
		t.Errorf("want %d of each", calls)
	}
}
