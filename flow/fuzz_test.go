package flow

import (
	"os"
	"testing"
)

// Decode then Validate never panics, whatever the input, and a flow
// Decode accepts survives Encode and Decode.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"seed-inbound", "query-routing", "ring-group"} {
		if data, err := os.ReadFile("../examples/flows/" + name + ".yaml"); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"name": "x", "steps": [{"id": "a", "goto": {"step": "a"}}]}`))
	f.Add([]byte("name: x\nsteps:\n  - {id: a, menu: {prompt: beep, choices: {'1': b}}}\n  - {id: b, tag: {tags: [x]}, next: a}\n"))
	f.Add([]byte("name: x\nsteps: [{id: a, hangup: {cause: 300}, ring: {}}]\n"))
	f.Add([]byte("a: &a [*a]"))
	cat := testCatalog()
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := Decode(data)
		if err != nil {
			return
		}
		_ = Validate(fl, cat)
		text, err := Encode(fl)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		if _, err := Decode(text); err != nil {
			t.Fatalf("Decode(Encode(f)): %v\n%s", err, text)
		}
	})
}
