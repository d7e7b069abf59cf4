package flow

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
	"github.com/callctl/callctl/webhook"
)

func mustDecode(t *testing.T, text string) Flow {
	t.Helper()
	f, err := Decode([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// snapshot is every key of the flow buckets.
func snapshot(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := db.View(func(tx *store.Tx) error {
		for _, b := range []string{store.BucketFlows, store.BucketFlowByExten} {
			if err := tx.Scan(b, nil, nil, func(k, v []byte) (bool, error) {
				out[b+"/"+string(k)] = string(v)
				return true, nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStore(t *testing.T) {
	db := storetest.New(t)
	s := NewStore(db)
	cat := testCatalog()
	cat.flows = nil // the store answers for the flows

	main := mustDecode(t, "name: main\nexten: \"200\"\nsteps:\n  - {id: m, menu: {prompt: beep, choices: {'1': g, '2': s}}}\n  - {id: g, goto: {flow: sales}}\n  - {id: s, queue: {name: support}}\n")
	sales := mustDecode(t, "name: sales\nexten: \"210\"\nsteps: [{id: q, queue: {name: sales}}]\n")

	// A goto names a flow that is stored: not yet.
	before := snapshot(t, db)
	err := s.Set(main, cat)
	if err == nil || err.Error() != `flow "main": steps[1] (id "g"): goto.flow: unknown flow "sales"` {
		t.Fatalf("Set before sales: %v", err)
	}
	if !reflect.DeepEqual(snapshot(t, db), before) {
		t.Error("a refused Set changed the store")
	}
	if err := s.Set(sales, cat); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(main, cat); err != nil {
		t.Fatal(err)
	}

	// Get, ByExten, List.
	if f, ok, err := s.Get("main"); err != nil || !ok || !reflect.DeepEqual(f, main) {
		t.Errorf("Get: %v %v %+v", ok, err, f)
	}
	if _, ok, err := s.Get("nope"); ok || err != nil {
		t.Errorf("Get(nope): %v %v", ok, err)
	}
	if f, ok, err := s.ByExten("210"); err != nil || !ok || f.Name != "sales" {
		t.Errorf("ByExten(210): %v %v %+v", ok, err, f)
	}
	if _, ok, err := s.ByExten("299"); ok || err != nil {
		t.Errorf("ByExten(299): %v %v", ok, err)
	}
	list, err := s.List()
	if err != nil || len(list) != 2 || list[0].Name != "main" || list[1].Name != "sales" {
		t.Errorf("List: %v %+v", err, list)
	}

	// An exten another flow has: refused, with the flow's other problems.
	before = snapshot(t, db)
	other := mustDecode(t, "name: other\nexten: \"200\"\nlanguage: de\nsteps: [{id: q, queue: {name: billing}}]\n")
	err = s.Set(other, cat)
	want := `flow "other": language: "de": en or hu` + "\n" +
		`flow "other": exten: "200" is the technical extension of flow "main"` + "\n" +
		`flow "other": steps[0] (id "q"): queue.name: unknown queue "billing"`
	if !errors.Is(err, ErrInvalid) || err.Error() != want {
		t.Errorf("Set(other):\n%v\nwant\n%s", err, want)
	}
	if !reflect.DeepEqual(snapshot(t, db), before) {
		t.Error("a refused Set changed the store")
	}

	// Replacing a flow moves its exten.
	sales.Exten = "211"
	if err := s.Set(sales, cat); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.ByExten("210"); ok {
		t.Error("the old exten still names the flow")
	}
	if f, ok, _ := s.ByExten("211"); !ok || f.Name != "sales" {
		t.Error("the new exten does not name the flow")
	}
	// An exten dropped.
	sales.Exten = ""
	if err := s.Set(sales, cat); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.ByExten("211"); ok {
		t.Error("a dropped exten still names the flow")
	}

	// Delete: refused while main's goto names sales; unknown names.
	before = snapshot(t, db)
	if err := s.Delete("sales"); !errors.Is(err, ErrInUse) ||
		err.Error() != `flow: in use: flow "sales": the goto of flow "main" steps[1] (id "g") names it` {
		t.Errorf("Delete(sales): %v", err)
	}
	if err := s.Delete("nope"); !errors.Is(err, ErrNotFound) || err.Error() != "flow: no such flow: nope" {
		t.Errorf("Delete(nope): %v", err)
	}
	// Refused while a DID of pbx.dids runs it, naming the DID.
	dids := []pbx.DID{{Number: "3612340300", Flow: "main", Fallback: "1001"}, {Number: "3612340301", Flow: "other"}}
	if err := s.Delete("main", dids...); !errors.Is(err, ErrInUse) ||
		err.Error() != `flow: in use: flow "main": DID 3612340300 (pbx.dids) runs it` {
		t.Errorf("Delete(main) with a DID: %v", err)
	}
	dids = append(dids, pbx.DID{Number: "+3612340302", Flow: "sales"})
	if err := s.Delete("sales", dids...); !errors.Is(err, ErrInUse) ||
		err.Error() != `flow: in use: flow "sales": DID +3612340302 (pbx.dids) runs it; the goto of flow "main" steps[1] (id "g") names it` {
		t.Errorf("Delete(sales) with a DID: %v", err)
	}
	if !reflect.DeepEqual(snapshot(t, db), before) {
		t.Error("a refused Delete changed the store")
	}
	if err := s.Delete("main"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.ByExten("200"); ok {
		t.Error("a deleted flow's exten still names it")
	}
	if err := s.Delete("sales"); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, db); len(got) != 0 {
		t.Errorf("left: %v", got)
	}
	// A flow's goto of itself does not keep it.
	self := mustDecode(t, "name: self\nsteps:\n  - {id: m, menu: {prompt: beep, choices: {'1': g}}}\n  - {id: g, goto: {flow: self}}\n")
	if err := s.Set(self, cat); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("self"); err != nil {
		t.Error(err)
	}
}

// The daemon's catalog: the PBX's lines and queues, the webhook clients
// (read in Set's transaction) and the stored flows.
func TestPBXCatalog(t *testing.T) {
	db := storetest.New(t)
	dir, err := pbx.New(pbx.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	o, err := webhook.New(db, webhook.DefaultConfig(), webhook.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []webhook.Client{{Name: "crm-ring", Kind: "call_notify", URL: "http://127.0.0.1:9/"},
		{Name: "crm-lookup", Kind: "data_query", URL: "http://127.0.0.1:9/"}} {
		if _, err := o.Save(c, false); err != nil {
			t.Fatal(err)
		}
	}
	cat := NewCatalog(dir, db)
	for _, c := range []struct {
		got, want bool
		what      string
	}{
		{cat.Extension("1001"), true, "extension 1001"}, {cat.Extension("200"), false, "extension 200"},
		{cat.Queue("support"), true, "queue support"}, {cat.Queue("billing"), false, "queue billing"},
		{cat.Client("crm-ring", KindCallNotify), true, "crm-ring"}, {cat.Client("crm-ring", KindDataQuery), false, "crm-ring as data_query"},
		{cat.Client("crm-lookup", KindDataQuery), true, "crm-lookup"}, {cat.Client("nobody", KindDataQuery), false, "nobody"},
		{cat.Flow("seed-inbound"), false, "flow before Set"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v", c.what, c.got)
		}
	}
	s := NewStore(db)
	f := mustDecode(t, "name: seed-inbound\nexten: \"200\"\nsteps:\n  - {id: n, notify: {client: crm-ring}, next: q}\n  - {id: q, query: {client: crm-lookup, extension: owner, fallback: s}}\n  - {id: s, ring: {extensions: ['1001']}}\n")
	if err := s.Set(f, cat); err != nil {
		t.Fatal(err)
	}
	if !cat.Flow("seed-inbound") {
		t.Error("flow after Set")
	}
	f.Steps[0].Notify.Client = "crm-lookup"
	f.Steps[2].Ring.Extensions = []string{"1001", "2001"}
	err = s.Set(f, cat)
	if err == nil || !strings.Contains(err.Error(), `notify.client: unknown call_notify client "crm-lookup"`) ||
		!strings.Contains(err.Error(), `ring.extensions[1]: unknown extension "2001"`) {
		t.Errorf("Set: %v", err)
	}
}

// Get and ByExten hand out copies, and see a flow replaced at once.
func TestStoreCopies(t *testing.T) {
	db := storetest.New(t)
	s := NewStore(db)
	f := mustDecode(t, "name: a\nexten: \"200\"\nsteps:\n  - {id: m, menu: {prompt: beep, choices: {'1': t}}}\n  - {id: t, tag: {tags: [vip]}}\n")
	if err := s.Set(f, testCatalog()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		got, _, err := s.ByExten("200")
		if err != nil || !reflect.DeepEqual(got, f) {
			t.Fatalf("ByExten: %v %+v", err, got)
		}
		got.Steps[0].Menu.Choices["1"] = "x"
		got.Steps[1].Tag.Tags[0] = "x"
	}
	f.Steps[1].Tag.Tags = []string{"demo"}
	if err := s.Set(f, testCatalog()); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Get("a"); !reflect.DeepEqual(got, f) {
		t.Errorf("Get after Set: %+v", got.Steps[1].Tag)
	}
}

// Clone shares nothing with the original.
func TestClone(t *testing.T) {
	data, err := os.ReadFile("../examples/flows/query-routing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := mustDecode(t, string(data))
	f.Steps = append(f.Steps, Step{ID: "all", Notify: &Notify{Client: "c"}, Menu: &Menu{Choices: map[string]string{"1": "a"}},
		Tag: &Tag{Tags: []string{"t"}}, Ring: &Ring{Extensions: []string{"1"}}, Voicemail: &Voicemail{Box: "1"},
		Playback: &Playback{Sounds: []string{"s"}}, SayDigits: &SayDigits{Digits: "1"}, Goto: &Goto{Step: "a"}, Hangup: &Hangup{Cause: 1}})
	orig := mustDecode(t, string(data))
	orig.Steps = append(orig.Steps, f.Steps[len(f.Steps)-1].clone())
	c := f.Clone()
	if !reflect.DeepEqual(c, f) {
		t.Fatal("the clone differs")
	}
	for i := range c.Steps {
		s := &c.Steps[i]
		s.ID = "changed"
		if s.Query != nil && s.Query.Branches != nil {
			s.Query.Branches["new"] = "x"
			s.Query.Client = "x"
		}
		if s.Notify != nil {
			s.Notify.Client, s.Menu.Choices["1"], s.Tag.Tags[0], s.Ring.Extensions[0] = "x", "x", "x", "x"
			s.Voicemail.Box, s.Playback.Sounds[0], s.SayDigits.Digits, s.Goto.Step, s.Hangup.Cause = "x", "x", "x", "x", 2
		}
		if s.Queue != nil {
			s.Queue.Name = "x"
		}
	}
	if !reflect.DeepEqual(f, orig) {
		t.Error("changing the clone changed the original")
	}
}

// A loop without an exit through other flows is refused when the flow
// that closes it is set.
func TestStoreCrossFlowLoop(t *testing.T) {
	db := storetest.New(t)
	s := NewStore(db)
	cat := testCatalog()
	cat.flows = nil
	for _, text := range []string{
		"name: c\nsteps: [{id: h, hangup: {}}]\n",
		"name: b\nsteps: [{id: p, playback: {sounds: [beep]}, next: g}, {id: g, goto: {flow: c}}]\n",
		"name: a\nsteps: [{id: t, tag: {tags: [x]}, next: g}, {id: g, goto: {flow: b}}]\n",
		// a → b → c → a, where c waits first.
		"name: c\nsteps: [{id: m, menu: {prompt: beep, choices: {'1': g}}}, {id: g, goto: {flow: a}}]\n",
	} {
		if err := s.Set(mustDecode(t, text), cat); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, db)
	// c now goes to a at once: a → b → c → a, none waits.
	err := s.Set(mustDecode(t, "name: c\nsteps: [{id: n, notify: {client: crm-ring}, next: g}, {id: g, goto: {flow: a}}]\n"), cat)
	want := `flow "c": steps[1] (id "g"): goto.flow: a loop without an exit through other flows: c → a → b → c; no step from their first to their goto waits for the caller`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if !reflect.DeepEqual(snapshot(t, db), before) {
		t.Error("a refused Set changed the store")
	}
}

// A stored flow longer than MaxSize (Encode writes more than a compact
// input) still reads back.
func TestStoreLargeFlow(t *testing.T) {
	s := NewStore(storetest.New(t))
	f := Flow{Name: "large"}
	sound := strings.Repeat("s", 100)
	for i := 0; i < MaxSteps; i++ {
		st := Step{ID: fmt.Sprintf("s%d", i), Playback: &Playback{}}
		for j := 0; j < MaxSounds; j++ {
			st.Playback.Sounds = append(st.Playback.Sounds, sound)
		}
		if i+1 < MaxSteps {
			st.Next = fmt.Sprintf("s%d", i+1)
		}
		f.Steps = append(f.Steps, st)
	}
	if err := s.Set(f, testCatalog()); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Get("large")
	if text, _ := Encode(f); len(text) <= MaxSize || err != nil || !ok || !reflect.DeepEqual(got, f) {
		t.Errorf("%d bytes: %v %v", len(text), ok, err)
	}
}
