package vipex

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/phonebook"
	"github.com/callctl/callctl/store"
)

// TestMeasureLatency measures the p99 of get_extens_current_calls (100
// calls in progress) and get_phonebook_list (10,000 entries, 200 a page)
// at 500 requests a second for 5 s each, over HTTP on loopback, Basic auth
// against the fake authenticator (the real one caches verified
// credentials). Numbers only: VIPEX_MEASURE=1 runs it.
func TestMeasureLatency(t *testing.T) {
	if os.Getenv("VIPEX_MEASURE") == "" {
		t.Skip("set VIPEX_MEASURE=1 to measure the latency at 500 requests/s")
	}
	b := newBed(t)
	start := time.Now()
	for i := 0; i < 100; i++ {
		line := fmt.Sprintf("100%d", i%10)
		b.view.calls = append(b.view.calls, &cdr.LiveCall{ID: uint64(1000 + i), Inbound: true, Caller: "3630999888", Start: start,
			Channels: []cdr.LiveChannel{{Line: line}}, Legs: []cdr.LiveLeg{{ID: uint64(5000 + i), Kind: cdr.KindDirect, Exten: line, Start: start}}})
	}
	err := b.db.Update(func(tx *store.Tx) error {
		for i := 0; i < 10000; i++ {
			n := fmt.Sprintf("3620%07d", i)
			e := phonebook.Entry{Number: n, Name: "Entry " + n, Tags: "a,b", Comment: "c", Values: []phonebook.FieldValue{}}
			if err := tx.PutJSON(store.BucketPhonebook, []byte(n), e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b.server)
	defer srv.Close()
	for _, q := range []string{
		"action=get_extens_current_calls&exten=1003",
		"action=get_phonebook_list&offset=5000&limit=200",
	} {
		const rate, seconds = 500, 5
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		tick := time.NewTicker(time.Second / rate)
		for i := 0; i < rate*seconds; i++ {
			<-tick.C
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/?rt=api&vipex_id="+subscription+"&"+q, nil)
				req.SetBasicAuth("u", "p")
				t0 := time.Now()
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				var buf [4096]byte
				for {
					if _, err := resp.Body.Read(buf[:]); err != nil {
						break
					}
				}
				resp.Body.Close()
				mu.Lock()
				lat = append(lat, time.Since(t0))
				mu.Unlock()
			}()
		}
		tick.Stop()
		wg.Wait()
		slices.Sort(lat)
		t.Logf("%s at %d/s for %d s: p50 %v, p99 %v, max %v", q, rate, seconds,
			lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
	}
}
