package flow

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// catalog is a Catalog of fixed names.
type catalog struct {
	exts, queues, flows map[string]bool
	clients             map[string]string // name → kind
}

func (c catalog) Extension(n string) bool    { return c.exts[n] }
func (c catalog) Queue(n string) bool        { return c.queues[n] }
func (c catalog) Client(n, kind string) bool { return c.clients[n] == kind }
func (c catalog) Flow(n string) bool         { return c.flows[n] }

// testCatalog is the test bed's PBX: lines 1000–1009, queues support and
// sales, clients crm-lookup (data_query) and crm-ring (call_notify), and
// the stored flow "other".
func testCatalog() catalog {
	c := catalog{exts: map[string]bool{}, queues: map[string]bool{"support": true, "sales": true},
		flows: map[string]bool{"other": true}, clients: map[string]string{"crm-lookup": KindDataQuery, "crm-ring": KindCallNotify}}
	for _, n := range []string{"1000", "1001", "1002", "1003", "1004", "1005", "1006", "1007", "1008", "1009"} {
		c.exts[n] = true
	}
	return c
}

func TestExamplesAreValid(t *testing.T) {
	for _, name := range []string{"seed-inbound", "query-routing", "ring-group"} {
		data, err := os.ReadFile("../examples/flows/" + name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		f, err := Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := Validate(f, testCatalog()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		// Encode and Decode are each other's inverse.
		text, err := Encode(f)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(text)
		if err != nil || !reflect.DeepEqual(back, f) {
			t.Errorf("%s: Encode → Decode: %v\n%s", name, err, text)
		}
	}
}

// The seed's flow, as the executor reads it.
func TestSeedInbound(t *testing.T) {
	data, err := os.ReadFile("../examples/flows/seed-inbound.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	want := Flow{Name: "seed-inbound", Exten: "200", Language: "en", Steps: []Step{
		{ID: "menu1", Menu: &Menu{Prompt: "beep", Timeout: 5 * time.Second, Retries: 2, Choices: map[string]string{"1": "menu2"}, Fallback: "support"}},
		{ID: "menu2", Menu: &Menu{Prompt: "beep", Timeout: 5 * time.Second, Retries: 2, Choices: map[string]string{"2": "tag"}, Fallback: "support"}},
		{ID: "tag", Next: "support", Tag: &Tag{Tags: []string{"vip", "demo"}}},
		{ID: "support", Record: true, Queue: &Queue{Name: "support", Timeout: 60 * time.Second}},
	}}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("got  %+v\nwant %+v", f, want)
	}
	// The same flow in JSON.
	j, err := Decode([]byte(`{"name": "seed-inbound", "exten": "200", "language": "en", "steps": [
	  {"id": "menu1", "menu": {"prompt": "beep", "timeout": "5s", "retries": 2, "choices": {"1": "menu2"}, "fallback": "support"}},
	  {"id": "menu2", "menu": {"prompt": "beep", "timeout": "5s", "retries": 2, "choices": {"2": "tag"}, "fallback": "support"}},
	  {"id": "tag", "tag": {"tags": ["vip", "demo"]}, "next": "support"},
	  {"id": "support", "record": true, "queue": {"name": "support", "timeout": "1m"}}]}`))
	if err != nil || !reflect.DeepEqual(j, want) {
		t.Errorf("JSON: %v\n%+v", err, j)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "flow: empty: no flow in the input"},
		{"  \n# only a comment\n", "flow: empty: no flow in the input"},
		{"name: x\nstep: []\n", `flow "x": line 2: unknown key "step" in the flow`},
		{"name: x\nsteps:\n  - id: a\n    hangup: {}\n    nxt: b\n    menu: {promt: beep}\n",
			`flow "x": line 5: unknown key "nxt" in a step` + "\n" + `flow "x": line 6: unknown key "promt" in menu`},
		{"name: x\nsteps:\n  - id: a\n    menu: {prompt: beep, timeout: 5}\n",
			`flow "x": line 4: "5" is not a duration: write e.g. "5s", "1m30s"`},
		{`{"name": "x", "steps": [{"id": "a", "ring": {"extensions": ["1000"], "timeout": 20}}]}`,
			`flow "x": line 1: "20" is not a duration: write e.g. "5s", "1m30s"`},
		{"name: x\nsteps:\n  - id: a\n    queue: {name: support, timeout: 5 minutes}\n",
			`flow "x": line 4: "5 minutes" is not a duration: write e.g. "5s", "1m30s"`},
		{"name: x\nname: y\n", `flow: line 2: mapping key "name" already defined at line 1`},
		{"name: x\nsteps:\n  - id: a\n    menu:\n      prompt: beep\n      choices:\n        1: a\n        1: b\n",
			`flow "x": line 8: mapping key "1" already defined at line 7`},
		{"name: x\nsteps:\n  - id: a\n    menu: {prompt: beep, choices: {*: a}}\n",
			`flow: line 4: did not find expected alphabetic or numeric character (quote the menu keys "*" and "#")`},
		{"- name: x\n", "flow: line 1: want a flow (a mapping), not a list"},
		{"name: x\nsteps: {id: a}\n", `flow "x": line 2: want a list of steps, not a mapping`},
		{"name: x\nsteps:\n  - id: a\n    hangup: {cause: sixteen}\n", `flow "x": line 4: want a whole number, not "sixteen"`},
		{"name: x\nsteps:\n  - id: a\n    tag: {tags: vip}\n", `flow "x": line 4: want a list of strings, not "vip"`},
		{"name: x\nsteps:\n  - id: a\n    tag: [vip]\n", `flow "x": line 4: want a mapping (tag), not a list`},
		{"name: x\nsteps:\n  - id: a\n    hangup: {cause: 1.5}\n  - {id: m, menu: {prompt: beep, retries: 2.0, choices: {'1': a}}}\n",
			`flow "x": line 4: hangup.cause: want a whole number, not 1.5` + "\n" + `flow "x": line 5: menu.retries: want a whole number, not 2.0`},
		{"name: x\n---\nname: y\n", `flow "x": line 2: a second document: one flow per file`},
		{"name: [x\n", "flow: line 1: did not find expected ',' or ']'"},
		{"\tname: x\n", "flow: found character that cannot start any token"},
		{"name: x\n" + strings.Repeat("#", MaxSize), "flow: more than 131072 bytes"},
	} {
		_, err := Decode([]byte(c.in))
		if err == nil || err.Error() != c.want {
			t.Errorf("Decode(%q):\n got %v\nwant %s", c.in, err, c.want)
		}
	}
}
