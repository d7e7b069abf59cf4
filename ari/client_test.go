package ari

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestEventsDecodedInOrder(t *testing.T) {
	f := newFakeARI(t)
	c := startClient(t, f)
	sub := c.Subscribe("test", 0)
	f.send()
	var got []Event
	for len(got) < len(f.events) {
		e := <-sub.C()
		if e.Raw != nil {
			got = append(got, e)
		}
	}
	for i, e := range got {
		var w struct{ Type string }
		json.Unmarshal(f.events[i], &w)
		if e.Type != w.Type {
			t.Fatalf("event %d is %s, want %s", i, e.Type, w.Type)
		}
	}
	var start Event
	for _, e := range got {
		if e.Type == "StasisStart" {
			start = e
		}
	}
	if start.Channel == nil || start.Channel.ID != "rec-1" || len(start.Args) != 2 || start.Args[0] != "a" {
		t.Fatalf("StasisStart decoded as %+v", start)
	}
	if start.Channel.Context != "callctl-test" || start.Timestamp.IsZero() || start.Channel.Created.IsZero() {
		t.Errorf("channel %+v", start.Channel)
	}
}

// The event filter is set when a subscriber allows types on an open
// websocket, and again on every connect; without AllowEvents, never.
func TestEventFilterSetOnEveryConnect(t *testing.T) {
	f := newFakeARI(t)
	c := startClient(t, f)
	time.Sleep(50 * time.Millisecond)
	if got := f.eventFilters(); len(got) != 0 {
		t.Fatalf("a filter without AllowEvents: %q", got)
	}
	c.AllowEvents("StasisStart", "StasisEnd")
	c.AllowEvents("StasisStart", "PlaybackFinished")
	want := `{"allowed":[{"type":"StasisStart"},{"type":"StasisEnd"},{"type":"PlaybackFinished"}],"disallowed":[]}`
	waitFor(t, "the filter", func() bool {
		got := f.eventFilters()
		return len(got) > 0 && got[len(got)-1] == want
	})
	n := len(f.eventFilters())
	f.dropWebsockets()
	waitFor(t, "the filter set again after a reconnect", func() bool { return len(f.eventFilters()) > n })
	if got := f.eventFilters(); got[len(got)-1] != want {
		t.Fatalf("filter %s, want %s", got[len(got)-1], want)
	}
}

func TestReconnectsAfterTheSocketDrops(t *testing.T) {
	f := newFakeARI(t)
	c := startClient(t, f)
	sub := c.Subscribe("test", 0)
	f.dropWebsockets()
	nextOf(t, sub, EventDisconnected)
	nextOf(t, sub, EventConnected)
	waitFor(t, "a second websocket", func() bool { return f.dialCount() >= 2 })
	f.send()
	nextOf(t, sub, "StasisStart")
}

// A restart that the open websocket did not notice is caught by the
// watchdog: the client reconnects (registering the application again) and
// says so in the stream.
func TestWatchdogNoticesARestart(t *testing.T) {
	f := newFakeARI(t)
	c := startClient(t, f)
	sub := c.Subscribe("test", 0)
	f.restart()
	nextOf(t, sub, EventAsteriskRestarted)
	nextOf(t, sub, EventConnected)
	waitFor(t, "the application registered again", func() bool { return f.dialCount() >= 2 })
}

func TestUnansweredWatchdogMakesTheClientUnready(t *testing.T) {
	f := newFakeARI(t)
	c := startClient(t, f)
	waitFor(t, "ready", c.Ready)
	f.setInfoDown(true)
	waitFor(t, "unready", func() bool { return !c.Ready() })
	f.setInfoDown(false)
	waitFor(t, "ready again", c.Ready)
}

func TestErrorsCarryStatusAndMessage(t *testing.T) {
	f := newFakeARI(t)
	c := startClient(t, f)
	err := c.Hangup(context.Background(), "nosuch", "")
	var e *Error
	if !errors.As(err, &e) || e.Status != 404 || e.Message != "Channel not found" || !IsNotFound(err) {
		t.Fatalf("err = %#v", err)
	}
}

// Channel reads the whole snapshot, the dialplan's application included
// (recovery tells a channel in Stasis(callctl,…) by it).
func TestChannelSnapshot(t *testing.T) {
	f := newFakeARI(t)
	c := startClient(t, f)
	ch, err := c.Channel(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	want := Channel{ID: "c1", Name: "PJSIP/carrier-00000001", State: "Up", CallerNumber: "3630999888",
		Context: "callctl-did", Exten: "3612340300", Priority: 2, AppName: "Stasis", AppData: "callctl,did,3612340300",
		Vars: map[string]string{"CALLCTL_FLOW_DID": "3612340300"}}
	got := *ch
	got.Created = time.Time{}
	if !reflect.DeepEqual(got, want) || ch.Created.IsZero() {
		t.Fatalf("Channel = %+v, want %+v (and a creation time)", *ch, want)
	}
}

func TestUnsafeIDsNeverReachTheServer(t *testing.T) {
	f := newFakeARI(t)
	c := startClient(t, f)
	ctx := context.Background()
	for _, id := range []string{"", "../asterisk/info", "a/b", "x?y=1", "a b", "..", "ch\r\n"} {
		if err := c.Hangup(ctx, id, ""); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Hangup(%q) = %v, want ErrInvalidID", id, err)
		}
		if _, err := c.MoveStoredRecording(ctx, "ok", id); !errors.Is(err, ErrInvalidID) {
			t.Errorf("MoveStoredRecording(ok, %q) = %v, want ErrInvalidID", id, err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.requests {
		if r != "GET /ari/events" && r != "GET /ari/asterisk/info" {
			t.Errorf("request reached the server: %s", r)
		}
	}
}

func TestRESTHonoursTheContext(t *testing.T) {
	f := newFakeARI(t)
	c := startClient(t, f)
	f.setInfoDown(true)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Info(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}

func FuzzDecodeEvent(f *testing.F) {
	for _, e := range newFakeARIEvents(f) {
		f.Add(e)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decodeEvent(data)
		if err == nil && string(e.Raw) != string(data) {
			t.Fatal("Raw differs from the message")
		}
	})
}
