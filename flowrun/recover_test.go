package flowrun

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/ari"
	"github.com/callctl/callctl/flow"
	"github.com/callctl/callctl/pbx"
)

// fakeRecovery adds the application's channel list, channel snapshots,
// channel variables and finished playbacks to fakeARI.
type fakeRecovery struct {
	*fakeARI
	mu    sync.Mutex
	app   []string
	chans map[string]*ari.Channel
	vars  map[string]string // "id name"
}

func (f *fakeRecovery) set(app []string, chans ...*ari.Channel) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.app = app
	for _, c := range chans {
		f.chans[c.ID] = c
	}
}

func (f *fakeRecovery) AppChannels(ctx context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("list")
	return slices.Clone(f.app), nil
}

func (f *fakeRecovery) Channel(ctx context.Context, id string) (*ari.Channel, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("channel %s", id)
	if c := f.chans[id]; c != nil {
		cc := *c
		return &cc, nil
	}
	return nil, &ari.Error{Operation: "channel_get", Status: 404, Message: "Channel not found"}
}

func (f *fakeRecovery) Playback(ctx context.Context, id string) (*ari.Playback, error) {
	f.log("playback")
	return nil, &ari.Error{Operation: "playback_get", Status: 404, Message: "Playback not found"}
}

func (f *fakeRecovery) GetVar(ctx context.Context, id, name string) (string, error) {
	f.log("get %s %s", id, name)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.vars[id+" "+name], nil
}

func startRecovery(t *testing.T, fs flows) (*fakeRecovery, *Runner) {
	t.Helper()
	old := strandGrace
	strandGrace = 20 * time.Millisecond
	t.Cleanup(func() { strandGrace = old })
	f := &fakeRecovery{fakeARI: newFake(), chans: map[string]*ari.Channel{}, vars: map[string]string{}}
	dir, err := pbx.New(pbx.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	r := New(DefaultConfig(), Deps{ARI: f, Recovery: f, Flows: fs, Directory: dir, Log: zerolog.Nop()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	<-f.subscribed
	return f, r
}

// expectSet reads the next len(want) requests, in any order.
func expectSet(t *testing.T, f *fakeARI, want ...string) {
	t.Helper()
	var got []string
	for range want {
		select {
		case g := <-f.calls:
			got = append(got, g)
		case <-time.After(3 * time.Second):
			t.Fatalf("requests %q, want %q", got, want)
		}
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Fatalf("requests %q, want %q", got, want)
	}
}

func expectNone(t *testing.T, f *fakeARI) {
	t.Helper()
	select {
	case g := <-f.calls:
		t.Fatalf("unexpected request %q", g)
	case <-time.After(100 * time.Millisecond):
	}
}

// After a reconnect: the session that ran across it checks its prompt (its
// PlaybackFinished may be lost) and keeps its channel; a channel of the
// shipped dialplan in the application with no session (a DID's, its flow
// without a default step) goes to the DID's static destination; a
// channel someone else put in the application is left alone. A further
// reconnect without the session's channel in the application ends the
// session.
func TestRecoveryAfterAReconnect(t *testing.T) {
	slow := flow.Flow{Name: "seed-inbound", Exten: "200", Steps: []flow.Step{
		{ID: "menu", Menu: &flow.Menu{Prompt: "beep", Timeout: time.Minute, Choices: map[string]string{"1": ""}}},
	}}
	f, r := startRecovery(t, flows{"seed-inbound": slow})
	f.hub.Publish(ari.Event{Type: ari.EventConnected})
	expect(t, f.fakeARI, "list")
	f.hub.Publish(stasisStart("c1", "Up", "did", "3612340300"))
	expect(t, f.fakeARI, "set c1 CALLCTL_FLOW_DID=3612340300", "set c1 CALLCTL_FLOW_EXTEN=200", "play c1 sound:beep")

	f.set([]string{"c1", "c2", "c3", "c4", "c5"},
		&ari.Channel{ID: "c2", Name: "PJSIP/carrier-c2", State: "Up", Context: "callctl-did", Exten: "3612340300", Priority: 2},
		&ari.Channel{ID: "c3", Name: "PJSIP/carrier-c3", State: "Up", Context: "somewhere-else", Exten: "s", Priority: 1},
		&ari.Channel{ID: "c4", Name: "PJSIP/1001-c4", State: "Ring", Context: "callctl-exten", Exten: "1002", Priority: 3},
		&ari.Channel{ID: "c5", Name: "PJSIP/carrier-c5", State: "Up", Context: "a-site-context", Exten: "s", Priority: 4, AppName: "Stasis", AppData: "callctl,did,3612340300"})
	f.hub.Publish(ari.Event{Type: ari.EventConnected})
	expect(t, f.fakeARI, "list")
	expectSet(t, f.fakeARI, "playback", "channel c2", "channel c3", "channel c4", "channel c5",
		"continue c2 callctl-did-static-fresh,3612340300,1", "continue c4 callctl-exten-ring,1002,1", "continue c5 callctl-did-static-fresh,3612340300,1")
	expectNone(t, f.fakeARI)
	r.mu.Lock()
	_, running := r.calls["c1"]
	r.mu.Unlock()
	if !running {
		t.Fatal("the session that ran across the reconnect ended")
	}

	f.set([]string{"c3"})
	f.hub.Publish(ari.Event{Type: ari.EventConnected})
	expect(t, f.fakeARI, "list", "channel c3")
	if !eventually(func() bool { r.mu.Lock(); defer r.mu.Unlock(); return len(r.calls) == 0 }) {
		t.Fatal("the session whose channel left the application while the websocket was down still runs")
	}
}

// A channel left in Stasis whose flow has a default step goes on there
// (with the flow's state read from its variables); one in the resume
// context is known by CALLCTL_FLOW_RESUME; without a default step nor a
// DID, it is hung up with cause 41.
func TestRecoveryDefaultStepOrHangup(t *testing.T) {
	withDefault := flow.Flow{Name: "d", Exten: "280", Default: "bye", Steps: []flow.Step{
		{ID: "menu", Menu: &flow.Menu{Prompt: "beep", Choices: map[string]string{"1": ""}}},
		{ID: "bye", Hangup: &flow.Hangup{Cause: 17}},
	}}
	plain := flow.Flow{Name: "p", Exten: "281", Steps: []flow.Step{
		{ID: "menu", Menu: &flow.Menu{Prompt: "beep", Choices: map[string]string{"1": ""}}},
	}}
	f, _ := startRecovery(t, flows{"d": withDefault, "p": plain})
	f.set([]string{"c4"}, &ari.Channel{ID: "c4", Name: "PJSIP/carrier-c4", State: "Up", Context: "callctl-flow", Exten: "280", Priority: 2})
	f.hub.Publish(ari.Event{Type: ari.EventConnected})
	expect(t, f.fakeARI, "list", "channel c4", "get c4 CALLCTL_FLOW_DID", "get c4 CALLCTL_IVR_DIGITS", "get c4 CALLCTL_TAGS",
		"get c4 CALLCTL_FLOW_STEPS", "get c4 CALLCTL_FLOW_DID", "hangup c4 17")

	f.set([]string{"c5"}, &ari.Channel{ID: "c5", Name: "PJSIP/carrier-c5", State: "Up", Context: "callctl-flow-resume", Exten: "s", Priority: 2})
	f.mu.Lock()
	f.vars["c5 "+varResume] = "p,menu,0"
	f.mu.Unlock()
	f.hub.Publish(ari.Event{Type: ari.EventConnected})
	expect(t, f.fakeARI, "list", "channel c5", "get c5 CALLCTL_FLOW_RESUME", "get c5 CALLCTL_FLOW_DID", "hangup c5 41")
}

func eventually(cond func() bool) bool {
	for i := 0; i < 150; i++ {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// A call whose flow ended in this process without handing it off (its
// requests failed while Asterisk was out of reach) and that is still in
// the application at the next connect is recovered; one whose StasisStart
// came in on the current connection is not.
func TestRecoveryOfACallSeenBeforeTheReconnect(t *testing.T) {
	fl := flow.Flow{Name: "seed-inbound", Exten: "200", Steps: []flow.Step{
		{ID: "p", Playback: &flow.Playback{Sounds: []string{"beep"}}},
	}}
	f, _ := startRecovery(t, flows{"seed-inbound": fl})
	f.hub.Publish(ari.Event{Type: ari.EventConnected})
	expect(t, f.fakeARI, "list")
	f.failPlay = true
	f.hub.Publish(stasisStart("c6", "Up", "did", "3612340300"))
	expect(t, f.fakeARI, "set c6 CALLCTL_FLOW_DID=3612340300", "set c6 CALLCTL_FLOW_EXTEN=200", "play c6 sound:beep", "hangup c6 41")

	f.set([]string{"c6"}, &ari.Channel{ID: "c6", Name: "PJSIP/carrier-c6", State: "Up", Context: "callctl-did", Exten: "3612340300", Priority: 2})
	f.hub.Publish(ari.Event{Type: ari.EventConnected})
	expect(t, f.fakeARI, "list", "channel c6", "continue c6 callctl-did-static-fresh,3612340300,1")

	f.failPlay = false
	f.set([]string{"c7"}, &ari.Channel{ID: "c7", Name: "PJSIP/carrier-c7", State: "Up", Context: "callctl-did", Exten: "3612340300", Priority: 2})
	f.hub.Publish(ari.Event{Type: ari.EventConnected})
	f.hub.Publish(stasisStart("c7", "Up", "did", "3612340300"))
	expectSet(t, f.fakeARI, "list", "set c7 CALLCTL_FLOW_DID=3612340300", "set c7 CALLCTL_FLOW_EXTEN=200", "play c7 sound:beep")
	expectNone(t, f.fakeARI)
}

// A channel the recovery took whose StasisStart comes after the grace
// (queued behind a slow connect): the recovery's handling stands and no
// second flow starts on the channel.
func TestRecoveryIgnoresALateStasisStart(t *testing.T) {
	slow := flow.Flow{Name: "seed-inbound", Exten: "200", Steps: []flow.Step{
		{ID: "menu", Menu: &flow.Menu{Prompt: "beep", Timeout: time.Minute, Choices: map[string]string{"1": ""}}},
	}}
	f, _ := startRecovery(t, flows{"seed-inbound": slow})
	f.set([]string{"c8"}, &ari.Channel{ID: "c8", Name: "PJSIP/carrier-c8", State: "Up", Context: "callctl-did", Exten: "3612340300", Priority: 2})
	f.hub.Publish(ari.Event{Type: ari.EventConnected})
	expect(t, f.fakeARI, "list", "channel c8", "continue c8 callctl-did-static-fresh,3612340300,1")
	f.hub.Publish(stasisStart("c8", "Up", "did", "3612340300"))
	expectNone(t, f.fakeARI)
}
