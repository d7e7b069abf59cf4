package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/natsink"
)

func TestPrintNATSStatus(t *testing.T) {
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	oldest, errAt := now.Add(-90*time.Second), now.Add(-time.Second)
	var b bytes.Buffer
	printNATSStatus(&b, natsink.Status{Enabled: true, URL: "nats://n1:4222,nats://n2:4222", Stream: "CALLCTL", Running: true,
		Pending: 12, Oldest: &oldest, LastAck: &natsink.LastAck{At: now.Add(-2 * time.Minute), Stream: "CALLCTL", Seq: 41, MsgID: "pbx1-0a0b0c0d-41"},
		LastError: "nats: no servers available for connection", ErrorAt: &errAt}, now)
	for _, want := range []string{"url          nats://n1:4222,nats://n2:4222", "connection   not connected", "pending      12 (oldest 1m30s ago)",
		"last ack     2026-12-02T07:58:00Z (2m0s ago): CALLCTL seq 41, pbx1-0a0b0c0d-41", "last error   2026-12-02T07:59:59Z: nats: no servers"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in\n%s", want, b.String())
		}
	}
}
