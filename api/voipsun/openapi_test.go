package voipsun

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/api"
	"github.com/callctl/callctl/api/openapi/openapitest"
	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/callflow"
)

// readParams are a request's parameters as the dialect reads them.
func readParams(r *http.Request) (map[string]string, error) {
	form, err := api.ReadForm(r)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, vs := range form {
		out[k] = vs[0]
	}
	return out, nil
}

// Every action of the dialect's table answers, on the real server with
// the tests' core, a success and an error that the OpenAPI document
// (api/openapi/voipsun.json) describes; every request is one the
// document takes, or one it refuses as the server does.
func TestOpenAPIDocument(t *testing.T) {
	doc := openapitest.Load(t, "voipsun")
	const auth = "username=u&password=p&"
	badAgent := &callflow.Error{Kind: callflow.KindBadCredentials, Field: callflow.FieldAgent, Detail: "agent not found or wrong PIN"}
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	queue := callflow.Queue{Name: "sales", Strategy: "ringall", Calls: 1,
		Members: []callflow.QueueMember{{Name: "Agent_01", Location: "PJSIP/1001", StateInterface: "PJSIP/1001", Membership: "dynamic", Penalty: 1, Status: 1}},
		Waiting: []callflow.QueueCaller{{Position: 1, Channel: "PJSIP/carrier-00000007", Uniqueid: "1795423952.7",
			Caller: callflow.CallerID{Number: "3630999888", Name: "unknown"}, Connected: callflow.CallerID{Number: "1001"}, Wait: time.Second}}}
	for _, c := range []struct {
		core *fakeCore
		ex   openapitest.Exchange
	}{
		{nil, openapitest.Exchange{Action: "originate", Target: Path + "?" + auth + "action=originate&srcExtenPublicNum=299299000&dstNum=800123456&dialerCid=customCDR1&customCDR1=42&monitorType=mixmonitor&checkExten=1&srcRingTimeout=20"}},
		{nil, openapitest.Exchange{Action: "originate", Method: "POST", Target: Path + "?action=originate", Header: form,
			Body: auth + "srcExtenInternalNum=1000&dstNum=800123456&dialplanName=default"}},
		{&fakeCore{err: callflow.NotFound(callflow.FieldSource, "9999")}, openapitest.Exchange{Action: "originate", Error: true,
			Target: Path + "?" + auth + "action=originate&srcExtenInternalNum=9999&dstNum=800123456"}},
		// Two sources: the document's oneOf refuses it, the server answers 200.
		{&fakeCore{err: &callflow.Error{Kind: callflow.KindConflict, Field: callflow.FieldSource}}, openapitest.Exchange{Action: "originate", Error: true, Nonconforming: true,
			Target: Path + "?" + auth + "action=originate&srcExtenInternalNum=1000&srcExtenId=1&dstNum=800123456"}},
		{&fakeCore{err: &callflow.Error{Kind: callflow.KindLineBusy, Field: callflow.FieldSource, State: "Up"}}, openapitest.Exchange{Action: "originate", Error: true,
			Target: Path + "?" + auth + "action=originate&srcExtenId=1&dstNum=800123456&checkExten=1"}},

		{nil, openapitest.Exchange{Action: "dial", Target: Path + "?" + auth + "action=dial&dstNum=800123456&outrouteName=carrier&context=from-api&hangupContext=failed&dstRingTimeout=30"}},
		{&fakeCore{err: callflow.NotFound(callflow.FieldOutRoute, "x")}, openapitest.Exchange{Action: "dial", Error: true,
			Target: Path + "?" + auth + "action=dial&dstNum=800123456&outrouteId=99&context=from-api"}},

		{nil, openapitest.Exchange{Action: "hangupcall", Target: Path + "?" + auth + "action=hangupcall&channelName=PJSIP/1000-00000001"}},
		{&fakeCore{err: callflow.NotFound(callflow.FieldChannel, "PJSIP/x")}, openapitest.Exchange{Action: "hangupcall", Error: true,
			Target: Path + "?" + auth + "action=hangupcall&channelName=PJSIP/x"}},
		{&fakeCore{err: callflow.Missing(callflow.FieldChannel)}, openapitest.Exchange{Action: "hangupcall", Error: true, Nonconforming: true,
			Target: Path + "?" + auth + "action=hangupcall"}},

		{&fakeCore{calls: []callflow.CallChannel{{Name: "PJSIP/1001-00000001", Context: "from-carrier", Src: "123456789", Dst: "1001", Seconds: 529, Status: "Up", ID: 2},
			{Name: "PJSIP/carrier-00000002", Context: "from-carrier", Src: "123456789", Dst: "111222555", Seconds: 529, Status: "Up", Trunk: true, ID: 1}}},
			openapitest.Exchange{Action: "listcalls", Target: Path + "?" + auth + "action=listcalls"}},
		{nil, openapitest.Exchange{Action: "listcalls", Method: "POST", Target: Path, Header: form, Body: auth + "action=listcalls"}},
		{nil, openapitest.Exchange{Action: "listcalls", Error: true, Target: Path + "?username=u&password=wrong&action=listcalls"}},

		{nil, openapitest.Exchange{Action: "spying", Target: Path + "?" + auth + "action=spying&srcExtenInternalNum=1000&dstChannelName=PJSIP/1001-00000002&spyCid=1000&spyName=Boss"}},
		{&fakeCore{err: callflow.NotFound(callflow.FieldTarget, "1009")}, openapitest.Exchange{Action: "spying", Error: true,
			Target: Path + "?" + auth + "action=spying&srcExtenId=1&dstExtenInternalNum=1009&dstDialplanName=default"}},

		// sipstatus: user u may not (fakeAuth); the tests' authFunc lets
		// everyone, below.
		{nil, openapitest.Exchange{Action: "sipstatus", Error: true, Target: Path + "?" + auth + "action=sipstatus"}},

		{nil, openapitest.Exchange{Action: "agentlogin", Target: Path + "?" + auth + "action=agentlogin&srcExtenInternalNum=1000&agentNumber=1000&agentPin=1234"}},
		{&fakeCore{err: badAgent}, openapitest.Exchange{Action: "agentlogin", Error: true, Target: Path + "?" + auth + "action=agentlogin&srcExtenInternalNum=1000&agentNumber=1000&agentPin=1"}},
		{nil, openapitest.Exchange{Action: "agentlogout", Target: Path + "?" + auth + "action=agentlogout&agentNumber=1000&agentPin=1234"}},
		{&fakeCore{err: badAgent}, openapitest.Exchange{Action: "agentlogout", Error: true, Target: Path + "?" + auth + "action=agentlogout&agentNumber=1000&agentPin=1"}},
		{nil, openapitest.Exchange{Action: "agentpause", Target: Path + "?" + auth + "action=agentpause&agentNumber=1000&agentPin=1234"}},
		{&fakeCore{err: badAgent}, openapitest.Exchange{Action: "agentpause", Error: true, Target: Path + "?" + auth + "action=agentpause&agentNumber=1000&agentPin=1"}},
		{nil, openapitest.Exchange{Action: "agentunpause", Target: Path + "?" + auth + "action=agentunpause&agentNumber=1000&agentPin=1234"}},
		{&fakeCore{err: badAgent}, openapitest.Exchange{Action: "agentunpause", Error: true, Target: Path + "?" + auth + "action=agentunpause&agentNumber=1000&agentPin=1"}},
		{nil, openapitest.Exchange{Action: "agentadd", Target: Path + "?" + auth + "action=agentadd&agentNumber=1000&agentPin=1234&queueName=sales&penalty=1"}},
		{&fakeCore{err: callflow.NotFound(callflow.FieldQueue, "FrontaABC")}, openapitest.Exchange{Action: "agentadd", Error: true,
			Target: Path + "?" + auth + "action=agentadd&agentNumber=1000&agentPin=1234&queueName=FrontaABC"}},
		{nil, openapitest.Exchange{Action: "agentadd", Error: true, Nonconforming: true,
			Target: Path + "?" + auth + "action=agentadd&agentNumber=1000&agentPin=1234&queueName=sales&penalty=one"}},
		{nil, openapitest.Exchange{Action: "agentremove", Target: Path + "?" + auth + "action=agentremove&agentNumber=1000&agentPin=1234&queueName=sales"}},
		{&fakeCore{err: badAgent}, openapitest.Exchange{Action: "agentremove", Error: true, Target: Path + "?" + auth + "action=agentremove&agentNumber=1000&agentPin=1&queueName=sales"}},
		{&fakeCore{agent: callflow.AgentState{Number: "1000", LoggedIn: true, DeviceState: "INUSE"}},
			openapitest.Exchange{Action: "agentstatus", Target: Path + "?" + auth + "action=agentstatus&agentNumber=1000&agentPin=1234"}},
		{&fakeCore{agent: callflow.AgentState{Number: "1000"}},
			openapitest.Exchange{Action: "agentstatus", Target: Path + "?" + auth + "action=agentstatus&agentNumber=1000&agentPin=1234"}},
		{&fakeCore{err: badAgent}, openapitest.Exchange{Action: "agentstatus", Error: true, Target: Path + "?" + auth + "action=agentstatus&agentNumber=1000&agentPin=1"}},
		{&fakeCore{queue: queue}, openapitest.Exchange{Action: "queuestatus", Target: Path + "?" + auth + "action=queuestatus&queueName=sales"}},
		{&fakeCore{queue: callflow.Queue{Name: "empty", Strategy: "linear"}}, openapitest.Exchange{Action: "queuestatus", Target: Path + "?" + auth + "action=queuestatus&queueName=empty"}},
		{&fakeCore{err: callflow.NotFound(callflow.FieldQueue, "x")}, openapitest.Exchange{Action: "queuestatus", Error: true, Target: Path + "?" + auth + "action=queuestatus&queueName=x"}},
		{nil, openapitest.Exchange{Action: "moverecord", Target: Path + "?" + auth + "action=moverecord&cdrId=12&filename=call.wav&path=/var/spool/asterisk/monitor/done"}},
		{&fakeCore{err: callflow.NotFound(callflow.FieldRecord, "")}, openapitest.Exchange{Action: "moverecord", Error: true, Target: Path + "?" + auth + "action=moverecord&cdrId=99&filename=x.wav"}},

		// Refusals before the action is known, and load shedding.
		{nil, openapitest.Exchange{Error: true, Nonconforming: true, Target: Path + "?" + auth + "action=nope"}},
		{nil, openapitest.Exchange{Error: true, Nonconforming: true, Target: Path + "?" + auth}},
		{nil, openapitest.Exchange{Error: true, Nonconforming: true, Method: "PUT", Target: Path + "?" + auth + "action=listcalls"}},
		{nil, openapitest.Exchange{Action: "listcalls", Error: true, Nonconforming: true, Target: Path + "?" + auth + "action=listcalls&action=listcalls"}},
		{nil, openapitest.Exchange{Action: "listcalls", Error: true, Target: Path + "?username=slow&password=p&action=listcalls"}},
		{nil, openapitest.Exchange{Action: "listcalls", Error: true, Target: Path + "?username=busy&password=p&action=listcalls"}},
		{&fakeCore{err: errors.New("ami: not connected")}, openapitest.Exchange{Action: "dial", Error: true,
			Target: Path + "?" + auth + "action=dial&dstNum=1&outrouteName=carrier&context=from-api"}},
		{nil, openapitest.Exchange{Action: "originate", Error: true, Method: "POST", Target: Path + "?action=originate", Header: form,
			Body: auth + "srcExtenId=1&dstNum=" + url.QueryEscape(strings.Repeat("1", 2<<20))}},
	} {
		core := c.core
		if core == nil {
			core = &fakeCore{}
		}
		doc.Run(t, server(core, fakeAuth{}, zerolog.Nop(), nil), readParams, c.ex)
	}
	// sipstatus with a user who may.
	everyone := authFunc(func(users.Credentials, string) error { return nil })
	doc.Run(t, server(&fakeCore{peers: []callflow.SIPPeer{{ID: 1, User: "100a", RTTMicros: -1},
		{ID: 4, User: "102a", Host: "192.0.2.4", Port: "5060", Status: "Reachable", RTTMicros: 35200, UserAgent: "snom870/8.7.3.25.9", Contact: "sip:102a@192.0.2.4:5060"},
		{Trunk: true, ID: 12, User: "siptrunk4", Host: "192.0.2.9", Port: "5060", Status: "NonQualified", Contact: "sip:siptrunk4@192.0.2.9:5060"}}}, everyone, zerolog.Nop(), nil),
		readParams, openapitest.Exchange{Action: "sipstatus", Target: Path + "?action=sipstatus"})

	doc.Coverage(t, slices.Collect(maps.Keys(CoreActions())))
	t.Logf("validated answers (ok, error) by action: %v", doc.Counts())
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
