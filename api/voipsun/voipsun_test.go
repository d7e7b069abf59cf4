package voipsun

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/callflow"
)

// fakeCore answers every action with what a test set, and remembers calls.
type fakeCore struct {
	err     error
	calls   []callflow.CallChannel
	peers   []callflow.SIPPeer
	queue   callflow.Queue
	agent   callflow.AgentState
	got     any // the last request
	actions []string
}

func (f *fakeCore) do(name string, req any) error {
	f.actions, f.got = append(f.actions, name), req
	return f.err
}
func (f *fakeCore) Originate(_ context.Context, r callflow.OriginateRequest) error {
	return f.do("originate", r)
}
func (f *fakeCore) Dial(_ context.Context, r callflow.DialRequest) error { return f.do("dial", r) }
func (f *fakeCore) Hangup(_ context.Context, ch string) error            { return f.do("hangup", ch) }
func (f *fakeCore) ListCalls(context.Context) []callflow.CallChannel     { return f.calls }
func (f *fakeCore) Spy(_ context.Context, r callflow.SpyRequest) error   { return f.do("spy", r) }
func (f *fakeCore) SIPStatus(context.Context) ([]callflow.SIPPeer, error) {
	return f.peers, f.err
}
func (f *fakeCore) AgentLogin(_ context.Context, r callflow.AgentLoginRequest) error {
	return f.do("agentlogin", r)
}
func (f *fakeCore) AgentLogout(_ context.Context, a callflow.AgentCredentials) error {
	return f.do("agentlogout", a)
}
func (f *fakeCore) AgentPause(_ context.Context, a callflow.AgentCredentials, p bool) error {
	return f.do("agentpause", p)
}
func (f *fakeCore) AgentAdd(_ context.Context, a callflow.AgentCredentials, q, p string) error {
	return f.do("agentadd", q+"/"+p)
}
func (f *fakeCore) AgentRemove(_ context.Context, a callflow.AgentCredentials, q string) error {
	return f.do("agentremove", q)
}
func (f *fakeCore) AgentStatus(context.Context, callflow.AgentCredentials) (callflow.AgentState, error) {
	return f.agent, f.err
}
func (f *fakeCore) QueueStatus(context.Context, string) (callflow.Queue, error) {
	return f.queue, f.err
}
func (f *fakeCore) MoveRecord(_ context.Context, r callflow.MoveRecordRequest) error {
	return f.do("moverecord", r)
}

// fakeAuth accepts user "u" with password "p" for every action but "sipstatus".
type fakeAuth struct{}

func (fakeAuth) Check(_ context.Context, c users.Credentials, action string) error {
	name, password := c.Name, c.Password
	if name == "u" && password == "p" && action != "sipstatus" {
		return nil
	}
	return users.ErrUnauthorized
}

func serve(t *testing.T, core Core, query string) string {
	t.Helper()
	h := New(core, fakeAuth{}, 1<<20, zerolog.Nop(), nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Path+"?"+query, nil))
	return strings.TrimSpace(rec.Body.String())
}

func TestErrorNumbersOfCoreErrors(t *testing.T) {
	e := func(kind callflow.Kind, role string, state callflow.LineState) error {
		return &callflow.Error{Kind: kind, Role: role, State: state, Device: "PJSIP/1000", Actual: "127.0.0.1", Requested: "10.0.0.1"}
	}
	src, dst := callflow.RoleSource, callflow.RoleDestination
	for _, c := range []struct {
		action string
		err    error
		want   string
	}{
		{"originate", e(callflow.KindConflict, src, ""), `{"success":"false","errno":"200","reason":"Use only one of next variables: srcExtenPublicNum, srcExtenInternalNum, srcExtenId, srcSipUsername"}`},
		{"originate", e(callflow.KindAmbiguous, src, ""), `{"success":"false","errno":"201","reason":"Parameter dialPlanName missing"}`},
		{"originate", e(callflow.KindNotFound, src, ""), `{"success":"false","errno":"202","reason":"Extension not found"}`},
		{"originate", e(callflow.KindDialplanNotFound, src, ""), `{"success":"false","errno":"203","reason":"Dialplan not found"}`},
		{"originate", e(callflow.KindHostMismatch, "", ""), `{"success":"false","errno":"210","reason":"SIP host IP address mismatch. Channel PJSIP/1000 is registered from IP 127.0.0.1 but requested IP address is 10.0.0.1"}`},
		{"originate", e(callflow.KindContactMismatch, "", ""), `{"success":"false","errno":"211","reason":"SIP host contact IP address mismatch. Contact IP address of the channel PJSIP/1000 is 127.0.0.1, but requested IP address is 10.0.0.1"}`},
		{"originate", e(callflow.KindLineState, "", callflow.LineUnreachable), `{"success":"false","errno":"220","reason":"SIP channel is unreacheable"}`},
		// chan_pjsip never reports the analog states Rsrvd, OffHook and
		// Dialing, and Busy only for an instant: these are checked here.
		{"originate", e(callflow.KindLineState, "", "Rsrvd"), `{"success":"false","errno":"221","reason":"SIP channel status - Channel is down, but reservered"}`},
		{"originate", e(callflow.KindLineState, "", "OffHook"), `{"success":"false","errno":"222","reason":"SIP channel status - Channel is off hook"}`},
		{"originate", e(callflow.KindLineState, "", "Dialing"), `{"success":"false","errno":"223","reason":"SIP channel status - Digits (or equivalent) have been dialed"}`},
		{"originate", e(callflow.KindLineState, "", "Ring"), `{"success":"false","errno":"224","reason":"SIP channel status - Line is ringing"}`},
		{"originate", e(callflow.KindLineState, "", "Ringing"), `{"success":"false","errno":"225","reason":"SIP channel status - Remote end is ringing"}`},
		{"originate", e(callflow.KindLineState, "", "Up"), `{"success":"false","errno":"226","reason":"SIP channel status - Line is up"}`},
		{"originate", e(callflow.KindLineState, "", "Busy"), `{"success":"false","errno":"227","reason":"SIP channel status - Line is busy"}`},
		{"originate", e(callflow.KindLineState, "", "Down"), `{"success":"false","errno":"228","reason":"SIP channel stauts - Channel is down and available"}`},
		{"dial", e(callflow.KindOutRouteNotFound, "", ""), `{"success":"false","errno":"250","reason":"Outroute not found!"}`},
		{"spying", e(callflow.KindConflict, src, ""), `{"success":"false","errno":"300","reason":"Use only one of next variables: srcExtenPublicNum, srcExtenInternalNum, srcExtenId, srcSipUsername"}`},
		{"spying", e(callflow.KindConflict, dst, ""), `{"success":"false","errno":"301","reason":"Use only one of next variables: dstExtenPublicNum, dstExtenInternalNum, dstExtenId, dstSipUsername, dstChannelName"}`},
		{"spying", e(callflow.KindAmbiguous, src, ""), `{"success":"false","errno":"302","reason":"Source parameter srcDialplanName missing"}`},
		{"spying", e(callflow.KindNotFound, src, ""), `{"success":"false","errno":"303","reason":"Source extension not found"}`},
		{"spying", e(callflow.KindDialplanNotFound, src, ""), `{"success":"false","errno":"304","reason":"Source dialplan not found"}`},
		{"spying", e(callflow.KindAmbiguous, dst, ""), `{"success":"false","errno":"310","reason":"Destination parameter dstDialplanName missing"}`},
		{"spying", e(callflow.KindNotFound, dst, ""), `{"success":"false","errno":"311","reason":"Destination extension not found"}`},
		{"spying", e(callflow.KindChannelNotFound, dst, ""), `{"success":"false","errno":"311","reason":"Destination extension not found"}`},
		{"spying", e(callflow.KindDialplanNotFound, dst, ""), `{"success":"false","errno":"312","reason":"Destination dialplan not found"}`},
		{"hangupcall&channelName=PJSIP/x-1", e(callflow.KindChannelNotFound, "", ""), `{"success":"false","errno":"401","reason":"Channel not found"}`},
		{"agentlogin", e(callflow.KindBadAgent, "", ""), `{"success":"false","errno":"500","reason":"Agent not found, or bad authorization credentials!"}`},
		{"agentlogin", e(callflow.KindConflict, src, ""), `{"success":"false","errno":"501","reason":"Use only one of next variables: srcExtenPublicNum, srcExtenInternalNum, srcExtenId, srcSipUsername."}`},
		{"agentlogin", e(callflow.KindAmbiguous, src, ""), `{"success":"false","errno":"502","reason":"Parameter dialPlanName missing"}`},
		{"agentlogin", e(callflow.KindNotFound, src, ""), `{"success":"false","errno":"503","reason":"Extension not found"}`},
		{"agentlogin", e(callflow.KindDialplanNotFound, src, ""), `{"success":"false","errno":"504","reason":"Dialplan not found"}`},
		{"agentlogout", e(callflow.KindBadAgent, "", ""), `{"success":"false","errno":"550","reason":"Agent not found, or bad authorization credentials!"}`},
		{"agentpause", e(callflow.KindBadAgent, "", ""), `{"success":"false","errno":"580","reason":"Agent not found, or bad authorization credentials!"}`},
		{"agentunpause", e(callflow.KindBadAgent, "", ""), `{"success":"false","errno":"590","reason":"Agent not found, or bad authorization credentials!"}`},
		{"agentadd", &callflow.Error{Kind: callflow.KindQueueNotFound, Requested: "FrontaABC"}, `{"success":"false","errno":"600","reason":"Queue FrontaABC not found!"}`},
		{"agentadd", e(callflow.KindBadAgent, "", ""), `{"success":"false","errno":"601","reason":"Agent not found, or bad authorization credentials!"}`},
		{"agentremove", &callflow.Error{Kind: callflow.KindQueueNotFound, Requested: "FrontaABC"}, `{"success":"false","errno":"610","reason":"Queue FrontaABC not found!"}`},
		{"agentremove", e(callflow.KindBadAgent, "", ""), `{"success":"false","errno":"611","reason":"Agent not found, or bad authorization credentials!"}`},
		{"agentstatus", e(callflow.KindBadAgent, "", ""), `{"success":"false","errno":"620","reason":"Agent not found, or bad authorization credentials!"}`},
		{"queuestatus", &callflow.Error{Kind: callflow.KindQueueNotFound, Requested: "x"}, `{"success":"false","errno":"640","reason":"Queue x not found!"}`},
		{"moverecord", e(callflow.KindCDRNotFound, "", ""), `{"success":"false","errno":"800","reason":"CDR record not found!"}`},
		{"moverecord", e(callflow.KindNoRecording, "", ""), `{"success":"false","errno":"801","reason":"CDR not contain any information about audio record!"}`},
		{"moverecord", e(callflow.KindMkdir, "", ""), `{"success":"false","errno":"810","reason":"Destination folder does not exist and mkdir command failed. Please check parent folder permissions!"}`},
		{"moverecord", e(callflow.KindSourceUnreadable, "", ""), `{"success":"false","errno":"811","reason":"Source file (127.0.0.1) not exist or insufficient permissions to read them!"}`},
		{"moverecord", e(callflow.KindMoveFailed, "", ""), `{"success":"false","errno":"812","reason":"Cannot move file to (10.0.0.1). Check destination folder permissions!"}`},
		{"originate", e(callflow.KindMissing, src, ""), `{"success":"false","errno":"120","reason":"Missing required parameters"}`},
		{"originate", &callflow.Error{Kind: callflow.KindInvalid, Detail: "dstNum: bad"}, `{"success":"false","errno":"130","reason":"Invalid parameter value: dstNum: bad"}`},
	} {
		got := serve(t, &fakeCore{err: c.err, queue: callflow.Queue{}}, "username=u&password=p&action="+c.action)
		if got != c.want {
			t.Errorf("%s, %v:\n got %s\nwant %s", c.action, c.err, got, c.want)
		}
	}
}

func TestGeneralErrors(t *testing.T) {
	core := &fakeCore{}
	for q, want := range map[string]string{
		"username=u&password=x&action=listcalls":  `{"success":"false","errno":"100","reason":"Unauthorized user or bad permissions"}`,
		"action=listcalls":                        `{"success":"false","errno":"100","reason":"Unauthorized user or bad permissions"}`,
		"username=u&password=p&action=sipstatus":  `{"success":"false","errno":"100","reason":"Unauthorized user or bad permissions"}`,
		"username=u&password=p&action=nope":       `{"success":"false","errno":"110","reason":"Unknown action"}`,
		"username=u&password=p":                   `{"success":"false","errno":"110","reason":"Unknown action"}`,
		"username=u&password=p&action=hangupcall": `{"success":"false","errno":"400","reason":"Parameter channelName is empty"}`,
	} {
		if got := serve(t, core, q); got != want {
			t.Errorf("%s:\n got %s\nwant %s", q, got, want)
		}
	}
	if len(core.actions) != 0 {
		t.Errorf("refused requests reached the core: %v", core.actions)
	}
	// An error that is not the core's (Asterisk down) is a 503 with 900.
	h := New(&fakeCore{err: errors.New("ami: not connected")}, fakeAuth{}, 1<<20, zerolog.Nop(), nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Path+"?username=u&password=p&action=dial", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"errno":"900"`) {
		t.Errorf("core failure: %d %s", rec.Code, rec.Body)
	}
}

func TestParametersReachTheCore(t *testing.T) {
	core := &fakeCore{}
	serve(t, core, "username=u&password=p&action=originate&srcExtenPublicNum=299299000&dstNum=800123456&dialplanName=dp&customCDR3=c3&dialerCid=customCDR3&dialerName=N&monitorFilename=f&monitorPath=/p&monitorType=mixmonitor&overrideCallerId=1&checkExten=1&checkIpHost=1.2.3.4&checkIpContact=5.6.7.8&macro=m&srcRingTimeout=7&dstRingTimeout=9")
	r := core.got.(callflow.OriginateRequest)
	want := callflow.OriginateRequest{
		Source:         callflow.LineSelector{PublicNumber: "299299000", Dialplan: "dp"},
		SrcRingTimeout: "7", CheckExten: true, CheckIPHost: "1.2.3.4", CheckIPContact: "5.6.7.8",
		CallOptions: callflow.CallOptions{DstNum: "800123456", CustomCDR: [4]string{"", "", "c3", ""}, DialerCid: "customCDR3",
			DialerName: "N", OverrideCallerID: "1", MonitorFilename: "f", MonitorPath: "/p", MonitorType: "mixmonitor", Macro: "m", DstRingTimeout: "9"},
	}
	if r != want {
		t.Errorf("originate request\n got %+v\nwant %+v", r, want)
	}
	serve(t, core, "username=u&password=p&action=spying&srcExtenId=5&dstSipUsername=sip102&dstDialplanName=d&srcDialplanName=s&spyCid=1&spyName=S")
	s := core.got.(callflow.SpyRequest)
	if s.Source.ID != "5" || s.Source.Dialplan != "s" || s.Target.SIPUsername != "sip102" || s.Target.Dialplan != "d" || s.SpyCid != "1" || s.SpyName != "S" {
		t.Errorf("spy request %+v", s)
	}
	serve(t, core, "username=u&password=p&action=agentadd&agentNumber=1000&agentPin=1234&queueName=FrontaIT&penalty=1")
	if core.got != "FrontaIT/1" {
		t.Errorf("agentadd got %v", core.got)
	}
}

func TestListCallsShape(t *testing.T) {
	core := &fakeCore{calls: []callflow.CallChannel{
		{Name: "PJSIP/1001-00000001", Context: "from-carrier", Src: "123456789", Dst: "1001", Seconds: 529, Status: "Up", ID: 2},
		{Name: "PJSIP/carrier-00000002", Context: "from-carrier", Src: "123456789", Dst: "111222555", Seconds: 529, Status: "Up", Trunk: true, ID: 1},
	}}
	want := `{"success":"true","total":"2","results":[` +
		`{"channelName":"PJSIP/1001-00000001","context":"from-carrier","src":"123456789","dst":"1001","duration":"529","status":"Up","accountCode":"SIP_2","sourceType":"extension","idChannel":"2"},` +
		`{"channelName":"PJSIP/carrier-00000002","context":"from-carrier","src":"123456789","dst":"111222555","duration":"529","status":"Up","accountCode":"SIPTR_1","sourceType":"trunk","idChannel":"1"}]}`
	if got := serve(t, core, "username=u&password=p&action=listcalls"); got != want {
		t.Errorf("listcalls\n got %s\nwant %s", got, want)
	}
	if got := serve(t, &fakeCore{}, "username=u&password=p&action=listcalls"); got != `{"success":"true","total":"0","results":[]}` {
		t.Errorf("empty listcalls: %s", got)
	}
}

func TestSIPStatusShape(t *testing.T) {
	h := New(&fakeCore{peers: []callflow.SIPPeer{
		{ID: 1, User: "100a", RTTMicros: -1},
		{ID: 4, User: "102a", Host: "192.0.2.4", Port: "5060", Status: "Reachable", RTTMicros: 35200, UserAgent: "snom870/8.7.3.25.9", Contact: "sip:102a@192.0.2.4:5060"},
		{ID: 5, User: "tel100", Host: "192.0.2.5", Port: "5060", Status: "NonQualified", RTTMicros: -1, Contact: "sip:tel100@192.0.2.5:5060"},
		{Trunk: true, ID: 12, User: "siptrunk4", Host: "192.0.2.9", Port: "5060", Status: "NonQualified", Contact: "sip:siptrunk4@192.0.2.9:5060"},
	}}, allowAll{}, 1<<20, zerolog.Nop(), nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Path+"?action=sipstatus", nil))
	want := `{"total":4,"results":[` +
		`{"id":12,"type":"extension_line","user":"100a","host":"(Unspecified)","port":"0","status":"UNKNOWN","useragent":"","regcontact":"","registry":null,"extension_line_id":"1"},` +
		`{"id":42,"type":"extension_line","user":"102a","host":"192.0.2.4","port":"5060","status":"OK (35 ms)","useragent":"snom870/8.7.3.25.9","regcontact":"sip:102a@192.0.2.4:5060","registry":null,"extension_line_id":"4"},` +
		`{"id":52,"type":"extension_line","user":"tel100","host":"192.0.2.5","port":"5060","status":"Unmonitored","useragent":"","regcontact":"sip:tel100@192.0.2.5:5060","registry":null,"extension_line_id":"5"},` +
		`{"id":121,"type":"sip","user":"siptrunk4","host":"192.0.2.9","port":"5060","status":"Unmonitored","useragent":"","regcontact":"","registry":null,"sip_id":"12"}` +
		`],"success":true,"_debug":false}`
	if got := strings.TrimSpace(rec.Body.String()); got != want {
		t.Errorf("sipstatus\n got %s\nwant %s", got, want)
	}
}

type allowAll struct{}

func (allowAll) Check(context.Context, users.Credentials, string) error { return nil }

// queuestatus renders what Asterisk answered to QueueStatus on the test bed
// (testdata/queuestatus-*.json) in the seed's shape.
func TestQueueStatusShape(t *testing.T) {
	load := func(name string) []ami.Message {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var d struct{ Items []ami.Message }
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		return d.Items
	}
	queue := func(items []ami.Message) callflow.Queue {
		var q callflow.Queue
		for _, it := range items {
			switch it.Event() {
			case "QueueParams":
				q.Params = it
			case "QueueMember":
				q.Members = append(q.Members, it)
			case "QueueEntry":
				q.Entries = append(q.Entries, it)
			}
		}
		return q
	}
	got := serve(t, &fakeCore{queue: queue(load("queuestatus-sales.json"))}, "username=u&password=p&action=queuestatus&queueName=sales")
	want := `{"success":"true","results":[{"queueName":"sales","max":"0","strategy":"ringall","calls":"0","holdTime":"0","talkTime":"0","completed":"0","abandoned":"0","serviceLevel":"0","serviceLevelPerf":"0.0","weight":"0","members":{` +
		`"Agent_01":{"agentName":"Agent_01","channelStatus":"Line is free","location":"PJSIP/1001","loggedFrom":"PJSIP/1001","membership":"dynamic","penalty":"1","callsTaken":"0","lastCall":"0","isInCall":"0","status":"1","paused":"0"},` +
		`"Agent_03":{"agentName":"Agent_03","channelStatus":"Line is free","location":"PJSIP/1003","loggedFrom":"PJSIP/1003","membership":"dynamic","penalty":"0","callsTaken":"0","lastCall":"0","isInCall":"0","status":"1","paused":"1"}},"waiters":[]}]}`
	if got != want {
		t.Errorf("queuestatus sales\n got %s\nwant %s", got, want)
	}
	got = serve(t, &fakeCore{queue: queue(load("queuestatus-support.json"))}, "username=u&password=p&action=queuestatus&queueName=support")
	if !strings.Contains(got, `"members":[],"waiters":{"1":{"position":"1","channel":"PJSIP/carrier-00000007","uniqueid":"1795423952.7","callerIdNum":"3630999888","callerIdName":"unknown","connectedLineNum":null,"connectedLineName":null,"wait":"1"}}`) {
		t.Errorf("queuestatus support: %s", got)
	}
}

func TestAgentStatusTexts(t *testing.T) {
	for st, want := range map[callflow.AgentState]string{
		{Number: "1000"}: `{"success":"true","reason":"Agent 1000 is logged out."}`,
		{Number: "1000", LoggedIn: true, DeviceState: "NOT_INUSE"}:   `{"success":"true","reason":"Agent 1000 is logged in. Line is free"}`,
		{Number: "1000", LoggedIn: true, DeviceState: "INUSE"}:       `{"success":"true","errno":"632","reason":"Agent 1000 is logged in. Line is In use"}`,
		{Number: "1000", LoggedIn: true, DeviceState: "BUSY"}:        `{"success":"true","errno":"636","reason":"Agent 1000 is logged in. Line is busy"}`,
		{Number: "1000", LoggedIn: true, DeviceState: "UNAVAILABLE"}: `{"success":"true","errno":"631","reason":"Agent 1000 is logged in. Line is unavailable"}`,
		{Number: "1000", LoggedIn: true, DeviceState: "RINGING"}:     `{"success":"true","errno":"633","reason":"Agent 1000 is logged in. Line is ringing"}`,
		{Number: "1000", LoggedIn: true, DeviceState: "ONHOLD"}:      `{"success":"true","errno":"634","reason":"Agent 1000 is logged in. Line is On hold"}`,
		{Number: "1000", LoggedIn: true, DeviceState: "RINGINUSE"}:   `{"success":"true","errno":"635","reason":"Agent 1000 is logged in. Line is not free"}`,
		{Number: "1000", LoggedIn: true, DeviceState: "INVALID"}:     `{"success":"true","errno":"630","reason":"Agent 1000 is logged in. SIP channel is unreacheable"}`,
	} {
		if got := serve(t, &fakeCore{agent: st}, "username=u&password=p&action=agentstatus&agentNumber=1000&agentPin=1"); got != want {
			t.Errorf("%+v:\n got %s\nwant %s", st, got, want)
		}
	}
}

// FuzzRequest: whatever the query, the answer is the dialect's JSON and
// nothing but a well-formed action reaches the core.
func FuzzRequest(f *testing.F) {
	f.Add("username=u&password=p&action=originate&srcExtenInternalNum=100&dstNum=800123456")
	f.Add("username=u&password=p&action=listcalls")
	f.Add("username=u&password=p&action=hangupcall&channelName=SIP%5C5555-0000b704")
	f.Add("username=u&password=p&action=agentadd&agentNumber=1000&agentPin=1234&queueName=FrontaIT&penalty=1")
	f.Add("action=%00&username=%0d%0a")
	h := New(&fakeCore{}, fakeAuth{}, 1<<20, zerolog.Nop(), nil)
	f.Fuzz(func(t *testing.T, query string) {
		if _, err := url.ParseQuery(query); err != nil {
			return
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, Path, nil)
		req.URL.RawQuery = query
		h.ServeHTTP(rec, req)
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("not JSON: %q", rec.Body)
		}
		if _, ok := m["success"]; !ok {
			t.Fatalf("no success field: %s", rec.Body)
		}
	})
}
