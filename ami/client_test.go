package ami

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestListCollectsEventList(t *testing.T) {
	f := newFakeAMI(t)
	c, _ := startClient(t, f, 0)
	sub := c.Subscribe("test", 0)

	resp, items, err := c.List(ctxTimeout(t, 5*time.Second), Action{Name: "CoreShowChannels"})
	if err != nil {
		t.Fatal(err)
	}
	if resp["EventList"] != "start" {
		t.Errorf("response = %v", resp)
	}
	if len(items) != 2 {
		t.Fatalf("got %d items, want the 2 recorded channels: %v", len(items), items)
	}
	for _, it := range items {
		if it.Event() != "CoreShowChannel" || it["Linkedid"] == "" {
			t.Errorf("item %v", it)
		}
	}
	// List items belong to the collector, not to subscribers.
	select {
	case m := <-sub.C():
		if m.Event() == "CoreShowChannel" || m.Event() == "CoreShowChannelsComplete" {
			t.Errorf("list item broadcast to subscribers: %v", m)
		}
	case <-time.After(200 * time.Millisecond):
	}
}

func TestResponseErrorIsAnError(t *testing.T) {
	f := newFakeAMI(t)
	c, _ := startClient(t, f, 0)
	resp, err := c.Action(ctxTimeout(t, 5*time.Second), Action{Name: "Hangup", Headers: map[string]string{"Channel": "PJSIP/nonexistent-0001"}})
	var re *ResponseError
	if !errors.As(err, &re) || re.Message != "No such channel" {
		t.Fatalf("err = %v, want ResponseError 'No such channel'", err)
	}
	if resp["Response"] != "Error" {
		t.Errorf("response = %v", resp)
	}
}

// The library answers {"Error":"Timeout"} with a nil error after 3 s; the
// client must report an unknown outcome instead of success.
func TestNoResponseIsUnknownOutcome(t *testing.T) {
	f := newFakeAMI(t)
	f.setSilent("Originate")
	c, _ := startClient(t, f, 0)
	_, err := c.Action(ctxTimeout(t, 4*time.Second), Action{Name: "Originate", Headers: map[string]string{"Channel": "Local/wait@callctl-test"}})
	if !errors.Is(err, ErrUnknownOutcome) {
		t.Fatalf("err = %v, want ErrUnknownOutcome", err)
	}
}

func TestOriginateWaitsForOriginateResponse(t *testing.T) {
	f := newFakeAMI(t)
	c, _ := startClient(t, f, 0)
	ev, err := c.Originate(ctxTimeout(t, 5*time.Second), Action{Headers: map[string]string{
		"Channel": "Local/wait@callctl-test", "Application": "Wait", "Data": "1",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Event() != "OriginateResponse" || ev["Response"] != "Success" || ev["Reason"] != "4" {
		t.Errorf("got %v", ev)
	}
	got := f.receivedActions()
	if got[0]["Async"] != "true" {
		t.Errorf("Originate sent without Async: %v", got[0])
	}
}

func TestInjectionRefusedBeforeTheWire(t *testing.T) {
	f := newFakeAMI(t)
	c, _ := startClient(t, f, 0)
	ctx := ctxTimeout(t, 5*time.Second)
	bad := []Action{
		{Name: "Originate", Headers: map[string]string{"Exten": "100\r\nAction: Command\r\nCommand: core show uptime"}},
		{Name: "Originate", Headers: map[string]string{"Exten": "100\nAction: Command"}},
		{Name: "Originate", Headers: map[string]string{"Exten": "100\x00"}},
		{Name: "Originate", Variables: map[string]string{"X": "a\r\nAction: Logoff"}},
		{Name: "Originate", Variables: map[string]string{"X\r\nAction: Logoff": "1"}},
		{Name: "Originate\r\nAction: Command"},
		{Name: "Originate", Headers: map[string]string{"Action": "Command"}},
		{Name: "Originate", Headers: map[string]string{"Bad Header": "1"}},
	}
	for i, a := range bad {
		if _, err := c.Action(ctx, a); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("case %d: err = %v, want ErrInvalidValue", i, err)
		}
	}
	// A harmless action afterwards is the first thing the server received.
	c.Action(ctx, Action{Name: "Hangup", Headers: map[string]string{"Channel": "PJSIP/nonexistent-0001"}})
	got := f.receivedActions()
	if len(got) != 1 || got[0]["Action"] != "Hangup" {
		t.Fatalf("server received %v", got)
	}
	if _, ok := got[0]["Command"]; ok {
		t.Fatal("injected header reached the server")
	}
}

func TestVariablesEncodedAsOneEscapedHeader(t *testing.T) {
	f := newFakeAMI(t)
	c, _ := startClient(t, f, 0)
	_, err := c.Action(ctxTimeout(t, 5*time.Second), Action{Name: "Hangup", Variables: map[string]string{
		"CALLCTL_A": `x,y`, "CALLCTL_B": `say "hi" (now) [1] \o/`, "CALLCTL_C": "k=v",
	}})
	var re *ResponseError
	if err != nil && !errors.As(err, &re) {
		t.Fatal(err)
	}
	got := f.receivedActions()[0]["Variable"]
	want := `CALLCTL_A=x\,y,CALLCTL_B=say \"hi\" \(now\) \[1\] \\o/,CALLCTL_C=k=v`
	if got != want {
		t.Errorf("Variable header\n got %s\nwant %s", got, want)
	}
}

// Variables longer together than Asterisk's 1,024-byte line go out in
// several Variable headers (distinct map keys, matched by Asterisk without
// regard to case), each line within the limit; every value arrives whole.
func TestLongVariablesSplitOverHeaders(t *testing.T) {
	f := newFakeAMI(t)
	c, _ := startClient(t, f, 0)
	want := map[string]string{}
	for i := 1; i <= 4; i++ {
		want[fmt.Sprintf("CALLCTL_CUSTOMCDR%d", i)] = strings.Repeat("a,", 127) + "b" // 255 bytes, 510 escaped
	}
	want["CALLCTL_MONITOR"] = "/var/spool/asterisk/monitor/" + strings.Repeat("m", 200) + ".wav"
	want["CALLCTL_DIAL"] = "PJSIP/3630111222@carrier"
	c.Action(ctxTimeout(t, 5*time.Second), Action{Name: "Hangup", Variables: want})
	msg := f.receivedActions()[0]
	got := map[string]string{}
	headers := 0
	for k, v := range msg {
		if !strings.EqualFold(k, "Variable") {
			continue
		}
		headers++
		if n := len(k) + 2 + len(v) + 2; n > 1024 {
			t.Errorf("header %s: a line of %d bytes", k, n)
		}
		for _, arg := range splitArgs(v) {
			name, value, _ := strings.Cut(arg, "=")
			got[name] = value
		}
	}
	if headers < 3 {
		t.Errorf("%d Variable headers, want the variables split over at least 3", headers)
	}
	if !maps.Equal(got, want) {
		t.Errorf("variables\n got %v\nwant %v", got, want)
	}
}

// What cannot fit in one line is refused before the wire, never sent for
// Asterisk to answer with an error that has no ActionID.
func TestOverlongLinesRefused(t *testing.T) {
	f := newFakeAMI(t)
	c, _ := startClient(t, f, 0)
	ctx := ctxTimeout(t, 5*time.Second)
	for i, a := range []Action{
		{Name: "Originate", Variables: map[string]string{"X": strings.Repeat("x", 1020)}},
		{Name: "Originate", Variables: map[string]string{"X": strings.Repeat(",", 510)}},
		{Name: "Originate", Headers: map[string]string{"Exten": strings.Repeat("1", 1016)}},
	} {
		if _, err := c.Action(ctx, a); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("case %d: err = %v, want ErrInvalidValue", i, err)
		}
	}
	if got := f.receivedActions(); len(got) != 0 {
		t.Errorf("sent %d actions", len(got))
	}
	// Exactly at the limit is fine.
	exten := strings.Repeat("1", 1024-len("Exten: \r\n"))
	c.Action(ctx, Action{Name: "Hangup", Headers: map[string]string{"Exten": exten}})
	if got := f.receivedActions(); len(got) != 1 {
		t.Errorf("a line of exactly 1,024 bytes was not sent")
	}
}

// A subscriber that stops reading must not stall the reader: the others get
// every event in order, the connection stays up, and the slow one is told how
// many events it lost.
func TestSlowSubscriberDoesNotBlockTheReader(t *testing.T) {
	f := newFakeAMI(t)
	c, m := startClient(t, f, 0)
	slow := c.Subscribe("slow", 16)
	fast := c.Subscribe("fast", 100000)

	const rounds = 300
	var stream strings.Builder
	for range rounds {
		for _, e := range f.events {
			stream.WriteString(e)
		}
	}
	want := rounds * len(f.events)
	done := make(chan []string)
	go func() {
		var names []string
		for len(names) < want {
			e := <-fast.C()
			if strings.HasPrefix(e.Event(), "Callctl") {
				continue
			}
			names = append(names, e.Event())
		}
		done <- names
	}()
	f.write(stream.String())

	var names []string
	select {
	case names = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the fast subscriber did not get every event")
	}
	for i, n := range names {
		if exp := strings.SplitN(f.events[i%len(f.events)], "\r\n", 2)[0]; "Event: "+n != exp {
			t.Fatalf("event %d is %s, want %s: order lost", i, n, exp)
		}
	}
	if !c.Connected() {
		t.Fatal("connection dropped while a subscriber was stuck")
	}
	// The slow subscriber: its queue, then a loss report.
	for range 16 {
		<-slow.C()
	}
	f.write(f.events[0])
	lost := nextEvent(t, slow)
	if lost.Event() != EventsLost {
		t.Fatalf("got %v, want %s", lost, EventsLost)
	}
	n, _ := strconv.Atoi(lost["Count"])
	if n < want-16 {
		t.Errorf("lost Count = %d, want at least %d", n, want-16)
	}
	if dropped := testutil.ToFloat64(m.eventsDropped.WithLabelValues("slow")); int(dropped) < want-16 {
		t.Errorf("events_dropped_total{slow} = %v", dropped)
	}
	if _, err := c.Action(ctxTimeout(t, 5*time.Second), Action{Name: "Hangup", Headers: map[string]string{"Channel": "x"}}); errors.Is(err, ErrUnknownOutcome) {
		t.Fatal("actions stalled after the flood")
	}
}

func TestLongLineIsFlagged(t *testing.T) {
	f := newFakeAMI(t)
	c, m := startClient(t, f, 0)
	sub := c.Subscribe("test", 0)
	// A VarSet whose value is longer than the event reader's 64 KiB line
	// limit. (Lines up to that size, longer than the library's 4,096-byte
	// buffer, come through whole: see TestLongEventsArriveWhole.)
	long := "Event: VarSet\r\nPrivilege: dialplan,all\r\nChannel: PJSIP/1000-00000001\r\nUniqueid: 1795420334.4\r\nLinkedid: 1795420334.4\r\nVariable: CALLCTL_CUSTOMCDR1\r\nValue: " + strings.Repeat("x", 70000) + "\r\n\r\n"
	f.write(long + f.events[0])
	var got Message
	for got == nil || strings.HasPrefix(got.Event(), "Callctl") {
		got = nextEvent(t, sub)
	}
	if got.Event() != "VarSet" || got[HeaderTruncated] != "1" {
		t.Fatalf("long event not flagged: %v", got[HeaderTruncated])
	}
	next := nextEvent(t, sub)
	if "Event: "+next.Event() != strings.SplitN(f.events[0], "\r\n", 2)[0] || next[HeaderTruncated] != "" {
		t.Fatalf("the event after the long one was damaged: %v", next)
	}
	if testutil.ToFloat64(m.truncated) != 1 {
		t.Errorf("truncated_events_total = %v", testutil.ToFloat64(m.truncated))
	}
}

func TestReconnectIsInTheStream(t *testing.T) {
	f := newFakeAMI(t)
	c, m := startClient(t, f, 0)
	sub := c.Subscribe("test", 0)
	f.dropConnections()

	var seen []string
	for len(seen) < 2 {
		e := nextEvent(t, sub)
		if e.Event() == EventDisconnected || e.Event() == EventConnected {
			seen = append(seen, e.Event())
		}
	}
	if seen[0] != EventDisconnected || seen[1] != EventConnected {
		t.Fatalf("got %v, want Disconnected then Connected", seen)
	}
	waitFor(t, "ready again", c.Ready)
	if _, _, err := c.List(ctxTimeout(t, 5*time.Second), Action{Name: "CoreShowChannels"}); err != nil {
		t.Fatalf("action after reconnect: %v", err)
	}
	if testutil.ToFloat64(m.reconnects) < 1 {
		t.Error("reconnects_total not counted")
	}
}

func TestActionWhileDisconnected(t *testing.T) {
	c := New(DefaultConfig(), testLogger(t), nil)
	if _, err := c.Action(ctxTimeout(t, time.Second), Action{Name: "Ping"}); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("err = %v, want ErrNotConnected", err)
	}
}

func TestUnansweredPingsMakeTheSessionUnready(t *testing.T) {
	f := newFakeAMI(t)
	c, _ := startClient(t, f, 0)
	waitFor(t, "ready", c.Ready)
	f.setSilent("Ping")
	waitFor(t, "not ready", func() bool { return !c.Ready() })
	if !c.Connected() {
		t.Fatal("the session itself is still up")
	}
}

// An event with a line longer than the library's 4 KiB buffer (a long
// customCDR value) arrives whole on the event session.
func TestLongEventsArriveWhole(t *testing.T) {
	f := newFakeAMI(t)
	c, m := startClient(t, f, 0)
	sub := c.Subscribe("test", 0)
	value := strings.Repeat("y", 5000)
	f.write("Event: VarSet\r\nChannel: PJSIP/1000-00000001\r\nUniqueid: 1795420334.4\r\nVariable: CALLCTL_CUSTOMCDR1\r\nValue: " + value + "\r\n\r\n")
	var got Message
	for got == nil || strings.HasPrefix(got.Event(), "Callctl") || got.Event() == "FullyBooted" {
		got = nextEvent(t, sub)
	}
	if got["Value"] != value || got[HeaderTruncated] != "" || got["Uniqueid"] != "1795420334.4" {
		t.Fatalf("event damaged: %d bytes of value, truncated %q", len(got["Value"]), got[HeaderTruncated])
	}
	if testutil.ToFloat64(m.truncated) != 0 {
		t.Error("counted as truncated")
	}
}
