package callflow

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/callctl/callctl/agents"
	"github.com/callctl/callctl/ami"
)

// Agents logs call-center agents in and out of their queues, and tells the
// state of agents and queues.
type Agents struct {
	*env
	pins *agents.Checker
}

type clientKey struct{}

// WithClient returns ctx carrying the address of the client a request
// came from; agent PIN checks back off per address.
func WithClient(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientKey{}, addr)
}

// ClientFrom is the client's address WithClient put in ctx ("" if none).
func ClientFrom(ctx context.Context) string {
	addr, _ := ctx.Value(clientKey{}).(string)
	return addr
}

// AgentCredentials identify a call-center agent.
type AgentCredentials struct {
	Number string
	PIN    string
}

// AgentLoginRequest logs an agent in from a line.
type AgentLoginRequest struct {
	Source LineSelector
	AgentCredentials
}

// AgentState is an agent's state.
type AgentState struct {
	Number   string
	LoggedIn bool
	From     string // the line's device, PJSIP/1000
	// DeviceState is Asterisk's state of that device: NOT_INUSE, INUSE,
	// BUSY, UNAVAILABLE, RINGING, RINGINUSE, ONHOLD, UNKNOWN, INVALID.
	DeviceState string
}

// agent checks an agent's credentials (the client's address from ctx, see
// WithClient).
func (s *Agents) agent(ctx context.Context, c AgentCredentials) (agents.Agent, error) {
	if c.Number == "" || c.PIN == "" {
		return agents.Agent{}, Missing(FieldAgent)
	}
	a, err := s.pins.Check(ctx, c.Number, c.PIN, ClientFrom(ctx))
	switch {
	case errors.Is(err, agents.ErrBadCredentials):
		return a, &Error{Kind: KindBadCredentials, Field: FieldAgent, Detail: "agent not found or wrong PIN"}
	case errors.Is(err, agents.ErrThrottled):
		return a, &Error{Kind: KindThrottled, Field: FieldAgent, Detail: "too many failed PIN checks", Err: err}
	case errors.Is(err, agents.ErrBusy), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return a, &Error{Kind: KindBusy, Field: FieldAgent, Detail: "too many PIN checks waiting", Err: err}
	case err != nil:
		return a, unavailable("agents", err)
	}
	return a, nil
}

// Login makes the line's device a member of each of the agent's queues,
// named after the agent. An agent logged in from another line is moved.
func (s *Agents) Login(ctx context.Context, r AgentLoginRequest) error {
	if r.Source.given() == 0 {
		return &Error{Kind: KindMissing, Field: FieldSource, Detail: "no line named"}
	}
	line, err := s.findLine(r.Source, FieldSource, FieldSourceDialplan)
	if err != nil {
		return err
	}
	a, err := s.agent(ctx, r.AgentCredentials)
	if err != nil {
		return err
	}
	if a.LoggedIn() && a.LoggedInFrom != line.Endpoint() {
		if err := s.removeEverywhere(ctx, a); err != nil {
			return err
		}
	}
	for q, penalty := range a.Queues {
		if err := s.queueAdd(ctx, q, line.Endpoint(), a.Name, penalty); err != nil {
			return err
		}
	}
	if err := agents.SetLogin(s.DB, a.Number, line.Endpoint(), s.now()); err != nil {
		return unavailable("agents", err)
	}
	s.log.Info().Str("agent", a.Number).Str("from", line.Endpoint()).Int("queues", len(a.Queues)).Msg("agent logged in")
	return nil
}

// queueAdd adds a dynamic member; one that is there already is fine, and a
// queue Asterisk does not have is skipped (and logged).
func (s *Agents) queueAdd(ctx context.Context, queue, iface, name string, penalty int) error {
	actx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.AMI.Action(actx, ami.Action{Name: "QueueAdd", Headers: map[string]string{
		"Queue": queue, "Interface": iface, "StateInterface": iface, "MemberName": name,
		"Penalty": strconv.Itoa(penalty), "Paused": "false",
	}})
	var re *ami.ResponseError
	switch {
	case err == nil:
	case errors.As(err, &re) && strings.Contains(re.Message, "Already there"):
	case errors.As(err, &re) && strings.Contains(re.Message, "No such queue"):
		s.log.Warn().Str("queue", queue).Str("agent", name).Msg("agent's queue does not exist in Asterisk")
	default:
		return amiError("adding to queue "+queue, err)
	}
	return nil
}

// members returns the queue memberships of an agent: queue → interface.
func (s *Agents) members(ctx context.Context, a agents.Agent) (map[string]string, error) {
	actx, cancel := s.ctx(ctx)
	defer cancel()
	_, items, err := s.AMI.List(actx, ami.Action{Name: "QueueStatus"})
	if err != nil {
		return nil, amiError("queue status", err)
	}
	out := map[string]string{}
	for _, it := range items {
		if it.Event() == "QueueMember" && it["Membership"] == "dynamic" &&
			(it["Name"] == a.Name || a.LoggedInFrom != "" && it["Location"] == a.LoggedInFrom) {
			out[it["Queue"]] = it["Location"]
		}
	}
	return out, nil
}

func (s *Agents) removeEverywhere(ctx context.Context, a agents.Agent) error {
	m, err := s.members(ctx, a)
	if err != nil {
		return err
	}
	for q, iface := range m {
		if err := s.queueRemove(ctx, q, iface); err != nil {
			return err
		}
	}
	return nil
}

func (s *Agents) queueRemove(ctx context.Context, queue, iface string) error {
	actx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.AMI.Action(actx, ami.Action{Name: "QueueRemove", Headers: map[string]string{"Queue": queue, "Interface": iface}})
	var re *ami.ResponseError
	if err != nil && !errors.As(err, &re) { // "Not there" is fine
		return amiError("removing from queue "+queue, err)
	}
	return nil
}

// Logout removes the agent from every queue.
func (s *Agents) Logout(ctx context.Context, c AgentCredentials) error {
	a, err := s.agent(ctx, c)
	if err != nil {
		return err
	}
	if err := s.removeEverywhere(ctx, a); err != nil {
		return err
	}
	if err := agents.ClearLogin(s.DB, a.Number); err != nil {
		return unavailable("agents", err)
	}
	s.log.Info().Str("agent", a.Number).Msg("agent logged out")
	return nil
}

// Pause pauses (or unpauses) the agent in every queue.
func (s *Agents) Pause(ctx context.Context, c AgentCredentials, paused bool) error {
	a, err := s.agent(ctx, c)
	if err != nil {
		return err
	}
	m, err := s.members(ctx, a)
	if err != nil {
		return err
	}
	for q, iface := range m {
		actx, cancel := s.ctx(ctx)
		_, err := s.AMI.Action(actx, ami.Action{Name: "QueuePause", Headers: map[string]string{
			"Queue": q, "Interface": iface, "Paused": strconv.FormatBool(paused),
		}})
		cancel()
		if err != nil {
			return amiError("pausing in queue "+q, err)
		}
	}
	return nil
}

// QueueMembership names a queue of an agent, with its penalty (0 to
// MaxPenalty) when the queue is added.
type QueueMembership struct {
	Queue   string
	Penalty int
}

// AddQueue adds a queue to the agent's queues, with a penalty, and makes
// the agent a member at once if it is logged in.
func (s *Agents) AddQueue(ctx context.Context, c AgentCredentials, m QueueMembership) error {
	if m.Queue == "" {
		return Missing(FieldQueue)
	}
	if m.Penalty < 0 || m.Penalty > MaxPenalty {
		return Invalid(FieldPenalty, "%s: a number from 0 to %d", quote(strconv.Itoa(m.Penalty)), MaxPenalty)
	}
	a, err := s.agent(ctx, c)
	if err != nil {
		return err
	}
	if err := s.queueExists(ctx, m.Queue); err != nil {
		return err
	}
	if err := agents.SetQueue(s.DB, a.Number, m.Queue, m.Penalty); err != nil {
		return unavailable("agents", err)
	}
	if a.LoggedIn() {
		// A new penalty needs the member re-added.
		if err := s.queueRemove(ctx, m.Queue, a.LoggedInFrom); err != nil {
			return err
		}
		return s.queueAdd(ctx, m.Queue, a.LoggedInFrom, a.Name, m.Penalty)
	}
	return nil
}

// RemoveQueue takes a queue from the agent's queues, and the agent out of
// it.
func (s *Agents) RemoveQueue(ctx context.Context, c AgentCredentials, queue string) error {
	if queue == "" {
		return Missing(FieldQueue)
	}
	a, err := s.agent(ctx, c)
	if err != nil {
		return err
	}
	if err := s.queueExists(ctx, queue); err != nil {
		return err
	}
	if err := agents.RemoveQueue(s.DB, a.Number, queue); err != nil {
		return unavailable("agents", err)
	}
	m, err := s.members(ctx, a)
	if err != nil {
		return err
	}
	if iface, ok := m[queue]; ok {
		return s.queueRemove(ctx, queue, iface)
	}
	return nil
}

// Status tells whether the agent is logged in and the state of its line.
func (s *Agents) Status(ctx context.Context, c AgentCredentials) (AgentState, error) {
	a, err := s.agent(ctx, c)
	if err != nil {
		return AgentState{}, err
	}
	st := AgentState{Number: a.Number, LoggedIn: a.LoggedIn(), From: a.LoggedInFrom}
	if !st.LoggedIn {
		return st, nil
	}
	st.DeviceState, err = s.deviceState(ctx, a.LoggedInFrom)
	return st, err
}

// deviceState asks Asterisk for a device's state (DEVICE_STATE()).
func (s *Agents) deviceState(ctx context.Context, device string) (string, error) {
	actx, cancel := s.ctx(ctx)
	defer cancel()
	resp, err := s.AMI.Action(actx, ami.Action{Name: "Getvar", Headers: map[string]string{"Variable": "DEVICE_STATE(" + device + ")"}})
	if err != nil {
		return "", amiError("device state", err)
	}
	return resp["Value"], nil
}
