//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/daemon"
	"github.com/callctl/callctl/natsink"
	"github.com/callctl/callctl/natsink/natstest"
	"github.com/callctl/callctl/test/scenario"
	"github.com/callctl/callctl/test/testbed"
)

// Real calls on the test bed: each call's changes reach the NATS stream
// once, in order (seq 1, 2, 3 …), on callctl.<node>.call.<change>, the
// finished call last on callctl.<node>.call.finished with the stored
// record in the seed's shape and callctl's fields; nats status shows
// nothing pending and the last acknowledgement.
func TestNATSLive(t *testing.T) {
	srv := natstest.Server(t)
	d := testbed.StartDaemon(t, func(c *daemon.Config) { c.NodeID = "testbed-pbx"; c.NATS.URL = srv.URL() })
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := ctxFor(t, 3*time.Minute)
	env, err := scenario.NewEnv(ctx, d.AMI())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	var seen uint64 // stream messages of earlier subtests
	for _, name := range []string{"inbound-answered", "outbound-answered", "internal"} {
		t.Run(name, func(t *testing.T) {
			s, _ := scenario.Get(name)
			since := time.Now()
			if err := scenario.Play(ctx, env, s); err != nil {
				t.Fatal(err)
			}
			r := recordsSince(t, d, since, 1)[0]
			var msgs []jetstream.Msg
			cons, err := js.OrderedConsumer(ctx, "CALLCTL", jetstream.OrderedConsumerConfig{OptStartSeq: seen + 1,
				DeliverPolicy: jetstream.DeliverByStartSequencePolicy})
			if err != nil {
				t.Fatal(err)
			}
			// Only the scenario's call: a call left over from an earlier test
			// (closed when this daemon started) may come first.
			testbed.Eventually(10*time.Second, func() bool {
				batch, err := cons.FetchNoWait(100)
				if err != nil {
					return false
				}
				done := false
				for m := range batch.Messages() {
					seen++
					var h natsink.Header
					json.Unmarshal(m.Data(), &h)
					if h.Linkedid != r.Linkedid {
						t.Logf("skipped: %s of call %s", m.Subject(), h.Linkedid)
						continue
					}
					msgs = append(msgs, m)
					done = done || m.Subject() == "callctl.testbed-pbx.call.finished"
				}
				return done
			})
			if len(msgs) < 3 {
				t.Fatalf("%d messages for the call", len(msgs))
			}
			ids := map[string]bool{}
			for i, m := range msgs {
				var h natsink.Header
				json.Unmarshal(m.Data(), &h)
				want := "callctl.testbed-pbx.call." + h.Change
				if h.Change == "call_finished" {
					want = "callctl.testbed-pbx.call.finished"
				}
				id := m.Headers().Get(nats.MsgIdHdr)
				if h.Seq != i+1 || h.Linkedid != r.Linkedid || h.NodeID != "testbed-pbx" || m.Subject() != want || id == "" || ids[id] {
					t.Errorf("message %d: %s %s seq %d linkedid %s id %q", i+1, m.Subject(), h.Change, h.Seq, h.Linkedid, id)
				}
				ids[id] = true
				t.Logf("%d %s", h.Seq, m.Subject())
			}
			var got map[string]any
			json.Unmarshal(msgs[len(msgs)-1].Data(), &got)
			want := map[string]any{}
			b, _ := json.Marshal(natsink.Finished{SeedRecord: r.Seed(time.Local), Header: natsink.Header{NodeID: "testbed-pbx",
				Change: "call_finished", Seq: len(msgs), Linkedid: r.Linkedid, CallID: r.ID}, Internal: r.Internal})
			json.Unmarshal(b, &want)
			delete(got, "time")
			delete(want, "time")
			if !reflect.DeepEqual(got, want) {
				t.Errorf("finished call\n %v\nwant the stored record\n %v", got, want)
			}
			if name == "inbound-answered" {
				var first natsink.Header
				json.Unmarshal(msgs[0].Data(), &first)
				if first.Change != "call_arrived" {
					t.Errorf("first change %s", first.Change)
				}
			}
		})
	}
	var st natsink.Status
	if err := admin.Exec(context.Background(), d.Config.AdminSocket(), d.Config.DataDir, daemon.AdminCommands(d.Config),
		"nats status", nil, &st); err != nil {
		t.Fatal(err)
	}
	if !st.Running || !st.Connected || st.Pending != 0 || st.LastAck == nil || st.LastAck.Seq != seen {
		t.Errorf("nats status %+v (last ack %+v), want nothing pending and ack %d", st, st.LastAck, seen)
	}
}
