package callflow

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/pbx"
)

// fakeAMI remembers the actions sent, answers lists from items, and holds
// each Originate's outcome until the test sends it on outcome.
type fakeAMI struct {
	mu      sync.Mutex
	sent    []ami.Action
	lists   map[string][]ami.Message
	outcome chan ami.Message
}

func newFakeAMI() *fakeAMI {
	return &fakeAMI{lists: map[string][]ami.Message{}, outcome: make(chan ami.Message, 8)}
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

func (f *fakeAMI) Action(ctx context.Context, a ami.Action) (ami.Message, error) {
	f.record(a)
	return ami.Message{"Response": "Success"}, nil
}

func (f *fakeAMI) List(ctx context.Context, a ami.Action) (ami.Message, []ami.Message, error) {
	f.record(a)
	return ami.Message{"Response": "Success"}, f.lists[a.Name], nil
}

func (f *fakeAMI) StartOriginate(ctx context.Context, a ami.Action) (func(context.Context) (ami.Message, error), error) {
	a.Name = "Originate"
	f.record(a)
	return func(ctx context.Context) (ami.Message, error) {
		select {
		case m := <-f.outcome:
			return m, nil
		case <-ctx.Done():
			return nil, ami.ErrUnknownOutcome
		}
	}, nil
}

// fakeView is a live view with fixed calls; WaitChannel finds a channel
// once show has been called for it.
type fakeView struct {
	mu    sync.Mutex
	calls []*cdr.LiveCall
	shown map[string]*cdr.LiveCall
	wake  chan struct{}
}

func newFakeView(calls ...*cdr.LiveCall) *fakeView {
	return &fakeView{calls: calls, shown: map[string]*cdr.LiveCall{}, wake: make(chan struct{})}
}

func (v *fakeView) Calls() []*cdr.LiveCall { return v.calls }

// show makes the channel uniqueid part of call lc.
func (v *fakeView) show(uniqueid string, lc *cdr.LiveCall) {
	v.mu.Lock()
	v.shown[uniqueid] = lc
	close(v.wake)
	v.wake = make(chan struct{})
	v.mu.Unlock()
}

func (v *fakeView) WaitChannel(ctx context.Context, uniqueid string) (*cdr.LiveCall, error) {
	for {
		v.mu.Lock()
		lc, wake := v.shown[uniqueid], v.wake
		v.mu.Unlock()
		if lc != nil {
			return lc, nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

type roots []string

func (r roots) Roots() []string { return r }
func (r roots) Within(p string) bool {
	for _, root := range r {
		if strings.HasPrefix(p, root+"/") {
			return true
		}
	}
	return false
}
func (r roots) Move(src, dir, name string) (string, error) { return "", nil }
func (r roots) Open(string) (*os.File, error)              { return nil, os.ErrNotExist }

type bed struct {
	core *Core
	ami  *fakeAMI
	view *fakeView
}

func newBed(t *testing.T, calls ...*cdr.LiveCall) *bed {
	t.Helper()
	dir, err := pbx.New(pbx.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	b := &bed{ami: newFakeAMI(), view: newFakeView(calls...)}
	b.core = New(DefaultConfig(), Deps{AMI: b.ami, Directory: dir, Live: b.view,
		Recordings: roots{"/var/spool/asterisk/monitor", "/srv/rec"}, Log: zerolog.Nop()})
	return b
}

// loadItems reads a recorded QueueStatus answer (testdata).
func loadItems(t *testing.T, name string) []ami.Message {
	t.Helper()
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
