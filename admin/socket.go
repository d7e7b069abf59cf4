package admin

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"
)

// listen binds the admin socket at path so that no other user can ever
// connect to it: it is bound in a fresh directory of mode 0700 (whatever
// the umask and the modes around it), made 0600, then renamed into place.
// A leftover socket at path is replaced.
func listen(path string) (*net.UnixListener, error) {
	dir, err := os.MkdirTemp(filepath.Dir(path), ".admin-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false) // the path moves; Serve removes it
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// peerListener accepts only connections from root or the daemon's own
// user (SO_PEERCRED): the socket's mode is the first guard, this the
// second (a mode changed by hand, a directory shared by mistake).
type peerListener struct {
	*net.UnixListener
	uid     int
	log     zerolog.Logger
	refused atomic.Int64
}

func (l *peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.UnixListener.AcceptUnix()
		if err != nil {
			return nil, err
		}
		uid, err := peerUID(c)
		if err == nil && allowedPeer(uid, l.uid) {
			return c, nil
		}
		l.refused.Add(1)
		l.log.Warn().Int("peer_uid", uid).Err(err).Msg("admin socket: connection refused: not root or the daemon's user")
		c.Close()
	}
}

// allowedPeer reports whether a peer of uid may use the socket of a
// daemon running as self.
func allowedPeer(uid, self int) bool { return uid == 0 || uid == self }

// peerUID is the user id of the process at the other end of c.
func peerUID(c *net.UnixConn) (int, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	uid := -1
	var credErr error
	err = raw.Control(func(fd uintptr) {
		var cred *unix.Ucred
		if cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED); credErr == nil {
			uid = int(cred.Uid)
		}
	})
	if err = errors.Join(err, credErr); err != nil {
		return -1, fmt.Errorf("peer credentials: %w", err)
	}
	return uid, nil
}
