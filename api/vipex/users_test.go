package vipex

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/pbxusers"
)

// seedPBX is the PBX of the seed's user examples.
func seedPBX() pbx.Config {
	c := pbx.DefaultConfig()
	for _, e := range []pbx.Extension{
		{ID: 100, Number: "1100", UserID: 1, CostLocation: "311"},
		{ID: 101, Number: "1101", UserID: 2, CostLocation: "311"},
		{ID: 103, Number: "1103", UserID: 2, CostLocation: "312"},
		{ID: 105, Number: "1105", UserID: 27, CostLocation: "520"},
		{ID: 110, Number: "1110", UserID: 81},
		{ID: 111, Number: "1111", UserID: 81},
	} {
		c.Extensions = append(c.Extensions, e)
	}
	return c
}

func seedUsers(t *testing.T, b *bed) {
	t.Helper()
	for _, u := range []pbxusers.User{
		{ID: 1, Name: "Teszt Felhasznalo 1", Email: "test_user1@opennet.hu", Operator: true, OperatorExtens: []string{"1100"}},
		{ID: 2, Name: "Teszt Felhasznalo 2", Email: "test_user2@opennet.hu", DefaultExten: "1101"},
		{ID: 27, Name: "Teszt Felhasznalo", Email: "test_user@opennet.hu", Operator: true, OperatorExtens: []string{"1105"}},
		{ID: 81, Name: "Teszt Felhasznalo 3", Email: "test_user3@opennet.hu"},
	} {
		if err := pbxusers.AddUser(b.db, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []pbxusers.Status{
		{ID: 1, Code: 0, Label: "Hívható"}, {ID: 2, Code: 1, Label: "Kijelentkezett", Logout: true},
		{ID: 6, Code: 2, Label: "Szünet"}, {ID: 8, Code: 4, Label: "Utómunka"},
	} {
		if err := pbxusers.AddStatus(b.db, s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSeedExamplesOfUsersAndStatuses(t *testing.T) {
	b := newBedWith(t, seedPBX())
	seedUsers(t, b)
	seed := seedAnswers(t)
	php, err := os.ReadFile("testdata/seed-answers.php.txt")
	if err != nil {
		t.Fatal(err)
	}
	seedPHP := strings.Split(string(php), "\n")
	loc, _ := time.LoadLocation("Europe/Budapest")
	at := func(s string) time.Time {
		tm, _ := time.ParseInLocation(timeLayout, s, loc)
		return tm
	}
	for _, c := range []struct {
		id int
		at string
	}{{6, "2019-12-09 16:31:35"}, {1, "2019-12-09 16:31:40"}, {6, "2019-12-09 16:31:51"}, {2, "2019-12-09 16:31:54"}, {1, "2019-12-09 16:31:56"}} {
		if err := pbxusers.SetStatus(b.db, 27, c.id, at(c.at)); err != nil {
			t.Fatal(err)
		}
	}
	pbxusers.SetStatus(b.db, 1, 1, at("2019-12-09 08:00:00"))
	for _, c := range []struct {
		query string
		seed  int // the seed's answer, in its order
	}{
		{"action=get_vipex_user&id=27", 3},
		{"action=get_operator_status_list", 5},
		{"action=get_operator_status_history&id=27&date_from=2019-12-09+00%3A00%3A00&date_to=2019-12-09+23%3A59%3A59", 6},
		{"action=get_vipex_user_list", 4}, // without user 27: the seed's list is of another subscription
	} {
		if c.seed == 4 {
			pbxusers.DeleteUser(b.db, 27)
		}
		if got := body(b.get(t, "rt=api&format=json&vipex_id="+subscription+"&"+c.query)); got != seed[c.seed] {
			t.Errorf("%s:\n got %s\nwant %s", c.query, got, seed[c.seed])
		}
		// In PHP, byte for byte what PHP's serialize() makes of the seed's answer.
		if got := b.get(t, "rt=api&format=php&vipex_id="+subscription+"&"+c.query).Body.String(); got != seedPHP[c.seed] {
			t.Errorf("%s php:\n got %s\nwant %s", c.query, got, seedPHP[c.seed])
		}
		checkXML(t, b.get(t, "rt=api&format=xml&vipex_id="+subscription+"&"+c.query).Body.Bytes(), decodeOrdered(t, []byte(seed[c.seed])))
	}
}

// set_operator_status pauses, unpauses or removes the operator's queue
// memberships at once, and logs the status.
func TestSetOperatorStatus(t *testing.T) {
	b := newBedWith(t, seedPBX())
	seedUsers(t, b)
	b.ami.lists = map[string][]ami.Message{"QueueStatus": {
		{"Event": "QueueMember", "Queue": "support", "Location": "PJSIP/1105", "StateInterface": "PJSIP/1105"},
		{"Event": "QueueMember", "Queue": "sales", "Location": "Local/1105@from-internal/n", "StateInterface": "PJSIP/1105"},
		{"Event": "QueueMember", "Queue": "support", "Location": "PJSIP/1000", "StateInterface": "PJSIP/1000"},
	}}
	for _, c := range []struct {
		status string
		want   []string
	}{
		{"6", []string{"QueuePause support PJSIP/1105 true Szünet", "QueuePause sales Local/1105@from-internal/n true Szünet"}},
		{"1", []string{"QueuePause support PJSIP/1105 false ", "QueuePause sales Local/1105@from-internal/n false "}},
		{"2", []string{"QueueRemove support PJSIP/1105  ", "QueueRemove sales Local/1105@from-internal/n  "}},
	} {
		b.ami.sent = nil
		got := body(b.get(t, "rt=api&action=set_operator_status&vipex_id="+subscription+"&user_id=27&status_id="+c.status))
		if want := `{"onvipex_result":{"result":1,"new_status_id":` + c.status + `}}`; got != want {
			t.Errorf("status %s: %s", c.status, got)
		}
		var sent []string
		for _, a := range b.ami.actions() {
			if a.Name != "QueueStatus" {
				sent = append(sent, a.Name+" "+a.Headers["Queue"]+" "+a.Headers["Interface"]+" "+a.Headers["Paused"]+" "+a.Headers["Reason"])
			}
		}
		if len(sent) != len(c.want) || sent[0] != c.want[0] || sent[1] != c.want[1] {
			t.Errorf("status %s: sent %q, want %q", c.status, sent, c.want)
		}
		if u, _ := pbxusers.GetUser(b.db, 27); strconvItoa(u.StatusID) != c.status {
			t.Errorf("status %s: stored %d", c.status, u.StatusID)
		}
	}
	for _, c := range []struct{ query, reason string }{
		{"user_id=27", "Missing parameter: status_id"},
		{"status_id=1", "Missing parameter: user_id"},
		{"user_id=x&status_id=1", `Invalid parameter value: user_id: "x" is not a number`},
		{"user_id=27&status_id=1%0a", `The request cannot be read: parameter "status_id" holds CR, LF or NUL`},
		{"user_id=99&status_id=1", `Unknown user: "99"`},
		{"user_id=-1&status_id=1", `Unknown user: "-1"`},
		{"user_id=2&status_id=1", `The user is not an operator: "2"`},
		{"user_id=27&status_id=99", `Unknown operator status: "99"`},
	} {
		b.ami.sent = nil
		got := body(b.get(t, "rt=api&action=set_operator_status&vipex_id="+subscription+"&"+c.query))
		if want := `{"onvipex_result":{"result":0,"reason":` + jsonText(c.reason) + `}}`; got != want {
			t.Errorf("%s:\n got %s\nwant %s", c.query, got, want)
		}
		if len(b.ami.actions()) != 0 {
			t.Errorf("%s: sent %+v", c.query, b.ami.actions())
		}
	}
	for _, c := range []struct{ query, reason string }{
		{"action=get_vipex_user", "Missing parameter: id"},
		{"action=get_vipex_user&id=abc", `Invalid parameter value: id: "abc" is not a number`},
		{"action=get_vipex_user&id=5", `Unknown user: "5"`},
		{"action=get_operator_status_history&id=27&date_from=2019-12-09+00%3A00%3A00", "Missing parameter: date_to"},
		{"action=get_operator_status_history&id=27&date_from=yesterday&date_to=2019-12-09+00%3A00%3A00", `Invalid parameter value: date_from: "yesterday" is not a time YYYY-MM-DD HH:MM:SS`},
		{"action=get_operator_status_history&id=27&date_from=2019-12-09+00%3A00%3A00&date_to=2019-12-08+00%3A00%3A00", "Invalid parameter value: date_to: before the start"},
		{"action=get_operator_status_history&id=5&date_from=2019-12-09+00%3A00%3A00&date_to=2019-12-09+00%3A00%3A00", `Unknown user: "5"`},
	} {
		got := body(b.get(t, "rt=api&vipex_id="+subscription+"&"+c.query))
		if want := `{"onvipex_result":{"result":0,"reason":` + jsonText(c.reason) + `}}`; got != want {
			t.Errorf("%s:\n got %s\nwant %s", c.query, got, want)
		}
	}
}
