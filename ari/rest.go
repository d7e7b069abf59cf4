package ari

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	lib "github.com/CyCoreSystems/ari/v5"
)

func basicAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// call makes one REST request. body, if not nil, is sent as JSON; out, if
// not nil, receives the JSON answer. op names the call in errors and metrics.
func (c *Client) call(ctx context.Context, op, method, path string, query url.Values, body, out any) (err error) {
	start := time.Now()
	defer func() {
		result := "ok"
		var e *Error
		switch {
		case err == nil:
		case errors.As(err, &e):
			result = fmt.Sprint(e.Status)
		default:
			result = "error"
		}
		c.metrics.requestDuration.WithLabelValues(op, result).Observe(time.Since(start).Seconds())
	}()
	// RequestTimeout bounds a request whose context has no deadline (as
	// http.Client.Timeout would, without its timer goroutine per request).
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.RequestTimeout)
		defer cancel()
	}

	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("ari: %s: %w", op, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("ari: %s: %w", op, err)
	}
	req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("ari: %s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxEventSize))
	if err != nil {
		return fmt.Errorf("ari: %s: %w", op, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var m struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &m) != nil || m.Message == "" {
			m.Message = http.StatusText(resp.StatusCode)
		}
		return &Error{Operation: op, Status: resp.StatusCode, Message: m.Message}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("ari: %s: decoding the answer: %w", op, err)
		}
	}
	return nil
}

// Info returns the running Asterisk's version and startup time.
func (c *Client) Info(ctx context.Context) (Info, error) {
	var d lib.AsteriskInfo
	if err := c.call(ctx, "asterisk_info", http.MethodGet, "/asterisk/info", nil, nil, &d); err != nil {
		return Info{}, err
	}
	return Info{
		Version:     d.SystemInfo.Version,
		EntityID:    d.SystemInfo.EntityID,
		StartupTime: time.Time(d.StatusInfo.StartupTime),
		ReloadTime:  time.Time(d.StatusInfo.LastReloadTime),
	}, nil
}
