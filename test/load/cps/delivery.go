package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/api/oauth"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/daemon"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/webhook"
)

// measureDelivery: -callend.
var measureDelivery bool

// deliveryReceiver is a local receiver of end-of-call POSTs and hangup
// events: when each call's arrived.
type deliveryReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	callEnd map[uint64]time.Time // by record id
	hangup  map[uint64]time.Time // by CallID
}

// startDeliveryReceiver starts the receiver and configures the running
// daemon through its admin socket and REST API: a call_end client, and an
// application whose token subscribes 1010 (id 11) to its hangup events.
func startDeliveryReceiver(d *daemonProc) (*deliveryReceiver, error) {
	r := &deliveryReceiver{callEnd: map[uint64]time.Time{}, hangup: map[uint64]time.Time{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		at := time.Now()
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		switch req.URL.Path {
		case "/end":
			var m struct {
				ID uint64 `json:"id"`
			}
			if json.Unmarshal(body, &m) == nil {
				r.callEnd[m.ID] = at
			}
		case "/event":
			v, _ := url.ParseQuery(string(body))
			if id, err := strconv.ParseUint(v.Get("CallID"), 10, 64); err == nil {
				r.hangup[id] = at
			}
		}
		w.WriteHeader(204)
	}))
	ctx := context.Background()
	exec := func(name string, in, out any) error {
		return admin.Exec(ctx, d.cfg.AdminSocket(), d.cfg.DataDir, daemon.AdminCommands(d.cfg), name, in, out)
	}
	if err := exec("webhook add", webhook.AddArgs{Client: webhook.Client{Name: "bench", Kind: webhook.KindCallEnd,
		URL: r.URL + "/end"}}, nil); err != nil {
		r.Close()
		return nil, fmt.Errorf("webhook add: %w", err)
	}
	if flowMode { // 1010 places no calls: only call_end
		return r, nil
	}
	var app oauth.NewApp
	if err := exec("app add", oauth.NameArgs{Name: "bench"}, &app); err != nil {
		r.Close()
		return nil, fmt.Errorf("app add: %w", err)
	}
	tok, err := token(d.url, app)
	if err == nil {
		err = subscribeHangup(d.url, tok, 11, r.URL+"/event")
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func token(base string, app oauth.NewApp) (string, error) {
	resp, err := http.PostForm(base+"/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil || resp.StatusCode != 200 {
		return "", fmt.Errorf("token: %d %v", resp.StatusCode, err)
	}
	return t.AccessToken, nil
}

func subscribeHangup(base, tok string, ext int, target string) error {
	body := `{"url":"` + target + `","method":"POST","event_type":"hangup"}`
	req, _ := http.NewRequest("POST", base+"/api/ver1.0/extension/"+strconv.Itoa(ext)+"/event/", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("subscribe: %d", resp.StatusCode)
	}
	return nil
}

// report prints hangup → received, from the stopped daemon's records
// (their hangup time is Asterisk's event time, same host clock).
func (r *deliveryReceiver) report(dataDir string, since time.Time) error {
	db, err := store.Open(dataDir, &store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	var ends, hangups []time.Duration
	n := 0
	err = db.View(func(tx *store.Tx) error {
		recs, err := cdrstore.List(tx, cdrstore.Filter{Since: since, Limit: math.MaxInt32})
		for _, rec := range recs {
			n++
			if at, ok := r.callEnd[rec.ID]; ok {
				ends = append(ends, at.Sub(rec.Hangup))
			}
			if at, ok := r.hangup[rec.ID]; ok {
				hangups = append(hangups, at.Sub(rec.Hangup))
			}
		}
		return err
	})
	fmt.Printf("call_end POST     %d of %d calls: hangup → received %s\n", len(ends), n, quantiles(ends))
	if !flowMode {
		fmt.Printf("hangup event      %d of %d calls: hangup → received %s\n", len(hangups), n, quantiles(hangups))
	}
	return err
}

func quantiles(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	q := func(p float64) time.Duration {
		return ds[int(math.Ceil(p*float64(len(ds))))-1].Round(100 * time.Microsecond)
	}
	return fmt.Sprintf("p50 %v, p99 %v, max %v", q(.5), q(.99), ds[len(ds)-1].Round(100*time.Microsecond))
}
