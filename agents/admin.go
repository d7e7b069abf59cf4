package agents

import (
	"context"
	"encoding/json"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/store"
)

// AddArgs are the arguments of "agent add". The queues get penalty 0 (use
// SetQueue to change it); an empty name means "Agent_<number>".
type AddArgs struct {
	Number string   `json:"number"`
	PIN    string   `json:"pin"`
	Name   string   `json:"name,omitempty"`
	Queues []string `json:"queues,omitempty"`
}

// DelArgs are the arguments of "agent del".
type DelArgs struct {
	Number string `json:"number"`
}

// AdminCommands are "agent add" (returns the Agent), "agent list" (returns
// []Agent) and "agent del" (returns the deleted Agent).
func AdminCommands() []admin.Command {
	return []admin.Command{
		{Name: "agent add", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			var a AddArgs
			if err := admin.DecodeArgs(raw, &a); err != nil {
				return nil, err
			}
			in := NewAgent{Number: a.Number, PIN: a.PIN, Name: a.Name, Queues: map[string]int{}}
			for _, q := range a.Queues {
				in.Queues[q] = 0
			}
			ag, err := add(db, in)
			if err != nil {
				return nil, adminError(err)
			}
			return ag, nil
		}},
		{Name: "agent list", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			if err := admin.DecodeArgs(raw, &struct{}{}); err != nil {
				return nil, err
			}
			list, err := List(db)
			if err != nil {
				return nil, err
			}
			if list == nil {
				list = []Agent{}
			}
			return list, nil
		}},
		{Name: "agent del", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			var a DelArgs
			if err := admin.DecodeArgs(raw, &a); err != nil {
				return nil, err
			}
			ag, err := remove(db, a.Number)
			if err != nil {
				return nil, adminError(err)
			}
			return ag, nil
		}},
	}
}

// adminError turns this package's input errors into messages for the user.
func adminError(err error) error {
	return admin.InputError(err, "agents: ", ErrInvalid, ErrExists, ErrNotFound)
}
