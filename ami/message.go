package ami

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Message is one AMI message, an event or a response: header name → value,
// with the header names as Asterisk sends them.
type Message map[string]string

// Synthetic events that this package adds to the stream.
const (
	// EventConnected starts the events of a new AMI session (first connect or
	// reconnect). Consumers resynchronise their state after it.
	EventConnected = "CallctlConnected"
	// EventDisconnected is delivered when the AMI session is lost.
	EventDisconnected = "CallctlDisconnected"
	// EventsLost tells a subscriber that its queue overflowed and Count events
	// were dropped before this one; it must resynchronise.
	EventsLost = "CallctlEventsLost"

	// HeaderTruncated is set to "1" on events in which a line longer than
	// the library's 4,096-byte buffer was cut.
	HeaderTruncated = "CallctlTruncated"
)

// Get returns the value of a header, or "".
func (m Message) Get(key string) string { return m[key] }

// Event returns the event name, or "" for a response.
func (m Message) Event() string { return m["Event"] }

// IsResponse reports whether m is a response to an action.
func (m Message) IsResponse() bool { _, ok := m["Response"]; return ok && m["Event"] == "" }

// Clone returns a copy of m that the caller may keep and change.
func (m Message) Clone() Message {
	c := make(Message, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// Action is an AMI action to send. ActionID is set by the Client.
type Action struct {
	Name      string            // e.g. "Originate"
	Headers   map[string]string // every header but Action and ActionID
	Variables map[string]string // channel variables, sent in as few Variable headers as fit
}

// Limits of Asterisk's manager.c (Asterisk 22) on what it reads.
const (
	// maxLine is the longest header line, CR LF included: get_input reads
	// into a 1,025-byte buffer (one byte for the NUL) and answers a longer
	// line with "Failed to parse message: line too long" (without the
	// message's ActionID if that header comes later: the library writes
	// headers in map order). Checked on the test bed's Asterisk 22.
	maxLine = 1024
	// maxHeaders is AST_MAX_MANHEADERS: headers beyond it fail the action.
	maxHeaders = 128
	// maxVariables is what one Variable header can carry (man_do_variable_value
	// splits at most 64 items, the last one unsplit).
	maxVariables = 63
)

// CheckValue reports whether v can be sent in an AMI header: it must not
// contain CR, LF or NUL, which would end the header and let the rest be read
// as further headers or actions.
func CheckValue(v string) error {
	if i := strings.IndexAny(v, "\r\n\x00"); i >= 0 {
		return fmt.Errorf("%w: %q holds CR, LF or NUL", ErrInvalidValue, truncate(v, 40))
	}
	return nil
}

func checkName(kind, n string) error {
	if n == "" {
		return fmt.Errorf("%w: empty %s", ErrInvalidValue, kind)
	}
	for _, r := range n {
		ok := r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !ok {
			return fmt.Errorf("%w: %s %q", ErrInvalidValue, kind, truncate(n, 40))
		}
	}
	return nil
}

// encode validates a and turns it into the header map that goes on the wire.
func (a Action) encode(actionID string) (map[string]string, error) {
	if err := checkName("action name", a.Name); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(a.Headers)+3)
	for k, v := range a.Headers {
		if err := checkName("header name", k); err != nil {
			return nil, err
		}
		switch strings.ToLower(k) {
		case "action", "actionid":
			return nil, fmt.Errorf("%w: header %s is set by the client", ErrInvalidValue, k)
		case "variable":
			// Getvar and Setvar name their variable in a Variable header;
			// channel variables use Variables.
			if len(a.Variables) > 0 {
				return nil, fmt.Errorf("%w: both a Variable header and Variables", ErrInvalidValue)
			}
		}
		if err := CheckValue(v); err != nil {
			return nil, err
		}
		if err := checkLine(k, v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	if len(a.Variables) > 0 {
		values, err := encodeVariables(a.Variables)
		if err != nil {
			return nil, err
		}
		for i, v := range values {
			out[variableKey(i)] = v
		}
	}
	out["Action"] = a.Name
	out["ActionID"] = actionID
	if len(out) > maxHeaders {
		return nil, fmt.Errorf("%w: %d headers, Asterisk reads at most %d", ErrInvalidValue, len(out), maxHeaders)
	}
	return out, nil
}

// checkLine refuses a header whose line Asterisk would not read.
func checkLine(key, value string) error {
	if n := len(key) + len(": ") + len(value) + len("\r\n"); n > maxLine {
		return fmt.Errorf("%w: header %s: a line of %d bytes, Asterisk reads at most %d", ErrInvalidValue, truncate(key, 40), n, maxLine)
	}
	return nil
}

// variableKey is the map key of the i-th Variable header. The library's
// headers are a map, so one key holds one header; Asterisk matches header
// names without regard to case (astman_get_variables_order), so the i-th
// header is "Variable" with the letters whose bit is set in i upper-cased:
// Variable, VAriable, VaRiable, … (2^7 keys, more than maxHeaders).
func variableKey(i int) string {
	b := []byte("Variable")
	for j := 1; j < len(b); j++ {
		if i&(1<<(j-1)) != 0 {
			b[j] -= 'a' - 'A'
		}
	}
	return string(b)
}

// encodeVariables packs variables into "Variable: a=1,b=2" values, as few
// as fit in Asterisk's line limit (at most maxVariables each), in name
// order. Asterisk splits each value like dialplan arguments, so the
// characters it treats specially are escaped with a backslash.
func encodeVariables(vars map[string]string) ([]string, error) {
	var out []string
	var b strings.Builder
	n := 0 // variables in b
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		value := vars[name]
		if !validVariableName(name) {
			return nil, fmt.Errorf("%w: variable name %q", ErrInvalidValue, truncate(name, 40))
		}
		if err := CheckValue(value); err != nil {
			return nil, err
		}
		var item strings.Builder
		escapeArg(&item, name)
		item.WriteByte('=')
		escapeArg(&item, value)
		if err := checkLine("Variable", item.String()); err != nil {
			return nil, fmt.Errorf("%w: variable %s is too long for one header line (%d bytes escaped)", ErrInvalidValue, truncate(name, 40), item.Len())
		}
		if n > 0 && (n == maxVariables || checkLine("Variable", b.String()+","+item.String()) != nil) {
			out = append(out, b.String())
			b.Reset()
			n = 0
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString(item.String())
		n++
	}
	if n > 0 {
		out = append(out, b.String())
	}
	return out, nil
}

// escapeArg writes s so that Asterisk's argument splitter
// (__ast_app_separate_args) gives it back unchanged.
func escapeArg(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\', ',', '"', '(', ')', '[', ']':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// validVariableName accepts channel variable names (letters, digits and
// underscores, with the leading underscores of inheritance) and dialplan
// function names such as CDR(userfield).
func validVariableName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		ok := c == '_' || c == '(' || c == ')' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !ok {
			return false
		}
	}
	return true
}
