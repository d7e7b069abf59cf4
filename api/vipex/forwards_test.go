package vipex

import (
	"testing"
)

func TestCallForwards(t *testing.T) {
	b := newBed(t)
	q := "rt=api&vipex_id=" + subscription + "&"
	ok := `{"onvipex_result":{"result":1}}`
	// The seed's examples, with the test bed's numbers.
	for _, s := range []string{
		"action=set_call_forward&number=1001&forward_type=noanswer&destination_type=phonenumber&destination_number=36701234567&noanswer_timeout=60&call_type=all",
		"action=set_call_forward&number=36123451001&forward_type=unavailable&destination_type=exten&destination_number=1002&call_type=external",
		"action=set_call_forward&number=1001&forward_type=busy&destination_type=voicemail",
	} {
		if got := body(b.get(t, q+s)); got != ok {
			t.Fatalf("%s: %s", s, got)
		}
	}
	var puts []string
	for _, a := range b.ami.actions() {
		puts = append(puts, a.Name+" "+a.Headers["Family"]+" "+a.Headers["Key"]+" "+a.Headers["Val"])
	}
	want := []string{
		"DBPut callctl-forward 1001/noanswer all|dial|PJSIP/36701234567@carrier|60",
		"DBPut callctl-forward 1001/unavailable external|dial|PJSIP/1002|30",
		"DBPut callctl-forward 1001/busy all|voicemail|1001|30",
	}
	if len(puts) != 3 || puts[0] != want[0] || puts[1] != want[1] || puts[2] != want[2] {
		t.Errorf("sent %q\nwant %q", puts, want)
	}
	got := body(b.get(t, q+"action=get_call_forward_list&number=1001"))
	want1 := `{"onvipex_result":{"result":1,"number":"1001","call_forward_list":[` +
		`{"forward_type":"noanswer","destination_type":"phonenumber","destination_number":"36701234567","noanswer_timeout":60,"call_type":"all"},` +
		`{"forward_type":"unavailable","destination_type":"exten","destination_number":"1002","call_type":"external"},` +
		`{"forward_type":"busy","destination_type":"voicemail","destination_number":"1001","call_type":"all"}]}}`
	if got != want1 {
		t.Errorf("list:\n got %s\nwant %s", got, want1)
	}
	// A new one of a type replaces it.
	body(b.get(t, q+"action=set_call_forward&number=1001&forward_type=busy&destination_type=exten&destination_number=1003"))
	if got := body(b.get(t, q+"action=del_call_forward&number=1001&forward_type=noanswer")); got != ok {
		t.Errorf("del: %s", got)
	}
	got = body(b.get(t, q+"action=get_call_forward_list&number=1001"))
	if want := `{"onvipex_result":{"result":1,"number":"1001","call_forward_list":[` +
		`{"forward_type":"unavailable","destination_type":"exten","destination_number":"1002","call_type":"external"},` +
		`{"forward_type":"busy","destination_type":"exten","destination_number":"1003","call_type":"all"}]}}`; got != want {
		t.Errorf("after replace and delete:\n got %s\nwant %s", got, want)
	}
	if a := b.ami.actions(); a[len(a)-1].Name != "DBDel" || a[len(a)-1].Headers["Key"] != "1001/noanswer" {
		t.Errorf("delete sent %+v", a[len(a)-1])
	}
	if got := body(b.get(t, q+"action=get_call_forward_list&number=1002")); got != `{"onvipex_result":{"result":1,"number":"1002","call_forward_list":[]}}` {
		t.Errorf("none: %s", got)
	}
	sent := len(b.ami.actions())
	for _, c := range []struct{ query, reason string }{
		{"action=set_call_forward&forward_type=busy&destination_type=exten&destination_number=1003", "Missing parameter: number"},
		{"action=set_call_forward&number=1001&destination_type=exten&destination_number=1003", "Missing parameter: forward_type"},
		{"action=set_call_forward&number=1001&forward_type=busy&destination_number=1003", "Missing parameter: destination_type"},
		{"action=set_call_forward&number=1001&forward_type=busy&destination_type=exten", "Missing parameter: destination_number"},
		{"action=set_call_forward&number=2000&forward_type=busy&destination_type=exten&destination_number=1003", `Unknown extension: "2000"`},
		{"action=set_call_forward&number=1001&forward_type=later&destination_type=exten&destination_number=1003", `Invalid parameter value: forward_type: "later": one of immediate, busy, unavailable, noanswer`},
		{"action=set_call_forward&number=1001&forward_type=busy&destination_type=fax&destination_number=1003", `Invalid parameter value: destination_type: "fax": one of voicemail, exten, phonenumber`},
		{"action=set_call_forward&number=1001&forward_type=busy&destination_type=exten&destination_number=1003&call_type=some", `Invalid parameter value: call_type: "some": one of all, internal, external`},
		{"action=set_call_forward&number=1001&forward_type=busy&destination_type=exten&destination_number=2003", `Unknown extension: "2003"`},
		{"action=set_call_forward&number=1001&forward_type=busy&destination_type=phonenumber&destination_number=36a", `Invalid parameter value: destination_number: "36a" is not a telephone number (digits, *, #, +; at most 32)`},
		{"action=set_call_forward&number=1001&forward_type=busy&destination_type=phonenumber&destination_number=36%0d%0a1", `The request cannot be read: parameter "destination_number" holds CR, LF or NUL`},
		{"action=set_call_forward&number=1001&forward_type=noanswer&destination_type=exten&destination_number=1003&noanswer_timeout=x", `Invalid parameter value: noanswer_timeout: "x" is not a number of seconds`},
		{"action=set_call_forward&number=1001&forward_type=noanswer&destination_type=exten&destination_number=1003&noanswer_timeout=99999", "Invalid parameter value: noanswer_timeout: 99999: 1 to 3600 seconds"},
		{"action=del_call_forward&number=1001&forward_type=immediate", `No such call forward: "immediate"`},
		{"action=del_call_forward&number=1001", "Missing parameter: forward_type"},
		{"action=get_call_forward_list", "Missing parameter: number"},
		{"action=get_call_forward_list&number=x", `Unknown extension: "x"`},
	} {
		got := body(b.get(t, q+c.query))
		if want := `{"onvipex_result":{"result":0,"reason":` + jsonText(c.reason) + `}}`; got != want {
			t.Errorf("%s:\n got %s\nwant %s", c.query, got, want)
		}
	}
	if n := len(b.ami.actions()); n != sent {
		t.Errorf("refused requests sent %+v", b.ami.actions()[sent:])
	}
}
