// Package testbed gives integration tests the real Asterisk of
// test/asterisk: it brings it up when needed, restarts it, runs CLI commands,
// and starts an in-process callctl daemon against it.
package testbed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/daemon"
	"github.com/callctl/callctl/pbx"
)

// Dir returns test/asterisk.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "asterisk")
}

func script(name string, args ...string) (string, error) {
	cmd := exec.Command("bash", append([]string{filepath.Join(Dir(), name)}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// Up brings the test bed up if AMI does not answer; it is idempotent.
func Up() error {
	if c, err := net.DialTimeout("tcp", "127.0.0.1:5038", time.Second); err == nil {
		c.Close()
		return nil
	}
	out, err := script("up.sh")
	if err != nil {
		return fmt.Errorf("test bed: up.sh: %v\n%s", err, out)
	}
	return nil
}

// Main is TestMain for integration packages: the test bed must be up.
func Main(m *testing.M) {
	if err := Up(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// Restart stops and starts Asterisk (down.sh, up.sh).
func Restart(t testing.TB) {
	t.Helper()
	if out, err := script("down.sh"); err != nil {
		t.Fatalf("down.sh: %v\n%s", err, out)
	}
	if out, err := script("up.sh"); err != nil {
		t.Fatalf("up.sh: %v\n%s", err, out)
	}
}

// Crash kills Asterisk (SIGKILL: its calls vanish without hangup events)
// and starts it again.
func Crash() error {
	for _, args := range [][]string{{"down.sh", "--kill"}, {"up.sh"}} {
		if out, err := script(args[0], args[1:]...); err != nil {
			return fmt.Errorf("%s: %v\n%s", args[0], err, out)
		}
	}
	return nil
}

// CLI runs an Asterisk CLI command and returns its output.
func CLI(t testing.TB, command string) string {
	t.Helper()
	out, err := script("cli.sh", command)
	if err != nil {
		t.Fatalf("cli.sh %q: %v\n%s", command, err, out)
	}
	return out
}

// Daemon is an in-process callctl against the test bed.
type Daemon struct {
	*daemon.Daemon
	Config daemon.Config
	URL    string // http://127.0.0.1:port
	cancel context.CancelFunc
	done   chan error
}

// StartDaemon runs callctl with the default configuration, a fresh data
// directory and an ephemeral HTTP port; edit changes the configuration first.
// It waits until /readyz answers 200 and stops the daemon at the end of the test.
func StartDaemon(t testing.TB, edit func(*daemon.Config)) *Daemon {
	t.Helper()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel).With().Timestamp().Logger()
	d, err := RunDaemon(t.TempDir(), log, edit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Stop(t) })
	return d
}

// RunDaemon is StartDaemon outside a test (test/record): callctl with the
// test bed's configuration and flows, its data in dataDir, logging to log.
// Close stops it.
func RunDaemon(dataDir string, log zerolog.Logger, edit func(*daemon.Config)) (*Daemon, error) {
	cfg := daemon.DefaultConfig()
	cfg.DataDir = dataDir
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Log.Level = "warn"
	// Asterisk runs in the test bed's root: its paths live under it here.
	cfg.Recording.HostPrefix = Root()
	cfg.CDR.Backfill.CELPath = CELPath()
	// The queue of the flow load test (test/load), in the test bed's
	// queues.conf beside support and sales.
	cfg.PBX.Queues = append(cfg.PBX.Queues, pbx.Queue{ID: 3, Name: "load"})
	if edit != nil {
		edit(&cfg)
	}
	d, err := daemon.New(cfg, log)
	if err != nil {
		return nil, err
	}
	if err := LoadFlows(d.DB(), cfg.PBX); err != nil {
		d.DB().Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	td := &Daemon{Daemon: d, Config: cfg, URL: "http://" + d.Addr(), cancel: cancel, done: make(chan error, 1)}
	go func() { td.done <- d.Run(ctx) }()
	if !td.WaitReady(15 * time.Second) {
		td.Close()
		return nil, errors.New("callctl did not become ready within 15 s")
	}
	return td, nil
}

// Stop stops the daemon and waits for it; it is safe to call twice.
func (d *Daemon) Stop(t testing.TB) {
	if err := d.Close(); err != nil {
		t.Errorf("daemon: %v", err)
	}
}

// Close stops the daemon and waits for it, returning what its Run
// returned; it is safe to call twice (nil the second time).
func (d *Daemon) Close() error {
	d.cancel()
	if err, ok := <-d.done; ok {
		close(d.done)
		return err
	}
	return nil
}

// Ready reports whether /readyz answers 200.
func (d *Daemon) Ready() bool {
	resp, err := http.Get(d.URL + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// WaitReady polls /readyz until it answers 200 or timeout passes.
func (d *Daemon) WaitReady(timeout time.Duration) bool {
	return Eventually(timeout, d.Ready)
}

// Eventually polls cond every 20 ms until it holds or timeout passes.
func Eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// Root returns the directory of the test bed's Debian root (where Asterisk's
// logs and CDR files are).
func Root() string {
	if r := os.Getenv("CALLCTL_TESTBED_ROOT"); r != "" {
		return r
	}
	cache := os.Getenv("CALLCTL_TESTBED_CACHE")
	if cache == "" {
		cache = "/var/cache/callctl-testbed"
	}
	return filepath.Join(cache, "root")
}

// CELPath is the test bed's CEL file (test/asterisk/etc/cel_sqlite3_custom.conf)
// on this machine.
func CELPath() string { return filepath.Join(Root(), "var/log/asterisk/cel.db") }

// AllEvents connects an AMI client as the test bed's user callctl-all, which
// has no event filters: for tests that watch events callctl itself does not
// ask Asterisk for (UserEvent of the test dialplan …). It lives until the
// test ends (the AMI library cannot be closed: its goroutines stay idle).
func AllEvents(t testing.TB) *ami.Client {
	t.Helper()
	cfg := ami.DefaultConfig()
	cfg.Username = "callctl-all"
	c := ami.New(cfg, zerolog.Nop(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go c.Run(ctx)
	if !Eventually(10*time.Second, c.Ready) {
		t.Fatal("the unfiltered AMI client did not connect")
	}
	return c
}
