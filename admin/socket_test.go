package admin

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/store"
)

// TestSocketIsPrivateFromTheStart: with umask 000 and a 0755 data dir
// (the review's race), the socket is 0600 as soon as it can be reached,
// a leftover file is replaced and nothing is left beside it.
func TestSocketIsPrivateFromTheStart(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "admin.sock")
	os.WriteFile(path, []byte("leftover"), 0o666)

	ln, err := listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket right after listen: %v, want a socket of mode 0600", fi.Mode())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("data dir holds %d entries after listen, want only the socket", len(entries))
	}
}

func TestAllowedPeer(t *testing.T) {
	for _, c := range []struct {
		uid, self int
		ok        bool
	}{{0, 1000, true}, {1000, 1000, true}, {1001, 1000, false}, {65534, 0, false}, {0, 0, true}} {
		if got := allowedPeer(c.uid, c.self); got != c.ok {
			t.Errorf("allowedPeer(%d, daemon %d) = %v", c.uid, c.self, got)
		}
	}
}

// TestOtherUserIsRefused: even with the socket opened to everyone by
// hand, another user's connection is closed unanswered (needs root, to
// run a client as nobody); the daemon's own user is answered.
func TestOtherUserIsRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to connect as another user")
	}
	python := "/usr/bin/python3" // the system's: others may live under root's home
	if _, err := os.Stat(python); err != nil {
		t.Skip("no /usr/bin/python3 for the client")
	}
	dir, err := os.MkdirTemp("", "callctl-admin-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	db, err := store.Open(filepath.Join(dir, "data"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	path := filepath.Join(dir, "admin.sock")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Serve(ctx, path, db, NewRegistry(), zerolog.Nop())
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no socket")
		}
	}
	os.Chmod(path, 0o666) // a mistake by hand: the uid check still holds

	client := func(uid uint32) string {
		cmd := exec.Command(python, "-c", `import socket,sys
s=socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(sys.argv[1])
d=b""
try:
    s.sendall(b"POST /v1/status HTTP/1.0\r\nContent-Length: 0\r\n\r\n")
    while True:
        b=s.recv(4096)
        if not b: break
        d+=b
except (BrokenPipeError, ConnectionResetError): pass
print(repr(d[:12]))`, path)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("client as uid %d: %v: %s", uid, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := client(65534); got != "b''" {
		t.Fatalf("nobody got %s, want the connection closed unanswered", got)
	}
	if got := client(0); got != `b'HTTP/1.0 200'` {
		t.Fatalf("root got %s, want an answer", got)
	}
}
