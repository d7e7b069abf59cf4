package vipex

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/callctl/callctl/phonebook"
)

func TestPhonebook(t *testing.T) {
	b := newBed(t)
	for _, f := range []phonebook.Field{
		{ID: 1, Name: "teszt1", Type: phonebook.TypeMenu, Options: []phonebook.Option{{ID: 1, Label: "opt1"}, {ID: 9, Label: "opt2"}, {ID: 3, Label: "opt3"}}},
		{ID: 10, Name: "irsz", Type: phonebook.TypeNumberSequence},
		{ID: 19, Name: "Teszt szöveg", Type: phonebook.TypeText},
	} {
		if err := phonebook.AddField(b.db, f); err != nil {
			t.Fatal(err)
		}
	}
	seed := seedAnswers(t)
	q := "rt=api&format=json&vipex_id=" + subscription + "&"
	ok := `{"onvipex_result":{"result":1}}`
	// The seed's examples.
	if got := body(b.get(t, q+"action=set_phonebook_entry&phonenumber=3619996000&name=Opennetworks+Kft&tags=tag1%2Ctag2%2Ctag3&comment=Test+comment&custom_field_options=%5B%7B%22field_id%22%3A1%2C%22field_value%22%3A%22opt1%22%7D%5D")); got != ok {
		t.Fatalf("set: %s", got)
	}
	if a := b.ami.actions(); len(a) != 1 || a[0].Name != "DBPut" || a[0].Headers["Family"] != "callctl-cidname" || a[0].Headers["Key"] != "3619996000" || a[0].Headers["Val"] != "Opennetworks Kft" {
		t.Errorf("caller name: %+v", a)
	}
	if got := body(b.get(t, q+"action=get_phonebook_entry&phonenumber=3619996000")); got != seed[12] {
		t.Errorf("get:\n got %s\nwant %s", got, seed[12])
	}
	if got := body(b.get(t, q+"action=get_phonebook_custom_field_list")); got != seed[15] {
		t.Errorf("fields:\n got %s\nwant %s", got, seed[15])
	}
	// 18 entries, as the seed's list: the 12th (offset 11) is 3619996000.
	for i := 0; i < 17; i++ {
		n := fmt.Sprintf("361999%04d", i)
		if i >= 11 {
			n = fmt.Sprintf("362%07d", i)
		}
		body(b.get(t, q+"action=set_phonebook_entry&phonenumber="+n+"&name=x"+fmt.Sprint(i)+"&custom_field_options="+url.QueryEscape(`[{"field_id":10,"field_value":"1,2"}]`)))
	}
	if got := body(b.get(t, q+"action=get_phonebook_list&offset=11&limit=1")); got != seed[13] {
		t.Errorf("list:\n got %s\nwant %s", got, seed[13])
	}
	if got := body(b.get(t, q+"action=get_phonebook_list&offset=18&limit=5")); got != `{"onvipex_result":{"result":1,"phonebook_list":[],"metadata":{"max_queryable_rows":200,"full_count":"18","list_count":0,"list_from":18,"list_to":17}}}` {
		t.Errorf("past the end: %s", got)
	}
	if got := body(b.get(t, q+"action=del_phonebook_entry&phonenumber=3619996000")); got != seed[14] {
		t.Errorf("del: %s", got)
	}
	sent := len(b.ami.actions())
	for _, c := range []struct{ query, reason string }{
		{"action=get_phonebook_entry&phonenumber=3619996000", `No phonebook entry: "3619996000"`},
		{"action=del_phonebook_entry&phonenumber=3619996000", `No phonebook entry: "3619996000"`},
		{"action=get_phonebook_entry", "Missing parameter: phonenumber"},
		{"action=get_phonebook_entry&phonenumber=36a", `Invalid parameter value: phonenumber: "36a": digits, an optional leading +, at most 32`},
		{"action=set_phonebook_entry&phonenumber=3611", "Missing parameter: name"},
		{"action=set_phonebook_entry&phonenumber=3611&name=a%0d%0ab", `The request cannot be read: parameter "name" holds CR, LF or NUL`},
		{"action=set_phonebook_entry&phonenumber=3611&name=x&custom_field_options=%7B%7D", `Invalid parameter value: custom_field_options: a JSON array of {"field_id": N, "field_value": "…"}`},
		{"action=set_phonebook_entry&phonenumber=3611&name=x&custom_field_options=" + url.QueryEscape(`[{"field_id":1}]`), "Invalid parameter value: custom_field_options: each value needs field_id and field_value"},
		{"action=set_phonebook_entry&phonenumber=3611&name=x&custom_field_options=" + url.QueryEscape(`[{"field_id":7,"field_value":"a"}]`), "Unknown custom field: custom field 7"},
		{"action=set_phonebook_entry&phonenumber=3611&name=x&custom_field_options=" + url.QueryEscape(`[{"field_id":1,"field_value":"opt9"}]`), `Invalid parameter value: field 1: "opt9" is not one of its options`},
		{"action=set_phonebook_entry&phonenumber=3611&name=x&custom_field_options=" + url.QueryEscape(`[{"field_id":10,"field_value":"12a"}]`), `Invalid parameter value: field 10: "12a" is not numbers separated by commas`},
		{"action=get_phonebook_list&offset=x", `Invalid parameter value: offset: "x" is not a number`},
		{"action=get_phonebook_list&offset=-1", "Invalid parameter value: offset: -1: 0 or more"},
		{"action=get_phonebook_list&limit=0", "Invalid parameter value: limit: 0: 1 to 200"},
	} {
		got := body(b.get(t, q+c.query))
		if want := `{"onvipex_result":{"result":0,"reason":` + jsonText(c.reason) + `}}`; got != want {
			t.Errorf("%s:\n got %s\nwant %s", c.query, got, want)
		}
	}
	if len(b.ami.actions()) != sent {
		t.Errorf("refused requests sent %+v", b.ami.actions()[sent:])
	}
	// A JSON body may carry custom_field_options as an array.
	r := `{"action":"set_phonebook_entry","vipex_id":"` + subscription + `","phonenumber":"3612","name":"J","custom_field_options":[{"field_id":19,"field_value":"szöveg"}]}`
	if got := body(b.postJSON(t, r)); got != ok {
		t.Errorf("json body: %s", got)
	}
	if got := body(b.get(t, q+"action=get_phonebook_entry&phonenumber=3612")); got != `{"onvipex_result":{"result":1,"phonenumber":3612,"name":"J","tags":"","comment":"","custom_field_options":[{"field_id":19,"field_value":"sz\u00f6veg"}]}}` {
		t.Errorf("json body's entry: %s", got)
	}
}
