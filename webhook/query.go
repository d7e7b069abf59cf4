package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"time"
)

// Answer is a data query's answer: the receiver's status and the values
// of its JSON object (scalars as their text, null as "", objects and
// arrays as compact JSON) or of its form (the first value of each name).
type Answer struct {
	Status int
	Fields map[string]string
	Body   []byte // at most MaxReplyBytes
}

// Query asks the data_query client name about a call and waits for the
// answer, at most the client's timeout (or ctx's deadline if sooner). It is
// not queued nor retried: the call is waiting. Errors: ErrNoClient,
// ErrWrongKind, a *SendError (no answer, or a status other than 2xx, with
// the Answer filled in), ErrAnswerFormat.
func (o *Outbox) Query(ctx context.Context, name string, call Params) (Answer, error) {
	c, err := o.Client(name)
	if err != nil {
		return Answer{}, err
	}
	if c.Kind != KindDataQuery {
		return Answer{}, fmt.Errorf("%w: %s is a %s client", ErrWrongKind, name, c.Kind)
	}
	start := time.Now()
	req := c.request(call.fields(o.opts.Location), o.opts.NodeID, newWebhookID(), start)
	qctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	reply, err := o.transport.Send(qctx, req)
	o.m.attempt(KindDataQuery, reasonOf(err), time.Since(start))
	if reply == nil {
		return Answer{}, err
	}
	a := Answer{Status: reply.Status, Body: reply.Body}
	if err != nil {
		return a, err
	}
	a.Fields, err = parseAnswer(reply.Header.Get("Content-Type"), reply.Body)
	return a, err
}

func reasonOf(err error) Reason {
	if err == nil {
		return ReasonOK
	}
	if se, ok := err.(*SendError); ok {
		return se.Reason
	}
	return ReasonRender
}

// parseAnswer reads a JSON object (Content-Type application/json or a
// body that starts with {) or a form (anything else).
func parseAnswer(contentType string, body []byte) (map[string]string, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return map[string]string{}, nil
	}
	if mt == "application/json" || strings.HasSuffix(mt, "+json") || trimmed[0] == '{' {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &m); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrAnswerFormat, err)
		}
		out := make(map[string]string, len(m))
		for k, v := range m {
			out[k] = Field{Value: v}.Text()
			if len(v) > 0 && (v[0] == '{' || v[0] == '[') {
				var b bytes.Buffer
				json.Compact(&b, v)
				out[k] = b.String()
			}
		}
		return out, nil
	}
	vals, err := url.ParseQuery(string(trimmed))
	if err != nil || len(vals) == 0 || !bytes.Contains(trimmed, []byte("=")) {
		return nil, fmt.Errorf("%w: %.60q", ErrAnswerFormat, trimmed)
	}
	out := make(map[string]string, len(vals))
	for k, v := range vals {
		out[k] = v[0]
	}
	return out, nil
}

// TestResult is what `webhook test` prints.
type TestResult struct {
	Method   string        `json:"method"`
	URL      string        `json:"url"` // without the query
	Status   int           `json:"status"`
	Body     string        `json:"body"`
	Duration time.Duration `json:"duration"`
	Error    string        `json:"error,omitempty"`
}

// Test sends the client a sample (the seed's example of its kind, marked
// by a fresh webhook-id) once, and returns the receiver's answer.
func (o *Outbox) Test(ctx context.Context, name string) (TestResult, error) {
	c, err := o.Client(name)
	if err != nil {
		return TestResult{}, err
	}
	now := time.Now()
	var fs Fields
	if c.Kind == KindCallEnd {
		seed := sampleRecord().Seed(o.opts.Location)
		if c.IncludeRecording {
			file := "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=" // a silent WAV header
			seed.MonitorFile = &file
		}
		if fs, err = objectFields(seed); err != nil {
			return TestResult{}, err
		}
	} else {
		fs = sampleParams().fields(o.opts.Location)
	}
	req := c.request(fs, o.opts.NodeID, newWebhookID(), now)
	base, _, _ := strings.Cut(req.URL, "?")
	res := TestResult{Method: req.Method, URL: base}
	tctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	reply, err := o.transport.Send(tctx, req)
	res.Duration = time.Since(now)
	if reply != nil {
		res.Status, res.Body = reply.Status, string(reply.Body)
	}
	if err != nil {
		res.Error = err.Error()
	}
	return res, nil
}
