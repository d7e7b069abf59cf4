package pbxusers

import (
	"errors"
	"testing"
	"time"

	"github.com/callctl/callctl/store"
)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestUsers(t *testing.T) {
	db := openDB(t)
	if err := AddUser(db, User{ID: 27, Name: "Teszt Felhasználó", Email: "test_user@opennet.hu", Operator: true, OperatorExtens: []string{"1105"}}); err != nil {
		t.Fatal(err)
	}
	for name, u := range map[string]User{
		"exists":        {ID: 27, Name: "x"},
		"id 0":          {ID: 0, Name: "x"},
		"no name":       {ID: 1},
		"name with LF":  {ID: 1, Name: "a\nb"},
		"bad email":     {ID: 1, Name: "x", Email: "a b@c"},
		"named email":   {ID: 1, Name: "x", Email: "X <x@y.hu>"},
		"bad extension": {ID: 1, Name: "x", DefaultExten: "10 0"},
	} {
		err := AddUser(db, u)
		if name == "exists" && !errors.Is(err, ErrExists) || name != "exists" && !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	list, err := ListUsers(db)
	if err != nil || len(list) != 1 || list[0].Name != "Teszt Felhasználó" {
		t.Fatalf("%v %+v", err, list)
	}
	if _, err := DeleteUser(db, 27); err != nil {
		t.Fatal(err)
	}
	if _, err := GetUser(db, 27); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted user: %v", err)
	}
}

func TestStatusesAndHistory(t *testing.T) {
	db := openDB(t)
	for _, s := range []Status{{ID: 1, Code: 0, Label: "Hívható"}, {ID: 2, Code: 1, Label: "Kijelentkezett", Logout: true}, {ID: 6, Code: 2, Label: "Szünet"}} {
		if err := AddStatus(db, s); err != nil {
			t.Fatal(err)
		}
	}
	for name, s := range map[string]Status{
		"second logout":   {ID: 9, Code: 3, Label: "x", Logout: true},
		"callable logout": {ID: 9, Code: 0, Label: "x", Logout: true},
		"code 10":         {ID: 9, Code: 10, Label: "x"},
		"no label":        {ID: 9, Code: 3},
	} {
		if err := AddStatus(db, s); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := AddStatus(db, Status{ID: 1, Code: 3, Label: "x"}); !errors.Is(err, ErrExists) {
		t.Errorf("existing id: %v", err)
	}
	AddUser(db, User{ID: 27, Name: "op", Operator: true})
	AddUser(db, User{ID: 28, Name: "not op"})
	t0 := time.Date(2019, 12, 9, 16, 31, 35, 0, time.UTC)
	for i, id := range []int{6, 1, 6, 2, 1} {
		if err := SetStatus(db, 27, id, t0.Add(time.Duration(i*5)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if err := SetStatus(db, 28, 1, t0); !errors.Is(err, ErrNotOperator) {
		t.Errorf("not an operator: %v", err)
	}
	if err := SetStatus(db, 27, 99, t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown status: %v", err)
	}
	DeleteStatus(db, 6)
	if err := SetStatus(db, 27, 6, t0.Add(time.Minute)); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted status: %v", err)
	}
	h, err := History(db, 27, t0.Add(6*time.Second), t0.Add(time.Hour))
	if err != nil || len(h) != 4 || h[0].StatusID != 1 || !h[0].To.Equal(t0.Add(10*time.Second)) || h[3].StatusID != 1 || !h[3].To.IsZero() {
		t.Fatalf("%v %+v", err, h)
	}
	if u, _ := GetUser(db, 27); u.StatusID != 1 {
		t.Errorf("current status %d", u.StatusID)
	}
	if h, _ := History(db, 27, t0.Add(-time.Hour), t0.Add(-time.Minute)); len(h) != 0 {
		t.Errorf("before the log: %+v", h)
	}
	if _, err := History(db, 99, t0, t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
}
