package connlimit

import (
	"io"
	"net"
	"testing"
	"time"
)

func TestCapReserveAndRefusal(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := New(inner, 3, 1)
	defer l.Close()
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	var clients []net.Conn
	dial := func() net.Conn {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
		return c
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	var server []net.Conn
	for i := range 4 {
		dial()
		c := <-accepted
		if IsReserve(c) != (i == 3) {
			t.Fatalf("connection %d: reserve %v", i+1, IsReserve(c))
		}
		server = append(server, c)
	}
	// The fifth is closed at once.
	c := dial()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("connection over the reserve: read %v, want EOF", err)
	}
	if l.Refused() != 1 || l.Open() != 4 {
		t.Fatalf("refused %d, open %d", l.Refused(), l.Open())
	}
	// Closing two (one twice: counted once) makes room under the cap.
	server[0].Close()
	server[0].Close()
	server[1].Close()
	dial()
	if c := <-accepted; IsReserve(c) {
		t.Fatal("a connection under the cap again is in the reserve")
	}
	if l.Open() != 3 {
		t.Fatalf("open %d, want 3", l.Open())
	}
}
