package phonebook

import (
	"errors"
	"testing"

	"github.com/callctl/callctl/store"
)

func TestFieldsAndEntries(t *testing.T) {
	db, err := store.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, f := range map[string]Field{
		"menu without options": {ID: 1, Name: "m", Type: TypeMenu},
		"text with options":    {ID: 1, Name: "t", Type: TypeText, Options: []Option{{1, "a"}}},
		"unknown type":         {ID: 1, Name: "x", Type: "date"},
		"option twice":         {ID: 1, Name: "m", Type: TypeMenu, Options: []Option{{1, "a"}, {1, "b"}}},
		"no name":              {ID: 1, Type: TypeText},
		"id 0":                 {ID: 0, Name: "x", Type: TypeText},
	} {
		if err := AddField(db, f); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := AddField(db, Field{ID: 1, Name: "m", Type: TypeMenu, Options: []Option{{1, "opt1"}}}); err != nil {
		t.Fatal(err)
	}
	if err := AddField(db, Field{ID: 1, Name: "again", Type: TypeText}); !errors.Is(err, ErrExists) {
		t.Errorf("existing field: %v", err)
	}
	for name, e := range map[string]Entry{
		"bad number":      {Number: "36-1", Name: "x"},
		"no name":         {Number: "361"},
		"comment with LF": {Number: "361", Name: "x", Comment: "a\nb"},
		"field twice":     {Number: "361", Name: "x", Values: []FieldValue{{1, "opt1"}, {1, "opt1"}}},
		"not an option":   {Number: "361", Name: "x", Values: []FieldValue{{1, "opt2"}}},
	} {
		if err := Set(db, e); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := Set(db, Entry{Number: "361", Name: "x", Values: []FieldValue{{9, "a"}}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown field: %v", err)
	}
	for _, n := range []string{"363", "361", "362"} {
		if err := Set(db, Entry{Number: n, Name: "n" + n}); err != nil {
			t.Fatal(err)
		}
	}
	list, total, err := List(db, 1, 5)
	if err != nil || total != 3 || len(list) != 2 || list[0].Number != "362" || list[1].Number != "363" {
		t.Errorf("%v %d %+v", err, total, list)
	}
	if err := Delete(db, "362"); err != nil {
		t.Fatal(err)
	}
	if _, err := Get(db, "362"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted: %v", err)
	}
}
