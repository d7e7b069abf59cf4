//go:build integration

package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/ari"
	"github.com/callctl/callctl/test/testbed"
)

// The ARI wrappers on the real Asterisk: two channels in the application,
// a bridge joining them, a playback and a recording of the bridge, the
// stored recording copied, moved and deleted, a snoop channel, endpoints.
func TestARIWrappers(t *testing.T) {
	d := testbed.StartDaemon(t, nil)
	c := d.ARI()
	ctx := ctxFor(t, 60*time.Second)
	sub := c.Subscribe("test", 0)
	defer sub.Close()
	// The daemon's call flows allow only their event types (the
	// application's event filter): this test reads the recordings' too.
	c.AllowEvents("RecordingStarted", "RecordingFinished")
	stamp := time.Now().Format("150405000")
	a, b := "it-a-"+stamp, "it-b-"+stamp
	for _, id := range []string{a, b} {
		if _, err := c.Originate(ctx, ari.OriginateParams{ID: id, Endpoint: "Local/wait@callctl-test", Timeout: 10 * time.Second, App: "callctl"}); err != nil {
			t.Fatal(err)
		}
		waitARI(t, sub, func(e ari.Event) bool { return e.Type == "StasisStart" && e.Channel.ID == id })
	}
	defer c.Hangup(ctx, a, "")
	defer c.Hangup(ctx, b, "")

	if err := c.SetVar(ctx, a, "CALLCTL_TEST", "ari"); err != nil {
		t.Fatal(err)
	}
	if v, err := c.GetVar(ctx, a, "CALLCTL_TEST"); err != nil || v != "ari" {
		t.Fatalf("GetVar = %q, %v", v, err)
	}
	if ch, err := c.Channel(ctx, a); err != nil || ch.State != "Up" {
		t.Fatalf("Channel = %+v, %v", ch, err)
	}

	bridge := "it-bridge-" + stamp
	if _, err := c.CreateBridge(ctx, bridge, "mixing", "test"); err != nil {
		t.Fatal(err)
	}
	defer c.DestroyBridge(ctx, bridge)
	if err := c.AddToBridge(ctx, bridge, a, b); err != nil {
		t.Fatal(err)
	}
	if br, err := c.Bridge(ctx, bridge); err != nil || len(br.Channels) != 2 {
		t.Fatalf("Bridge = %+v, %v", br, err)
	}
	if _, err := c.PlayOnBridge(ctx, bridge, "it-play-"+stamp, "sound:beep"); err != nil {
		t.Fatal(err)
	}
	waitARI(t, sub, func(e ari.Event) bool { return e.Type == "PlaybackFinished" && e.Playback.ID == "it-play-"+stamp })

	name := "it-rec-" + stamp
	if _, err := c.RecordBridge(ctx, bridge, ari.RecordParams{Name: name, Format: "wav", MaxDuration: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	waitARI(t, sub, func(e ari.Event) bool { return e.Type == "RecordingStarted" && e.Recording.Name == name })
	time.Sleep(500 * time.Millisecond)
	if err := c.StopRecording(ctx, name); err != nil {
		t.Fatal(err)
	}
	waitARI(t, sub, func(e ari.Event) bool { return e.Type == "RecordingFinished" && e.Recording.Name == name })
	if r, err := c.StoredRecording(ctx, name); err != nil || r.Format != "wav" {
		t.Fatalf("StoredRecording = %+v, %v", r, err)
	}
	if _, err := c.CopyStoredRecording(ctx, name, name+"-copy"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.MoveStoredRecording(ctx, name, name+"-moved"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StoredRecording(ctx, name); !ari.IsNotFound(err) {
		t.Fatalf("the moved recording's old name: %v, want 404", err)
	}
	list, err := c.StoredRecordings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, r := range list {
		if strings.HasPrefix(r.Name, name) {
			found++
		}
	}
	if found != 2 {
		t.Fatalf("%d stored recordings %s*, want the copy and the moved one", found, name)
	}
	for _, n := range []string{name + "-copy", name + "-moved"} {
		if err := c.DeleteStoredRecording(ctx, n); err != nil {
			t.Fatal(err)
		}
	}

	if err := c.RemoveFromBridge(ctx, bridge, b); err != nil {
		t.Fatal(err)
	}
	snoop := "it-snoop-" + stamp
	if _, err := c.Snoop(ctx, a, ari.SnoopParams{ID: snoop, Spy: "both", AppArgs: []string{"snoop"}}); err != nil {
		t.Fatal(err)
	}
	waitARI(t, sub, func(e ari.Event) bool { return e.Type == "StasisStart" && e.Channel.ID == snoop })
	if err := c.Hangup(ctx, snoop, ""); err != nil {
		t.Fatal(err)
	}

	eps, err := c.Endpoints(ctx)
	if err != nil || len(eps) < 11 {
		t.Fatalf("Endpoints: %d, %v", len(eps), err)
	}
	if ep, err := c.Endpoint(ctx, "PJSIP", "carrier"); err != nil || ep.Technology != "PJSIP" {
		t.Fatalf("Endpoint = %+v, %v", ep, err)
	}
	if _, err := c.Endpoint(ctx, "PJSIP", "nosuch"); !ari.IsNotFound(err) {
		t.Fatalf("unknown endpoint: %v, want 404", err)
	}
	chans, err := c.Channels(ctx)
	if err != nil || len(chans) < 2 {
		t.Fatalf("Channels: %d, %v", len(chans), err)
	}
}
