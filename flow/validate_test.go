package flow

import (
	"errors"
	"strings"
	"testing"
)

// validate decodes text and validates it against the test catalog.
func validate(t *testing.T, text string) error {
	t.Helper()
	f, err := Decode([]byte(text))
	if err != nil {
		t.Fatalf("Decode: %v\n%s", err, text)
	}
	return Validate(f, testCatalog())
}

// Every rule of Validate, each with its message.
func TestValidateProblems(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []string // the lines of the error, in order; none: valid
	}{
		{"every kind", `
name: all-kinds
exten: "299"
language: hu
default: sorry
steps:
  - {id: n, notify: {client: crm-ring}, next: q}
  - {id: q, query: {client: crm-lookup, timeout: 2s, field: seg, branches: {vip: m}, extension: owner, ring_timeout: 15s, fallback: m}}
  - {id: m, menu: {prompt: custom/welcome, timeout: 4s, retries: 3, choices: {"1": t, "*": r, "#": s}, fallback: vm}}
  - {id: t, tag: {tags: [vip, demo]}, next: r}
  - {id: r, record: true, ring: {extensions: ["1001", "1002"], strategy: order, timeout: 15s, busy: s, unavailable: vm, noanswer: vm}, next: p}
  - {id: s, record: true, queue: {name: support, timeout: 5m, exit: vm}}
  - {id: vm, voicemail: {box: "1001@default"}}
  - {id: p, playback: {sounds: [beep, digits/1]}, next: d}
  - {id: d, say_digits: {digits: "${caller}", language: en}, next: g}
  - {id: g, goto: {flow: other}}
  - {id: sorry, hangup: {cause: 34}}
`, nil},
		{"a branch called cause", "name: x\nsteps: [{id: q, query: {client: crm-lookup, field: f, branches: {cause: 1.5}, fallback: 1.5}}, {id: 1.5, hangup: {}}]", nil},
		{"a menu loop is allowed", `
name: x
steps:
  - {id: m, menu: {prompt: beep, choices: {"1": t}}}
  - {id: t, tag: {tags: [a]}, next: m}
`, nil},
		{"goto its own flow", `
name: x
steps:
  - {id: m, menu: {prompt: beep, choices: {"1": g}}}
  - {id: g, goto: {flow: x}}
`, nil},

		// The flow's own keys.
		{"no name", "steps: [{id: a, hangup: {}}]", []string{`flow: name: required`}},
		{"bad name", "name: -x\nsteps: [{id: a, hangup: {}}]",
			[]string{`flow "-x": name: "-x": 1 to 64 of A-Z a-z 0-9 _ . -, starting with a letter or digit`}},
		{"long name", "name: " + strings.Repeat("a", 65) + "\nsteps: [{id: a, hangup: {}}]",
			[]string{`flow "` + strings.Repeat("a", 65) + `": name: "` + strings.Repeat("a", 65) + `": 1 to 64 of A-Z a-z 0-9 _ . -, starting with a letter or digit`}},
		{"bad exten", "name: x\nexten: 2o0\nsteps: [{id: a, hangup: {}}]", []string{`flow "x": exten: "2o0": 1 to 32 of 0-9 * #`}},
		{"exten of a line", "name: x\nexten: \"1001\"\nsteps: [{id: a, hangup: {}}]",
			[]string{`flow "x": exten: "1001" is an extension of the PBX: a flow's technical extension must be a number of its own`}},
		{"language", "name: x\nlanguage: de\nsteps: [{id: a, hangup: {}}]", []string{`flow "x": language: "de": en or hu`}},
		{"no steps", "name: x\n", []string{`flow "x": steps: required: a flow has at least one step`}},
		{"unknown default", "name: x\ndefault: nope\nsteps: [{id: a, hangup: {}}]", []string{`flow "x": default: unknown step "nope"`}},

		// Ids and kinds.
		{"no id", "name: x\nsteps: [{hangup: {}}]", []string{`flow "x": steps[0]: id: required`}},
		{"bad id", "name: x\nsteps: [{id: a b, hangup: {}}]",
			[]string{`flow "x": steps[0] (id "a b"): id: 1 to 64 of A-Z a-z 0-9 _ . -, starting with a letter or digit`}},
		{"duplicate id", "name: x\nsteps: [{id: a, menu: {prompt: beep, choices: {'1': a}}}, {id: a, hangup: {}}]",
			[]string{`flow "x": steps[1] (id "a"): id: also the id of steps[0]: ids are unique`,
				`flow "x": steps[1] (id "a"): unreachable: no step leads here, nor is it the flow's default`}},
		{"no kind", "name: x\nsteps: [{id: a}]",
			[]string{`flow "x": steps[0] (id "a"): no kind: a step is one of notify, query, menu, tag, ring, queue, voicemail, playback, say_digits, goto, hangup`}},
		{"two kinds", "name: x\nsteps: [{id: a, hangup: {}, tag: {tags: [x]}}]",
			[]string{`flow "x": steps[0] (id "a"): 2 kinds (tag, hangup): a step is exactly one`}},
		{"null kind", "name: x\nsteps: [{id: a, hangup: }]",
			[]string{`flow "x": steps[0] (id "a"): no kind: a step is one of notify, query, menu, tag, ring, queue, voicemail, playback, say_digits, goto, hangup`}},

		// Step references.
		{"unknown next", "name: x\nsteps: [{id: a, tag: {tags: [x]}, next: b}]", []string{`flow "x": steps[0] (id "a"): next: unknown step "b"`}},
		{"unknown menu choice", `
name: x
steps:
  - {id: menu1, menu: {prompt: beep, choices: {"1": a, "3": foo}, fallback: bar}}
  - {id: a, hangup: {}}
`, []string{`flow "x": steps[0] (id "menu1"): menu.choices["3"]: unknown step "foo"`,
			`flow "x": steps[0] (id "menu1"): menu.fallback: unknown step "bar"`}},
		{"unknown ring exits", `
name: x
steps:
  - {id: r, ring: {extensions: ["1001"], busy: b, unavailable: u, noanswer: n}}
`, []string{`flow "x": steps[0] (id "r"): ring.busy: unknown step "b"`,
			`flow "x": steps[0] (id "r"): ring.unavailable: unknown step "u"`,
			`flow "x": steps[0] (id "r"): ring.noanswer: unknown step "n"`}},
		{"unknown query branch and fallback", `
name: x
steps:
  - {id: q, query: {client: crm-lookup, field: seg, branches: {vip: v, b: w}, fallback: f}}
`, []string{`flow "x": steps[0] (id "q"): query.branches["b"]: unknown step "w"`,
			`flow "x": steps[0] (id "q"): query.branches["vip"]: unknown step "v"`,
			`flow "x": steps[0] (id "q"): query.fallback: unknown step "f"`}},
		{"unknown queue exit", "name: x\nsteps: [{id: s, queue: {name: support, exit: e}}]", []string{`flow "x": steps[0] (id "s"): queue.exit: unknown step "e"`}},
		{"unknown goto step", "name: x\nsteps: [{id: g, goto: {step: h}}]", []string{`flow "x": steps[0] (id "g"): goto.step: unknown step "h"`}},
		{"unknown goto flow", "name: x\nsteps: [{id: g, goto: {flow: nope}}]", []string{`flow "x": steps[0] (id "g"): goto.flow: unknown flow "nope"`}},
		{"goto both", "name: x\nsteps: [{id: g, goto: {flow: other, step: h}}, {id: h, hangup: {}}]", []string{`flow "x": steps[0] (id "g"): goto: give flow or step, not both`}},
		{"goto neither", "name: x\nsteps: [{id: g, goto: {}}]", []string{`flow "x": steps[0] (id "g"): goto: give flow or step`}},
		{"goto bad flow name", "name: x\nsteps: [{id: g, goto: {flow: a/b}}]", []string{`flow "x": steps[0] (id "g"): goto.flow: "a/b" is not a flow name`}},

		// Each kind's fields.
		{"notify without a client", "name: x\nsteps: [{id: n, notify: {}}]", []string{`flow "x": steps[0] (id "n"): notify.client: required: a call_notify client's name`}},
		{"notify of a data_query client", "name: x\nsteps: [{id: n, notify: {client: crm-lookup}}]",
			[]string{`flow "x": steps[0] (id "n"): notify.client: unknown call_notify client "crm-lookup"`}},
		{"query of a call_notify client", "name: x\nsteps: [{id: q, query: {client: crm-ring, extension: e, fallback: h}}, {id: h, hangup: {}}]",
			[]string{`flow "x": steps[0] (id "q"): query.client: unknown data_query client "crm-ring"`}},
		{"query routes nowhere, no fallback", "name: x\nsteps: [{id: q, query: {client: crm-lookup}}]",
			[]string{`flow "x": steps[0] (id "q"): query: routes nowhere: give field and branches, or extension (or both)`,
				`flow "x": steps[0] (id "q"): query.fallback: required: where a timeout, an error or an answer that matches nothing goes`}},
		{"query field without branches", "name: x\nsteps: [{id: q, query: {client: crm-lookup, field: seg, fallback: h}}, {id: h, hangup: {}}]",
			[]string{`flow "x": steps[0] (id "q"): query.branches: required with field: answer value → step`}},
		{"query branches without field", "name: x\nsteps: [{id: q, query: {client: crm-lookup, branches: {a: h}, fallback: h}}, {id: h, hangup: {}}]",
			[]string{`flow "x": steps[0] (id "q"): query.field: required with branches: the answer field they match`}},
		{"query bad field names", "name: x\nsteps: [{id: q, query: {client: crm-lookup, field: a b, branches: {'': h}, extension: '{x}', fallback: h}}, {id: h, hangup: {}}]",
			[]string{`flow "x": steps[0] (id "q"): query.field: "a b": an answer field's name, 1 to 64 of A-Z a-z 0-9 _ . -`,
				`flow "x": steps[0] (id "q"): query.branches[""]: a value of 1 to 128 bytes`,
				`flow "x": steps[0] (id "q"): query.extension: "{x}": an answer field's name, 1 to 64 of A-Z a-z 0-9 _ . -`}},
		{"query ring_timeout without extension", "name: x\nsteps: [{id: q, query: {client: crm-lookup, field: a, branches: {b: h}, ring_timeout: 10s, fallback: h}}, {id: h, hangup: {}}]",
			[]string{`flow "x": steps[0] (id "q"): query.ring_timeout: only with extension`}},
		{"query timeouts out of bounds", "name: x\nsteps: [{id: q, query: {client: crm-lookup, extension: e, timeout: 50ms, ring_timeout: 11m, fallback: h}}, {id: h, hangup: {}}]",
			[]string{`flow "x": steps[0] (id "q"): query.timeout: 50ms: from 100ms to 30s (left out: the default)`,
				`flow "x": steps[0] (id "q"): query.ring_timeout: 11m0s: from 1s to 10m0s (left out: the default)`}},
		{"menu without prompt and choices", "name: x\nsteps: [{id: m, menu: {}}]",
			[]string{`flow "x": steps[0] (id "m"): menu.prompt: required: an Asterisk sound name, e.g. "beep" or "custom/welcome"`,
				`flow "x": steps[0] (id "m"): menu.choices: required: key → step`}},
		{"menu keys", "name: x\nsteps: [{id: m, menu: {prompt: beep, choices: {'10': m, a: m, '': m, '#': m}}}]",
			[]string{`flow "x": steps[0] (id "m"): menu.choices[""]: a key is one of 0-9 * # (quote "*" and "#" in YAML)`,
				`flow "x": steps[0] (id "m"): menu.choices["10"]: a key is one of 0-9 * # (quote "*" and "#" in YAML)`,
				`flow "x": steps[0] (id "m"): menu.choices["a"]: a key is one of 0-9 * # (quote "*" and "#" in YAML)`}},
		{"menu bounds", "name: x\nsteps: [{id: m, menu: {prompt: beep, timeout: -1s, retries: 10, choices: {'1': m}}}]",
			[]string{`flow "x": steps[0] (id "m"): menu.timeout: -1s: from 1s to 1m0s (left out: the default)`,
				`flow "x": steps[0] (id "m"): menu.retries: 10: from 0 to 9`}},
		{"menu negative retries", "name: x\nsteps: [{id: m, menu: {prompt: beep, retries: -1, choices: {'1': m}}}]",
			[]string{`flow "x": steps[0] (id "m"): menu.retries: -1: from 0 to 9`}},
		{"bad sounds", "name: x\nsteps: [{id: p, playback: {sounds: [../etc/passwd, /tmp/x, 'a&b', custom/../x, beep.wav, '']}}]",
			[]string{`flow "x": steps[0] (id "p"): playback.sounds[0]: "../etc/passwd": an Asterisk sound name (A-Z a-z 0-9 _ - in parts separated by /, no extension)`,
				`flow "x": steps[0] (id "p"): playback.sounds[1]: "/tmp/x": an Asterisk sound name (A-Z a-z 0-9 _ - in parts separated by /, no extension)`,
				`flow "x": steps[0] (id "p"): playback.sounds[2]: "a&b": an Asterisk sound name (A-Z a-z 0-9 _ - in parts separated by /, no extension)`,
				`flow "x": steps[0] (id "p"): playback.sounds[3]: "custom/../x": an Asterisk sound name (A-Z a-z 0-9 _ - in parts separated by /, no extension)`,
				`flow "x": steps[0] (id "p"): playback.sounds[4]: "beep.wav": an Asterisk sound name (A-Z a-z 0-9 _ - in parts separated by /, no extension)`,
				`flow "x": steps[0] (id "p"): playback.sounds[5]: required: an Asterisk sound name, e.g. "beep" or "custom/welcome"`}},
		{"no sounds", "name: x\nsteps: [{id: p, playback: {sounds: []}}]", []string{`flow "x": steps[0] (id "p"): playback.sounds: required: at least one sound`}},
		{"tags", "name: x\nsteps: [{id: t, tag: {tags: ['a,b', vip, vip, ' x', '']}}]",
			[]string{`flow "x": steps[0] (id "t"): tag.tags[0]: "a,b": 1 to 64 of letters, digits, _ . : / + - (no commas, no spaces)`,
				`flow "x": steps[0] (id "t"): tag.tags[2]: "vip" given twice`,
				`flow "x": steps[0] (id "t"): tag.tags[3]: " x": 1 to 64 of letters, digits, _ . : / + - (no commas, no spaces)`,
				`flow "x": steps[0] (id "t"): tag.tags[4]: "": 1 to 64 of letters, digits, _ . : / + - (no commas, no spaces)`}},
		{"no tags", "name: x\nsteps: [{id: t, tag: {}}]", []string{`flow "x": steps[0] (id "t"): tag.tags: required: at least one tag`}},
		{"ring", "name: x\nsteps: [{id: r, ring: {extensions: ['1001', '1001', '2000', ''], strategy: random, timeout: 0.5s}}]",
			[]string{`flow "x": steps[0] (id "r"): ring.extensions[1]: "1001" given twice`,
				`flow "x": steps[0] (id "r"): ring.extensions[2]: unknown extension "2000"`,
				`flow "x": steps[0] (id "r"): ring.extensions[3]: empty`,
				`flow "x": steps[0] (id "r"): ring.strategy: "random": all or order`,
				`flow "x": steps[0] (id "r"): ring.timeout: 500ms: from 1s to 10m0s (left out: the default)`}},
		{"ring nobody", "name: x\nsteps: [{id: r, ring: {}}]", []string{`flow "x": steps[0] (id "r"): ring.extensions: required: at least one extension`}},
		{"queue", "name: x\nsteps: [{id: s, queue: {name: billing, timeout: 3h}}]",
			[]string{`flow "x": steps[0] (id "s"): queue.name: unknown queue "billing"`,
				`flow "x": steps[0] (id "s"): queue.timeout: 3h0m0s: from 1s to 2h0m0s (left out: the default)`}},
		{"queue without name", "name: x\nsteps: [{id: s, queue: {}}]", []string{`flow "x": steps[0] (id "s"): queue.name: required`}},
		{"voicemail", "name: x\nsteps: [{id: v, voicemail: {box: '1001@a@b'}}]",
			[]string{`flow "x": steps[0] (id "v"): voicemail.box: "1001@a@b": a mailbox, e.g. "1001" or "1001@default"`}},
		{"voicemail without box", "name: x\nsteps: [{id: v, voicemail: {}}]",
			[]string{`flow "x": steps[0] (id "v"): voicemail.box: required: a mailbox, e.g. "1001" or "1001@default"`}},
		{"say_digits", "name: x\nsteps: [{id: d, say_digits: {digits: 12a, language: fr}}]",
			[]string{`flow "x": steps[0] (id "d"): say_digits.digits: "12a": 1 to 64 of 0-9 * #, or "${caller}"`,
				`flow "x": steps[0] (id "d"): say_digits.language: "fr": en or hu`}},
		{"say_digits without digits", "name: x\nsteps: [{id: d, say_digits: {}}]",
			[]string{`flow "x": steps[0] (id "d"): say_digits.digits: required: digits (0-9 * #) or "${caller}"`}},
		{"say_digits of another variable", "name: x\nsteps: [{id: d, say_digits: {digits: '${EXTEN}'}}]",
			[]string{`flow "x": steps[0] (id "d"): say_digits.digits: "${EXTEN}": 1 to 64 of 0-9 * #, or "${caller}"`}},
		{"hangup cause", "name: x\nsteps: [{id: h, hangup: {cause: 128}}]",
			[]string{`flow "x": steps[0] (id "h"): hangup.cause: 128: a Q.850 cause from 1 to 127 (left out: 16)`}},
		{"hangup negative cause", "name: x\nsteps: [{id: h, hangup: {cause: -1}}]",
			[]string{`flow "x": steps[0] (id "h"): hangup.cause: -1: a Q.850 cause from 1 to 127 (left out: 16)`}},
		{"record on a menu", "name: x\nsteps: [{id: m, record: true, menu: {prompt: beep, choices: {'1': m}}}]",
			[]string{`flow "x": steps[0] (id "m"): record: only a ring or queue step records (this is a menu step)`}},
		{"next after the end", "name: x\nsteps: [{id: v, voicemail: {box: '1'}, next: h}, {id: h, hangup: {}, next: v}]",
			[]string{`flow "x": steps[0] (id "v"): next: a voicemail step does not go on: next has no use`,
				`flow "x": steps[1] (id "h"): next: a hangup step does not go on: next has no use`}},

		// The graph.
		{"unreachable", `
name: x
default: sorry
steps:
  - {id: a, tag: {tags: [x]}, next: b}
  - {id: b, hangup: {}}
  - {id: lost, hangup: {}}
  - {id: sorry, playback: {sounds: [beep]}, next: lost2}
  - {id: lost2, hangup: {}}
  - {id: lost3, goto: {step: a}}
`, []string{`flow "x": steps[2] (id "lost"): unreachable: no step leads here, nor is it the flow's default`,
			`flow "x": steps[5] (id "lost3"): unreachable: no step leads here, nor is it the flow's default`}},
		{"a loop without an exit", `
name: x
steps:
  - {id: hello, playback: {sounds: [beep]}, next: tag}
  - {id: tag, tag: {tags: [x]}, next: say}
  - {id: say, say_digits: {digits: "123"}, next: again}
  - {id: again, goto: {step: tag}}
`, []string{`flow "x": steps[1] (id "tag"): a loop without an exit: tag → say → again → tag; none of its steps waits for the caller (put a menu, ring, queue or query in it)`}},
		{"a step that goes to itself", "name: x\nsteps: [{id: n, notify: {client: crm-ring}, next: n}]",
			[]string{`flow "x": steps[0] (id "n"): a loop without an exit: n → n; none of its steps waits for the caller (put a menu, ring, queue or query in it)`}},
		{"two loops", `
name: x
steps:
  - {id: m, menu: {prompt: beep, choices: {"1": a, "2": c}}}
  - {id: a, tag: {tags: [x]}, next: b}
  - {id: b, goto: {step: a}}
  - {id: c, playback: {sounds: [beep]}, next: c}
`, []string{`flow "x": steps[1] (id "a"): a loop without an exit: a → b → a; none of its steps waits for the caller (put a menu, ring, queue or query in it)`,
			`flow "x": steps[3] (id "c"): a loop without an exit: c → c; none of its steps waits for the caller (put a menu, ring, queue or query in it)`}},
		{"a goto of the flow itself", "name: x\nsteps: [{id: t, tag: {tags: [a]}, next: g}, {id: g, goto: {flow: x}}]",
			[]string{`flow "x": steps[0] (id "t"): a loop without an exit: t → g → t; none of its steps waits for the caller (put a menu, ring, queue or query in it)`}},
		{"a loop through a ring is allowed", `
name: x
steps:
  - {id: r, ring: {extensions: ["1001"], noanswer: p}}
  - {id: p, playback: {sounds: [beep]}, next: r}
`, nil},

		// Many problems at once, in the order of the flow.
		{"all at once", `
name: x
default: nowhere
steps:
  - {id: menu1, menu: {prompt: beep, choices: {"1": a, "3": foo}}}
  - {id: a, queue: {name: nope}, record: true, next: menu1}
  - {id: z}
`, []string{`flow "x": default: unknown step "nowhere"`,
			`flow "x": steps[0] (id "menu1"): menu.choices["3"]: unknown step "foo"`,
			`flow "x": steps[1] (id "a"): queue.name: unknown queue "nope"`,
			`flow "x": steps[2] (id "z"): no kind: a step is one of notify, query, menu, tag, ring, queue, voicemail, playback, say_digits, goto, hangup`,
			`flow "x": steps[2] (id "z"): unreachable: no step leads here, nor is it the flow's default`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := validate(t, c.in)
			if c.want == nil {
				if err != nil {
					t.Fatalf("want valid, got\n%v", err)
				}
				return
			}
			var fe *Error
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("want an *Error, got %v", err)
			}
			if got, want := err.Error(), strings.Join(c.want, "\n"); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			if len(fe.Problems) != len(c.want) {
				t.Errorf("%d problems, want %d", len(fe.Problems), len(c.want))
			}
		})
	}
}

func TestTooManySteps(t *testing.T) {
	f := Flow{Name: "x"}
	for i := 0; i <= MaxSteps; i++ {
		f.Steps = append(f.Steps, Step{ID: "s", Hangup: &Hangup{}})
	}
	if err := Validate(f, testCatalog()); err == nil || err.Error() != `flow "x": steps: 257 steps: at most 256` {
		t.Errorf("got %v", err)
	}
}
