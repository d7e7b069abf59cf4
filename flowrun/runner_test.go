package flowrun

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/ari"
	"github.com/callctl/callctl/flow"
	"github.com/callctl/callctl/internal/fanout"
	"github.com/callctl/callctl/pbx"
)

// fakeARI logs every request as one line on calls; Play fails while
// failPlay is set.
type fakeARI struct {
	hub          fanout.Hub[ari.Event]
	calls        chan string
	subscribed   chan struct{}
	failPlay     bool
	lastPlayback string // written before the request is logged
}

func newFake() *fakeARI {
	return &fakeARI{calls: make(chan string, 100), subscribed: make(chan struct{})}
}

func (f *fakeARI) log(format string, a ...any) { f.calls <- fmt.Sprintf(format, a...) }

func (f *fakeARI) Subscribe(name string, size int) *ari.Subscription {
	defer close(f.subscribed)
	return f.hub.Subscribe(name, 100)
}
func (f *fakeARI) Answer(ctx context.Context, id string) error { f.log("answer %s", id); return nil }
func (f *fakeARI) Ring(ctx context.Context, id string) error   { f.log("ring %s", id); return nil }
func (f *fakeARI) Continue(ctx context.Context, id, c, e string, p int64) error {
	f.log("continue %s %s,%s,%d", id, c, e, p)
	return nil
}
func (f *fakeARI) SetVar(ctx context.Context, id, name, value string) error {
	f.log("set %s %s=%s", id, name, value)
	return nil
}
func (f *fakeARI) GetVar(ctx context.Context, id, name string) (string, error) {
	f.log("get %s %s", id, name)
	return "", nil
}
func (f *fakeARI) Play(ctx context.Context, ch, pb string, media ...string) (*ari.Playback, error) {
	f.lastPlayback = pb
	f.log("play %s %s", ch, strings.Join(media, "+"))
	if f.failPlay {
		return nil, &ari.Error{Operation: "play", Status: 404, Message: "no such sound"}
	}
	return &ari.Playback{ID: pb}, nil
}
func (f *fakeARI) StopPlayback(ctx context.Context, id string) error { f.log("stop"); return nil }
func (f *fakeARI) HangupCode(ctx context.Context, id string, cause int) error {
	f.log("hangup %s %d", id, cause)
	return nil
}

type flows map[string]flow.Flow

func (fs flows) Get(name string) (flow.Flow, bool, error) { f, ok := fs[name]; return f, ok, nil }
func (fs flows) ByExten(exten string) (flow.Flow, bool, error) {
	for _, f := range fs {
		if f.Exten == exten {
			return f, true, nil
		}
	}
	return flow.Flow{}, false, nil
}

var seed = flow.Flow{Name: "seed-inbound", Exten: "200", Language: "en", Steps: []flow.Step{
	{ID: "menu1", Menu: &flow.Menu{Prompt: "beep", Timeout: time.Second, Choices: map[string]string{"1": "menu2"}, Fallback: "support"}},
	{ID: "menu2", Menu: &flow.Menu{Prompt: "beep", Timeout: time.Second, Choices: map[string]string{"2": "tag"}, Fallback: "support"}},
	{ID: "tag", Tag: &flow.Tag{Tags: []string{"vip", "demo"}}, Next: "support"},
	{ID: "support", Record: true, Queue: &flow.Queue{Name: "support", Timeout: time.Minute}},
}}

func start(t *testing.T, cfg Config, fs flows) (*fakeARI, context.CancelFunc) {
	t.Helper()
	f := newFake()
	dir, err := pbx.New(pbx.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	r := New(cfg, Deps{ARI: f, Flows: fs, Directory: dir, Log: zerolog.Nop()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	<-f.subscribed
	return f, cancel
}

// expect reads the next requests and compares them with want.
func expect(t *testing.T, f *fakeARI, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case got := <-f.calls:
			if got != w {
				t.Fatalf("request %q, want %q", got, w)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("no request, want %q", w)
		}
	}
}

func stasisStart(id, state string, args ...string) ari.Event {
	return ari.Event{Type: "StasisStart", Channel: &ari.Channel{ID: id, Name: "PJSIP/carrier-" + id, State: state}, Args: args}
}

func dtmf(id, digit string) ari.Event {
	return ari.Event{Type: "ChannelDtmfReceived", Channel: &ari.Channel{ID: id}, Digit: digit}
}

// The seed's flow on the wire: ringing, the flow's variables, two menus
// answered by keys during the prompts, the tags, then the queue's
// variables and the channel continued into callctl-flow-queue.
func TestSeedFlowRequests(t *testing.T) {
	f, _ := start(t, DefaultConfig(), flows{"seed-inbound": seed})
	f.hub.Publish(stasisStart("c1", "Ring", "did", "3612340300"))
	expect(t, f, "ring c1", "set c1 CALLCTL_FLOW_DID=3612340300", "set c1 CALLCTL_FLOW_EXTEN=200",
		"set c1 CHANNEL(language)=en", "answer c1", "play c1 sound:beep")
	f.hub.Publish(dtmf("c1", "1"))
	expect(t, f, "stop", "set c1 CALLCTL_IVR_DIGITS=1", "play c1 sound:beep")
	f.hub.Publish(dtmf("c1", "2"))
	expect(t, f, "stop", "set c1 CALLCTL_IVR_DIGITS=1,2", "set c1 CALLCTL_TAGS=vip,demo",
		"set c1 CALLCTL_CC_CALL=1", "set c1 CALLCTL_FLOW_RESUME=seed-inbound,support,0", "set c1 CALLCTL_FLOW_STEPS=4",
		"set c1 CALLCTL_QUEUE=support", "set c1 CALLCTL_QUEUE_GOSUB=callctl-record-member", "set c1 CALLCTL_QUEUE_TIMEOUT=60",
		"continue c1 callctl-flow-queue,s,1")
}

// A key with no choice replays the prompt; no key at all within the
// timeout, retries exhausted, takes the fallback.
func TestMenuRetriesThenFallback(t *testing.T) {
	fl := flow.Flow{Name: "m", Exten: "201", Steps: []flow.Step{
		{ID: "menu", Menu: &flow.Menu{Prompt: "beep", Timeout: 50 * time.Millisecond, Retries: 1, Choices: map[string]string{"1": "bye"}, Fallback: "sorry"}},
		{ID: "sorry", Playback: &flow.Playback{Sounds: []string{"sorry"}}},
		{ID: "bye", Hangup: &flow.Hangup{Cause: 21}},
	}}
	f, _ := start(t, DefaultConfig(), flows{"m": fl})
	f.hub.Publish(stasisStart("c2", "Up", "flow", "201"))
	expect(t, f, "set c2 CALLCTL_FLOW_EXTEN=201", "play c2 sound:beep")
	f.hub.Publish(dtmf("c2", "9"))
	expect(t, f, "stop", "play c2 sound:beep")
	f.hub.Publish(ari.Event{Type: "PlaybackFinished", Playback: &ari.Playback{ID: f.lastPlayback, State: "done", TargetURI: "channel:c2"}})
	expect(t, f, "play c2 sound:sorry")
	f.hub.Publish(ari.Event{Type: "PlaybackFinished", Playback: &ari.Playback{ID: f.lastPlayback, State: "done", TargetURI: "channel:c2"}})
	expect(t, f, "hangup c2 16")
}

// A loop without an exit ends at the step budget with a failure cause; a
// failed step goes to the flow's default once.
func TestStepBudgetAndDefault(t *testing.T) {
	loop := flow.Flow{Name: "loop", Exten: "202", Steps: []flow.Step{
		{ID: "a", Goto: &flow.Goto{Step: "b"}},
		{ID: "b", Goto: &flow.Goto{Step: "a"}},
	}}
	broken := flow.Flow{Name: "broken", Exten: "203", Default: "bye", Steps: []flow.Step{
		{ID: "p", Playback: &flow.Playback{Sounds: []string{"nothere"}}},
		{ID: "bye", Hangup: &flow.Hangup{Cause: 17}},
	}}
	cfg := DefaultConfig()
	cfg.MaxSteps = 10
	f, _ := start(t, cfg, flows{"loop": loop, "broken": broken})
	f.hub.Publish(stasisStart("c3", "Up", "flow", "202"))
	expect(t, f, "set c3 CALLCTL_FLOW_EXTEN=202", "hangup c3 41")
	f.failPlay = true
	f.hub.Publish(stasisStart("c4", "Up", "flow", "203"))
	expect(t, f, "set c4 CALLCTL_FLOW_EXTEN=203", "play c4 sound:nothere", "hangup c4 17")
}

// Over flows.max_calls a DID's call goes back to the dialplan (its static
// destination) at once; a technical extension's is refused.
func TestOverTheBound(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxCalls = 1
	slow := flow.Flow{Name: "seed-inbound", Exten: "200", Steps: []flow.Step{
		{ID: "menu", Menu: &flow.Menu{Prompt: "beep", Timeout: time.Minute, Choices: map[string]string{"1": ""}}},
	}}
	f, _ := start(t, cfg, flows{"seed-inbound": slow})
	f.hub.Publish(stasisStart("c5", "Up", "did", "3612340300"))
	expect(t, f, "set c5 CALLCTL_FLOW_DID=3612340300", "set c5 CALLCTL_FLOW_EXTEN=200", "play c5 sound:beep")
	f.hub.Publish(stasisStart("c6", "Ring", "did", "3612340300"))
	expect(t, f, "continue c6 ,,0")
	f.hub.Publish(stasisStart("c7", "Ring", "flow", "200"))
	expect(t, f, "hangup c7 34")
	f.hub.Publish(stasisStart("c7b", "Ring", "exten", "1002"))
	expect(t, f, "continue c7b ,,0")
}

// An extension-to-extension call's built-in flow continues the caller's
// channel into callctl-exten-ring at once: no ringing of its own, no
// CALLCTL_FLOW_EXTEN (no flow leg in the record). A malformed one goes on
// after Stasis(), where the dialplan rings.
func TestExtensionCallBuiltInFlow(t *testing.T) {
	f, _ := start(t, DefaultConfig(), flows{})
	f.hub.Publish(stasisStart("c10", "Ring", "exten", "1002"))
	expect(t, f, "continue c10 callctl-exten-ring,1002,1")
	f.hub.Publish(stasisStart("c11", "Ring", "exten", "10,02"))
	expect(t, f, "continue c11 ,,0")
	f.hub.Publish(stasisStart("c12", "Ring", "exten"))
	expect(t, f, "continue c12 ,,0")
}

// A ring step that came back from the dialplan busy goes on at its busy
// exit; with strategy order the next extension rings first.
func TestResumeExits(t *testing.T) {
	fl := flow.Flow{Name: "r", Exten: "204", Steps: []flow.Step{
		{ID: "ring", Ring: &flow.Ring{Extensions: []string{"1001", "1002"}, Strategy: "order", Timeout: 5 * time.Second, Busy: "bye"}},
		{ID: "bye", Hangup: &flow.Hangup{Cause: 17}},
	}}
	f, _ := start(t, DefaultConfig(), flows{"r": fl})
	f.hub.Publish(stasisStart("c8", "Ring", "resume", "r", "ring", "0", "BUSY"))
	expect(t, f, "get c8 CALLCTL_IVR_DIGITS", "get c8 CALLCTL_TAGS", "get c8 CALLCTL_FLOW_STEPS", "get c8 CALLCTL_FLOW_DID",
		"set c8 CALLCTL_FLOW_RESUME=r,ring,1", "set c8 CALLCTL_FLOW_STEPS=0", "set c8 CALLCTL_RING_TARGET=1002",
		"set c8 _CALLCTL_FLOW_CALLER=PJSIP/carrier-c8", "set c8 _CALLCTL_RING_OPTIONS=", "set c8 _CALLCTL_RING_TIMEOUT=5",
		"continue c8 callctl-flow-ring,one,1")
	f.hub.Publish(stasisStart("c9", "Ring", "resume", "r", "ring", "1", "BUSY"))
	expect(t, f, "get c9 CALLCTL_IVR_DIGITS", "get c9 CALLCTL_TAGS", "get c9 CALLCTL_FLOW_STEPS", "get c9 CALLCTL_FLOW_DID",
		"hangup c9 17")
}

func TestRingExit(t *testing.T) {
	st := &flow.Step{Next: "n", Ring: &flow.Ring{Busy: "b", NoAnswer: "na"}}
	for status, want := range map[string]string{"BUSY": "b", "NOANSWER": "na", "CHANUNAVAIL": "n", "CONGESTION": "n", "CANCEL": "n"} {
		if got := ringExit(st, status); got != want {
			t.Errorf("%s: %s, want %s", status, got, want)
		}
	}
	if _, _, _, _, err := resumeArgs([]string{"resume", "a"}); err == nil {
		t.Error("short resume accepted")
	}
}
