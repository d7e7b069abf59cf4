// Package connlimit caps the connections a listener has open at once, so
// that a flood of held connections cannot use up the process's file
// descriptors, and keeps a small reserve beyond the cap for health checks.
//
// A connection accepted while max are open is a reserve connection (see
// IsReserve): the server answers only its health endpoints on it, once,
// with a short deadline. One accepted while max+reserve are open is closed
// at once, so the kernel's backlog keeps moving and costs no descriptor.
package connlimit

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Listener is a net.Listener with a cap. It is safe for concurrent use.
type Listener struct {
	net.Listener
	max, reserve int64
	// ReserveDeadline bounds a reserve connection's life (default 2 s).
	ReserveDeadline time.Duration

	open, refused atomic.Int64
}

// New wraps l: at most max connections open, plus reserve for health.
func New(l net.Listener, max, reserve int) *Listener {
	return &Listener{Listener: l, max: int64(max), reserve: int64(reserve), ReserveDeadline: 2 * time.Second}
}

// Accept returns the next connection under the cap.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		n := l.open.Add(1)
		if n > l.max+l.reserve {
			l.open.Add(-1)
			l.refused.Add(1)
			c.Close()
			continue
		}
		rc := &conn{Conn: c, l: l, reserve: n > l.max}
		if rc.reserve {
			rc.end = time.Now().Add(l.ReserveDeadline)
			c.SetDeadline(rc.end)
		}
		return rc, nil
	}
}

// Open is how many connections are open now.
func (l *Listener) Open() int { return int(l.open.Load()) }

// Refused is how many connections were closed at once, over the reserve.
func (l *Listener) Refused() int64 { return l.refused.Load() }

type conn struct {
	net.Conn
	l       *Listener
	reserve bool
	end     time.Time // a reserve connection's deadline: later ones are clamped to it
	once    sync.Once
}

// clamp keeps a reserve connection's deadlines at or before its end (the
// HTTP server sets its own deadlines on every request).
func (c *conn) clamp(t time.Time) time.Time {
	if c.reserve && (t.IsZero() || t.After(c.end)) {
		return c.end
	}
	return t
}

func (c *conn) SetDeadline(t time.Time) error      { return c.Conn.SetDeadline(c.clamp(t)) }
func (c *conn) SetReadDeadline(t time.Time) error  { return c.Conn.SetReadDeadline(c.clamp(t)) }
func (c *conn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(c.clamp(t)) }

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.open.Add(-1) })
	return err
}

// IsReserve reports whether c was accepted beyond the cap, in the reserve.
func IsReserve(c net.Conn) bool {
	rc, ok := c.(*conn)
	return ok && rc.reserve
}
