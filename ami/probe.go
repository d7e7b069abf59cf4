package ami

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Probe connects to cfg.Addr, logs in with cfg's credentials and asks
// Asterisk's version (CoreSettings), then logs off: what `callctl config
// check` reports of AMI. The whole exchange is bounded by ctx and by
// cfg.DialTimeout for the connect. The error says which step failed and
// why (connection refused, not an AMI greeting, login refused: Asterisk's
// message).
func Probe(ctx context.Context, cfg Config) (version string, err error) {
	for _, v := range []string{cfg.Username, cfg.Secret} {
		if err := CheckValue(v); err != nil {
			return "", fmt.Errorf("ami: login: %w", err)
		}
	}
	d := net.Dialer{Timeout: cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return "", fmt.Errorf("ami: %w", err)
	}
	defer conn.Close()
	deadline := time.Now().Add(loginTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	r := bufio.NewReader(conn)
	greeting, err := r.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("ami: %s sent no AMI greeting: %w", cfg.Addr, err)
	}
	if !strings.HasPrefix(greeting, "Asterisk Call Manager") {
		return "", fmt.Errorf("ami: %s does not speak AMI: it greets with %q", cfg.Addr, truncate(strings.TrimSpace(greeting), 40))
	}
	ev := eventReader{r: r}
	exchange := func(action string) (Message, error) {
		if _, err := io.WriteString(conn, action); err != nil {
			return nil, err
		}
		for {
			m, err := ev.next()
			if err != nil {
				return nil, err
			}
			if m.IsResponse() {
				return m, nil
			}
		}
	}
	m, err := exchange("Action: Login\r\nActionID: callctl-P-1\r\nUsername: " + cfg.Username +
		"\r\nSecret: " + cfg.Secret + "\r\nEvents: off\r\n\r\n")
	if err != nil {
		return "", fmt.Errorf("ami: login: %w", err)
	}
	if !strings.EqualFold(m["Response"], "Success") {
		return "", fmt.Errorf("ami: login as %q refused: %s", cfg.Username, m["Message"])
	}
	m, err = exchange("Action: CoreSettings\r\nActionID: callctl-P-2\r\n\r\n")
	if err != nil {
		return "", fmt.Errorf("ami: CoreSettings: %w", err)
	}
	if !strings.EqualFold(m["Response"], "Success") {
		return "", fmt.Errorf("ami: CoreSettings refused: %s (the user needs read system)", m["Message"])
	}
	io.WriteString(conn, "Action: Logoff\r\nActionID: callctl-P-3\r\n\r\n")
	return m["AsteriskVersion"], nil
}
