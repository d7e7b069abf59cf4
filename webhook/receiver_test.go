package webhook

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
)

// got is one request a receiver saw.
type got struct {
	Method string
	URL    string // path and query
	Header http.Header
	Body   string
	At     time.Time
}

// receiver is a local HTTP receiver on 127.0.0.1 that can answer slowly,
// fail, or be down (its port closed) and come back on the same port.
type receiver struct {
	t    testing.TB
	addr string

	mu       sync.Mutex
	srv      *http.Server
	reqs     []got
	answer   func(n int, r *http.Request) (status int, header http.Header, body string)
	delay    time.Duration
	inflight int
	maxIn    int
	notify   chan struct{}
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{t: t, notify: make(chan struct{}, 1)}
	r.answer = func(int, *http.Request) (int, http.Header, string) { return 200, nil, `{"ok":true}` }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.serve(ln)
	t.Cleanup(r.down)
	return r
}

func (r *receiver) URL() string { return "http://" + r.addr }

func (r *receiver) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(r.handle), ReadHeaderTimeout: 5 * time.Second}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go srv.Serve(ln)
}

func (r *receiver) handle(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	n := len(r.reqs)
	r.reqs = append(r.reqs, got{Method: req.Method, URL: req.URL.RequestURI(), Header: req.Header.Clone(), Body: string(body), At: time.Now()})
	answer, delay := r.answer, r.delay
	r.inflight++
	r.maxIn = max(r.maxIn, r.inflight)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	status, h, b := answer(n, req)
	for k, v := range h {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	io.WriteString(w, b)
	r.mu.Lock()
	r.inflight--
	r.mu.Unlock()
}

// down closes the port: connections are refused.
func (r *receiver) down() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// up opens the same port again.
func (r *receiver) up() {
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.serve(ln)
}

func (r *receiver) setAnswer(f func(n int, req *http.Request) (int, http.Header, string)) {
	r.mu.Lock()
	r.answer = f
	r.mu.Unlock()
}

func (r *receiver) requests() []got {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]got(nil), r.reqs...)
}

// wait waits until the receiver has seen n requests.
func (r *receiver) wait(n int, timeout time.Duration) []got {
	r.t.Helper()
	deadline := time.After(timeout)
	for {
		if reqs := r.requests(); len(reqs) >= n {
			return reqs
		}
		select {
		case <-r.notify:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			r.t.Fatalf("receiver saw %d requests in %s, want %d", len(r.requests()), timeout, n)
		}
	}
}

// testOutbox opens an outbox on a fresh database and runs it until the end
// of the test.
func testOutbox(t testing.TB, cfg *Config) (*Outbox, *store.DB) {
	t.Helper()
	db := storetest.New(t)
	return runOutbox(t, db, cfg), db
}

func runOutbox(t testing.TB, db *store.DB, cfg *Config) *Outbox {
	t.Helper()
	c := DefaultConfig()
	if cfg != nil {
		c = *cfg
	}
	o, err := New(db, c, Options{Location: time.UTC, NodeID: "pbx-test", Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("outbox did not stop")
		}
	})
	return o
}

func mustSave(t testing.TB, o *Outbox, c Client) Client {
	t.Helper()
	c, err := o.Save(c, false)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitFor polls cond every 10 ms until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
