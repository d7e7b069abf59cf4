// Package scenario holds the call scenarios played on the test bed with SIP
// test phones: the CDR engine's fixtures are recorded from them
// (test/record) and its integration tests play them live.
//
// Phones: extensions 1000–1004 on 127.0.0.1:6000–6004 (registered) and the
// carrier peer on 127.0.0.1:5090. Numbers: the carrier's callers use
// 3630999888; outbound calls go to 3630111222.
package scenario

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/test/phone"
)

// Numbers used by the scenarios.
const (
	Caller   = "3630999888" // the carrier's caller
	External = "3630111222" // an outside number extensions call
)

// Env is the world a scenario plays in.
type Env struct {
	AMI    *ami.Client
	Phones map[string]*phone.Phone // "1000" … "1004", "carrier"
	// Restart kills Asterisk and starts it again (only the restart
	// scenario uses it).
	Restart func() error
}

// Extensions the scenarios use.
var Extensions = []string{"1000", "1001", "1002", "1003", "1004"}

// NewEnv creates and registers the phones.
func NewEnv(ctx context.Context, client *ami.Client) (*Env, error) {
	e := &Env{AMI: client, Phones: map[string]*phone.Phone{}}
	for i, ext := range Extensions {
		p, err := phone.New(phone.Config{
			User: ext, Password: "pw" + ext, PBX: "127.0.0.1:5060",
			Listen: fmt.Sprintf("127.0.0.1:%d", 6000+i), MediaPort: 26000 + i,
		})
		if err != nil {
			e.Close()
			return nil, err
		}
		e.Phones[ext] = p
		if err := p.Register(ctx); err != nil {
			e.Close()
			return nil, fmt.Errorf("register %s: %w", ext, err)
		}
	}
	carrier, err := phone.New(phone.Config{User: "carrier", PBX: "127.0.0.1:5060", Listen: "127.0.0.1:5090", MediaPort: 25090})
	if err != nil {
		e.Close()
		return nil, err
	}
	e.Phones["carrier"] = carrier
	return e, nil
}

// Close closes every phone.
func (e *Env) Close() {
	for _, p := range e.Phones {
		p.Close()
	}
}

// Phone returns a phone by name.
func (e *Env) Phone(name string) *phone.Phone { return e.Phones[name] }

// Reset puts every phone back in its default answer mode and forgets the
// calls of earlier scenarios.
func (e *Env) Reset() {
	for _, p := range e.Phones {
		p.SetAnswer(phone.NeverAnswer())
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
			_, err := p.Incoming(ctx)
			cancel()
			if err != nil {
				break
			}
		}
	}
}

// Channels returns Asterisk's channels: name → bridge id.
func (e *Env) Channels(ctx context.Context) (map[string]string, error) {
	_, items, err := e.AMI.List(ctx, ami.Action{Name: "CoreShowChannels"})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, it := range items {
		out[it["Channel"]] = it["BridgeId"]
	}
	return out, nil
}

// WaitIdle waits until Asterisk has no channel left.
func (e *Env) WaitIdle(ctx context.Context) error {
	return e.until(ctx, "no channel left", func(ch map[string]string) bool { return len(ch) == 0 })
}

// WaitBridged waits until a channel of each extension is in a bridge:
// Asterisk refuses a transfer before (NOTIFY 400).
func (e *Env) WaitBridged(ctx context.Context, exts ...string) error {
	return e.until(ctx, "bridged "+strings.Join(exts, ","), func(ch map[string]string) bool {
		for _, ext := range exts {
			ok := false
			for name, bridge := range ch {
				if strings.HasPrefix(name, "PJSIP/"+ext+"-") && bridge != "" {
					ok = true
				}
			}
			if !ok {
				return false
			}
		}
		return true
	})
}

func (e *Env) until(ctx context.Context, what string, cond func(map[string]string) bool) error {
	for {
		ch, err := e.Channels(ctx)
		if err == nil && cond(ch) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (channels: %v)", what, ctx.Err(), ch)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Scenario is one call scenario.
type Scenario struct {
	Name string
	Doc  string
	Run  func(ctx context.Context, e *Env) error
}

// flowScenarios are the scenarios whose calls run one of callctl's call
// flows (a DID that enters Stasis): without callctl's flow runner they
// take the DID's static fallback instead.
var flowScenarios = map[string]bool{"ivr-queue": true}

// NeedsFlows reports whether s needs callctl's flow runner (with the test
// bed's flows, test/testbed LoadFlows) while it plays.
func (s Scenario) NeedsFlows() bool { return flowScenarios[s.Name] }

// Get returns the scenario called name.
func Get(name string) (Scenario, bool) {
	for _, s := range All {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// Play runs s from a quiet test bed and waits until its channels are gone.
func Play(ctx context.Context, e *Env, s Scenario) error {
	e.Reset()
	if err := e.WaitIdle(ctx); err != nil {
		return fmt.Errorf("before %s: %w", s.Name, err)
	}
	if err := s.Run(ctx, e); err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	if err := e.WaitIdle(ctx); err != nil {
		return fmt.Errorf("after %s: %w", s.Name, err)
	}
	e.Reset()
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// answered waits for the next incoming call of p and for its answer.
func answered(ctx context.Context, p *phone.Phone) (*phone.Call, error) {
	c, err := p.Incoming(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: no call: %w", p.User(), err)
	}
	if err := c.WaitAnswered(ctx); err != nil {
		return nil, fmt.Errorf("%s: not answered: %w", p.User(), err)
	}
	return c, nil
}

// queueMembers adds the extensions to a queue, in order, and returns a
// function that removes them.
func queueMembers(ctx context.Context, e *Env, queue string, exts ...string) (func(), error) {
	remove := func() {
		for _, ext := range exts {
			e.AMI.Action(context.Background(), ami.Action{Name: "QueueRemove", Headers: map[string]string{
				"Queue": queue, "Interface": "PJSIP/" + ext,
			}})
		}
	}
	for _, ext := range exts {
		_, err := e.AMI.Action(ctx, ami.Action{Name: "QueueAdd", Headers: map[string]string{
			"Queue": queue, "Interface": "PJSIP/" + ext, "MemberName": "Agent " + ext, "Penalty": "0",
		}})
		if err != nil {
			remove()
			return nil, fmt.Errorf("QueueAdd %s: %w", ext, err)
		}
	}
	return remove, nil
}
