package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// A template is a client's own format: the text appended to the URL (GET)
// or the whole body (POST), with {{name}} placeholders for the kind's
// parameters (spaces inside the braces are allowed).
//
// How a value is written depends on where its placeholder stands:
//   - GET: URL-encoded (url.QueryEscape; null is empty).
//   - POST with a JSON template (it starts with { or [): inside a JSON
//     string, the value's text JSON-escaped; elsewhere the value itself as
//     JSON (a string quoted, a number as is, null as null, sub_cdrs as an
//     array).
//   - any other POST template is a form: values URL-encoded.
type template struct {
	parts []tmplPart
	mode  tmplMode
}

type tmplMode int

const (
	modeURL tmplMode = iota
	modeJSON
	modeForm
)

type tmplPart struct {
	lit      string
	name     string // a placeholder when not ""
	inString bool   // modeJSON: inside a JSON string
}

// parseTemplate parses src for a GET (URL) or POST body, allowing the
// placeholders in known.
func parseTemplate(src string, post bool, known []string) (*template, error) {
	t := &template{mode: modeURL}
	if post {
		t.mode = modeForm
		if s := strings.TrimSpace(src); strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
			t.mode = modeJSON
		}
	}
	inString, escaped := false, false
	scan := func(lit string) {
		for i := 0; i < len(lit); i++ {
			c := lit[i]
			switch {
			case escaped:
				escaped = false
			case inString && c == '\\':
				escaped = true
			case c == '"':
				inString = !inString
			}
		}
	}
	rest := src
	for rest != "" {
		i := strings.Index(rest, "{{")
		if i < 0 {
			t.parts = append(t.parts, tmplPart{lit: rest})
			scan(rest)
			break
		}
		lit := rest[:i]
		t.parts = append(t.parts, tmplPart{lit: lit})
		scan(lit)
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("template: %q has no closing }}", rest[i:])
		}
		name := strings.TrimSpace(rest[i+2 : i+j])
		if !contains(known, name) {
			return nil, fmt.Errorf("template: unknown parameter {{%s}}; known: %s", name, strings.Join(known, ", "))
		}
		t.parts = append(t.parts, tmplPart{name: name, inString: inString && !escaped})
		rest = rest[i+j+2:]
	}
	return t, nil
}

// render fills the template with fields (a missing field is null).
func (t *template) render(fs Fields) []byte {
	var b bytes.Buffer
	for _, p := range t.parts {
		if p.name == "" {
			b.WriteString(p.lit)
			continue
		}
		f, _ := fs.Get(p.name)
		switch {
		case t.mode == modeJSON && p.inString:
			s, _ := json.Marshal(f.Text())
			b.Write(s[1 : len(s)-1])
		case t.mode == modeJSON:
			if f.IsNull() {
				b.WriteString("null")
			} else {
				b.Write(f.Value)
			}
		default:
			b.WriteString(url.QueryEscape(f.Text()))
		}
	}
	return b.Bytes()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
