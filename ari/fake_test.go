package ari

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"
)

// fakeARI serves what the test bed's Asterisk 22 answered (testdata):
// /asterisk/info, a 404 for unknown channels, and the recorded event stream
// of a Local channel originated into Stasis, sent to each websocket.
type fakeARI struct {
	t      *testing.T
	srv    *httptest.Server
	info   []byte
	events [][]byte

	stop     context.Context // ends every websocket handler when the fake closes
	cancel   context.CancelFunc
	mu       sync.Mutex
	conns    []*websocket.Conn
	dials    int
	infoDown bool
	requests []string
	filters  []string // bodies of PUT /applications/callctl/eventFilter
}

func newFakeARI(t *testing.T) *fakeARI {
	t.Helper()
	f := &fakeARI{t: t}
	f.stop, f.cancel = context.WithCancel(context.Background())
	var err error
	if f.info, err = os.ReadFile("testdata/asterisk-info.json"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("testdata/stasis-local.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxEventSize)
	for sc.Scan() {
		f.events = append(f.events, append([]byte(nil), sc.Bytes()...))
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.close)
	return f
}

func (f *fakeARI) close() {
	f.cancel()
	f.dropWebsockets()
	f.srv.Close()
}

func (f *fakeARI) serve(w http.ResponseWriter, r *http.Request) {
	if u, p, ok := r.BasicAuth(); !ok || u != "callctl" || p != "callctl" {
		http.Error(w, `{"message":"Authentication required"}`, http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	infoDown := f.infoDown
	info := f.info
	f.mu.Unlock()
	switch {
	case r.URL.Path == "/ari/events":
		if r.URL.Query().Get("app") != "callctl" {
			http.Error(w, "no app", http.StatusBadRequest)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, c)
		f.dials++
		f.mu.Unlock()
		// Hold the socket open until the test drops it or the fake closes.
		c.Read(f.stop)
	case r.URL.Path == "/ari/asterisk/info":
		if infoDown {
			time.Sleep(2 * time.Second)
			return
		}
		w.Write(info)
	case r.URL.Path == "/ari/applications/callctl/eventFilter" && r.Method == http.MethodPut:
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.filters = append(f.filters, string(b))
		f.mu.Unlock()
		w.Write([]byte(`{"name":"callctl"}`))
	case r.URL.Path == "/ari/channels/c1" && r.Method == http.MethodGet: // a channel in Stasis, as Asterisk 22 answers
		w.Write([]byte(`{"id":"c1","name":"PJSIP/carrier-00000001","state":"Up","caller":{"name":"","number":"3630999888"},` +
			`"connected":{"name":"","number":""},"accountcode":"","dialplan":{"context":"callctl-did","exten":"3612340300",` +
			`"priority":2,"app_name":"Stasis","app_data":"callctl,did,3612340300"},"creationtime":"2026-12-02T21:00:00.000+0000",` +
			`"language":"en","channelvars":{"CALLCTL_FLOW_DID":"3612340300"}}`))
	case strings.HasPrefix(r.URL.Path, "/ari/channels/") && r.Method == http.MethodDelete:
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"Channel not found"}`))
	default:
		http.NotFound(w, r)
	}
}

// send writes the recorded events to every open websocket.
func (f *fakeARI) send() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		for _, e := range f.events {
			c.Write(context.Background(), websocket.MessageText, e)
		}
	}
}

func (f *fakeARI) dropWebsockets() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.CloseNow()
	}
	f.conns = nil
}

// restart makes the fake report a new startup time, as after an Asterisk restart.
func (f *fakeARI) restart() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.info = bytes.Replace(f.info, []byte(`"startup_time":"2026-11-23T08:03:23.477+0000"`), []byte(`"startup_time":"2026-11-23T09:00:00.000+0000"`), 1)
}

func (f *fakeARI) setInfoDown(down bool) {
	f.mu.Lock()
	f.infoDown = down
	f.mu.Unlock()
}

func (f *fakeARI) dialCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dials
}

func startClient(t *testing.T, f *fakeARI) *Client {
	t.Helper()
	cfg := DefaultConfig()
	cfg.URL = f.srv.URL + "/ari"
	cfg.WatchdogInterval = 100 * time.Millisecond
	cfg.RequestTimeout = time.Second
	cfg.MaxBackoff = 200 * time.Millisecond
	c := New(cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			buf := make([]byte, 1<<20)
			t.Errorf("the client did not stop within 15 s:\n%s", buf[:runtime.Stack(buf, true)])
		}
	})
	waitFor(t, "websocket", c.Connected)
	return c
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// nextOf returns the next event of one of the given types.
func nextOf(t *testing.T, s *Subscription, types ...string) Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-s.C():
			for _, typ := range types {
				if e.Type == typ {
					return e
				}
			}
		case <-timeout:
			t.Fatalf("no %v event within 10 s", types)
		}
	}
}

func newFakeARIEvents(tb testing.TB) [][]byte {
	data, err := os.ReadFile("testdata/stasis-local.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	return bytes.Split(bytes.TrimSpace(data), []byte("\n"))
}

func (f *fakeARI) eventFilters() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.filters...)
}
