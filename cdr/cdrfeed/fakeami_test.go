package cdrfeed_test

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// fakeAMI is an Asterisk manager on 127.0.0.1 for the feed's tests: it logs
// clients in, answers Ping and an empty CoreShowChannels, and writes the
// event text the test gives it to every session, as Asterisk would.
type fakeAMI struct {
	ln    net.Listener
	mu    sync.Mutex
	cs    []net.Conn
	lists int // CoreShowChannels answered (the feed's resynchronisations)
}

func newFakeAMI(t testing.TB) *fakeAMI {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeAMI{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.session(c)
		}
	}()
	t.Cleanup(f.close)
	return f
}

func (f *fakeAMI) addr() string { return f.ln.Addr().String() }

func (f *fakeAMI) close() {
	f.ln.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.cs {
		c.Close()
	}
}

// sessions returns the number of logged-in clients.
func (f *fakeAMI) sessions() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.cs)
}

// resyncs returns how many CoreShowChannels it answered.
func (f *fakeAMI) resyncs() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lists
}

// write sends text to every logged-in session that takes events.
func (f *fakeAMI) write(text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.cs {
		c.Write([]byte(text))
	}
}

func (f *fakeAMI) session(c net.Conn) {
	c.Write([]byte("Asterisk Call Manager/9.0.0\r\n"))
	r := bufio.NewReader(c)
	for {
		m := map[string]string{}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			if line == "" {
				break
			}
			k, v, _ := strings.Cut(line, ": ")
			m[k] = v
		}
		id := m["ActionID"]
		var reply string
		switch m["Action"] {
		case "Login":
			reply = "Response: Success\r\nMessage: Authentication accepted\r\n\r\n"
		case "CoreShowChannels":
			reply = "Response: Success\r\nActionID: " + id + "\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n" +
				"Event: CoreShowChannelsComplete\r\nActionID: " + id + "\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"
		case "Ping":
			reply = "Response: Success\r\nActionID: " + id + "\r\nPing: Pong\r\n\r\n"
		default:
			reply = "Response: Success\r\nActionID: " + id + "\r\n\r\n"
		}
		f.mu.Lock()
		c.Write([]byte(reply))
		if m["Action"] == "CoreShowChannels" {
			f.lists++
		}
		if m["Action"] == "Login" {
			f.cs = append(f.cs, c)
		}
		if m["Action"] == "Events" && m["EventMask"] == "off" { // the actions' session: no events, as Asterisk does
			for i, other := range f.cs {
				if other == c {
					f.cs = append(f.cs[:i], f.cs[i+1:]...)
					break
				}
			}
		}
		f.mu.Unlock()
	}
}

// loadFixture reads one of the CDR engine's recorded event logs.
func loadFixture(t testing.TB, name string) []map[string]string {
	b, err := os.ReadFile(filepath.Join("..", "testdata", name+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]string
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// amiText writes an event as Asterisk does: Event first, then the headers.
func amiText(b *strings.Builder, m map[string]string) {
	b.WriteString("Event: ")
	b.WriteString(m["Event"])
	b.WriteString("\r\n")
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "Event" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(m[k])
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
}
