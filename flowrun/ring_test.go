package flowrun

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/callflow"
	"github.com/callctl/callctl/flow"
	"github.com/callctl/callctl/pbx"
)

type forwards map[string][]callflow.Forward

func (f forwards) List(ctx context.Context, number string) ([]callflow.Forward, error) {
	return f[number], nil
}

// A ring group whose members have no forward for external calls is one
// Dial of their phones (the step's recording option on it); with a
// forward, every member rings through callctl-flow-member (the recording
// made there).
func TestRingGroupDialString(t *testing.T) {
	fl := flow.Flow{Name: "g", Exten: "205", Steps: []flow.Step{
		{ID: "group", Record: true, Ring: &flow.Ring{Extensions: []string{"1001", "1002"}, Timeout: 10 * time.Second}},
	}}
	for _, c := range []struct {
		name    string
		fwd     forwards
		dial    string
		options string
	}{
		{"no forwards", forwards{"1002": {{Number: "1002", Type: "busy", CallType: "internal"}}},
			"PJSIP/1001&PJSIP/1002", "U(callctl-record-member)"},
		{"a member's forward", forwards{"1002": {{Number: "1002", Type: "busy", CallType: "all"}}},
			"Local/1001@callctl-flow-member&Local/1002@callctl-flow-member", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake()
			dir, err := pbx.New(pbx.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			r := New(DefaultConfig(), Deps{ARI: f, Flows: flows{"g": fl}, Directory: dir, Forwards: c.fwd, Log: zerolog.Nop()})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { r.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			<-f.subscribed
			f.hub.Publish(stasisStart("g1", "Ring", "flow", "205"))
			expect(t, f, "ring g1", "set g1 CALLCTL_FLOW_EXTEN=205",
				"set g1 CALLCTL_FLOW_RESUME=g,group,0", "set g1 CALLCTL_FLOW_STEPS=1",
				"set g1 CALLCTL_RING_DIAL="+c.dial, "set g1 CALLCTL_RING_GROUP_OPTIONS="+c.options,
				"set g1 _CALLCTL_RING_OPTIONS=U(callctl-record-member)", "set g1 _CALLCTL_RING_TIMEOUT=10",
				"continue g1 callctl-flow-ring,group,1")
		})
	}
}
