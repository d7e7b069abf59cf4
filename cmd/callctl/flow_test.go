package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callctl/callctl/flow"
)

// The flow commands on a database no daemon holds.
func TestFlowCommandsWithoutADaemon(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CALLCTL_DATA_DIR", dir)
	run1 := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(args, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	seed := "../../examples/flows/seed-inbound.yaml"
	bad := write("bad.yaml", "name: bad\nsteps:\n  - {id: menu1, menu: {prompt: beep, choices: {'1': a, '3': foo}}}\n  - {id: a, queue: {name: billing}}\n")
	typo := write("typo.yaml", "name: typo\nsteps:\n  - id: a\n    hangup: {casue: 17}\n")
	jump := write("jump.json", `{"name": "jump", "steps": [{"id": "m", "menu": {"prompt": "beep", "choices": {"1": "g"}}}, {"id": "g", "goto": {"flow": "seed-inbound"}}]}`)
	clash := write("clash.yaml", "name: clash\nexten: \"200\"\nsteps: [{id: h, hangup: {}}]\n")
	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"flow", "set", jump}, 1, `jump.json: flow "jump": steps[1] (id "g"): goto.flow: unknown flow "seed-inbound"`},
		{[]string{"flow", "set", seed}, 0, "flow seed-inbound saved (4 steps, exten 200)"},
		{[]string{"flow", "set", seed}, 0, "flow seed-inbound replaced (4 steps, exten 200)"},
		{[]string{"flow", "set", jump}, 0, "flow jump saved (2 steps, exten -)"},
		{[]string{"flow", "set", bad}, 1, "bad.yaml: flow \"bad\": steps[0] (id \"menu1\"): menu.choices[\"3\"]: unknown step \"foo\"\n" +
			"callctl: " + bad + ": flow \"bad\": steps[1] (id \"a\"): queue.name: unknown queue \"billing\"\n"},
		{[]string{"flow", "set", typo}, 1, `typo.yaml: flow "typo": line 4: unknown key "casue" in hangup`},
		{[]string{"flow", "set", clash}, 1, `clash.yaml: flow "clash": exten: "200" is the technical extension of flow "seed-inbound"`},
		{[]string{"flow", "set", filepath.Join(dir, "none.yaml")}, 1, "no such file"},
		{[]string{"flow", "list"}, 0, "NAME          EXTEN  LANGUAGE  STEPS  FIRST\njump          -      en        2      m\nseed-inbound  200    en        4      menu1\n"},
		{[]string{"flow", "show", "seed-inbound"}, 0, "name: seed-inbound\nexten: \"200\"\nlanguage: en\nsteps:\n  - id: menu1\n    menu:\n      prompt: beep\n      timeout: 5s\n"},
		{[]string{"flow", "show", "nope"}, 1, "no such flow: nope"},
		{[]string{"flow", "del", "seed-inbound"}, 1, `in use: flow "seed-inbound": DID 3612340300 (pbx.dids) runs it; the goto of flow "jump" steps[1] (id "g") names it`},
		{[]string{"flow", "del", "nope"}, 1, "no such flow: nope"},
		{[]string{"flow", "del", "jump"}, 0, "flow jump deleted"},
		// The default configuration's pbx.dids: 3612340300 runs seed-inbound.
		{[]string{"flow", "del", "seed-inbound"}, 1, `in use: flow "seed-inbound": DID 3612340300 (pbx.dids) runs it`},
		{[]string{"flow", "list"}, 0, "seed-inbound  200    en        4      menu1\n"},
		{[]string{"flow", "show"}, 2, "usage"},
		{[]string{"flow", "set"}, 2, "usage"},
		{[]string{"flow", "list", "x"}, 2, "usage"},
		{[]string{"flow", "frob"}, 2, "unknown command flow frob"},
		{[]string{"flow"}, 2, "usage"},
	} {
		code, out := run1(c.args...)
		if code != c.code || !strings.Contains(out, c.out) {
			t.Errorf("callctl %s: exit %d, %q; want %d and %q", strings.Join(c.args, " "), code, out, c.code, c.out)
		}
	}
	// show prints the flow language: it reads back as the same flow.
	_, out := run1("flow", "show", "seed-inbound")
	shown, err := flow.Decode([]byte(out))
	data, _ := os.ReadFile(seed)
	orig, _ := flow.Decode(data)
	if err != nil || shown.Name != orig.Name || len(shown.Steps) != len(orig.Steps) || !shown.Steps[3].Record {
		t.Errorf("show: %v\n%s", err, out)
	}
	_, out = run1("flow", "list", "--json")
	var list []flow.Info
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0].Exten != "200" || list[0].Steps != 4 {
		t.Errorf("list --json: %v %s", err, out)
	}
}
