package extevents

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
	"github.com/callctl/callctl/webhook"
)

// Through the real outbox: a GET subscription gets its fields in the query
// (after the URL's own), a POST one in a form body; the receiver sees the
// inbound answered call's dial-in, answer and hangup of 1001 in order.
func TestEventsThroughTheOutbox(t *testing.T) {
	type got struct {
		method, ctype string
		query, form   url.Values
	}
	var mu sync.Mutex
	var seen []got
	all := make(chan struct{}, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		mu.Lock()
		seen = append(seen, got{r.Method, r.Header.Get("Content-Type"), r.URL.Query(), form})
		mu.Unlock()
		all <- struct{}{}
	}))
	defer srv.Close()

	db := storetest.New(t)
	out, err := webhook.New(db, webhook.DefaultConfig(), webhook.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- out.Run(ctx) }()
	defer func() { cancel(); <-done }()

	s, err := New(db, ExtensionsOf(pbx.DefaultConfig()), out, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(2, Spec{URL: srv.URL + "/show.php?myid=2", Method: "GET", EventType: DialIn}); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{Answer, Hangup} {
		if _, err := s.Add(2, Spec{URL: srv.URL + "/ev", Method: "POST", EventType: typ}); err != nil {
			t.Fatal(err)
		}
	}
	enqueueAll(t, s, fixtureChanges(t, "inbound-answered"))
	for i := 0; i < 3; i++ {
		select {
		case <-all:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of 3 events received", i)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	byType := map[string]got{}
	for _, g := range seen {
		v := g.form
		if g.method == "GET" {
			v = g.query
		}
		byType[v.Get("EventType")] = g
	}
	in := byType[DialIn]
	if in.method != "GET" || in.query.Get("myid") != "2" || in.query.Get("CalledExtension") != "1001" || in.query.Get("CallStatus") != "CALLING" {
		t.Errorf("dial-in: %+v", in)
	}
	for _, typ := range []string{Answer, Hangup} {
		g := byType[typ]
		if g.method != "POST" || g.ctype != "application/x-www-form-urlencoded" || g.form.Get("CallID") == "" || g.form.Get("CallFlow") != "IN" {
			t.Errorf("%s: %+v", typ, g)
		}
	}
	if h := byType[Hangup].form; h.Get("CallStatus") != "ANSWER" || h.Get("Bridged") != "yes" || h.Get("Duration") == "" {
		t.Errorf("hangup fields: %v", h)
	}
}

// Deleting a subscription drops its events still waiting for a receiver
// that fails; nothing more is sent to it.
func TestDeleteDropsWaitingEvents(t *testing.T) {
	var mu sync.Mutex
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		w.WriteHeader(503)
	}))
	defer srv.Close()
	db := storetest.New(t)
	out, err := webhook.New(db, webhook.DefaultConfig(), webhook.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- out.Run(ctx) }()
	defer func() { cancel(); <-done }()
	s, err := New(db, ExtensionsOf(pbx.DefaultConfig()), out, false)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := s.Add(2, Spec{URL: srv.URL, Method: "POST", EventType: Hangup})
	if err != nil {
		t.Fatal(err)
	}
	enqueueAll(t, s, fixtureChanges(t, "inbound-answered"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		h := hits
		mu.Unlock()
		if h > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the receiver was never called")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Delete(2, sub.ID); err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *store.Tx) error {
		if n, _ := tx.Count(store.BucketOutbox); n != 0 {
			t.Errorf("%d deliveries left in the outbox", n)
		}
		return nil
	})
}
