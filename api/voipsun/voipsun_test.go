package voipsun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/callctl/callctl/api"
	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/callflow"
)

// fakeCore answers every service call with what a test set, and remembers
// the requests.
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
func (f *fakeCore) ClickToCall(_ context.Context, r callflow.ClickToCallRequest) (callflow.CallRef, error) {
	return callflow.CallRef{CallID: 7}, f.do("clicktocall", r)
}
func (f *fakeCore) Dial(_ context.Context, r callflow.DialRequest) (callflow.CallRef, error) {
	return callflow.CallRef{CallID: 8}, f.do("dial", r)
}
func (f *fakeCore) Spy(_ context.Context, r callflow.SpyRequest) (callflow.CallRef, error) {
	return callflow.CallRef{CallID: 9}, f.do("spy", r)
}
func (f *fakeCore) Hangup(_ context.Context, ch string) error        { return f.do("hangup", ch) }
func (f *fakeCore) ListCalls(context.Context) []callflow.CallChannel { return f.calls }
func (f *fakeCore) LineCalls(context.Context, callflow.LineSelector) ([]callflow.LineCall, error) {
	return nil, errors.New("not a VoIPSUN action")
}
func (f *fakeCore) OutboundIVR(context.Context, callflow.OutboundIVRRequest) (callflow.CallRef, error) {
	return callflow.CallRef{}, errors.New("not a VoIPSUN action")
}
func (f *fakeCore) SIPStatus(context.Context) ([]callflow.SIPPeer, error) {
	return f.peers, f.err
}
func (f *fakeCore) Login(_ context.Context, r callflow.AgentLoginRequest) error {
	return f.do("agentlogin", r)
}
func (f *fakeCore) Logout(_ context.Context, a callflow.AgentCredentials) error {
	return f.do("agentlogout", a)
}
func (f *fakeCore) Pause(_ context.Context, a callflow.AgentCredentials, p bool) error {
	return f.do("agentpause", p)
}
func (f *fakeCore) AddQueue(_ context.Context, a callflow.AgentCredentials, m callflow.QueueMembership) error {
	return f.do("agentadd", m)
}
func (f *fakeCore) RemoveQueue(_ context.Context, a callflow.AgentCredentials, q string) error {
	return f.do("agentremove", q)
}
func (f *fakeCore) Status(context.Context, callflow.AgentCredentials) (callflow.AgentState, error) {
	return f.agent, f.err
}
func (f *fakeCore) QueueStatus(context.Context, string) (callflow.Queue, error) {
	return f.queue, f.err
}
func (f *fakeCore) Open(context.Context, uint64, uint64) (callflow.RecordingFile, error) {
	return callflow.RecordingFile{}, errors.New("not a VoIPSUN action")
}
func (f *fakeCore) Move(_ context.Context, r callflow.MoveRecordingRequest) error {
	return f.do("moverecord", r)
}

func services(f *fakeCore) api.Services {
	return api.Services{Calls: f, Lines: f, Agents: f, Recordings: f}
}

// fakeAuth accepts user "u" with password "p" for every core action but
// sip_status; user "busy" finds the password checks full, "slow" is
// throttled.
type fakeAuth struct{}

func (fakeAuth) Check(_ context.Context, c users.Credentials, action string) error {
	switch {
	case c.Name == "busy":
		return users.ErrBusy
	case c.Name == "slow":
		return users.ErrThrottled
	case !callflow.Known(action):
		return errors.New("an action that is not a core action reached the authenticator: " + action)
	case c.Name == "u" && c.Password == "p" && action != string(callflow.ActionSIPStatus):
		return nil
	}
	return users.ErrUnauthorized
}

// server is the api layer with the dialect mounted, as the daemon has it.
func server(core *fakeCore, auth api.Authenticator, log zerolog.Logger, reg prometheus.Registerer) http.Handler {
	s := api.New(api.Options{Auth: auth, MaxBodyBytes: 1 << 20, Log: log, Metrics: api.NewMetrics(reg)})
	s.Mount(Path, New(services(core)))
	return s
}

func do(t *testing.T, core *fakeCore, query string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	server(core, fakeAuth{}, zerolog.Nop(), nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Path+"?"+query, nil))
	return rec
}

func serve(t *testing.T, core *fakeCore, query string) string {
	t.Helper()
	return strings.TrimSpace(do(t, core, query).Body.String())
}

func TestErrorNumbersOfCoreErrors(t *testing.T) {
	e := func(kind callflow.Kind, field callflow.Field, state callflow.LineState) error {
		return &callflow.Error{Kind: kind, Field: field, State: state, Device: "PJSIP/1000", Actual: "127.0.0.1", Requested: "10.0.0.1"}
	}
	const (
		src, srcDP = callflow.FieldSource, callflow.FieldSourceDialplan
		dst, dstDP = callflow.FieldTarget, callflow.FieldTargetDialplan
		none       = callflow.FieldNone
	)
	for _, c := range []struct {
		action string
		err    error
		want   string
	}{
		{"originate", e(callflow.KindConflict, src, ""), `{"success":"false","errno":"200","reason":"Use only one of next variables: srcExtenPublicNum, srcExtenInternalNum, srcExtenId, srcSipUsername"}`},
		{"originate", e(callflow.KindAmbiguous, src, ""), `{"success":"false","errno":"201","reason":"Parameter dialPlanName missing"}`},
		{"originate", e(callflow.KindNotFound, src, ""), `{"success":"false","errno":"202","reason":"Extension not found"}`},
		{"originate", e(callflow.KindNotFound, srcDP, ""), `{"success":"false","errno":"203","reason":"Dialplan not found"}`},
		{"originate", e(callflow.KindMismatch, callflow.FieldCheckHost, ""), `{"success":"false","errno":"210","reason":"SIP host IP address mismatch. Channel PJSIP/1000 is registered from IP 127.0.0.1 but requested IP address is 10.0.0.1"}`},
		{"originate", e(callflow.KindMismatch, callflow.FieldCheckContact, ""), `{"success":"false","errno":"211","reason":"SIP host contact IP address mismatch. Contact IP address of the channel PJSIP/1000 is 127.0.0.1, but requested IP address is 10.0.0.1"}`},
		{"originate", e(callflow.KindLineBusy, src, callflow.LineUnreachable), `{"success":"false","errno":"220","reason":"SIP channel is unreacheable"}`},
		// chan_pjsip never reports the analog states Rsrvd, OffHook and
		// Dialing, and Busy only for an instant: these are checked here.
		{"originate", e(callflow.KindLineBusy, src, "Rsrvd"), `{"success":"false","errno":"221","reason":"SIP channel status - Channel is down, but reservered"}`},
		{"originate", e(callflow.KindLineBusy, src, "OffHook"), `{"success":"false","errno":"222","reason":"SIP channel status - Channel is off hook"}`},
		{"originate", e(callflow.KindLineBusy, src, "Dialing"), `{"success":"false","errno":"223","reason":"SIP channel status - Digits (or equivalent) have been dialed"}`},
		{"originate", e(callflow.KindLineBusy, src, "Ring"), `{"success":"false","errno":"224","reason":"SIP channel status - Line is ringing"}`},
		{"originate", e(callflow.KindLineBusy, src, "Ringing"), `{"success":"false","errno":"225","reason":"SIP channel status - Remote end is ringing"}`},
		{"originate", e(callflow.KindLineBusy, src, "Up"), `{"success":"false","errno":"226","reason":"SIP channel status - Line is up"}`},
		{"originate", e(callflow.KindLineBusy, src, "Busy"), `{"success":"false","errno":"227","reason":"SIP channel status - Line is busy"}`},
		{"originate", e(callflow.KindLineBusy, src, "Down"), `{"success":"false","errno":"228","reason":"SIP channel stauts - Channel is down and available"}`},
		{"dial", e(callflow.KindNotFound, callflow.FieldOutRoute, ""), `{"success":"false","errno":"250","reason":"Outroute not found!"}`},
		{"dial", e(callflow.KindConflict, callflow.FieldOutRoute, ""), `{"success":"false","errno":"130","reason":"Invalid parameter value: use only one of outrouteName, outrouteId"}`},
		{"spying", e(callflow.KindConflict, src, ""), `{"success":"false","errno":"300","reason":"Use only one of next variables: srcExtenPublicNum, srcExtenInternalNum, srcExtenId, srcSipUsername"}`},
		{"spying", e(callflow.KindConflict, dst, ""), `{"success":"false","errno":"301","reason":"Use only one of next variables: dstExtenPublicNum, dstExtenInternalNum, dstExtenId, dstSipUsername, dstChannelName"}`},
		{"spying", e(callflow.KindAmbiguous, src, ""), `{"success":"false","errno":"302","reason":"Source parameter srcDialplanName missing"}`},
		{"spying", e(callflow.KindNotFound, src, ""), `{"success":"false","errno":"303","reason":"Source extension not found"}`},
		{"spying", e(callflow.KindNotFound, srcDP, ""), `{"success":"false","errno":"304","reason":"Source dialplan not found"}`},
		{"spying", e(callflow.KindAmbiguous, dst, ""), `{"success":"false","errno":"310","reason":"Destination parameter dstDialplanName missing"}`},
		{"spying", e(callflow.KindNotFound, dst, ""), `{"success":"false","errno":"311","reason":"Destination extension not found"}`},
		{"spying", e(callflow.KindNotFound, callflow.FieldTargetChannel, ""), `{"success":"false","errno":"311","reason":"Destination extension not found"}`},
		{"spying", e(callflow.KindNotFound, dstDP, ""), `{"success":"false","errno":"312","reason":"Destination dialplan not found"}`},
		{"hangupcall&channelName=PJSIP/x-1", e(callflow.KindNotFound, callflow.FieldChannel, ""), `{"success":"false","errno":"401","reason":"Channel not found"}`},
		{"hangupcall", e(callflow.KindMissing, callflow.FieldChannel, ""), `{"success":"false","errno":"400","reason":"Parameter channelName is empty"}`},
		{"agentlogin", e(callflow.KindBadCredentials, callflow.FieldAgent, ""), `{"success":"false","errno":"500","reason":"Agent not found, or bad authorization credentials!"}`},
		{"agentlogin", e(callflow.KindConflict, src, ""), `{"success":"false","errno":"501","reason":"Use only one of next variables: srcExtenPublicNum, srcExtenInternalNum, srcExtenId, srcSipUsername."}`},
		{"agentlogin", e(callflow.KindAmbiguous, src, ""), `{"success":"false","errno":"502","reason":"Parameter dialPlanName missing"}`},
		{"agentlogin", e(callflow.KindNotFound, src, ""), `{"success":"false","errno":"503","reason":"Extension not found"}`},
		{"agentlogin", e(callflow.KindNotFound, srcDP, ""), `{"success":"false","errno":"504","reason":"Dialplan not found"}`},
		{"agentlogout", e(callflow.KindBadCredentials, callflow.FieldAgent, ""), `{"success":"false","errno":"550","reason":"Agent not found, or bad authorization credentials!"}`},
		{"agentpause", e(callflow.KindBadCredentials, callflow.FieldAgent, ""), `{"success":"false","errno":"580","reason":"Agent not found, or bad authorization credentials!"}`},
		{"agentunpause", e(callflow.KindBadCredentials, callflow.FieldAgent, ""), `{"success":"false","errno":"590","reason":"Agent not found, or bad authorization credentials!"}`},
		{"agentadd", callflow.NotFound(callflow.FieldQueue, "FrontaABC"), `{"success":"false","errno":"600","reason":"Queue FrontaABC not found!"}`},
		{"agentadd", e(callflow.KindBadCredentials, callflow.FieldAgent, ""), `{"success":"false","errno":"601","reason":"Agent not found, or bad authorization credentials!"}`},
		{"agentremove", callflow.NotFound(callflow.FieldQueue, "FrontaABC"), `{"success":"false","errno":"610","reason":"Queue FrontaABC not found!"}`},
		{"agentremove", e(callflow.KindBadCredentials, callflow.FieldAgent, ""), `{"success":"false","errno":"611","reason":"Agent not found, or bad authorization credentials!"}`},
		{"agentstatus", e(callflow.KindBadCredentials, callflow.FieldAgent, ""), `{"success":"false","errno":"620","reason":"Agent not found, or bad authorization credentials!"}`},
		{"queuestatus", callflow.NotFound(callflow.FieldQueue, "x"), `{"success":"false","errno":"640","reason":"Queue x not found!"}`},
		{"moverecord", e(callflow.KindNotFound, callflow.FieldRecord, ""), `{"success":"false","errno":"800","reason":"CDR record not found!"}`},
		{"moverecord", e(callflow.KindNoRecording, callflow.FieldRecord, ""), `{"success":"false","errno":"801","reason":"CDR not contain any information about audio record!"}`},
		{"moverecord", e(callflow.KindMkdir, callflow.FieldRecordingDir, ""), `{"success":"false","errno":"810","reason":"Destination folder does not exist and mkdir command failed. Please check parent folder permissions!"}`},
		{"moverecord", e(callflow.KindUnreadable, callflow.FieldRecord, ""), `{"success":"false","errno":"811","reason":"Source file (127.0.0.1) not exist or insufficient permissions to read them!"}`},
		{"moverecord", e(callflow.KindMoveFailed, callflow.FieldRecordingDir, ""), `{"success":"false","errno":"812","reason":"Cannot move file to (10.0.0.1). Check destination folder permissions!"}`},
		{"moverecord", callflow.Invalid(callflow.FieldRecordingFile, "bad"), `{"success":"false","errno":"130","reason":"Invalid parameter value: filename: bad"}`},
		{"originate", e(callflow.KindMissing, src, ""), `{"success":"false","errno":"120","reason":"Missing required parameters"}`},
		{"originate", callflow.Invalid(callflow.FieldDestination, "bad"), `{"success":"false","errno":"130","reason":"Invalid parameter value: dstNum: bad"}`},
		{"originate", callflow.Invalid(callflow.FieldSourceCallerName, "bad"), `{"success":"false","errno":"130","reason":"Invalid parameter value: dialerName: bad"}`},
		{"originate", callflow.Invalid(callflow.FieldCustom3, "bad"), `{"success":"false","errno":"130","reason":"Invalid parameter value: customCDR3: bad"}`},
		{"originate", callflow.Invalid(callflow.FieldRecordingDir, "bad"), `{"success":"false","errno":"130","reason":"Invalid parameter value: monitorPath: bad"}`},
		{"originate", callflow.Invalid(none, "too long"), `{"success":"false","errno":"130","reason":"Invalid parameter value: too long"}`},
		{"spying", callflow.Invalid(callflow.FieldSourceCallerName, "bad"), `{"success":"false","errno":"130","reason":"Invalid parameter value: spyName: bad"}`},
		{"dial", callflow.Invalid(callflow.FieldDestinationCallerNumber, "bad"), `{"success":"false","errno":"130","reason":"Invalid parameter value: dialerCid: bad"}`},
		{"dial&overrideCallerId=x", callflow.Invalid(callflow.FieldDestinationCallerNumber, "bad"), `{"success":"false","errno":"130","reason":"Invalid parameter value: overrideCallerId: bad"}`},
		{"dial", callflow.Invalid(callflow.FieldFailContext, "bad"), `{"success":"false","errno":"130","reason":"Invalid parameter value: hangupContext: bad"}`},
		{"dial", &callflow.Error{Kind: callflow.KindUnavailable, Detail: "hangup: ami: not connected"}, `{"success":"false","errno":"900","reason":"Asterisk did not carry the action out: hangup: ami: not connected"}`},
		{"agentlogin", e(callflow.KindBusy, callflow.FieldAgent, ""), `{"success":"false","errno":"503","reason":"Too many requests waiting; try again later"}`},
		{"agentpause", e(callflow.KindThrottled, callflow.FieldAgent, ""), `{"success":"false","errno":"429","reason":"Too many failed logins; try again later"}`},
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
		"username=u&password=x&action=listcalls":                              `{"success":"false","errno":"100","reason":"Unauthorized user or bad permissions"}`,
		"action=listcalls":                                                    `{"success":"false","errno":"100","reason":"Unauthorized user or bad permissions"}`,
		"username=u&password=p&action=sipstatus":                              `{"success":"false","errno":"100","reason":"Unauthorized user or bad permissions"}`,
		"username=u&password=p&action=nope":                                   `{"success":"false","errno":"110","reason":"Unknown action"}`,
		"username=u&password=p":                                               `{"success":"false","errno":"110","reason":"Unknown action"}`,
		"username=u&password=p&action=dial&monitorType=tape":                  `{"success":"false","errno":"130","reason":"Invalid parameter value: monitorType: \"tape\": use mixmonitor or monitor"}`,
		"username=u&password=p&action=originate&srcRingTimeout=x":             `{"success":"false","errno":"130","reason":"Invalid parameter value: srcRingTimeout: \"x\": a number of seconds from 1 to 3600"}`,
		"username=u&password=p&action=originate&dstRingTimeout=0":             `{"success":"false","errno":"130","reason":"Invalid parameter value: dstRingTimeout: \"0\": a number of seconds from 1 to 3600"}`,
		"username=u&password=p&action=agentadd&penalty=one":                   `{"success":"false","errno":"130","reason":"Invalid parameter value: penalty: \"one\": a number from 0 to 1000"}`,
		"username=u&password=p&action=hangupcall&channelName=a&channelName=b": `{"success":"false","errno":"130","reason":"Invalid parameter value: parameter channelName given more than once"}`,
	} {
		if got := serve(t, core, q); got != want {
			t.Errorf("%s:\n got %s\nwant %s", q, got, want)
		}
	}
	if len(core.actions) != 0 {
		t.Errorf("refused requests reached the core: %v", core.actions)
	}
	// An error that is not the core's (Asterisk down) is a 503 with 900.
	rec := do(t, &fakeCore{err: errors.New("ami: not connected")}, "username=u&password=p&action=dial")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"errno":"900"`) {
		t.Errorf("core failure: %d %s", rec.Code, rec.Body)
	}
	// PUT is refused with 405 and Allow.
	rec = httptest.NewRecorder()
	server(core, fakeAuth{}, zerolog.Nop(), nil).ServeHTTP(rec, httptest.NewRequest(http.MethodPut, Path, nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, POST" ||
		strings.TrimSpace(rec.Body.String()) != `{"success":"false","errno":"405","reason":"Method not allowed"}` {
		t.Errorf("PUT: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}

// Load shedding of the password checks: a check that cannot get a turn is
// HTTP 503, a client backing off after failed logins HTTP 429, each with
// callctl's number in the seed's shape.
func TestBusyAndThrottled(t *testing.T) {
	for user, want := range map[string]struct {
		status int
		body   string
	}{
		"busy": {http.StatusServiceUnavailable, `{"success":"false","errno":"503","reason":"Too many requests waiting; try again later"}`},
		"slow": {http.StatusTooManyRequests, `{"success":"false","errno":"429","reason":"Too many failed logins; try again later"}`},
	} {
		core := &fakeCore{}
		rec := do(t, core, "username="+user+"&password=p&action=listcalls")
		if rec.Code != want.status || strings.TrimSpace(rec.Body.String()) != want.body {
			t.Errorf("%s: %d %s, want %d %s", user, rec.Code, rec.Body, want.status, want.body)
		}
		if len(core.actions) != 0 {
			t.Errorf("%s: the core was called", user)
		}
	}
}

// A user's permission is for the core action the dialect's action maps to.
func TestPermissionsAreCoreActions(t *testing.T) {
	var asked []string
	auth := authFunc(func(c users.Credentials, action string) error {
		asked = append(asked, action)
		return nil
	})
	for name, core := range CoreActions() {
		asked = nil
		rec := httptest.NewRecorder()
		server(&fakeCore{}, auth, zerolog.Nop(), nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Path+"?action="+name, nil))
		if len(asked) != 1 || asked[0] != string(core) || !callflow.Known(asked[0]) {
			t.Errorf("%s: the authenticator was asked %v, want %s", name, asked, core)
		}
	}
	if len(CoreActions()) != 15 {
		t.Errorf("%d actions", len(CoreActions()))
	}
}

type authFunc func(users.Credentials, string) error

func (f authFunc) Check(_ context.Context, c users.Credentials, action string) error {
	return f(c, action)
}

func TestParametersReachTheCore(t *testing.T) {
	core := &fakeCore{}
	serve(t, core, "username=u&password=p&action=originate&srcExtenPublicNum=299299000&dstNum=800123456&dialplanName=dp&customCDR3=c3&dialerCid=customCDR3&dialerName=N&monitorFilename=f&monitorPath=/p&monitorType=mixmonitor&overrideCallerId=1&checkExten=1&checkIpHost=1.2.3.4&checkIpContact=5.6.7.8&macro=m&srcRingTimeout=7&dstRingTimeout=9")
	r := core.got.(callflow.ClickToCallRequest)
	want := callflow.ClickToCallRequest{
		Source:              callflow.LineSelector{PublicNumber: "299299000", Dialplan: "dp"},
		Destination:         "800123456",
		SourceRing:          7 * time.Second,
		SourceCallerID:      callflow.CallerID{Number: "c3", Name: "N"},
		DestinationCallerID: "1",
		Check:               callflow.LineCheck{Free: true, Host: "1.2.3.4", Contact: "5.6.7.8"},
		CallOptions: callflow.CallOptions{Custom: [4]string{"", "", "c3", ""}, Record: r.Record, PreDial: "m",
			DestinationRing: 9 * time.Second},
	}
	if r != want || r.Record == nil || *r.Record != (callflow.Recording{File: "f", Dir: "/p"}) {
		t.Errorf("originate request\n got %+v\nwant %+v", r, want)
	}
	// The seed's default caller ids.
	for q, want := range map[string]callflow.CallerID{
		"":                                   {Number: "000", Name: "Dialer"},
		"&dialerCid=299299000":               {Number: "299299000", Name: "299299000"},
		"&dialerCid=299299000&dialerName=C":  {Number: "299299000", Name: "C"},
		"&dialerCid=customCDR2&customCDR2=7": {Number: "7", Name: "7"},
		"&dialerCid=customCDR2":              {Number: "000", Name: "000"},
	} {
		serve(t, core, "username=u&password=p&action=originate&srcExtenId=5&dstNum=1"+q)
		if got := core.got.(callflow.ClickToCallRequest).SourceCallerID; got != want {
			t.Errorf("%q: caller id %+v, want %+v", q, got, want)
		}
	}
	serve(t, core, "username=u&password=p&action=dial&dstNum=1&outrouteId=x&context=c&dialerCid=5&overrideCallerId=6")
	d := core.got.(callflow.DialRequest)
	if d.OutRoute != (callflow.RouteSelector{ID: callflow.BadID}) || d.CallerID != (callflow.CallerID{Number: "6", Name: "5"}) || d.Record != nil {
		t.Errorf("dial request %+v", d)
	}
	serve(t, core, "username=u&password=p&action=spying&srcExtenId=5&dstSipUsername=sip102&dstDialplanName=d&srcDialplanName=s&spyCid=1")
	s := core.got.(callflow.SpyRequest)
	if s.Source.ID != 5 || s.Source.Dialplan != "s" || s.Target.SIPUsername != "sip102" || s.Target.Dialplan != "d" || s.CallerID != (callflow.CallerID{Number: "1", Name: "1"}) {
		t.Errorf("spy request %+v", s)
	}
	serve(t, core, "username=u&password=p&action=spying&srcExtenId=0")
	if s := core.got.(callflow.SpyRequest); s.Source.ID != callflow.BadID || s.CallerID != (callflow.CallerID{Number: "000", Name: "Spy"}) {
		t.Errorf("spy request %+v", s)
	}
	serve(t, core, "username=u&password=p&action=agentadd&agentNumber=1000&agentPin=1234&queueName=FrontaIT&penalty=1")
	if core.got != (callflow.QueueMembership{Queue: "FrontaIT", Penalty: 1}) {
		t.Errorf("agentadd got %v", core.got)
	}
	serve(t, core, "username=u&password=p&action=moverecord&cdrId=abc&filename=x")
	if core.got != (callflow.MoveRecordingRequest{Record: callflow.BadID, File: "x"}) {
		t.Errorf("moverecord got %v", core.got)
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
	core := &fakeCore{peers: []callflow.SIPPeer{
		{ID: 1, User: "100a", RTTMicros: -1},
		{ID: 4, User: "102a", Host: "192.0.2.4", Port: "5060", Status: "Reachable", RTTMicros: 35200, UserAgent: "snom870/8.7.3.25.9", Contact: "sip:102a@192.0.2.4:5060"},
		{ID: 5, User: "tel100", Host: "192.0.2.5", Port: "5060", Status: "NonQualified", RTTMicros: -1, Contact: "sip:tel100@192.0.2.5:5060"},
		{Trunk: true, ID: 12, User: "siptrunk4", Host: "192.0.2.9", Port: "5060", Status: "NonQualified", Contact: "sip:siptrunk4@192.0.2.9:5060"},
	}}
	rec := httptest.NewRecorder()
	server(core, authFunc(func(users.Credentials, string) error { return nil }), zerolog.Nop(), nil).
		ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Path+"?action=sipstatus", nil))
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

// queuestatus renders what Asterisk answered to QueueStatus on the test bed
// (callflow/testdata/queuestatus-*.json, read into these values by the
// core: see callflow's TestQueueStatusFromAsterisk) in the seed's shape.
func TestQueueStatusShape(t *testing.T) {
	sales := callflow.Queue{Name: "sales", Strategy: "ringall", Members: []callflow.QueueMember{
		{Name: "Agent_01", Location: "PJSIP/1001", StateInterface: "PJSIP/1001", Membership: "dynamic", Penalty: 1, Status: 1},
		{Name: "Agent_03", Location: "PJSIP/1003", StateInterface: "PJSIP/1003", Membership: "dynamic", Status: 1, Paused: true},
	}}
	got := serve(t, &fakeCore{queue: sales}, "username=u&password=p&action=queuestatus&queueName=sales")
	want := `{"success":"true","results":[{"queueName":"sales","max":"0","strategy":"ringall","calls":"0","holdTime":"0","talkTime":"0","completed":"0","abandoned":"0","serviceLevel":"0","serviceLevelPerf":"0.0","weight":"0","members":{` +
		`"Agent_01":{"agentName":"Agent_01","channelStatus":"Line is free","location":"PJSIP/1001","loggedFrom":"PJSIP/1001","membership":"dynamic","penalty":"1","callsTaken":"0","lastCall":"0","isInCall":"0","status":"1","paused":"0"},` +
		`"Agent_03":{"agentName":"Agent_03","channelStatus":"Line is free","location":"PJSIP/1003","loggedFrom":"PJSIP/1003","membership":"dynamic","penalty":"0","callsTaken":"0","lastCall":"0","isInCall":"0","status":"1","paused":"1"}},"waiters":[]}]}`
	if got != want {
		t.Errorf("queuestatus sales\n got %s\nwant %s", got, want)
	}
	support := callflow.Queue{Name: "support", Strategy: "linear", Calls: 1, Waiting: []callflow.QueueCaller{
		{Position: 1, Channel: "PJSIP/carrier-00000007", Uniqueid: "1795423952.7", Caller: callflow.CallerID{Number: "3630999888", Name: "unknown"}, Wait: time.Second},
	}}
	got = serve(t, &fakeCore{queue: support}, "username=u&password=p&action=queuestatus&queueName=support")
	if !strings.Contains(got, `"members":[],"waiters":{"1":{"position":"1","channel":"PJSIP/carrier-00000007","uniqueid":"1795423952.7","callerIdNum":"3630999888","callerIdName":"unknown","connectedLineNum":null,"connectedLineName":null,"wait":"1"}}`) {
		t.Errorf("queuestatus support: %s", got)
	}
	// The seed's example: a member in a call, a service level, a last call.
	q := callflow.Queue{Name: "FrontaIT", Strategy: "rrordered", Holdtime: 2 * time.Second, TalkTime: 38 * time.Second, Completed: 39,
		ServiceLevelPerf: 76.9, Members: []callflow.QueueMember{{Name: "Agent_01", Location: "Local/1000@extensions-dialplanid-1",
			StateInterface: "SIP/Linka_1000", Membership: "dynamic", Penalty: 1, InCall: true, Status: 1, LastCall: time.Unix(1795423952, 0)}}}
	got = serve(t, &fakeCore{queue: q}, "username=u&password=p&action=queuestatus&queueName=FrontaIT")
	if !strings.Contains(got, `"holdTime":"2","talkTime":"38","completed":"39","abandoned":"0","serviceLevel":"0","serviceLevelPerf":"76.9"`) ||
		!strings.Contains(got, `{"agentName":"Agent_01","channelStatus":"Line is busy","location":"Local/1000@extensions-dialplanid-1","loggedFrom":"SIP/Linka_1000","membership":"dynamic","penalty":"1","callsTaken":"0","lastCall":"1795423952","isInCall":"1","status":"1","paused":"0"}`) {
		t.Errorf("queuestatus FrontaIT: %s", got)
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

// A parameter name of 450 KB given twice (before any credentials are
// checked) is echoed clipped, and a flood of such requests logs a few
// lines with a count of the others, not megabytes.
func TestPreAuthAmplification(t *testing.T) {
	var logs bytes.Buffer
	h := server(&fakeCore{}, fakeAuth{}, zerolog.New(&logs), nil)
	name := strings.Repeat("n", 450<<10)
	query := url.Values{name: {"1", "2"}}.Encode()
	var answered int
	for i := 0; i < 20; i++ {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(query))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		h.ServeHTTP(rec, req)
		answered += rec.Body.Len()
		if i == 0 {
			want := `{"success":"false","errno":"130","reason":"Invalid parameter value: parameter ` + strings.Repeat("n", api.MaxEcho) + `… given more than once"}`
			if got := strings.TrimSpace(rec.Body.String()); got != want {
				t.Errorf("answer %.200s, want %s", got, want)
			}
		}
	}
	if answered > 20*300 {
		t.Errorf("20 answers of %d bytes", answered)
	}
	lines := strings.Count(logs.String(), "\n")
	t.Logf("20 requests with a 450 KB parameter name given twice: %d bytes answered, %d bytes logged in %d lines", answered, logs.Len(), lines)
	if logs.Len() > 10<<10 || lines > 10 {
		t.Errorf("20 requests logged %d bytes in %d lines", logs.Len(), lines)
	}
	// The next line logged, after the burst's budget refills, says how
	// many were left out: every refused request is a line or counted in
	// one (under -race the loop may outlast a refill, so a line logged
	// during it may carry part of the count).
	time.Sleep(600 * time.Millisecond)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Path+"?action=x&action=y", nil))
	var logged, suppressed int
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l struct{ Suppressed int }
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %.200s: %v", line, err)
		}
		logged++
		suppressed += l.Suppressed
	}
	if logged+suppressed != 21 {
		t.Errorf("21 refused requests: %d lines logged, %d counted as suppressed: %.2000s", logged, suppressed, logs.String())
	}
}

// Two dialects (or two servers) on one registry share the request metric,
// which counts by dialect, action and result.
func TestRequestMetricsRegisteredOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	first := server(&fakeCore{}, fakeAuth{}, zerolog.Nop(), reg)
	second := server(&fakeCore{}, fakeAuth{}, zerolog.Nop(), reg) // must not panic
	for _, h := range []http.Handler{first, second} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, Path+"?username=u&password=p&action=listcalls", nil))
	}
	second.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, Path+"?username=u&password=x&action=listcalls", nil))
	second.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, Path+"?username=u&password=p&action=nope", nil))
	n, err := testutil.GatherAndCount(reg, "callctl_api_request_duration_seconds")
	if err != nil || n != 3 {
		t.Fatalf("%d series (%v), want 3", n, err)
	}
	mfs, _ := reg.Gather()
	got := map[string]uint64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := ""
			for _, l := range m.GetLabel() {
				key += l.GetName() + "=" + l.GetValue() + " "
			}
			got[key] = m.GetHistogram().GetSampleCount()
		}
	}
	for key, count := range map[string]uint64{
		"action=listcalls dialect=voipsun result=ok ":           2,
		"action=listcalls dialect=voipsun result=unauthorized ": 1,
		"action=unknown dialect=voipsun result=unknown_action ": 1,
	} {
		if got[key] != count {
			t.Errorf("%s: %d, want %d (all: %v)", key, got[key], count, got)
		}
	}
}

// FuzzRequest: whatever the query, the answer is the dialect's JSON.
func FuzzRequest(f *testing.F) {
	f.Add("username=u&password=p&action=originate&srcExtenInternalNum=100&dstNum=800123456")
	f.Add("username=u&password=p&action=listcalls")
	f.Add("username=u&password=p&action=hangupcall&channelName=SIP%5C5555-0000b704")
	f.Add("username=u&password=p&action=agentadd&agentNumber=1000&agentPin=1234&queueName=FrontaIT&penalty=1")
	f.Add("action=%00&username=%0d%0a")
	h := server(&fakeCore{}, fakeAuth{}, zerolog.Nop(), nil)
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
