package voipsun

import (
	"context"
	"strconv"

	"github.com/callctl/callctl/callflow"
)

func creds(p params) callflow.AgentCredentials {
	return callflow.AgentCredentials{Number: p.get("agentNumber"), PIN: p.get("agentPin")}
}

func (h *Handler) agentlogin(ctx context.Context, p params) (any, error) {
	if err := h.svc.Agents.Login(ctx, callflow.AgentLoginRequest{Source: line(p, "src", "dialplanName"), AgentCredentials: creds(p)}); err != nil {
		return nil, err
	}
	return ok, nil
}

func (h *Handler) agentlogout(ctx context.Context, p params) (any, error) {
	if err := h.svc.Agents.Logout(ctx, creds(p)); err != nil {
		return nil, err
	}
	return ok, nil
}

func (h *Handler) agentpause(ctx context.Context, p params) (any, error) {
	if err := h.svc.Agents.Pause(ctx, creds(p), true); err != nil {
		return nil, err
	}
	return ok, nil
}

func (h *Handler) agentunpause(ctx context.Context, p params) (any, error) {
	if err := h.svc.Agents.Pause(ctx, creds(p), false); err != nil {
		return nil, err
	}
	return ok, nil
}

func (h *Handler) agentadd(ctx context.Context, p params) (any, error) {
	m := callflow.QueueMembership{Queue: p.get("queueName")}
	if v := p.get("penalty"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, callflow.Invalid(callflow.FieldPenalty, "%s: a number from 0 to %d", quote(v), callflow.MaxPenalty)
		}
		m.Penalty = n
	}
	if err := h.svc.Agents.AddQueue(ctx, creds(p), m); err != nil {
		return nil, err
	}
	return ok, nil
}

func (h *Handler) agentremove(ctx context.Context, p params) (any, error) {
	if err := h.svc.Agents.RemoveQueue(ctx, creds(p), p.get("queueName")); err != nil {
		return nil, err
	}
	return ok, nil
}

// agentStatusResult is the seed's answer; Errno names the line's state when
// it is not free (the seed's 630–636), as callctl adds.
type agentStatusResult struct {
	Success string `json:"success"`
	Errno   string `json:"errno,omitempty"`
	Reason  string `json:"reason"`
}

// lineTexts are agentstatus's texts and numbers by device state.
var lineTexts = map[string]struct{ errno, text string }{
	"NOT_INUSE":   {"", "Line is free"},
	"INUSE":       {"632", "Line is In use"},
	"BUSY":        {"636", "Line is busy"},
	"UNAVAILABLE": {"631", "Line is unavailable"},
	"RINGING":     {"633", "Line is ringing"},
	"ONHOLD":      {"634", "Line is On hold"},
	"RINGINUSE":   {"635", "Line is not free"},
}

func (h *Handler) agentstatus(ctx context.Context, p params) (any, error) {
	st, err := h.svc.Agents.Status(ctx, creds(p))
	if err != nil {
		return nil, err
	}
	prefix := "Agent " + st.Number + " is "
	if !st.LoggedIn {
		return agentStatusResult{Success: "true", Reason: prefix + "logged out."}, nil
	}
	t, known := lineTexts[st.DeviceState]
	if !known { // UNKNOWN, INVALID: Asterisk cannot tell
		t.errno, t.text = "630", "SIP channel is unreacheable"
	}
	return agentStatusResult{Success: "true", Errno: t.errno, Reason: prefix + "logged in. " + t.text}, nil
}
