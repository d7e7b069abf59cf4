package agents

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
)

func TestMain(m *testing.M) {
	// Cost 10 takes ~0.7 s per hash under -race; the tests use the minimum,
	// with a dummy hash of the same cost (TestDummyHashHasTheRealCost checks
	// the real one).
	hashCost = bcrypt.MinCost
	h, err := bcrypt.GenerateFromPassword([]byte("0000"), hashCost)
	if err != nil {
		panic(err)
	}
	dummyHash = h
	os.Exit(m.Run())
}

func TestDummyHashHasTheRealCost(t *testing.T) {
	cost, err := bcrypt.Cost([]byte(dummyHashCost10))
	if err != nil || cost != BcryptCost {
		t.Fatalf("dummy hash cost = %d, %v; want %d", cost, err, BcryptCost)
	}
}

func mustAdd(t *testing.T, db *store.DB, in NewAgent) {
	t.Helper()
	if err := Add(db, in); err != nil {
		t.Fatalf("Add(%s): %v", in.Number, err)
	}
}

func numbers(list []Agent) []string {
	var n []string
	for _, a := range list {
		n = append(n, a.Number)
	}
	return n
}

func TestAddGetListDelete(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, NewAgent{Number: "1001", PIN: "1234", Name: "Ana María", Queues: map[string]int{"sales": 0, "support.l1": 5}})
	mustAdd(t, db, NewAgent{Number: "20", PIN: "abcD9"})
	mustAdd(t, db, NewAgent{Number: "3", PIN: "0"})

	a, err := Get(db, "1001")
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "Ana María" || !maps.Equal(a.Queues, map[string]int{"sales": 0, "support.l1": 5}) || a.LoggedIn() {
		t.Fatalf("Get = %+v", a)
	}
	b, err := Get(db, "20")
	if err != nil {
		t.Fatal(err)
	}
	if b.Name != "Agent_20" || b.Queues == nil || len(b.Queues) != 0 {
		t.Fatalf("defaults: %+v", b)
	}
	if _, err := Get(db, "21"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get unknown = %v, want ErrNotFound", err)
	}

	list, err := List(db)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := numbers(list), []string{"3", "20", "1001"}; !slices.Equal(got, want) {
		t.Fatalf("List = %v, want %v", got, want)
	}
	out, _ := json.Marshal(list)
	if strings.Contains(string(out), "hash") || strings.Contains(string(out), "$2a$") {
		t.Fatalf("List leaks hashes: %s", out)
	}

	if err := Delete(db, "20"); err != nil {
		t.Fatal(err)
	}
	if err := Delete(db, "20"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete = %v, want ErrNotFound", err)
	}
	list, _ = List(db)
	if got, want := numbers(list), []string{"3", "1001"}; !slices.Equal(got, want) {
		t.Fatalf("after delete: %v, want %v", got, want)
	}
}

func TestAddDuplicate(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, NewAgent{Number: "1001", PIN: "1234"})
	if err := Add(db, NewAgent{Number: "1001", PIN: "9999"}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate Add = %v, want ErrExists", err)
	}
	if _, err := Check(db, "1001", "1234"); err != nil {
		t.Fatalf("the original PIN: %v", err)
	}
	// A different string is a different agent, even if numerically equal.
	mustAdd(t, db, NewAgent{Number: "01001", PIN: "1"})
}

func TestAddValidation(t *testing.T) {
	long := strings.Repeat
	ok := NewAgent{Number: "1001", PIN: "1234"}
	with := func(f func(*NewAgent)) NewAgent {
		in := ok
		f(&in)
		return in
	}
	tests := []struct {
		name  string
		in    NewAgent
		valid bool
	}{
		{"minimal", ok, true},
		{"32-digit number", with(func(a *NewAgent) { a.Number = long("9", 32) }), true},
		{"32-char PIN", with(func(a *NewAgent) { a.PIN = long("aZ9", 10) + "xy" }), true},
		{"64-char name", with(func(a *NewAgent) { a.Name = long("é", 64) }), true},
		{"name with all allowed", with(func(a *NewAgent) { a.Name = "Jo Ann-Lee_2.0" }), true},
		{"queues", with(func(a *NewAgent) { a.Queues = map[string]int{"a": 0, "B_c.d-9": 1000, long("q", 64): 7} }), true},
		{"default name of longest number", with(func(a *NewAgent) { a.Number = long("1", 32); a.Name = "" }), true},

		{"empty number", with(func(a *NewAgent) { a.Number = "" }), false},
		{"33-digit number", with(func(a *NewAgent) { a.Number = long("9", 33) }), false},
		{"letter in number", with(func(a *NewAgent) { a.Number = "10a1" }), false},
		{"sign in number", with(func(a *NewAgent) { a.Number = "+1001" }), false},
		{"non-ASCII digit in number", with(func(a *NewAgent) { a.Number = "١٠" }), false},
		{"empty PIN", with(func(a *NewAgent) { a.PIN = "" }), false},
		{"33-char PIN", with(func(a *NewAgent) { a.PIN = long("1", 33) }), false},
		{"symbol in PIN", with(func(a *NewAgent) { a.PIN = "12#4" }), false},
		{"space in PIN", with(func(a *NewAgent) { a.PIN = "12 4" }), false},
		{"65-char name", with(func(a *NewAgent) { a.Name = long("n", 65) }), false},
		{"slash in name", with(func(a *NewAgent) { a.Name = "A/B" }), false},
		{"newline in name", with(func(a *NewAgent) { a.Name = "A\nB" }), false},
		{"tab in name", with(func(a *NewAgent) { a.Name = "A\tB" }), false},
		{"invalid UTF-8 name", with(func(a *NewAgent) { a.Name = "A\xffB" }), false},
		{"empty queue", with(func(a *NewAgent) { a.Queues = map[string]int{"": 0} }), false},
		{"65-char queue", with(func(a *NewAgent) { a.Queues = map[string]int{long("q", 65): 0} }), false},
		{"space in queue", with(func(a *NewAgent) { a.Queues = map[string]int{"sa les": 0} }), false},
		{"comma in queue", with(func(a *NewAgent) { a.Queues = map[string]int{"a,b": 0} }), false},
		{"negative penalty", with(func(a *NewAgent) { a.Queues = map[string]int{"sales": -1} }), false},
		{"penalty 1001", with(func(a *NewAgent) { a.Queues = map[string]int{"sales": 1001} }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := storetest.New(t)
			err := Add(db, tt.in)
			if tt.valid {
				if err != nil {
					t.Fatalf("Add = %v, want ok", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Add = %v, want ErrInvalid", err)
			}
			if strings.Contains(err.Error(), tt.in.PIN) && tt.in.PIN != "" && strings.Contains(tt.name, "PIN") {
				t.Errorf("the error quotes the PIN: %v", err)
			}
			if list, _ := List(db); len(list) != 0 {
				t.Fatalf("an invalid agent was stored: %v", list)
			}
		})
	}
}

// counting returns a Check that counts bcrypt comparisons.
func counting(db *store.DB) (func(number, pin string) (Agent, error), *atomic.Int64) {
	var n atomic.Int64
	return func(number, pin string) (Agent, error) {
		return check(db, number, pin, func(hash, pin []byte) error {
			n.Add(1)
			return bcrypt.CompareHashAndPassword(hash, pin)
		})
	}, &n
}

func TestCheck(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, NewAgent{Number: "1001", PIN: "1234", Queues: map[string]int{"sales": 3}})
	mustAdd(t, db, NewAgent{Number: "1002", PIN: "AbC"})
	check, compares := counting(db)

	tests := []struct {
		name, number, pin string
		ok                bool
		compares          int64
	}{
		{"right PIN", "1001", "1234", true, 1},
		{"case-sensitive PIN", "1002", "AbC", true, 1},
		{"wrong PIN", "1001", "1235", false, 1},
		{"PIN prefix", "1001", "123", false, 1},
		{"another agent's PIN", "1002", "1234", false, 1},
		{"PIN case", "1002", "abc", false, 1},
		{"unknown number", "1003", "1234", false, 1}, // dummy comparison
		{"malformed number", "10-01", "1234", false, 0},
		{"malformed PIN", "1001", "12 34", false, 0},
		{"empty PIN", "1001", "", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := compares.Load()
			a, err := check(tt.number, tt.pin)
			if tt.ok {
				if err != nil || a.Number != tt.number {
					t.Fatalf("Check = %+v, %v", a, err)
				}
			} else if err != ErrBadCredentials { // exactly the sentinel, not wrapped
				t.Fatalf("Check = %v, want exactly ErrBadCredentials", err)
			}
			if got := compares.Load() - before; got != tt.compares {
				t.Fatalf("%d bcrypt comparisons, want %d", got, tt.compares)
			}
			// The exported Check agrees.
			if _, err := Check(db, tt.number, tt.pin); (err == nil) != tt.ok {
				t.Fatalf("Check = %v", err)
			}
		})
	}
	a, _ := Check(db, "1001", "1234")
	if a.Queues["sales"] != 3 {
		t.Fatalf("Check returned %+v", a)
	}

	// Deleted, then re-added with another PIN.
	if err := Delete(db, "1001"); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(db, "1001", "1234"); err != ErrBadCredentials {
		t.Fatalf("deleted agent: %v", err)
	}
	mustAdd(t, db, NewAgent{Number: "1001", PIN: "4321"})
	if _, err := Check(db, "1001", "1234"); err != ErrBadCredentials {
		t.Fatalf("old PIN after re-add: %v", err)
	}
	if _, err := Check(db, "1001", "4321"); err != nil {
		t.Fatalf("new PIN: %v", err)
	}
}

func TestLoginState(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, NewAgent{Number: "1001", PIN: "1234", Queues: map[string]int{"sales": 2}})
	at := time.Date(2025, 3, 1, 9, 30, 0, 0, time.FixedZone("CET", 3600))

	if err := SetLogin(db, "1001", "PJSIP/1000", at); err != nil {
		t.Fatal(err)
	}
	a, _ := Get(db, "1001")
	if !a.LoggedIn() || a.LoggedInFrom != "PJSIP/1000" || !a.LoggedInAt.Equal(at) {
		t.Fatalf("after SetLogin: %+v", a)
	}
	if a.Queues["sales"] != 2 {
		t.Fatalf("SetLogin lost the queues: %+v", a)
	}
	// A new login replaces the old one.
	if err := SetLogin(db, "1001", "Local/1001@agents", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	a, _ = Get(db, "1001")
	if a.LoggedInFrom != "Local/1001@agents" || !a.LoggedInAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("after second SetLogin: %+v", a)
	}
	if err := ClearLogin(db, "1001"); err != nil {
		t.Fatal(err)
	}
	a, _ = Get(db, "1001")
	if a.LoggedIn() || !a.LoggedInAt.IsZero() {
		t.Fatalf("after ClearLogin: %+v", a)
	}
	out, _ := json.Marshal(a)
	if strings.Contains(string(out), "logged_in") {
		t.Errorf("a logged-out agent's JSON has login fields: %s", out)
	}
	if err := ClearLogin(db, "1001"); err != nil {
		t.Fatalf("ClearLogin twice: %v", err)
	}
	// The PIN still works after the updates.
	if _, err := Check(db, "1001", "1234"); err != nil {
		t.Fatal(err)
	}

	for _, from := range []string{"", "PJSIP/10 00", "PJSIP/1000\n", strings.Repeat("x", 129), "PJSIP/é"} {
		if err := SetLogin(db, "1001", from, at); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetLogin(%q) = %v, want ErrInvalid", from, err)
		}
	}
	if err := SetLogin(db, "9999", "PJSIP/1000", at); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetLogin unknown = %v, want ErrNotFound", err)
	}
	if err := ClearLogin(db, "9999"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ClearLogin unknown = %v, want ErrNotFound", err)
	}
	if err := ClearLogin(db, "x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ClearLogin bad number = %v, want ErrInvalid", err)
	}
}

func TestQueues(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, NewAgent{Number: "1001", PIN: "1234", Queues: map[string]int{"sales": 0}})
	queues := func() map[string]int {
		t.Helper()
		a, err := Get(db, "1001")
		if err != nil {
			t.Fatal(err)
		}
		return a.Queues
	}
	steps := []struct {
		name string
		do   func() error
		want map[string]int
	}{
		{"add queue", func() error { return SetQueue(db, "1001", "support", 10) }, map[string]int{"sales": 0, "support": 10}},
		{"change penalty", func() error { return SetQueue(db, "1001", "sales", 1000) }, map[string]int{"sales": 1000, "support": 10}},
		{"remove queue", func() error { return RemoveQueue(db, "1001", "sales") }, map[string]int{"support": 10}},
		{"remove absent queue", func() error { return RemoveQueue(db, "1001", "sales") }, map[string]int{"support": 10}},
		{"remove last", func() error { return RemoveQueue(db, "1001", "support") }, map[string]int{}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := queues(); !maps.Equal(got, s.want) {
			t.Fatalf("%s: queues = %v, want %v", s.name, got, s.want)
		}
	}
	for _, tt := range []struct {
		name  string
		err   error
		check error
	}{
		{"penalty -1", SetQueue(db, "1001", "sales", -1), ErrInvalid},
		{"penalty 1001", SetQueue(db, "1001", "sales", 1001), ErrInvalid},
		{"bad queue name", SetQueue(db, "1001", "sa les", 0), ErrInvalid},
		{"bad queue to remove", RemoveQueue(db, "1001", ""), ErrInvalid},
		{"unknown agent", SetQueue(db, "1002", "sales", 0), ErrNotFound},
		{"unknown agent remove", RemoveQueue(db, "1002", "sales"), ErrNotFound},
	} {
		if !errors.Is(tt.err, tt.check) {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.check)
		}
	}
	if got := queues(); len(got) != 0 {
		t.Fatalf("failed calls changed the queues: %v", got)
	}
}

func TestConcurrent(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, NewAgent{Number: "1001", PIN: "1234"})
	mustAdd(t, db, NewAgent{Number: "1002", PIN: "5678"})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 6 {
		wg.Go(func() {
			for i := range 10 {
				var err error
				switch g % 3 {
				case 0:
					_, err = Check(db, "1001", "1234")
				case 1:
					if _, err = Check(db, "1002", "0000"); err == ErrBadCredentials {
						err = nil
					}
				case 2:
					q := "q" + string(rune('a'+i))
					if err = SetQueue(db, "1002", q, i); err == nil {
						err = SetLogin(db, "1002", "PJSIP/1002", time.Now())
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	a, _ := Get(db, "1002")
	if len(a.Queues) != 10 {
		t.Fatalf("queues after concurrent SetQueue: %v", a.Queues)
	}
}

// TestTiming logs how long an unknown number and a wrong PIN take; it
// asserts nothing (timing on shared machines is noisy).
func TestTiming(t *testing.T) {
	db := storetest.New(t)
	mustAdd(t, db, NewAgent{Number: "1001", PIN: "1234"})
	measure := func(number, pin string) time.Duration {
		const n = 20
		start := time.Now()
		for range n {
			Check(db, number, pin)
		}
		return time.Since(start) / n
	}
	measure("1001", "0000")
	unknown := measure("1009", "1234")
	wrong := measure("1001", "0000")
	t.Logf("bcrypt cost %d: unknown number %v, wrong PIN %v per check", hashCost, unknown, wrong)
}

func runCommand(t *testing.T, db *store.DB, name, args string) (any, error) {
	t.Helper()
	for _, c := range AdminCommands() {
		if c.Name == name {
			return c.Run(context.Background(), db, json.RawMessage(args))
		}
	}
	t.Fatalf("no command %q", name)
	return nil, nil
}

func TestAdminCommands(t *testing.T) {
	db := storetest.New(t)
	res, err := runCommand(t, db, "agent add", `{"number":"1001","pin":"1234","name":"Ana","queues":["sales","support","sales"]}`)
	if err != nil {
		t.Fatal(err)
	}
	if a := res.(Agent); a.Number != "1001" || a.Name != "Ana" || !maps.Equal(a.Queues, map[string]int{"sales": 0, "support": 0}) {
		t.Fatalf("agent add returned %+v", a)
	}
	if _, err := runCommand(t, db, "agent add", `{"number":"7","pin":"0"}`); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(db, "1001", "1234"); err != nil {
		t.Fatalf("added agent: %v", err)
	}

	res, err = runCommand(t, db, "agent list", ``)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(res)
	var list []map[string]any
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0]["number"] != "7" || list[0]["name"] != "Agent_7" || list[1]["number"] != "1001" {
		t.Fatalf("agent list = %s", out)
	}
	if strings.Contains(string(out), "hash") || !strings.Contains(string(out), `"queues":{}`) {
		t.Fatalf("agent list = %s: want no hash, queues always present", out)
	}

	if _, err := runCommand(t, db, "agent del", `{"number":"7"}`); err != nil {
		t.Fatal(err)
	}
	res, _ = runCommand(t, db, "agent list", `{}`)
	if got := numbers(res.([]Agent)); !slices.Equal(got, []string{"1001"}) {
		t.Fatalf("after del: %v", got)
	}
	runCommand(t, db, "agent del", `{"number":"1001"}`)
	res, _ = runCommand(t, db, "agent list", `null`)
	if out, _ := json.Marshal(res); string(out) != "[]" {
		t.Fatalf("empty list = %s, want []", out)
	}
}

func TestAdminCommandErrors(t *testing.T) {
	db := storetest.New(t)
	if _, err := runCommand(t, db, "agent add", `{"number":"1001","pin":"1234"}`); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		command, args, want string
	}{
		{"agent add", `{"number":"1001","pin":"1"}`, `already exists`},
		{"agent add", `{"number":"","pin":"1"}`, `1 to 32 digits`},
		{"agent add", `{"number":"12a","pin":"1"}`, `only digits`},
		{"agent add", `{"number":"1002","pin":"1-2"}`, `PIN has only letters and digits`},
		{"agent add", `{"number":"1002"}`, `PIN is 1 to 32`},
		{"agent add", `{"number":"1002","pin":"1","name":"a/b"}`, `agent name "a/b"`},
		{"agent add", `{"number":"1002","pin":"1","queues":["a b"]}`, `queue "a b"`},
		{"agent add", `{"number":"1002","pin":"1","queue":["sales"]}`, `unknown field "queue"`},
		{"agent add", `{"number":1002}`, `bad arguments`},
		{"agent del", `{"number":"1002"}`, `no such agent`},
		{"agent del", `{}`, `1 to 32 digits`},
		{"agent list", `{"x":1}`, `unknown field`},
	}
	for _, tt := range tests {
		_, err := runCommand(t, db, tt.command, tt.args)
		var ue *admin.Error
		if !errors.As(err, &ue) || !strings.Contains(ue.Message, tt.want) {
			t.Errorf("%s %s: err = %v, want an admin.Error containing %q", tt.command, tt.args, err, tt.want)
		}
	}
	if list, _ := List(db); len(list) != 1 {
		t.Fatalf("agents after failed commands: %v", list)
	}
}
