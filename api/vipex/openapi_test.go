package vipex

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/api/openapi/openapitest"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/phonebook"
	"github.com/callctl/callctl/store"
)

// Every action of the dialect's table answers, on the real server (the
// core over the tests' AMI and live view), a success and an error that
// the OpenAPI document (api/openapi/vipex.json) describes, in JSON, XML
// and PHP; every request is one the document takes, or one it refuses as
// the server does.
func TestOpenAPIDocument(t *testing.T) {
	doc := openapitest.Load(t, "vipex")
	b := newBedWith(t, seedPBX())
	seedUsers(t, b)
	for _, f := range []phonebook.Field{
		{ID: 1, Name: "teszt1", Type: phonebook.TypeMenu, Options: []phonebook.Option{{ID: 1, Label: "opt1"}, {ID: 9, Label: "opt2"}}},
		{ID: 10, Name: "irsz", Type: phonebook.TypeNumberSequence},
	} {
		if err := phonebook.AddField(b.db, f); err != nil {
			t.Fatal(err)
		}
	}
	recording := b.recDir + "/call-1.wav"
	os.WriteFile(recording, []byte("RIFF main"), 0o600)
	err := b.db.Update(func(tx *store.Tx) error {
		for _, r := range []cdr.Record{{ID: 1, RecordingPath: recording}, {ID: 4}} {
			if err := cdrstore.Put(tx, &r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b.view.calls = []*cdr.LiveCall{{ID: 114117804, Inbound: true, Caller: "3619996000", Dialled: "36123451002", Start: time.Unix(1690000000, 0),
		Channels: []cdr.LiveChannel{{Name: "PJSIP/carrier-1", Trunk: true}, {Name: "PJSIP/1002-2", Line: "1002"}},
		Legs:     []cdr.LiveLeg{{ID: 114117854, Kind: cdr.KindDirect, Exten: "1002", Start: time.Unix(1690000008, 0)}}}}
	later := time.Now().Add(time.Hour)

	basic := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("u:p"))}}
	with := func(h http.Header, k, v string) http.Header {
		out := h.Clone()
		out.Set(k, v)
		return out
	}
	q := "/?rt=api&vipex_id=" + subscription + "&action="
	cfo := url.QueryEscape(`[{"field_id":1,"field_value":"opt1"}]`)
	for _, e := range []openapitest.Exchange{
		{Action: "dial_phonenumber", Target: q + "dial_phonenumber&exten=1001&phonenumber=3619996000"},
		{Action: "dial_phonenumber", Method: "POST", Target: "/?rt=api", Header: with(basic, "Content-Type", "application/json"),
			Body: `{"action":"dial_phonenumber","vipex_id":` + subscription + `,"exten":1001,"phonenumber":"3619996000","format":null}`},
		{Action: "dial_phonenumber", Method: "POST", Target: "/api?rt=api", Header: with(basic, "Content-Type", "application/x-www-form-urlencoded"),
			Body: "action=dial_phonenumber&vipex_id=" + subscription + "&exten=1001&phonenumber=3619996000"},
		{Action: "dial_phonenumber", Error: true, Target: q + "dial_phonenumber&exten=2000&phonenumber=1"},
		{Action: "dial_phonenumber", Error: true, Nonconforming: true, Target: q + "dial_phonenumber&exten=1000"},
		{Action: "dial_phonenumber", Error: true, Target: q + "dial_phonenumber&format=xml&exten=2000&phonenumber=1"},
		{Action: "outbound_ivr", Target: q + "outbound_ivr&exten=700&phonenumber=36201234567&digits=12345678&format=php"},
		{Action: "outbound_ivr", Target: q + "outbound_ivr&exten=701&phonenumber=36201234567&format=xml"},
		{Action: "outbound_ivr", Error: true, Target: q + "outbound_ivr&exten=1000&phonenumber=1"},
		{Action: "outbound_ivr", Error: true, Nonconforming: true, Target: q + "outbound_ivr&exten=700&phonenumber=1&digits=12x"},
		{Action: "get_extens_current_calls", Target: q + "get_extens_current_calls&exten=1002"},
		{Action: "get_extens_current_calls", Target: q + "get_extens_current_calls&exten=1004&version=1.0&format=json"},
		{Action: "get_extens_current_calls", Error: true, Target: q + "get_extens_current_calls&exten=-1"},
		{Action: "get_record", Target: "/?rt=api&action=get_record&rec=" + b.refs.Sign(1, 0, later)},
		{Action: "get_record", Error: true, Target: "/?rt=api&action=get_record&rec=" + b.refs.Sign(4, 0, later)},
		{Action: "get_record", Error: true, Target: "/?rt=api&action=get_record&rec=nope"},
		{Action: "get_vipex_user", Target: q + "get_vipex_user&id=27"},
		{Action: "get_vipex_user", Target: q + "get_vipex_user&id=81"},
		{Action: "get_vipex_user", Error: true, Target: q + "get_vipex_user&id=5"},
		{Action: "get_vipex_user_list", Target: q + "get_vipex_user_list"},
		{Action: "get_vipex_user_list", Error: true, Target: "/?rt=api&vipex_id=1&action=get_vipex_user_list"},
		{Action: "get_operator_status_list", Target: q + "get_operator_status_list"},
		{Action: "get_operator_status_list", Error: true, Nonconforming: true, Target: "/?rt=api&action=get_operator_status_list"},
		{Action: "set_operator_status", Target: q + "set_operator_status&user_id=27&status_id=6"},
		{Action: "set_operator_status", Error: true, Target: q + "set_operator_status&user_id=2&status_id=1"},
		{Action: "get_operator_status_history", Target: q + "get_operator_status_history&id=27&date_from=2019-12-09+00%3A00%3A00&date_to=2039-12-09+00%3A00%3A00"},
		{Action: "get_operator_status_history", Error: true, Nonconforming: true, Target: q + "get_operator_status_history&id=27&date_from=yesterday&date_to=2019-12-09+00%3A00%3A00"},
		{Action: "set_call_forward", Target: q + "set_call_forward&number=1001&forward_type=noanswer&destination_type=phonenumber&destination_number=36701234567&noanswer_timeout=60&call_type=all"},
		{Action: "set_call_forward", Target: q + "set_call_forward&number=1001&forward_type=busy&destination_type=voicemail"},
		{Action: "set_call_forward", Error: true, Target: q + "set_call_forward&number=9999&forward_type=busy&destination_type=voicemail"},
		{Action: "set_call_forward", Error: true, Nonconforming: true, Target: q + "set_call_forward&number=1001&forward_type=busy&destination_type=exten"},
		{Action: "get_call_forward_list", Target: q + "get_call_forward_list&number=1001"},
		{Action: "get_call_forward_list", Error: true, Target: q + "get_call_forward_list&number=9999"},
		{Action: "del_call_forward", Target: q + "del_call_forward&number=1001&forward_type=busy"},
		{Action: "del_call_forward", Error: true, Target: q + "del_call_forward&number=1001&forward_type=busy"},
		{Action: "set_phonebook_entry", Target: q + "set_phonebook_entry&phonenumber=3619996000&name=Opennetworks+Kft&tags=tag1%2Ctag2&comment=Test+comment&custom_field_options=" + cfo},
		{Action: "set_phonebook_entry", Method: "POST", Target: "/?rt=api", Header: with(basic, "Content-Type", "application/json"),
			Body: `{"action":"set_phonebook_entry","vipex_id":"` + subscription + `","phonenumber":"+3612","name":"J","custom_field_options":[{"field_id":10,"field_value":"1,2"}]}`},
		{Action: "set_phonebook_entry", Error: true, Nonconforming: true, Target: q + "set_phonebook_entry&phonenumber=3611"},
		{Action: "set_phonebook_entry", Error: true, Target: q + "set_phonebook_entry&phonenumber=3611&name=x&custom_field_options=" + url.QueryEscape(`[{"field_id":7,"field_value":"a"}]`)},
		{Action: "get_phonebook_entry", Target: q + "get_phonebook_entry&phonenumber=3619996000"},
		{Action: "get_phonebook_entry", Target: q + "get_phonebook_entry&phonenumber=%2B3612"},
		{Action: "get_phonebook_entry", Error: true, Target: q + "get_phonebook_entry&phonenumber=3611"},
		{Action: "get_phonebook_list", Target: q + "get_phonebook_list&offset=0&limit=10"},
		{Action: "get_phonebook_list", Target: q + "get_phonebook_list&format=php"},
		{Action: "get_phonebook_list", Error: true, Target: q + "get_phonebook_list&limit=0"},
		{Action: "del_phonebook_entry", Target: q + "del_phonebook_entry&phonenumber=3619996000"},
		{Action: "del_phonebook_entry", Error: true, Target: q + "del_phonebook_entry&phonenumber=3619996000"},
		{Action: "get_phonebook_custom_field_list", Target: q + "get_phonebook_custom_field_list"},
		{Action: "get_phonebook_custom_field_list", Error: true, Target: "/?rt=api&vipex_id=x&action=get_phonebook_custom_field_list&format=php"},

		// Refusals before the action is known; authentication and load
		// shedding.
		{Error: true, Nonconforming: true, Target: "/?rt=api"},
		{Error: true, Nonconforming: true, Target: q + "nope"},
		{Error: true, Nonconforming: true, Target: "/?rt=rest&action=dial_phonenumber"},
		{Error: true, Nonconforming: true, Target: q + "dial_phonenumber&version=2.0&exten=1000&phonenumber=1"},
		{Error: true, Nonconforming: true, Target: q + "dial_phonenumber&format=yaml&exten=1000&phonenumber=1"},
		{Error: true, Nonconforming: true, Method: "PUT", Target: q + "dial_phonenumber"},
		{Action: "dial_phonenumber", Error: true, Nonconforming: true, Method: "POST", Target: "/?rt=api", Header: with(basic, "Content-Type", "text/plain"), Body: "action=x"},
		{Action: "dial_phonenumber", Error: true, Nonconforming: true, Method: "POST", Target: "/?rt=api", Header: with(basic, "Content-Type", "application/json"),
			Body: `{"action":"dial_phonenumber","exten":"` + strings.Repeat("1", 1<<16) + `"}`},
		{Action: "get_extens_current_calls", Error: true, Target: q + "get_extens_current_calls&exten=1000", Header: http.Header{}},
		{Action: "get_extens_current_calls", Error: true, Target: q + "get_extens_current_calls&exten=1000",
			Header: http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("slow:p"))}}},
		{Action: "get_extens_current_calls", Error: true, Target: q + "get_extens_current_calls&exten=1000&format=xml",
			Header: http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("busy:p"))}}},
	} {
		if e.Header == nil {
			e.Header = basic
		}
		doc.Run(t, b.server, func(r *http.Request) (map[string]string, error) { return readParams(r) }, e)
	}
	doc.Coverage(t, slices.Collect(maps.Keys(CoreActions())))
	t.Logf("validated answers (ok, error) by action: %v", doc.Counts())
}

// The document's reasons are the dialect's table (Reasons), no more, no
// fewer: a fixed text as a const, a text with a value as a pattern.
func TestOpenAPIReasons(t *testing.T) {
	doc := openapitest.Load(t, "vipex")
	reason := doc.T.Components.Schemas["error"].Value.Properties["onvipex_result"].Value.Properties["reason"].Value
	var documented []string
	for _, s := range reason.AnyOf {
		switch v := s.Value; {
		case v.Const != nil:
			documented = append(documented, fmt.Sprint(v.Const))
		case v.Pattern != "":
			p := strings.TrimSuffix(strings.TrimPrefix(v.Pattern, "^"), ": ")
			documented = append(documented, strings.NewReplacer(`\(`, "(", `\)`, ")", `\.`, ".").Replace(p)+": …")
		default:
			t.Errorf("a reason that is neither a const nor a pattern: %+v", v)
		}
	}
	slices.Sort(documented)
	code := Reasons()
	slices.Sort(code)
	if !slices.Equal(documented, code) {
		t.Errorf("the document's reasons\n%q\nthe code's\n%q", documented, code)
	}
}
