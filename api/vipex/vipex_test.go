package vipex

import (
	"bytes"
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/api"
	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/callflow"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/recording"
	"github.com/callctl/callctl/store"
)

// fakeAMI remembers what the core sent; an Originate's outcome never
// comes (the calls ring on).
type fakeAMI struct {
	mu    sync.Mutex
	sent  []ami.Action
	lists map[string][]ami.Message // list answers by action
}

func (f *fakeAMI) record(a ami.Action) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, a)
}

func (f *fakeAMI) actions() []ami.Action {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ami.Action(nil), f.sent...)
}

func (f *fakeAMI) Action(_ context.Context, a ami.Action) (ami.Message, error) {
	f.record(a)
	return ami.Message{"Response": "Success"}, nil
}

func (f *fakeAMI) List(_ context.Context, a ami.Action) (ami.Message, []ami.Message, error) {
	f.record(a)
	return ami.Message{"Response": "Success"}, f.lists[a.Name], nil
}

func (f *fakeAMI) StartOriginate(_ context.Context, a ami.Action) (func(context.Context) (ami.Message, error), error) {
	a.Name = "Originate"
	f.record(a)
	return func(ctx context.Context) (ami.Message, error) {
		<-ctx.Done()
		return nil, ami.ErrUnknownOutcome
	}, nil
}

// fakeView shows fixed calls; every started channel is at once in a call
// whose main record is nextID.
type fakeView struct {
	calls  []*cdr.LiveCall
	nextID uint64
}

func (v *fakeView) Calls() []*cdr.LiveCall { return v.calls }
func (v *fakeView) WaitChannel(_ context.Context, uniqueid string) (*cdr.LiveCall, error) {
	return &cdr.LiveCall{ID: v.nextID, Linkedid: uniqueid}, nil
}

// fakeAuth accepts user "u" with password "p" for every core action but
// sip_status; "busy" finds the checks full, "slow" is throttled.
type fakeAuth struct{}

func (fakeAuth) Check(_ context.Context, c users.Credentials, action string) error {
	switch {
	case c.Name == "busy":
		return users.ErrBusy
	case c.Name == "slow":
		return users.ErrThrottled
	case !callflow.Known(action):
		return errors.New("not a core action: " + action)
	case c.Name == "u" && c.Password == "p" && action != string(callflow.ActionSIPStatus):
		return nil
	}
	return users.ErrUnauthorized
}

const subscription = "1643897"

type bed struct {
	ami    *fakeAMI
	view   *fakeView
	db     *store.DB
	refs   *recording.RefSigner
	recDir string // the recording root, as Asterisk and callctl see it
	server http.Handler
}

func newBed(t *testing.T) *bed { return newBedWith(t, pbx.DefaultConfig()) }

func newBedWith(t *testing.T, cfg pbx.Config) *bed {
	t.Helper()
	dir, err := pbx.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b := &bed{ami: &fakeAMI{}, view: &fakeView{nextID: 2253053}, recDir: t.TempDir()}
	if b.db, err = store.Open(t.TempDir(), nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.db.Close() })
	recs, err := recording.New(recording.Config{Roots: []string{b.recDir}})
	if err != nil {
		t.Fatal(err)
	}
	if b.refs, err = recording.NewRefSigner(bytes.Repeat([]byte{7}, recording.RefKeySize)); err != nil {
		t.Fatal(err)
	}
	core := callflow.New(callflow.DefaultConfig(), callflow.Deps{AMI: b.ami, Directory: dir, Live: b.view, DB: b.db,
		Recordings: recs, Log: zerolog.Nop()})
	budapest, err := time.LoadLocation("Europe/Budapest")
	if err != nil {
		t.Fatal(err)
	}
	s := api.New(api.Options{Auth: fakeAuth{}, MaxBodyBytes: 1 << 16, Log: zerolog.Nop()})
	h := New(api.ServicesOf(core), Options{SubscriptionID: subscription, Location: budapest, References: b.refs})
	s.Mount(PathRoot, h)
	s.Mount(PathAPI, h)
	b.server = s
	return b
}

// get sends a GET with Basic auth u:p.
func (b *bed) get(t *testing.T, query string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/?"+query, nil)
	r.SetBasicAuth("u", "p")
	return b.do(r)
}

// postJSON sends a JSON body with Basic auth u:p.
func (b *bed) postJSON(t *testing.T, data string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/?rt=api", strings.NewReader(data))
	r.Header.Set("Content-Type", "application/json")
	r.SetBasicAuth("u", "p")
	return b.do(r)
}

func (b *bed) do(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	b.server.ServeHTTP(rec, r)
	return rec
}

func body(rec *httptest.ResponseRecorder) string { return strings.TrimSuffix(rec.Body.String(), "\n") }

// The seed's examples of the call actions answer the seed's shapes.
func TestSeedExamplesOfCalls(t *testing.T) {
	b := newBed(t)
	rec := b.get(t, "rt=api&action=dial_phonenumber&format=json&vipex_id="+subscription+"&exten=1001&phonenumber=3619996000")
	if got, want := body(rec), `{"onvipex_result":{"result":1,"id":2253053}}`; got != want || rec.Code != 200 ||
		rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("dial_phonenumber: %d %s\nwant %s", rec.Code, got, want)
	}
	o := b.ami.actions()[0]
	if o.Name != "Originate" || o.Headers["Channel"] != "PJSIP/1001" || o.Headers["Exten"] != "3619996000" {
		t.Errorf("originate %+v", o)
	}

	b.view.nextID = 1912945
	got := body(b.get(t, "rt=api&action=outbound_ivr&format=json&vipex_id="+subscription+"&phonenumber=36201234567&exten=700&digits=12345678"))
	if want := `{"onvipex_result":{"result":1,"id":1912945}}`; got != want {
		t.Errorf("outbound_ivr: %s\nwant %s", got, want)
	}
	o = b.ami.actions()[1]
	if o.Headers["Channel"] != "Local/36201234567@callctl-dial/n" || o.Variables["CALLCTL_EXTEN"] != "700" ||
		o.Variables["CALLCTL_SAY_DIGITS"] != "12345678" || o.Variables["CALLCTL_SAY_LANGUAGE"] != "en" {
		t.Errorf("outbound IVR originate %+v", o)
	}

	at := func(s string) time.Time {
		loc, _ := time.LoadLocation("Europe/Budapest")
		tm, _ := time.ParseInLocation(timeLayout, s, loc)
		return tm
	}
	b.view.calls = []*cdr.LiveCall{
		{ID: 114117804, Inbound: true, Caller: "3619996000", Dialled: "36123451002", Start: at("2023-07-21 16:29:50"),
			Channels: []cdr.LiveChannel{{Name: "PJSIP/carrier-1", Trunk: true}, {Name: "PJSIP/1002-2", Line: "1002"}},
			Legs:     []cdr.LiveLeg{{ID: 114117854, Kind: cdr.KindDirect, Exten: "1002", Start: at("2023-07-21 16:29:58"), Answer: at("2023-07-21 16:30:11")}}},
		{ID: 114118134, Internal: true, Caller: "1002", Dialled: "1003", Start: at("2023-07-21 16:31:56"),
			Channels: []cdr.LiveChannel{{Name: "PJSIP/1002-3", Line: "1002"}, {Name: "PJSIP/1003-4", Line: "1003"}},
			Legs:     []cdr.LiveLeg{{ID: 114118135, Kind: cdr.KindDirect, Exten: "1003", Start: at("2023-07-21 16:31:56")}}},
	}
	// The seed's example, with the test bed's numbers (1002 for 2000,
	// 1003 for 2002).
	want := `{"onvipex_result":{"result":1,"exten":"1002","extens_current_calls":[` +
		`{"id":114117854,"call_id":114117804,"other_party_type":"external","direction":"inbound","start_time":"2023-07-21 16:29:58","answer_time":"2023-07-21 16:30:11","other_party_number":"3619996000"},` +
		`{"id":114118134,"call_id":114118134,"other_party_type":"internal","direction":"outbound","start_time":"2023-07-21 16:31:56","answer_time":null,"other_party_number":"1003"}]}}`
	if got := body(b.get(t, "rt=api&action=get_extens_current_calls&format=json&vipex_id="+subscription+"&exten=1002")); got != want {
		t.Errorf("get_extens_current_calls:\n got %s\nwant %s", got, want)
	}
	// One call is still a list; none is an empty list.
	for exten, want := range map[string]string{
		"1003": `{"onvipex_result":{"result":1,"exten":"1003","extens_current_calls":[{"id":114118135,"call_id":114118134,"other_party_type":"internal","direction":"inbound","start_time":"2023-07-21 16:31:56","answer_time":null,"other_party_number":"1002"}]}}`,
		"1004": `{"onvipex_result":{"result":1,"exten":"1004","extens_current_calls":[]}}`,
	} {
		if got := body(b.get(t, "rt=api&action=get_extens_current_calls&vipex_id="+subscription+"&exten="+exten)); got != want {
			t.Errorf("get_extens_current_calls %s:\n got %s\nwant %s", exten, got, want)
		}
	}
}

// Every answer, success or failure, is the same in JSON, XML and PHP.
func TestAnswersInEveryFormat(t *testing.T) {
	b := newBed(t)
	b.view.calls = []*cdr.LiveCall{{ID: 5, Internal: true, Caller: "1000", Dialled: "1001", Start: time.Unix(1e9, 0),
		Channels: []cdr.LiveChannel{{Line: "1000"}}}}
	for _, q := range []string{
		"action=get_vipex_user_list&vipex_id=" + subscription,
		"action=get_operator_status_list&vipex_id=" + subscription,
		"action=dial_phonenumber&vipex_id=" + subscription + "&exten=1001&phonenumber=3619996000",
		"action=outbound_ivr&vipex_id=" + subscription + "&exten=701&phonenumber=3619996000",
		"action=get_extens_current_calls&vipex_id=" + subscription + "&exten=1000",
		"action=get_extens_current_calls&vipex_id=" + subscription + "&exten=1004",
		"action=get_extens_current_calls&vipex_id=" + subscription + "&exten=9999",
		"action=nope&vipex_id=" + subscription,
		"action=dial_phonenumber&vipex_id=1",
	} {
		js := b.get(t, "rt=api&"+q).Body.Bytes()
		tree := decodeOrdered(t, js)
		xmlRec := b.get(t, "rt=api&format=xml&"+q)
		if ct := xmlRec.Header().Get("Content-Type"); ct != "application/xml; charset=utf-8" {
			t.Errorf("%s: xml Content-Type %q", q, ct)
		}
		checkXML(t, xmlRec.Body.Bytes(), tree)
		phpAnswer := b.get(t, "rt=api&format=php&"+q).Body.String()
		if got := string(encode(formatPHP, tree)); got != phpAnswer {
			t.Errorf("%s: php %s, want %s", q, phpAnswer, got)
		}
		if want, ok := phpSerialize(t, js); ok && phpAnswer != want {
			t.Errorf("%s: php %s\nphp's serialize() %s", q, phpAnswer, want)
		} else if !ok {
			t.Log("php is not installed (apt-get install php-cli): PHP answers checked against the encoder only")
		}
	}
}

func TestRefusals(t *testing.T) {
	const ok = "vipex_id=" + subscription
	for _, c := range []struct{ query, reason string }{
		{"rt=api", "Missing parameter: action"},
		{"rt=api&action=nope&" + ok, "Unknown action"},
		{"rt=api&action=get_phonebook&" + ok, "Unknown action"},
		{"action=dial_phonenumber&" + ok, `Not the API: rt=api is required, rt is: ""`},
		{"rt=rest&action=dial_phonenumber&" + ok, `Not the API: rt=api is required, rt is: "rest"`},
		{"rt=api&version=2.0&action=dial_phonenumber&" + ok, `Unsupported version (only 1.0): "2.0"`},
		{"rt=api&format=yaml&action=dial_phonenumber&" + ok, `Unsupported format (json, xml or php): "yaml"`},
		{"rt=api&action=dial_phonenumber&exten=1000&phonenumber=1", "Missing parameter: vipex_id"},
		{"rt=api&action=dial_phonenumber&vipex_id=1&exten=1000&phonenumber=1", `Unknown vipex_id: "1"`},
		{"rt=api&action=dial_phonenumber&" + ok + "&phonenumber=1", "Missing parameter: exten"},
		{"rt=api&action=dial_phonenumber&" + ok + "&exten=1000", "Missing parameter: phonenumber"},
		{"rt=api&action=dial_phonenumber&" + ok + "&exten=2000&phonenumber=1", `Unknown extension: "2000"`},
		{"rt=api&action=dial_phonenumber&" + ok + "&exten=abc&phonenumber=1", `Unknown extension: "abc"`},
		{"rt=api&action=dial_phonenumber&" + ok + "&exten=1000&phonenumber=12a", `Invalid parameter value: phonenumber: "12a" is not a telephone number (digits, *, #, +; at most 32)`},
		{"rt=api&action=dial_phonenumber&" + ok + "&exten=1000&phonenumber=1%0d%0aAction:+Command", `The request cannot be read: parameter "phonenumber" holds CR, LF or NUL`},
		{"rt=api&action=dial_phonenumber&" + ok + "&exten=10%0000&phonenumber=1", `The request cannot be read: parameter "exten" holds CR, LF or NUL`},
		{"rt=api&action=dial_phonenumber&" + ok + "&exten=1000&exten=1001&phonenumber=1", `The request cannot be read: parameter "exten" given more than once`},
		{"rt=api&action=dial_phonenumber&" + ok + "&exten=1000&phonenumber=%zz", `The request cannot be read: the query cannot be read: invalid URL escape "%zz"`},
		{"rt=api&action=outbound_ivr&" + ok + "&exten=1000&phonenumber=1", `Unknown call flow extension: "1000"`},
		{"rt=api&action=outbound_ivr&" + ok + "&phonenumber=1", "Missing parameter: exten"},
		{"rt=api&action=outbound_ivr&" + ok + "&exten=700", "Missing parameter: phonenumber"},
		{"rt=api&action=outbound_ivr&" + ok + "&exten=700&phonenumber=1&digits=12x", `Invalid parameter value: digits: "12x": 0-9, * and # only, at most 32`},
		{"rt=api&action=get_extens_current_calls&" + ok, "Missing parameter: exten"},
		{"rt=api&action=get_extens_current_calls&" + ok + "&exten=1%0a", `The request cannot be read: parameter "exten" holds CR, LF or NUL`},
		{"rt=api&action=get_extens_current_calls&" + ok + "&exten=-1", `Unknown extension: "-1"`},
		{"rt=api&action=get_extens_current_calls&vipex_id=x&exten=1000", `Unknown vipex_id: "x"`},
	} {
		b := newBed(t)
		rec := b.get(t, c.query)
		want := `{"onvipex_result":{"result":0,"reason":` + jsonText(c.reason) + `}}`
		if got := body(rec); got != want || rec.Code != 200 {
			t.Errorf("%s:\n got %d %s\nwant %s", c.query, rec.Code, got, want)
		}
		if a := b.ami.actions(); len(a) != 0 {
			t.Errorf("%s: sent to Asterisk %+v", c.query, a)
		}
	}
}

func jsonText(s string) string {
	var b bytes.Buffer
	jsonString(&b, s)
	return b.String()
}

func TestAuthentication(t *testing.T) {
	b := newBed(t)
	q := "/?rt=api&action=get_extens_current_calls&vipex_id=" + subscription + "&exten=1000"
	for _, c := range []struct {
		user, pass string
		basic      bool
		status     int
		reason     string
	}{
		{"", "", false, 200, "Authentication failed or the user may not do this action"},
		{"u", "wrong", true, 200, "Authentication failed or the user may not do this action"},
		{"x", "p", true, 200, "Authentication failed or the user may not do this action"},
		{"slow", "p", true, 429, "Too many failed logins; try again later"},
		{"busy", "p", true, 503, "Too many requests waiting; try again later"},
	} {
		r := httptest.NewRequest(http.MethodGet, q, nil)
		if c.basic {
			r.SetBasicAuth(c.user, c.pass)
		}
		rec := b.do(r)
		if want := `{"onvipex_result":{"result":0,"reason":"` + c.reason + `"}}`; body(rec) != want || rec.Code != c.status {
			t.Errorf("%s:%s: %d %s, want %d %s", c.user, c.pass, rec.Code, body(rec), c.status, want)
		}
	}
	// The user's permission is the core action's: a wrong vipex_id is not
	// told to whoever is not authenticated.
	r := httptest.NewRequest(http.MethodGet, "/?rt=api&action=dial_phonenumber&vipex_id=1", nil)
	r.SetBasicAuth("u", "wrong")
	if got := body(b.do(r)); !strings.Contains(got, "Authentication failed") {
		t.Errorf("wrong vipex_id, wrong password: %s", got)
	}
}

// Each body encoding carries the parameters; /api serves the same.
func TestBodies(t *testing.T) {
	multi := func(fields map[string]string, file bool) (string, string) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for k, v := range fields {
			w.WriteField(k, v)
		}
		if file {
			fw, _ := w.CreateFormFile("upload", "a.txt")
			fw.Write([]byte("x"))
		}
		w.Close()
		return buf.String(), w.FormDataContentType()
	}
	params := map[string]string{"action": "dial_phonenumber", "vipex_id": subscription, "exten": "1001", "phonenumber": "3619996000"}
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	mp, mpType := multi(params, false)
	mpFile, mpFileType := multi(params, true)
	okAnswer := `{"onvipex_result":{"result":1,"id":2253053}}`
	refusal := func(reason string) string {
		return `{"onvipex_result":{"result":0,"reason":` + jsonText(reason) + `}}`
	}
	for _, c := range []struct {
		name, path, contentType, body, want string
	}{
		{"json", "/?rt=api", "application/json", `{"action":"dial_phonenumber","vipex_id":1643897,"exten":"1001","phonenumber":"3619996000"}`, okAnswer},
		{"json with charset", "/api?rt=api", "application/json; charset=utf-8", `{"action":"dial_phonenumber","vipex_id":"1643897","exten":1001,"phonenumber":3619996000,"x":null}`, okAnswer},
		{"urlencoded", "/api?rt=api", "application/x-www-form-urlencoded", form.Encode(), okAnswer},
		{"multipart", "/?rt=api", mpType, mp, okAnswer},
		{"query and body", "/?rt=api&action=dial_phonenumber", "application/x-www-form-urlencoded", "vipex_id=" + subscription + "&exten=1001&phonenumber=3619996000", okAnswer},
		{"json not an object", "/?rt=api", "application/json", `["action"]`, refusal("The request cannot be read: the JSON body is not an object")},
		{"json broken", "/?rt=api", "application/json", `{"action":"dial_phonenumber",`, refusal("The request cannot be read: the JSON body cannot be read: EOF")},
		{"json twice", "/?rt=api", "application/json", `{"action":"a","action":"b"}`, refusal(`The request cannot be read: parameter "action" given more than once`)},
		{"json trailing", "/?rt=api", "application/json", `{"action":"a"} {}`, refusal("The request cannot be read: the JSON body has data after its object")},
		{"json CR", "/?rt=api", "application/json", `{"action":"dial_phonenumber","exten":"1001\r\nAction: Command"}`, refusal(`The request cannot be read: parameter "exten" holds CR, LF or NUL`)},
		{"json empty", "/?rt=api", "application/json", ``, refusal("The request cannot be read: the JSON body is not an object")},
		{"in query and body", "/?rt=api&action=dial_phonenumber", "application/json", `{"action":"dial_phonenumber"}`, refusal(`The request cannot be read: parameter "action" given more than once`)},
		{"multipart broken", "/?rt=api", "multipart/form-data; boundary=x", "--x\r\nnope", refusal("The request cannot be read: the body cannot be read: malformed MIME header: missing colon: \"nope\"")},
		{"multipart file", "/?rt=api", mpFileType, mpFile, refusal("The request cannot be read: the body holds a file: parameters only")},
		{"no content type", "/?rt=api", "", "action=dial_phonenumber", refusal("The request cannot be read: a body without a Content-Type: use application/json, application/x-www-form-urlencoded or multipart/form-data")},
		{"other content type", "/?rt=api", "text/plain", "action=x", refusal(`The request cannot be read: Content-Type "text/plain": use application/json, application/x-www-form-urlencoded or multipart/form-data`)},
		{"too large", "/?rt=api", "application/json", `{"action":"` + strings.Repeat("x", 1<<16) + `"}`, refusal("Request body too large")},
	} {
		b := newBed(t)
		r := httptest.NewRequest(http.MethodPost, c.path, strings.NewReader(c.body))
		if c.contentType != "" {
			r.Header.Set("Content-Type", c.contentType)
		}
		r.SetBasicAuth("u", "p")
		rec := b.do(r)
		if got := body(rec); got != c.want {
			t.Errorf("%s:\n got %d %s\nwant %s", c.name, rec.Code, got, c.want)
		}
		if c.want != okAnswer && len(b.ami.actions()) != 0 {
			t.Errorf("%s: sent to Asterisk", c.name)
		}
	}
	b := newBed(t)
	r := httptest.NewRequest(http.MethodPut, "/?rt=api&action=dial_phonenumber", nil)
	rec := b.do(r)
	if rec.Code != 405 || rec.Header().Get("Allow") != "GET, POST" || body(rec) != refusal("Method not allowed: use GET or POST") {
		t.Errorf("PUT: %d %v %s", rec.Code, rec.Header(), body(rec))
	}
}

func FuzzReadParams(f *testing.F) {
	f.Add("application/json", `{"action":"dial_phonenumber","vipex_id":1,"custom_field_options":[{"field_id":1}]}`)
	f.Add("application/x-www-form-urlencoded", "action=x&exten=1%0a")
	f.Add("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\n")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, contentType, data string) {
		r := httptest.NewRequest(http.MethodPost, "/?rt=api", strings.NewReader(data))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 1<<16)
		p, err := readParams(r)
		if err != nil {
			var re *api.RequestError
			if !errors.As(err, &re) && !errors.Is(err, api.ErrBodyTooLarge) {
				t.Fatalf("an error that is not a request error: %v", err)
			}
			return
		}
		if p["rt"] != "api" {
			t.Fatalf("rt lost: %v", p)
		}
		for k, v := range p {
			if strings.ContainsAny(k+v, "\r\n\x00") {
				t.Fatalf("CR, LF or NUL passed: %q=%q", k, v)
			}
		}
	})
}

// get_record sends the recording a signed reference names, as an
// attachment; anything else is refused and reads no file.
func TestGetRecord(t *testing.T) {
	b := newBed(t)
	main, leg := b.recDir+"/call-1.wav", b.recDir+"/leg-2.gsm"
	os.WriteFile(main, []byte("RIFF main"), 0o600)
	os.WriteFile(leg, []byte("gsm leg"), 0o600)
	err := b.db.Update(func(tx *store.Tx) error {
		for _, r := range []cdr.Record{
			{ID: 1, RecordingPath: main, Legs: []cdr.Leg{{ID: 2, RecordingPath: leg}, {ID: 3}}},
			{ID: 4},
			{ID: 5, RecordingPath: b.recDir + "/gone.wav"},
			{ID: 6, RecordingPath: "/etc/passwd"},
		} {
			if err := cdrstore.Put(tx, &r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	for _, c := range []struct {
		ref, contentType, file, data string
	}{
		{b.refs.Sign(1, 0, later), "audio/wav", "call-1.wav", "RIFF main"},
		{b.refs.Sign(1, 2, later), "audio/x-gsm", "leg-2.gsm", "gsm leg"},
	} {
		for _, format := range []string{"", "&format=xml"} {
			rec := b.get(t, "rt=api&action=get_record&rec="+c.ref+format)
			if rec.Code != 200 || rec.Header().Get("Content-Type") != c.contentType ||
				rec.Header().Get("Content-Disposition") != "attachment; filename="+c.file || rec.Body.String() != c.data {
				t.Errorf("%s: %d %v %q", c.file, rec.Code, rec.Header(), rec.Body.String())
			}
		}
	}
	ref := b.refs.Sign(1, 0, later)
	tampered := []byte(ref)
	tampered[10] ^= 1
	other, _ := recording.NewRefSigner(bytes.Repeat([]byte{8}, recording.RefKeySize))
	for _, c := range []struct{ query, reason string }{
		{"", "Missing parameter: rec"},
		{"&rec=" + string(tampered), "Unknown recording reference"},
		{"&rec=" + other.Sign(1, 0, later), "Unknown recording reference"},
		{"&rec=" + b.recDir + "/call-1.wav", "Unknown recording reference"},
		{"&rec=..%2F..%2Fetc%2Fpasswd", "Unknown recording reference"},
		{"&rec=" + b.refs.Sign(1, 0, time.Now().Add(-time.Second)), "The recording reference has expired"},
		{"&rec=" + b.refs.Sign(1, 3, later), "The call has no recording"},
		{"&rec=" + b.refs.Sign(1, 9, later), "The call has no recording"},
		{"&rec=" + b.refs.Sign(4, 0, later), "The call has no recording"},
		{"&rec=" + b.refs.Sign(99, 0, later), "The call has no recording"},
		{"&rec=" + b.refs.Sign(5, 0, later), "The recording cannot be read"},
		{"&rec=" + b.refs.Sign(6, 0, later), "The recording cannot be read"},
	} {
		rec := b.get(t, "rt=api&action=get_record"+c.query)
		if want := `{"onvipex_result":{"result":0,"reason":"` + c.reason + `"}}`; body(rec) != want || rec.Code != 200 {
			t.Errorf("%s: %d %s, want %s", c.query, rec.Code, body(rec), want)
		}
	}
}

func strconvItoa(n int) string { return strconv.Itoa(n) }
