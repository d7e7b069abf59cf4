package daemon

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/store"
)

// testServer serves a stand-in of the daemon's mux (an API path that
// reads its body, /readyz) with the daemon's HTTP hardening.
func testServer(t *testing.T, cfg HTTPConfig) (addr string) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/api/api.php", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, "api ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ready") })
	ln, err := listenHTTP(cfg, connCap(cfg, raiseFileLimit(), zerolog.Nop()))
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(cfg, mux)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func hardened() HTTPConfig {
	cfg := DefaultConfig().HTTP
	cfg.Listen = "127.0.0.1:0"
	return cfg
}

// TestSlowBodyIsCutOff: a body trickled at 1 byte every 3 s must not keep
// its connection (and its handler) for long: the read timeout ends it.
func TestSlowBodyIsCutOff(t *testing.T) {
	cfg := hardened()
	cfg.ReadTimeout = 2 * time.Second
	addr := testServer(t, cfg)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	fmt.Fprint(c, "POST /api/api.php HTTP/1.1\r\nHost: callctl\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n")
	ended := make(chan time.Duration, 1)
	go func() {
		io.Copy(io.Discard, c) // until the server closes
		ended <- time.Since(start)
	}()
	tick := time.NewTicker(3 * time.Second)
	defer tick.Stop()
	for {
		select {
		case d := <-ended:
			t.Logf("slow body (1 byte/3 s) cut off after %v (read timeout %v)", d.Round(time.Millisecond), cfg.ReadTimeout)
			return
		case <-tick.C:
			if time.Since(start) > 10*time.Second {
				t.Fatalf("a body trickled at 1 byte/3 s still holds its connection after %v", time.Since(start).Round(time.Second))
			}
			c.Write([]byte("a"))
		}
	}
}

// TestConnectionFlood: many held connections fill the cap; /readyz still
// answers (on the reserve), the API answers 503 there instead of waiting,
// connections beyond the reserve are closed at once, the admin socket
// answers, and the API answers again when the flood ends.
func TestConnectionFlood(t *testing.T) {
	cfg := hardened()
	cfg.MaxConns, cfg.HealthConns = 50, 4
	held := 3 * cfg.MaxConns
	if n, err := strconv.Atoi(os.Getenv("CALLCTL_FLOOD_CONNS")); err == nil {
		held, cfg.MaxConns = n, DefaultConfig().HTTP.MaxConns // for measurements: the real cap
	}
	addr := testServer(t, cfg)

	dir := t.TempDir()
	db, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	socket := filepath.Join(dir, "admin.sock")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go admin.Serve(ctx, socket, db, admin.NewRegistry(), zerolog.Nop())

	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range held {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Logf("dial after %d held connections: %v", len(conns), err)
			break
		}
		c.Write([]byte("GET /api/api.php HTTP/1.1\r\n")) // and never the rest
		conns = append(conns, c)
	}
	time.Sleep(100 * time.Millisecond)

	get := func(path string) (int, string, error) {
		c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get("http://" + addr + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	start := time.Now()
	var status int
	var body string
	for time.Since(start) < 6*time.Second { // reserve connections of the flood last 2 s at most
		if status, body, err = get("/readyz"); err == nil {
			break
		}
	}
	t.Logf("%d connections held: /readyz answered %d %q after %v (%v)", len(conns), status, body, time.Since(start).Round(time.Millisecond), err)
	if status != http.StatusOK || body != "ready" {
		t.Fatalf("/readyz under a flood of %d connections: %d %q %v", len(conns), status, body, err)
	}
	if status, _, err := get("/api/api.php"); err == nil && status != http.StatusServiceUnavailable {
		t.Fatalf("API on a reserve connection: %d, want 503", status)
	}
	var st admin.Status
	actx, acancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer acancel()
	if err := admin.Exec(actx, socket, dir, admin.NewRegistry(), "status", nil, &st); err != nil {
		t.Fatalf("admin socket under the flood: %v", err)
	}

	// Held beyond the cap and reserve: closed by the server at once.
	closed := 0
	for _, c := range conns[cfg.MaxConns+cfg.HealthConns:] {
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := bufio.NewReader(c).ReadByte(); err == io.EOF {
			closed++
		}
	}
	t.Logf("%d of the %d connections beyond cap and reserve were closed at once", closed, len(conns)-cfg.MaxConns-cfg.HealthConns)

	for _, c := range conns {
		c.Close()
	}
	conns = nil
	deadline := time.Now().Add(3 * time.Second)
	for {
		status, body, err := get("/api/api.php")
		if err == nil && status == http.StatusOK && strings.Contains(body, "api ok") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("API after the flood: %d %q %v", status, body, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestConnCapFitsTheFileLimit(t *testing.T) {
	cfg := hardened()
	if got := connCap(cfg, 0, zerolog.Nop()); got != cfg.MaxConns {
		t.Fatalf("unknown limit: %d", got)
	}
	if got := connCap(cfg, 1<<20, zerolog.Nop()); got != cfg.MaxConns {
		t.Fatalf("large limit: %d", got)
	}
	if got, want := connCap(cfg, 1024, zerolog.Nop()), 1024-fdMargin-cfg.HealthConns; got != want {
		t.Fatalf("limit 1024: cap %d, want %d", got, want)
	}
	if got := connCap(cfg, 100, zerolog.Nop()); got != 1 {
		t.Fatalf("tiny limit: cap %d, want 1", got)
	}
}
