package vipex

import (
	"context"
	"strconv"
	"time"

	"github.com/callctl/callctl/callflow"
	"github.com/callctl/callctl/pbxusers"
)

// openEnd is how the seed shows an interval that has not ended.
const openEnd = "0000-00-00 00:00:00"

// intParam decodes a required id: missing, or not a number.
func intParam(p params, name string, f callflow.Field) (int, error) {
	v := p.get(name)
	if v == "" {
		return 0, callflow.Missing(f)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, callflow.Invalid(f, "%s is not a number", quote(v))
	}
	return n, nil
}

// timeParam decodes a required time in the seed's format, in the PBX's zone.
func (h *Handler) timeParam(p params, name string, f callflow.Field) (time.Time, error) {
	v := p.get(name)
	if v == "" {
		return time.Time{}, callflow.Missing(f)
	}
	t, err := time.ParseInLocation(timeLayout, v, h.opts.Location)
	if err != nil {
		return time.Time{}, callflow.Invalid(f, "%s is not a time YYYY-MM-DD HH:MM:SS", quote(v))
	}
	return t, nil
}

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// userObject is a user as the seed shows it.
func userObject(u callflow.PBXUser) object {
	var status any
	if u.Operator && u.Status != nil {
		status = u.Status.Code
	}
	extens := make(list, 0, len(u.Extensions))
	for _, e := range u.Extensions {
		var cost any
		if e.CostLocation != "" {
			cost = e.CostLocation
		}
		extens = append(extens, object{{"exten", e.Number}, {"cost_location", cost}, {"default", flag(e.Default)}, {"operator", flag(e.Operator)}})
	}
	return object{{"id", u.ID}, {"name", u.Name}, {"email", u.Email}, {"operator", flag(u.Operator)}, {"status", status}, {"extens", extens}}
}

func (h *Handler) getUser(ctx context.Context, p params) (any, error) {
	id, err := intParam(p, "id", callflow.FieldUser)
	if err != nil {
		return nil, err
	}
	u, err := h.svc.Operators.User(ctx, id)
	if err != nil {
		return nil, err
	}
	return userObject(u), nil
}

func (h *Handler) getUserList(ctx context.Context, p params) (any, error) {
	users, err := h.svc.Operators.Users(ctx)
	if err != nil {
		return nil, err
	}
	l := make(list, 0, len(users))
	for _, u := range users {
		l = append(l, userObject(u))
	}
	return object{{"user_list", l}}, nil
}

func (h *Handler) getStatusList(ctx context.Context, p params) (any, error) {
	statuses, err := h.svc.Operators.Statuses(ctx)
	if err != nil {
		return nil, err
	}
	l := make(list, 0, len(statuses))
	for _, s := range statuses {
		l = append(l, statusObject(s))
	}
	return object{{"status_list", l}}, nil
}

func statusObject(s pbxusers.Status) object {
	return object{{"status_id", s.ID}, {"status", s.Code}, {"label", s.Label}, {"logout", flag(s.Logout)}, {"deleted", flag(s.Deleted)}}
}

func (h *Handler) getStatusHistory(ctx context.Context, p params) (any, error) {
	id, err := intParam(p, "id", callflow.FieldUser)
	if err != nil {
		return nil, err
	}
	from, err := h.timeParam(p, "date_from", callflow.FieldFrom)
	if err != nil {
		return nil, err
	}
	to, err := h.timeParam(p, "date_to", callflow.FieldTo)
	if err != nil {
		return nil, err
	}
	// date_to names a whole second: up to its end.
	history, err := h.svc.Operators.History(ctx, id, from, to.Add(time.Second-time.Nanosecond))
	if err != nil {
		return nil, err
	}
	l := make(list, 0, len(history))
	for _, iv := range history {
		end := openEnd
		if !iv.To.IsZero() {
			// The seed's intervals end at their last whole second: the
			// next one starts a second later.
			last := iv.To.Truncate(time.Second)
			if last.Equal(iv.To) && last.After(iv.From) {
				last = last.Add(-time.Second)
			}
			end = last.In(h.opts.Location).Format(timeLayout)
		}
		l = append(l, object{{"status_id", iv.StatusID}, {"date_from", iv.From.In(h.opts.Location).Format(timeLayout)}, {"date_to", end}})
	}
	return object{{"id", id}, {"status_history", l}}, nil
}

func (h *Handler) setStatus(ctx context.Context, p params) (any, error) {
	user, err := intParam(p, "user_id", callflow.FieldUser)
	if err != nil {
		return nil, err
	}
	status, err := intParam(p, "status_id", callflow.FieldStatus)
	if err != nil {
		return nil, err
	}
	if err := h.svc.Operators.SetStatus(ctx, user, status); err != nil {
		return nil, err
	}
	return object{{"new_status_id", status}}, nil
}
