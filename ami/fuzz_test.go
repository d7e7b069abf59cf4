package ami

import (
	"strings"
	"testing"
)

// splitArgs is Asterisk's argument splitter as manager.c applies it to a
// Variable header (__ast_app_separate_args with remove_chars), written from
// its documented rules: ',' separates unless inside "…", (…) or […]; a
// backslash makes the next character literal; quotes are removed.
func splitArgs(s string) []string {
	var args []string
	var cur strings.Builder
	paren, bracket, quote := 0, 0, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '(':
			paren++
		case ch == ')':
			if paren > 0 {
				paren--
			}
		case ch == '[':
			bracket++
		case ch == ']':
			if bracket > 0 {
				bracket--
			}
		case ch == '"':
			quote = !quote
			continue
		case ch == '\\':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
			continue
		case ch == ',' && paren == 0 && bracket == 0 && !quote:
			args = append(args, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(ch)
	}
	return append(args, cur.String())
}

// FuzzVariables checks that any variable that is accepted reaches Asterisk
// unchanged and cannot add a header line.
func FuzzVariables(f *testing.F) {
	f.Add("CALLCTL_CUSTOMCDR1", "a,b")
	f.Add("X", `say "hi" (now) [1] \o/`)
	f.Add("X", "a\r\nAction: Command")
	f.Add("CDR(userfield)", "k=v,w")
	f.Fuzz(func(t *testing.T, name, value string) {
		values, err := encodeVariables(map[string]string{name: value, "CALLCTL_Z": "z"})
		if err != nil {
			return
		}
		got := map[string]string{}
		for _, enc := range values {
			if strings.ContainsAny(enc, "\r\n\x00") {
				t.Fatalf("encoded header holds CR/LF/NUL: %q", enc)
			}
			if n := len("Variable: ") + len(enc) + 2; n > maxLine {
				t.Fatalf("a Variable line of %d bytes", n)
			}
			for _, arg := range splitArgs(enc) {
				k, v, ok := strings.Cut(arg, "=")
				if !ok {
					t.Fatalf("item %q without '=' in %q", arg, enc)
				}
				got[k] = v
			}
		}
		if got[name] != value || got["CALLCTL_Z"] != "z" || len(got) != 2 && name != "CALLCTL_Z" {
			t.Fatalf("%q=%q encoded as %q, decoded as %v", name, value, values, got)
		}
	})
}

// FuzzActionHeaders checks that an accepted action serialises to exactly its
// own header lines: no value can end a line or the message.
func FuzzActionHeaders(f *testing.F) {
	f.Add("Originate", "Channel", "PJSIP/1000")
	f.Add("Originate", "Exten", "100\r\nAction: Command\r\nCommand: core show uptime")
	f.Add("Hangup", "Channel", "x\x00y")
	f.Fuzz(func(t *testing.T, action, key, value string) {
		msg, err := Action{Name: action, Headers: map[string]string{key: value}}.encode("callctl-A-1")
		if err != nil {
			return
		}
		var wire strings.Builder
		for k, v := range msg {
			wire.WriteString(k + ": " + v + "\r\n")
		}
		lines := strings.Split(strings.TrimSuffix(wire.String(), "\r\n"), "\r\n")
		if len(lines) != len(msg) {
			t.Fatalf("%d headers became %d lines: %q", len(msg), len(lines), wire.String())
		}
		for _, l := range lines {
			if strings.ContainsAny(l, "\r\n\x00") || l == "" {
				t.Fatalf("bad line %q", l)
			}
		}
		if msg["Action"] != action || msg["ActionID"] != "callctl-A-1" {
			t.Fatalf("action/actionid overridden: %v", msg)
		}
	})
}

// escapeC is Asterisk's ast_escape_c as documented in utils.c.
func escapeC(s string) string {
	const from, to = "\a\b\f\n\r\t\v\\'\"?", `abfnrtv\'"?`
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if j := strings.IndexByte(from, s[i]); j >= 0 {
			b.WriteByte('\\')
			b.WriteByte(to[j])
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func FuzzUnescape(f *testing.F) {
	f.Add(`a,b "q" (p) [s] \x =y`)
	f.Add("line\r\nAction: Command")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.IndexByte(s, 0) >= 0 {
			return // ast_escape_c stops at NUL
		}
		if got := Unescape(escapeC(s)); got != s {
			t.Fatalf("Unescape(escape(%q)) = %q", s, got)
		}
	})
}
