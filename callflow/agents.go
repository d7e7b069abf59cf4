package callflow

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/callctl/callctl/agents"
	"github.com/callctl/callctl/ami"
)

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

// AgentState is an agent's state for agentstatus.
type AgentState struct {
	Number   string
	LoggedIn bool
	From     string // the line's device, PJSIP/1000
	// DeviceState is Asterisk's state of that device: NOT_INUSE, INUSE,
	// BUSY, UNAVAILABLE, RINGING, RINGINUSE, ONHOLD, UNKNOWN, INVALID.
	DeviceState string
}

// agent checks an agent's credentials.
func (s *Service) agent(c AgentCredentials) (agents.Agent, error) {
	if c.Number == "" || c.PIN == "" {
		return agents.Agent{}, missing("agentNumber")
	}
	a, err := agents.Check(s.db, c.Number, c.PIN)
	if errors.Is(err, agents.ErrBadCredentials) {
		return a, &Error{Kind: KindBadAgent, Detail: "agent not found or wrong PIN"}
	}
	if err != nil {
		return a, &Error{Kind: KindAsterisk, Detail: "agents: " + err.Error(), Err: err}
	}
	return a, nil
}

// AgentLogin makes the line's device a member of each of the agent's queues,
// named after the agent. An agent logged in from another line is moved.
func (s *Service) AgentLogin(ctx context.Context, r AgentLoginRequest) error {
	if r.Source.given() == 0 {
		return &Error{Kind: KindMissing, Role: RoleSource, Detail: "no line named"}
	}
	line, err := s.findLine(r.Source, RoleSource)
	if err != nil {
		return err
	}
	a, err := s.agent(r.AgentCredentials)
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
	if err := agents.SetLogin(s.db, a.Number, line.Endpoint(), s.now()); err != nil {
		return &Error{Kind: KindAsterisk, Detail: "agents: " + err.Error(), Err: err}
	}
	s.log.Info().Str("agent", a.Number).Str("from", line.Endpoint()).Int("queues", len(a.Queues)).Msg("agent logged in")
	return nil
}

// queueAdd adds a dynamic member; one that is there already is fine, and a
// queue Asterisk does not have is skipped (and logged).
func (s *Service) queueAdd(ctx context.Context, queue, iface, name string, penalty int) error {
	actx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.ami.Action(actx, ami.Action{Name: "QueueAdd", Headers: map[string]string{
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
		return asteriskError("adding to queue "+queue, err)
	}
	return nil
}

// members returns the queue memberships of an agent: queue → interface.
func (s *Service) members(ctx context.Context, a agents.Agent) (map[string]string, error) {
	actx, cancel := s.ctx(ctx)
	defer cancel()
	_, items, err := s.ami.List(actx, ami.Action{Name: "QueueStatus"})
	if err != nil {
		return nil, asteriskError("queue status", err)
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

func (s *Service) removeEverywhere(ctx context.Context, a agents.Agent) error {
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

func (s *Service) queueRemove(ctx context.Context, queue, iface string) error {
	actx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.ami.Action(actx, ami.Action{Name: "QueueRemove", Headers: map[string]string{"Queue": queue, "Interface": iface}})
	var re *ami.ResponseError
	if err != nil && !errors.As(err, &re) { // "Not there" is fine
		return asteriskError("removing from queue "+queue, err)
	}
	return nil
}

// AgentLogout removes the agent from every queue.
func (s *Service) AgentLogout(ctx context.Context, c AgentCredentials) error {
	a, err := s.agent(c)
	if err != nil {
		return err
	}
	if err := s.removeEverywhere(ctx, a); err != nil {
		return err
	}
	if err := agents.ClearLogin(s.db, a.Number); err != nil {
		return &Error{Kind: KindAsterisk, Detail: "agents: " + err.Error(), Err: err}
	}
	s.log.Info().Str("agent", a.Number).Msg("agent logged out")
	return nil
}

// AgentPause pauses (or unpauses) the agent in every queue.
func (s *Service) AgentPause(ctx context.Context, c AgentCredentials, paused bool) error {
	a, err := s.agent(c)
	if err != nil {
		return err
	}
	m, err := s.members(ctx, a)
	if err != nil {
		return err
	}
	for q, iface := range m {
		actx, cancel := s.ctx(ctx)
		_, err := s.ami.Action(actx, ami.Action{Name: "QueuePause", Headers: map[string]string{
			"Queue": q, "Interface": iface, "Paused": strconv.FormatBool(paused),
		}})
		cancel()
		if err != nil {
			return asteriskError("pausing in queue "+q, err)
		}
	}
	return nil
}

// AgentAdd adds a queue to the agent's queues, with a penalty, and makes it
// a member at once if it is logged in.
func (s *Service) AgentAdd(ctx context.Context, c AgentCredentials, queue, penalty string) error {
	if queue == "" {
		return missing("queueName")
	}
	pen := 0
	if penalty != "" {
		n, err := strconv.Atoi(penalty)
		if err != nil || n < 0 || n > agents.MaxPenalty {
			return invalid("penalty", "%q: a number from 0 to %d", penalty, agents.MaxPenalty)
		}
		pen = n
	}
	a, err := s.agent(c)
	if err != nil {
		return err
	}
	if err := s.queueExists(ctx, queue); err != nil {
		return err
	}
	if err := agents.SetQueue(s.db, a.Number, queue, pen); err != nil {
		return &Error{Kind: KindAsterisk, Detail: "agents: " + err.Error(), Err: err}
	}
	if a.LoggedIn() {
		// A new penalty needs the member re-added.
		if err := s.queueRemove(ctx, queue, a.LoggedInFrom); err != nil {
			return err
		}
		return s.queueAdd(ctx, queue, a.LoggedInFrom, a.Name, pen)
	}
	return nil
}

// AgentRemove takes a queue from the agent's queues, and the agent out of it.
func (s *Service) AgentRemove(ctx context.Context, c AgentCredentials, queue string) error {
	if queue == "" {
		return missing("queueName")
	}
	a, err := s.agent(c)
	if err != nil {
		return err
	}
	if err := s.queueExists(ctx, queue); err != nil {
		return err
	}
	if err := agents.RemoveQueue(s.db, a.Number, queue); err != nil {
		return &Error{Kind: KindAsterisk, Detail: "agents: " + err.Error(), Err: err}
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

// AgentStatus tells whether the agent is logged in and the state of its line.
func (s *Service) AgentStatus(ctx context.Context, c AgentCredentials) (AgentState, error) {
	a, err := s.agent(c)
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
func (s *Service) deviceState(ctx context.Context, device string) (string, error) {
	actx, cancel := s.ctx(ctx)
	defer cancel()
	resp, err := s.ami.Action(actx, ami.Action{Name: "Getvar", Headers: map[string]string{"Variable": "DEVICE_STATE(" + device + ")"}})
	if err != nil {
		return "", asteriskError("device state", err)
	}
	return resp["Value"], nil
}
