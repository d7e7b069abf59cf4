package ami

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// rawReader reads a TCP connection with the read system call made raw:
// not announced to the Go scheduler.
//
// Why: every system call the runtime is told of wakes its monitor thread
// (sysmon) if that thread sleeps, and the monitor then polls for about a
// millisecond before it sleeps again. Asterisk writes each event in its
// own segment, so an ordinary read costs a burst of thread wake-ups per
// event, which on the PBX host (a virtual machine) cost more CPU than
// reading the event itself (measured with test/load/cps). The socket is
// non-blocking: the raw read returns at once, and when nothing is there
// the connection waits in the runtime's network poller as usual.
type rawReader struct {
	rc syscall.RawConn
}

// newRawReader returns a reader of conn's raw file descriptor, or conn
// itself where there is none.
func newRawReader(conn net.Conn) io.Reader {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return conn
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return conn
	}
	return &rawReader{rc: rc}
}

func (r *rawReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var readErr error
	err := r.rc.Read(func(fd uintptr) bool {
		m, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		switch {
		case errno == syscall.EAGAIN:
			return false // wait in the poller
		case errno == syscall.EINTR:
			return false
		case errno != 0:
			readErr = errno
		case m == 0:
			readErr = io.EOF
		default:
			n = int(m)
		}
		return true
	})
	if err != nil {
		return n, err
	}
	return n, readErr
}
