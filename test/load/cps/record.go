package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

// recorder keeps, gzipped, the AMI text an AMI session of callctl's user
// receives (the test bed's event filter applies to it as to callctl), from
// the first event after its login until stop.
type recorder struct {
	conn net.Conn
	done chan error
}

func startRecorder(path string) (*recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialTimeout("tcp", "127.0.0.1:5038", 5*time.Second)
	if err != nil {
		f.Close()
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReaderSize(conn, 64<<10)
	if _, err := r.ReadString('\n'); err != nil { // the banner
		conn.Close()
		f.Close()
		return nil, err
	}
	fmt.Fprintf(conn, "Action: Login\r\nUsername: callctl\r\nSecret: callctl\r\nEvents: on\r\n\r\n")
	var answer strings.Builder
	for { // the login's answer, up to its blank line
		line, err := r.ReadString('\n')
		if err != nil {
			conn.Close()
			f.Close()
			return nil, err
		}
		if line == "\r\n" {
			break
		}
		answer.WriteString(line)
	}
	if !strings.Contains(answer.String(), "Success") {
		conn.Close()
		f.Close()
		return nil, fmt.Errorf("recorder: AMI login refused: %s", answer.String())
	}
	conn.SetDeadline(time.Time{})
	rec := &recorder{conn: conn, done: make(chan error, 1)}
	go func() {
		z := gzip.NewWriter(f)
		_, err := io.Copy(z, r)
		if err2 := z.Close(); err2 != nil {
			err = err2
		}
		f.Close()
		rec.done <- err
	}()
	return rec, nil
}

// stop ends the recording (the stream ends with whatever Asterisk sent last).
func (rec *recorder) stop() {
	rec.conn.Close()
	<-rec.done
}
