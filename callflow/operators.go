package callflow

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/pbxusers"
)

// Operators are the PBX users and the call-center operators' statuses.
type Operators struct{ *env }

// PBXUser is a user with its extensions and, for an operator, its
// current status.
type PBXUser struct {
	pbxusers.User
	Extensions []UserExtension
	// Status is the operator's current status; nil for a user who is no
	// operator or has none yet.
	Status *pbxusers.Status
}

// UserExtension is one of a user's extensions (pbx.extensions by
// user_id).
type UserExtension struct {
	Number       string
	CostLocation string // "" none
	Default      bool
	Operator     bool
}

// storeError maps the store's answers to the core's errors; f is what
// was looked up.
func storeError(err error, f Field, what string) error {
	switch {
	case errors.Is(err, pbxusers.ErrNotFound):
		return &Error{Kind: KindNotFound, Field: f, Detail: f.String() + " not found", Err: err}
	case errors.Is(err, pbxusers.ErrNotOperator):
		return &Error{Kind: KindConflict, Field: FieldUser, Detail: "the user is not an operator", Err: err}
	}
	return unavailable(what, err)
}

// User returns a PBX user (NotFound FieldUser; an id that is not positive
// names none).
func (s *Operators) User(ctx context.Context, id int) (PBXUser, error) {
	if id <= 0 {
		return PBXUser{}, NotFound(FieldUser, strconv.Itoa(id))
	}
	u, err := pbxusers.GetUser(s.DB, id)
	if err != nil {
		return PBXUser{}, storeError(err, FieldUser, "reading the user")
	}
	statuses, err := s.statusByID()
	if err != nil {
		return PBXUser{}, err
	}
	return s.withExtensions(u, statuses), nil
}

// Users returns every PBX user by id.
func (s *Operators) Users(ctx context.Context) ([]PBXUser, error) {
	list, err := pbxusers.ListUsers(s.DB)
	if err != nil {
		return nil, unavailable("reading the users", err)
	}
	statuses, err := s.statusByID()
	if err != nil {
		return nil, err
	}
	out := make([]PBXUser, 0, len(list))
	for _, u := range list {
		out = append(out, s.withExtensions(u, statuses))
	}
	return out, nil
}

func (s *Operators) statusByID() (map[int]pbxusers.Status, error) {
	list, err := pbxusers.ListStatuses(s.DB)
	if err != nil {
		return nil, unavailable("reading the statuses", err)
	}
	out := make(map[int]pbxusers.Status, len(list))
	for _, st := range list {
		out[st.ID] = st
	}
	return out, nil
}

func (s *Operators) withExtensions(u pbxusers.User, statuses map[int]pbxusers.Status) PBXUser {
	pu := PBXUser{User: u, Extensions: []UserExtension{}}
	if st, ok := statuses[u.StatusID]; ok && u.Operator {
		pu.Status = &st
	}
	for _, e := range s.Directory.Config().Extensions {
		if e.UserID != u.ID || u.ID == 0 {
			continue
		}
		ue := UserExtension{Number: e.Number, CostLocation: e.CostLocation}
		for _, o := range u.OperatorExtens {
			ue.Operator = ue.Operator || o == e.Number
		}
		ue.Default = u.DefaultExten == e.Number
		pu.Extensions = append(pu.Extensions, ue)
	}
	if u.DefaultExten == "" && len(pu.Extensions) > 0 {
		pu.Extensions[0].Default = true
	}
	return pu
}

// Statuses returns the catalogue of operator statuses.
func (s *Operators) Statuses(ctx context.Context) ([]pbxusers.Status, error) {
	list, err := pbxusers.ListStatuses(s.DB)
	if err != nil {
		return nil, unavailable("reading the statuses", err)
	}
	return list, nil
}

// SetStatus puts an operator in a status, at once in its queues: the
// callable status unpauses its operator extensions' queue memberships,
// the logged-out one removes them, any other pauses them with the status's
// label as the reason. Then the status is logged.
func (s *Operators) SetStatus(ctx context.Context, userID, statusID int) error {
	u, err := s.User(ctx, userID)
	if err != nil {
		return err
	}
	if !u.Operator {
		return &Error{Kind: KindConflict, Field: FieldUser, Detail: "the user is not an operator"}
	}
	if statusID <= 0 {
		return NotFound(FieldStatus, strconv.Itoa(statusID))
	}
	st, err := pbxusers.GetStatus(s.DB, statusID)
	if err != nil {
		return storeError(err, FieldStatus, "reading the status")
	}
	if st.Deleted {
		return NotFound(FieldStatus, strconv.Itoa(statusID))
	}
	devices := map[string]bool{}
	for _, e := range u.Extensions {
		if e.Operator || len(u.OperatorExtens) == 0 {
			if ext, ok := s.lineByNumber(e.Number); ok {
				devices[ext] = true
			}
		}
	}
	actx, cancel := s.ctx(ctx)
	_, items, err := s.AMI.List(actx, ami.Action{Name: "QueueStatus"})
	cancel()
	if err != nil {
		return amiError("queue status", err)
	}
	for _, it := range items {
		if it.Event() != "QueueMember" || !(devices[it["Location"]] || devices[it["StateInterface"]]) {
			continue
		}
		a := ami.Action{Name: "QueuePause", Headers: map[string]string{"Queue": it["Queue"], "Interface": it["Location"]}}
		switch {
		case st.Logout:
			a = ami.Action{Name: "QueueRemove", Headers: a.Headers}
		case st.Callable():
			a.Headers["Paused"] = "false"
		default:
			a.Headers["Paused"] = "true"
			a.Headers["Reason"] = st.Label
		}
		actx, cancel := s.ctx(ctx)
		_, err := s.AMI.Action(actx, a)
		cancel()
		var re *ami.ResponseError
		if err != nil && !(st.Logout && errors.As(err, &re)) { // gone meanwhile is fine for a removal
			return amiError("operator status in queue "+it["Queue"], err)
		}
	}
	if err := pbxusers.SetStatus(s.DB, userID, statusID, s.now()); err != nil {
		return storeError(err, FieldStatus, "saving the status")
	}
	s.log.Info().Int("user", userID).Int("status", statusID).Msg("operator status set")
	return nil
}

// lineByNumber is the PJSIP endpoint of the line with that internal
// number (the first, when several dialplans have it).
func (s *Operators) lineByNumber(number string) (string, bool) {
	for _, e := range s.Directory.Config().Extensions {
		if e.Number == number {
			return e.Endpoint(), true
		}
	}
	return "", false
}

// History returns the operator's statuses in [from, to].
func (s *Operators) History(ctx context.Context, userID int, from, to time.Time) ([]pbxusers.Interval, error) {
	if userID <= 0 {
		return nil, NotFound(FieldUser, strconv.Itoa(userID))
	}
	if to.Before(from) {
		return nil, Invalid(FieldTo, "before the start")
	}
	list, err := pbxusers.History(s.DB, userID, from, to)
	if err != nil {
		return nil, storeError(err, FieldUser, "reading the status log")
	}
	return list, nil
}
