package callflow

import (
	"testing"

	"github.com/callctl/callctl/phonebook"
	"github.com/callctl/callctl/store"
)

// At start AstDB is made to hold exactly the stored forwards and caller
// names: their families cleared, then each written.
func TestResyncAstDB(t *testing.T) {
	b := newBed(t)
	db, err := store.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b.core.Forwards.DB, b.core.Phonebook.DB = db, db
	if err := b.core.Forwards.Set(ctxT(t), Forward{Number: "36123451001", Type: "busy", DestinationType: "exten", Destination: "1002"}); err != nil {
		t.Fatal(err)
	}
	if err := phonebook.Set(db, phonebook.Entry{Number: "3630999888", Name: "Opennetworks Kft"}); err != nil {
		t.Fatal(err)
	}
	b.ami.sent = nil
	if err := b.core.Forwards.Resync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := b.core.Phonebook.Resync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range b.ami.actions() {
		got = append(got, a.Name+" "+a.Headers["Family"]+" "+a.Headers["Key"]+" "+a.Headers["Val"])
	}
	want := []string{
		"DBDelTree callctl-forward  ",
		"DBPut callctl-forward 1001/busy all|dial|PJSIP/1002|30",
		"DBDelTree callctl-cidname  ",
		"DBPut callctl-cidname 3630999888 Opennetworks Kft",
	}
	if len(got) != len(want) {
		t.Fatalf("sent %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("sent %q, want %q", got[i], want[i])
		}
	}
}
