package webhook

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Kinds of client.
const (
	// KindCallNotify tells a receiver about a call while it happens (its
	// triggers: arrival, ring, answer).
	KindCallNotify = "call_notify"
	// KindDataQuery asks a receiver how to route a call; the call flow
	// waits for the answer (Outbox.Query). Never queued nor retried.
	KindDataQuery = "data_query"
	// KindCallEnd sends a finished call's record with its sub-records
	// (POST only).
	KindCallEnd = "call_end"
	// kindEvent is a form-encoded event to a target that is not a client
	// (extension event subscriptions).
	kindEvent = "event"
)

// Triggers of a call_notify client.
const (
	TriggerArrival = "arrival" // an external call reached the PBX
	TriggerRing    = "ring"    // an extension starts ringing
	TriggerAnswer  = "answer"  // an extension answers
)

// Client is one configured outbound API connection.
type Client struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	URL    string `json:"url"`
	Method string `json:"method"` // GET or POST
	// Params are the parameters sent (the kind's list; empty: all).
	Params []string `json:"params,omitempty"`
	// Template replaces the default format: see template.go.
	Template string     `json:"template,omitempty"`
	Headers  []Header   `json:"headers,omitempty"`
	Basic    *BasicAuth `json:"basic_auth,omitempty"`
	// APIKey is sent as APIKeyIn says: header:NAME, query:NAME or body:NAME.
	APIKey   string `json:"api_key,omitempty"`
	APIKeyIn string `json:"api_key_in,omitempty"`
	// Secret signs requests (Standard Webhooks): whsec_ and base64.
	Secret   string   `json:"secret,omitempty"`
	Triggers []string `json:"triggers,omitempty"` // call_notify
	// IncludeRecording sends the recordings base64 (call_end).
	IncludeRecording bool            `json:"include_recording,omitempty"`
	Timeout          time.Duration   `json:"timeout"`
	Retry            []time.Duration `json:"retry,omitempty"` // waits before each attempt; not data_query
	// Concurrency is how many requests may be in flight to this client.
	Concurrency int       `json:"concurrency"`
	Created     time.Time `json:"created"`
}

// Header is an extra request header.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// BasicAuth is HTTP Basic authentication.
type BasicAuth struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// DefaultRetry is the Standard Webhooks (Svix) schedule: at once, then
// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after each failure.
var DefaultRetry = []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// Limits of a client's settings.
const (
	DefaultTimeout = 5 * time.Second
	MaxTimeout     = time.Minute
	maxRetries     = 20
	maxRetryWait   = 48 * time.Hour
	maxConcurrency = 64
	minSecretBytes = 16
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// reserved headers are set by callctl itself.
var reservedHeaders = []string{"Host", "Content-Length", "Transfer-Encoding", "Connection",
	"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"}

// params returns the parameters a client of kind may name.
func params(kind string) []string {
	if kind == KindCallEnd {
		return CallEndParams
	}
	return CallParams
}

// normalize fills the defaults and checks every setting; the error is
// the message for the user.
func (c *Client) normalize(allowLinkLocal bool, defaultConcurrency int) error {
	if !nameRE.MatchString(c.Name) {
		return fmt.Errorf("name %q: use 1-64 letters, digits, '_', '.' or '-'", c.Name)
	}
	switch c.Kind {
	case KindCallNotify, KindDataQuery, KindCallEnd:
	default:
		return fmt.Errorf("kind %q: want call_end, call_notify or data_query", c.Kind)
	}
	if err := ValidateURL(c.URL, allowLinkLocal); err != nil {
		return err
	}
	c.Method = strings.ToUpper(c.Method)
	switch {
	case c.Method == "" && c.Kind == KindCallEnd:
		c.Method = http.MethodPost
	case c.Method == "":
		c.Method = http.MethodGet
	case c.Method != http.MethodGet && c.Method != http.MethodPost:
		return fmt.Errorf("method %q: want GET or POST", c.Method)
	case c.Method == http.MethodGet && c.Kind == KindCallEnd:
		return fmt.Errorf("call_end is sent with POST only")
	}
	known := params(c.Kind)
	seen := map[string]bool{}
	for _, p := range c.Params {
		if !contains(known, p) {
			return fmt.Errorf("parameter %q: %s sends %s", p, c.Kind, strings.Join(known, ", "))
		}
		if seen[p] {
			return fmt.Errorf("parameter %q named twice", p)
		}
		seen[p] = true
	}
	if c.Template != "" {
		if err := c.checkTemplate(); err != nil {
			return err
		}
	}
	for i, h := range c.Headers {
		if !validToken(h.Name) {
			return fmt.Errorf("header %q: not a valid header name", h.Name)
		}
		if strings.ContainsAny(h.Value, "\r\n\x00") {
			return fmt.Errorf("header %s: the value has a line break or NUL", h.Name)
		}
		for _, r := range reservedHeaders {
			if strings.EqualFold(h.Name, r) {
				return fmt.Errorf("header %s is set by callctl", h.Name)
			}
		}
		c.Headers[i].Name = http.CanonicalHeaderKey(h.Name)
	}
	if b := c.Basic; b != nil {
		if b.User == "" || strings.ContainsAny(b.User, ":\r\n\x00") || strings.ContainsAny(b.Password, "\r\n\x00") {
			return fmt.Errorf("basic auth: want USER:PASS, the user without ':'")
		}
	}
	if err := c.checkAPIKey(); err != nil {
		return err
	}
	if c.Secret != "" {
		if _, err := parseSecret(c.Secret); err != nil {
			return err
		}
	}
	if c.Kind != KindCallNotify && len(c.Triggers) > 0 {
		return fmt.Errorf("triggers are for call_notify clients")
	}
	if c.Kind == KindCallNotify {
		if len(c.Triggers) == 0 {
			c.Triggers = []string{TriggerArrival}
		}
		for _, tr := range c.Triggers {
			if tr != TriggerArrival && tr != TriggerRing && tr != TriggerAnswer {
				return fmt.Errorf("trigger %q: want arrival, ring or answer", tr)
			}
		}
	}
	if c.IncludeRecording && c.Kind != KindCallEnd {
		return fmt.Errorf("include-recording is for call_end clients")
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Timeout < 0 || c.Timeout > MaxTimeout {
		return fmt.Errorf("timeout %s: want more than 0 and at most %s", c.Timeout, MaxTimeout)
	}
	if c.Kind == KindDataQuery && len(c.Retry) > 0 {
		return fmt.Errorf("a data query is answered while the call waits: it is never retried")
	}
	if c.Kind != KindDataQuery && len(c.Retry) == 0 {
		c.Retry = append([]time.Duration(nil), DefaultRetry...)
	}
	if len(c.Retry) > maxRetries {
		return fmt.Errorf("retry: at most %d attempts", maxRetries)
	}
	for _, d := range c.Retry {
		if d < 0 || d > maxRetryWait {
			return fmt.Errorf("retry: %s: each wait from 0s to %s", d, maxRetryWait)
		}
	}
	if c.Concurrency == 0 {
		c.Concurrency = defaultConcurrency
	}
	if c.Concurrency < 1 || c.Concurrency > maxConcurrency {
		return fmt.Errorf("concurrency %d: want 1 to %d", c.Concurrency, maxConcurrency)
	}
	return nil
}

// checkTemplate parses the template and fills it with sample values: a JSON
// template must give valid JSON, a GET template a valid URL.
func (c *Client) checkTemplate() error {
	post := c.Method == http.MethodPost
	t, err := parseTemplate(c.Template, post, append(append([]string(nil), params(c.Kind)...), paramNodeID))
	if err != nil {
		return err
	}
	out := t.render(sampleFields(c.Kind))
	switch t.mode {
	case modeJSON:
		if !jsonValid(out) {
			return fmt.Errorf("template: not valid JSON once filled in: %s", out)
		}
		if c.APIKey != "" && strings.HasPrefix(c.APIKeyIn, "body:") && !jsonObject(out) {
			return fmt.Errorf("template: the API key goes in the body, so the template must be a JSON object")
		}
	case modeURL:
		if _, err := url.Parse(c.URL + string(out)); err != nil {
			return fmt.Errorf("template: the URL it gives is not valid: %v", err)
		}
	}
	return nil
}

func (c *Client) checkAPIKey() error {
	if c.APIKey == "" {
		if c.APIKeyIn != "" {
			return fmt.Errorf("api-key-in without an api key")
		}
		return nil
	}
	if strings.ContainsAny(c.APIKey, "\r\n\x00") {
		return fmt.Errorf("api key: has a line break or NUL")
	}
	if c.APIKeyIn == "" {
		c.APIKeyIn = "header:X-API-Key"
	}
	where, name, ok := strings.Cut(c.APIKeyIn, ":")
	if !ok || name == "" {
		return fmt.Errorf("api-key-in %q: want header:NAME, query:NAME or body:NAME", c.APIKeyIn)
	}
	switch where {
	case "header":
		if !validToken(name) {
			return fmt.Errorf("api-key-in %q: not a valid header name", c.APIKeyIn)
		}
		for _, r := range reservedHeaders {
			if strings.EqualFold(name, r) {
				return fmt.Errorf("api-key-in: header %s is set by callctl", name)
			}
		}
	case "query":
	case "body":
		if c.Method == http.MethodGet {
			return fmt.Errorf("api-key-in body: a GET request has no body")
		}
	default:
		return fmt.Errorf("api-key-in %q: want header:NAME, query:NAME or body:NAME", c.APIKeyIn)
	}
	return nil
}

// ValidateURL checks a destination: absolute http or https with a host, no
// credentials in it (they go in basic auth), and no link-local address
// unless allowed.
func ValidateURL(raw string, allowLinkLocal bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("url %q: %v", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("url %q: want http:// or https:// and a host", raw)
	}
	if u.User != nil {
		return fmt.Errorf("url %q: put credentials in basic auth, not in the URL", raw)
	}
	if u.Fragment != "" || strings.ContainsAny(raw, " \r\n\x00") {
		return fmt.Errorf("url %q: no fragment, spaces or line breaks", raw)
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil && !allowLinkLocal && isLinkLocal(ip) {
		return fmt.Errorf("url %q: %w", raw, ErrLinkLocal)
	}
	return nil
}

// isLinkLocal covers 169.254.0.0/16 (cloud metadata services live there)
// and fe80::/10, also as IPv4-mapped IPv6.
func isLinkLocal(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast()
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// parseSecret decodes a Standard Webhooks secret: "whsec_" and base64.
func parseSecret(s string) ([]byte, error) {
	b64, ok := strings.CutPrefix(s, "whsec_")
	if !ok {
		return nil, fmt.Errorf("secret: want whsec_ followed by base64")
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("secret: the part after whsec_ is not base64: %v", err)
	}
	if len(key) < minSecretBytes {
		return nil, fmt.Errorf("secret: %d bytes, want at least %d", len(key), minSecretBytes)
	}
	return key, nil
}

// Redacted returns c with its secrets cut short, for showing.
func (c Client) Redacted() Client {
	if c.Basic != nil {
		c.Basic = &BasicAuth{User: c.Basic.User, Password: "****"}
	}
	c.APIKey = mask(c.APIKey, 0)
	c.Secret = mask(c.Secret, len("whsec_"))
	return c
}

// mask keeps keep+2 characters of a long secret and hides the rest.
func mask(s string, keep int) string {
	if s == "" {
		return ""
	}
	if len(s) < keep+8 {
		return "****"
	}
	return s[:keep+2] + "****"
}
