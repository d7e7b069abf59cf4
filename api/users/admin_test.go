package users

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
)

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

	res, err := runCommand(t, db, "user add", `{"name":"api","password":"secret","actions":["list_calls","agent_login"]}`)
	if err != nil {
		t.Fatal(err)
	}
	if u := res.(User); u.Name != "api" || !slices.Equal(u.Actions, []string{"agent_login", "list_calls"}) {
		t.Fatalf("user add returned %+v", u)
	}
	if _, err := runCommand(t, db, "user add", `{"name":"root","password":"toor"}`); err != nil {
		t.Fatal(err)
	}
	if err := Authenticate(context.Background(), db, Credentials{Name: "api", Password: "secret"}, "list_calls"); err != nil {
		t.Fatalf("added user cannot authenticate: %v", err)
	}

	res, err = runCommand(t, db, "user list", ``)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(res)
	var list []map[string]any
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0]["name"] != "api" || list[1]["name"] != "root" {
		t.Fatalf("user list = %s", out)
	}
	if acts := list[1]["actions"].([]any); len(acts) != 1 || acts[0] != "all" {
		t.Fatalf("root's actions = %v, want [all]", acts)
	}
	if _, ok := list[0]["created"]; !ok || strings.Contains(string(out), "hash") {
		t.Fatalf("user list = %s: want created, no hash", out)
	}

	if _, err := runCommand(t, db, "user del", `{"name":"api"}`); err != nil {
		t.Fatal(err)
	}
	res, _ = runCommand(t, db, "user list", `{}`)
	if got := names(res.([]User)); !slices.Equal(got, []string{"root"}) {
		t.Fatalf("after del: %v", got)
	}
	if _, err := runCommand(t, db, "user del", `{"name":"root"}`); err != nil {
		t.Fatal(err)
	}
	res, _ = runCommand(t, db, "user list", `null`)
	if out, _ := json.Marshal(res); string(out) != "[]" {
		t.Fatalf("empty list = %s, want []", out)
	}
}

func TestAdminCommandErrors(t *testing.T) {
	db := storetest.New(t)
	if _, err := runCommand(t, db, "user add", `{"name":"bob","password":"pw"}`); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		command, args, want string
	}{
		{"user add", `{"name":"bob","password":"pw"}`, `already exists`},
		{"user add", `{"name":"b o b","password":"pw"}`, `only letters, digits`},
		{"user add", `{"name":"","password":"pw"}`, `1 to 64 characters`},
		{"user add", `{"name":"al","password":""}`, `password is 1 to 256 bytes`},
		{"user add", `{"name":"al","password":"pw","actions":["List"]}`, `action "List"`},
		{"user add", `{"name":"al","password":"pw","actions":[]}`, `empty action list`},
		{"user add", `{"name":"al","password":"pw","action":["list_calls"]}`, `unknown field "action"`},
		{"user add", `{"name":1}`, `bad arguments`},
		{"user add", `{}`, `1 to 64 characters`},
		{"user del", `{"name":"nobody"}`, `no such user`},
		{"user del", `{"name":"no body"}`, `only letters`},
		{"user list", `{"x":1}`, `unknown field`},
	}
	for _, tt := range tests {
		_, err := runCommand(t, db, tt.command, tt.args)
		var ue *admin.Error
		if !errors.As(err, &ue) || !strings.Contains(ue.Message, tt.want) {
			t.Errorf("%s %s: err = %v, want an admin.Error containing %q", tt.command, tt.args, err, tt.want)
		}
	}
	if list, _ := List(db); len(list) != 1 {
		t.Fatalf("users after failed commands: %v", list)
	}
}
