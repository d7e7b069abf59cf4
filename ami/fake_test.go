package ami

import (
	"bufio"
	"context"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// fakeAMI is a manager server for unit tests. It answers with messages
// recorded from the test bed's Asterisk 22 (testdata/*.raw), replacing only
// the recorded ActionID ("rec-<Action>") with the one asked for.
type fakeAMI struct {
	t       testing.TB
	ln      net.Listener
	greet   []byte              // FullyBooted, sent after a login
	answers map[string][]string // action name → recorded answer messages
	events  []string            // recorded events, without ActionID

	mu       sync.Mutex
	conns    []net.Conn
	received []map[string]string
	silent   map[string]bool // actions never answered
}

func newFakeAMI(t testing.TB) *fakeAMI {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeAMI{t: t, ln: ln, answers: map[string][]string{}, silent: map[string]bool{}}
	for _, name := range []string{"testdata/actions.raw", "testdata/originate-events.raw"} {
		f.load(name)
	}
	t.Cleanup(f.close)
	go f.serve()
	return f
}

// load splits a recorded transcript into messages.
func (f *fakeAMI) load(name string) {
	data, err := os.ReadFile(name)
	if err != nil {
		f.t.Fatal(err)
	}
	blocks := strings.Split(string(data), "\r\n\r\n")
	for _, b := range blocks[1:] { // blocks[0]: banner and login response
		b = strings.TrimSpace(b)
		if b == "" {
			continue
		}
		b += "\r\n\r\n"
		switch {
		case strings.HasPrefix(b, "Event: FullyBooted"):
			f.greet = []byte(b)
		case strings.Contains(b, "ActionID: rec-"):
			i := strings.Index(b, "ActionID: rec-") + len("ActionID: rec-")
			action := b[i : i+strings.IndexAny(b[i:], "\r\n")]
			f.answers[action] = append(f.answers[action], b)
		case strings.HasPrefix(b, "Event: "):
			f.events = append(f.events, b)
		}
	}
}

func (f *fakeAMI) addr() string { return f.ln.Addr().String() }

func (f *fakeAMI) close() {
	f.ln.Close()
	f.dropConnections()
}

// dropConnections closes the live connections, as an Asterisk restart does.
func (f *fakeAMI) dropConnections() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
	f.conns = nil
}

func (f *fakeAMI) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, c)
		f.mu.Unlock()
		go f.session(c)
	}
}

func (f *fakeAMI) write(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Write([]byte(s))
	}
}

func (f *fakeAMI) session(c net.Conn) {
	var wmu sync.Mutex
	send := func(s string) {
		wmu.Lock()
		defer wmu.Unlock()
		c.Write([]byte(s))
	}
	send("Asterisk Call Manager/11.0.0\r\n")
	r := bufio.NewReader(c)
	for {
		msg, err := readFakeMessage(r)
		if err != nil {
			return
		}
		action := msg["Action"]
		id := msg["ActionID"]
		f.mu.Lock()
		silentPing := action == "Ping" && f.silent["Ping"]
		f.mu.Unlock()
		if silentPing {
			continue
		}
		switch action {
		case "Login":
			send("Response: Success\r\nMessage: Authentication accepted\r\n\r\n" + string(f.greet))
			continue
		case "Ping", "Events":
			send(strings.Replace(f.answers[action][0], "ActionID: rec-"+action, "ActionID: "+id, 1))
			continue
		}
		f.mu.Lock()
		f.received = append(f.received, msg)
		silent := f.silent[action]
		f.mu.Unlock()
		if silent {
			continue
		}
		answers := f.answers[action]
		if len(answers) == 0 {
			send("Response: Error\r\nActionID: " + id + "\r\nMessage: Invalid/unknown command: " + action + ". Use Action: ListCommands to show available commands.\r\n\r\n")
			continue
		}
		for _, a := range answers {
			send(strings.Replace(a, "ActionID: rec-"+action, "ActionID: "+id, 1))
		}
	}
}

func readFakeMessage(r *bufio.Reader) (map[string]string, error) {
	m := map[string]string{}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if len(m) == 0 {
				continue
			}
			return m, nil
		}
		k, v, _ := strings.Cut(line, ":")
		m[k] = strings.TrimSpace(v)
	}
}

func (f *fakeAMI) receivedActions() []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]string(nil), f.received...)
}

func (f *fakeAMI) setSilent(action string) {
	f.mu.Lock()
	f.silent[action] = true
	f.mu.Unlock()
}

// startClient runs a Client against f and waits for its session.
func startClient(t testing.TB, f *fakeAMI, queueSize int) (*Client, *Metrics) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Addr = f.addr()
	cfg.PingInterval = 100 * time.Millisecond
	if queueSize > 0 {
		cfg.QueueSize = queueSize
	}
	m := NewMetrics(nil)
	c := New(cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), m)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "AMI session", c.Connected)
	return c, m
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// nextEvent returns the next event of s, skipping none, within 10 s.
func nextEvent(t *testing.T, s *Subscription) Message {
	t.Helper()
	select {
	case m := <-s.C():
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
		return nil
	}
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func testLogger(t testing.TB) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
}
