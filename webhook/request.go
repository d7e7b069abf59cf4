package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Request is one rendered delivery attempt, independent of the transport.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

const (
	contentJSON = "application/json"
	contentForm = "application/x-www-form-urlencoded"
	userAgent   = "callctl-webhook/1"
)

// request renders what client c sends for fs: the default format (GET: the
// chosen parameters as the query; POST: a JSON object, a form for events)
// or the client's template; its headers, authentication and API key; and
// the Standard Webhooks headers for delivery id at time now.
func (c *Client) request(fs Fields, nodeID, id string, now time.Time) *Request {
	if c.Kind == KindCallEnd && !c.IncludeRecording {
		fs = without(fs, "monitor_file") // only ever sent with include_recording
	}
	all := append(append(Fields(nil), fs...), StringField(paramNodeID, nodeID))
	req := &Request{Method: c.Method, URL: c.URL, Header: http.Header{}}
	contentType := ""
	keyWhere, keyName, _ := strings.Cut(c.APIKeyIn, ":")
	if c.APIKey == "" {
		keyWhere = ""
	}
	if c.Template != "" {
		// Checked when the client was saved.
		t, _ := parseTemplate(c.Template, c.Method == http.MethodPost, append(append([]string(nil), params(c.Kind)...), paramNodeID))
		out := t.render(all)
		switch t.mode {
		case modeURL:
			req.URL += string(out)
		case modeJSON:
			req.Body, contentType = out, contentJSON
			if keyWhere == "body" {
				req.Body = jsonWithField(out, keyName, c.APIKey)
			}
		case modeForm:
			req.Body, contentType = out, contentForm
			if keyWhere == "body" {
				req.Body = []byte(joinForm(string(out), url.QueryEscape(keyName)+"="+url.QueryEscape(c.APIKey)))
			}
		}
	} else {
		sel := c.selected(fs)
		if c.Kind == KindCallEnd {
			sel = append(sel, StringField(paramNodeID, nodeID))
		}
		switch {
		case c.Method == http.MethodGet:
			req.URL = joinQuery(req.URL, sel.Form())
		case c.Kind == kindEvent:
			if keyWhere == "body" {
				sel = append(sel, StringField(keyName, c.APIKey))
			}
			req.Body, contentType = []byte(sel.Form()), contentForm
		default:
			if keyWhere == "body" {
				sel = append(Fields{StringField(keyName, c.APIKey)}, sel...)
			}
			req.Body, contentType = sel.JSON(), contentJSON
		}
	}
	if keyWhere == "query" {
		req.URL = joinQuery(req.URL, url.QueryEscape(keyName)+"="+url.QueryEscape(c.APIKey))
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", userAgent)
	for _, h := range c.Headers {
		req.Header.Set(h.Name, h.Value)
	}
	if keyWhere == "header" {
		req.Header.Set(keyName, c.APIKey)
	}
	if c.Basic != nil {
		r := http.Request{Header: http.Header{}}
		r.SetBasicAuth(c.Basic.User, c.Basic.Password)
		req.Header.Set("Authorization", r.Header.Get("Authorization"))
	}
	ts := now.Unix()
	req.Header.Set(headerID, id)
	req.Header.Set(headerTimestamp, strconv.FormatInt(ts, 10))
	if c.Secret != "" {
		if key, err := parseSecret(c.Secret); err == nil {
			req.Header.Set(headerSignature, signature(key, id, ts, req.Body))
		}
	}
	return req
}

// selected returns the fields c sends by default: its chosen parameters
// (all when none are chosen), in the kind's order. The call_end body keeps
// nulls, as the seed's examples do; the shorter kinds leave absent values
// out, as the seed's GET and POST examples do.
func (c *Client) selected(fs Fields) Fields {
	var out Fields
	for _, f := range fs {
		if len(c.Params) > 0 && !contains(c.Params, f.Name) {
			continue
		}
		if c.Kind != KindCallEnd && f.IsNull() {
			continue
		}
		out = append(out, f)
	}
	return out
}

func without(fs Fields, name string) Fields {
	out := make(Fields, 0, len(fs))
	for _, f := range fs {
		if f.Name != name {
			out = append(out, f)
		}
	}
	return out
}

// joinQuery appends q to the URL's query.
func joinQuery(u, q string) string {
	switch {
	case q == "":
		return u
	case !strings.Contains(u, "?"):
		return u + "?" + q
	case strings.HasSuffix(u, "?") || strings.HasSuffix(u, "&"):
		return u + q
	default:
		return u + "&" + q
	}
}

func joinForm(body, kv string) string {
	if strings.TrimSpace(body) == "" {
		return kv
	}
	return body + "&" + kv
}

// jsonWithField puts "name": value first in the JSON object obj.
func jsonWithField(obj []byte, name, value string) []byte {
	i := bytes.IndexByte(obj, '{')
	if i < 0 {
		return obj
	}
	k, _ := json.Marshal(name)
	v, _ := json.Marshal(value)
	var b bytes.Buffer
	b.Write(obj[:i+1])
	b.Write(k)
	b.WriteByte(':')
	b.Write(v)
	if rest := bytes.TrimSpace(obj[i+1:]); len(rest) > 0 && rest[0] != '}' {
		b.WriteByte(',')
	}
	b.Write(obj[i+1:])
	return b.Bytes()
}

func jsonValid(b []byte) bool { return json.Valid(b) }

func jsonObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}
