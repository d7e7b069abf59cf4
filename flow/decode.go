package flow

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxSize is the most bytes of a flow's text Decode reads (a flow of
// MaxSteps steps is some 40 KiB; the admin socket's 1 MiB request limit
// holds MaxSize even with every byte JSON-escaped).
const MaxSize = 128 << 10

// Decode reads a flow written in YAML or JSON (JSON is YAML), strictly: a
// key the flow language does not have, a key given twice, a value of the
// wrong type (a duration is a string such as "5s" or "1m30s", never a bare
// number) or a second document is an *Error naming the line. Decode does
// not validate the flow (see Validate).
func Decode(data []byte) (Flow, error) { return decode(data, MaxSize) }

// decode is Decode with a size limit of max bytes (0: none, for the
// store's own text, which Encode may have made longer than its input).
func decode(data []byte, max int) (Flow, error) {
	var f Flow
	if max > 0 && len(data) > max {
		return Flow{}, &Error{Problems: []Problem{{Step: -1, Message: fmt.Sprintf("more than %d bytes", MaxSize)}}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(&f)
	if errors.Is(err, io.EOF) {
		return Flow{}, &Error{Problems: []Problem{{Step: -1, Message: "empty: no flow in the input"}}}
	}
	if err != nil {
		return Flow{}, &Error{Flow: nameOf(data), Problems: decodeProblems(err)}
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		p := Problem{Step: -1, Line: more.Line, Message: "a second document: one flow per file"}
		if err != nil {
			p = Problem{Step: -1, Message: "after the flow: " + strings.TrimPrefix(err.Error(), "yaml: ")}
		}
		return Flow{}, &Error{Flow: f.Name, Problems: []Problem{p}}
	}
	if max > 0 {
		// yaml.v3 truncates a fraction into an int: 1.5 retries would be 1.
		var root yaml.Node
		if yaml.Unmarshal(data, &root) == nil {
			if ps := fractions(&root); len(ps) > 0 {
				return Flow{}, &Error{Flow: f.Name, Problems: ps}
			}
		}
	}
	return f, nil
}

// fractions finds menu.retries and hangup.cause given a fraction.
func fractions(n *yaml.Node) []Problem {
	var out []Problem
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			whole := map[string]string{"menu": "retries", "hangup": "cause"}[k.Value]
			if whole == "" || v.Kind != yaml.MappingNode {
				continue
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				if kk, vv := v.Content[j], v.Content[j+1]; kk.Value == whole && vv.ShortTag() == "!!float" {
					out = append(out, Problem{Step: -1, Line: vv.Line, Message: fmt.Sprintf("%s.%s: want a whole number, not %s", k.Value, whole, vv.Value)})
				}
			}
		}
	}
	for _, c := range n.Content {
		out = append(out, fractions(c)...)
	}
	return out
}

// nameOf is the flow's name in data when it can be read, for the message.
func nameOf(data []byte) string {
	var n struct {
		Name string `yaml:"name"`
	}
	if yaml.Unmarshal(data, &n) != nil {
		return ""
	}
	return n.Name
}

var (
	lineRE     = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownRE  = regexp.MustCompile(`^field (.+) not found in type flow\.(\w+)$`)
	durationRE = regexp.MustCompile("^cannot unmarshal !!\\w+ `(.*)` into time\\.Duration$")
	typeRE     = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")
)

// wants says in words what a Go type of the flow language takes.
func wants(goType string) string {
	switch goType {
	case "flow.Flow":
		return "a flow (a mapping)"
	case "[]flow.Step":
		return "a list of steps"
	case "string":
		return "a string"
	case "int":
		return "a whole number"
	case "bool":
		return "true or false"
	case "[]string":
		return "a list of strings"
	case "map[string]string":
		return "a mapping of strings"
	}
	if t, ok := strings.CutPrefix(goType, "flow."); ok && where[t] != "" {
		return "a mapping (" + where[t] + ")"
	}
	return goType
}

// where names a type of the flow language as its key.
var where = map[string]string{
	"Flow": "the flow", "Step": "a step", "Notify": "notify", "Query": "query", "Menu": "menu",
	"Tag": "tag", "Ring": "ring", "Queue": "queue", "Voicemail": "voicemail", "Playback": "playback",
	"SayDigits": "say_digits", "Goto": "goto", "Hangup": "hangup",
}

// decodeProblems turns yaml.v3's errors into problems with their lines.
func decodeProblems(err error) []Problem {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var out []Problem
	for _, m := range msgs {
		p := Problem{Step: -1, Message: m}
		if sm := lineRE.FindStringSubmatch(m); sm != nil {
			p.Line, _ = strconv.Atoi(sm[1])
			p.Message = sm[2]
		}
		if sm := unknownRE.FindStringSubmatch(p.Message); sm != nil {
			w := where[sm[2]]
			if w == "" {
				w = sm[2]
			}
			p.Message = fmt.Sprintf("unknown key %q in %s", sm[1], w)
		} else if sm := durationRE.FindStringSubmatch(p.Message); sm != nil {
			p.Message = fmt.Sprintf("%q is not a duration: write e.g. \"5s\", \"1m30s\"", sm[1])
		} else if sm := typeRE.FindStringSubmatch(p.Message); sm != nil {
			got := map[string]string{"seq": "a list", "map": "a mapping", "null": "nothing"}[sm[1]]
			if got == "" {
				got = strconv.Quote(sm[2])
			}
			p.Message = fmt.Sprintf("want %s, not %s", wants(sm[3]), got)
		} else {
			if strings.Contains(p.Message, "expected alphabetic or numeric character") {
				p.Message += ` (quote the menu keys "*" and "#")`
			}
		}
		out = append(out, p)
	}
	return out
}
