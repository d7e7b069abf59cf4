package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/callctl/callctl/store"
)

// The admin commands on a database no daemon holds.
func TestAdminCommandsWithoutADaemon(t *testing.T) {
	t.Setenv("CALLCTL_DATA_DIR", t.TempDir())
	run1 := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(args, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"user", "add", "crm", "--password", "s3cret", "--actions", "list_calls,hangup"}, 0, "user crm added (actions: hangup,list_calls)"},
		{[]string{"user", "add", "vs", "--password", "s3cret", "--actions", "listcalls"}, 1, `"listcalls" is not a core action; the core actions are agent_login, agent_logout`},
		{[]string{"user", "add", "crm", "--password", "x"}, 1, "already exists"},
		{[]string{"user", "add", "bad name", "--password", "x"}, 1, "invalid"},
		{[]string{"user", "add", "nopass"}, 2, "usage"},
		{[]string{"user", "list"}, 0, "crm"},
		{[]string{"agent", "add", "7001", "--pin", "1234", "--queues", "support,sales"}, 0, "agent 7001 added"},
		{[]string{"agent", "list"}, 0, "Agent_7001"},
		{[]string{"agent", "del", "7001"}, 0, "agent 7001 deleted"},
		{[]string{"agent", "del", "7001"}, 1, "no such agent"},
		{[]string{"pbxuser", "add", "27", "--name", "Teszt Felhasználó", "--email", "test_user@opennet.hu", "--operator", "--operator-extens", "1005"}, 0, "user 27 added"},
		{[]string{"pbxuser", "add", "27", "--name", "x"}, 1, "exists already"},
		{[]string{"pbxuser", "add", "28", "--name", "x", "--email", "no"}, 1, "invalid: email"},
		{[]string{"pbxuser", "add", "x", "--name", "x"}, 2, "usage"},
		{[]string{"pbxuser", "list"}, 0, "Teszt Felhasználó"},
		{[]string{"opstatus", "add", "1", "--status", "0", "--label", "Hívható"}, 0, "status 1 added"},
		{[]string{"opstatus", "add", "2", "--status", "1", "--label", "Kijelentkezett", "--logout"}, 0, "status 2 added"},
		{[]string{"opstatus", "add", "3", "--status", "2", "--label", "Ki", "--logout"}, 1, "already means logged out"},
		{[]string{"opstatus", "add", "3", "--status", "10", "--label", "x"}, 1, "0 to 9"},
		{[]string{"opstatus", "del", "2"}, 0, "status 2 deleted"},
		{[]string{"opstatus", "list"}, 0, "Kijelentkezett  true    true"},
		{[]string{"pbxuser", "del", "27"}, 0, "user 27 deleted"},
		{[]string{"pbxuser", "del", "27"}, 1, "not found"},
		{[]string{"pbxuser"}, 2, "usage"},
		{[]string{"app", "add", "crm"}, 0, "client_secret  "},
		{[]string{"app", "add", "crm"}, 1, "an application of that name exists"},
		{[]string{"app", "add", "bad name"}, 1, "invalid application name"},
		{[]string{"app", "add"}, 2, "usage"},
		{[]string{"app", "list"}, 0, "crm"},
		{[]string{"app", "del", "crm"}, 0, "application crm deleted"},
		{[]string{"app", "del", "crm"}, 1, "no such application"},
		{[]string{"cdr", "list"}, 0, "ID  START"},
		{[]string{"cdr", "show", "5"}, 1, "cdr 5 not found"},
		{[]string{"cdr", "show", "x"}, 2, "the id is a number"},
		{[]string{"cdr", "list", "--since", "yesterday"}, 2, "--since"},
		{[]string{"status"}, 0, "schema version  " + strconv.Itoa(store.Migrations[len(store.Migrations)-1].Version)},
		{[]string{"nats", "status"}, 0, "off (nats.url is not set)"},
		{[]string{"nats", "status", "--json"}, 0, `"pending": 0`},
		{[]string{"nats"}, 2, "usage"},
		{[]string{"user", "del", "crm"}, 0, "user crm deleted"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{}, 2, "usage"},
	} {
		code, out := run1(c.args...)
		if code != c.code || !strings.Contains(out, c.out) {
			t.Errorf("callctl %s: exit %d, %q; want %d and %q", strings.Join(c.args, " "), code, out, c.code, c.out)
		}
	}
}
