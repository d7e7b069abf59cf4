package users

import (
	"context"
	"encoding/json"
	"time"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/store"
)

// AddArgs are the arguments of "user add". Actions omitted (or ["all"])
// permits every action.
type AddArgs struct {
	Name     string   `json:"name"`
	Password string   `json:"password"`
	Actions  []string `json:"actions,omitempty"`
}

// DelArgs are the arguments of "user del".
type DelArgs struct {
	Name string `json:"name"`
}

// AdminCommands are "user add" (returns the User), "user list" (returns
// []User) and "user del" (returns the deleted User).
func AdminCommands() []admin.Command {
	return []admin.Command{
		{Name: "user add", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			var a AddArgs
			if err := admin.DecodeArgs(raw, &a); err != nil {
				return nil, err
			}
			u, err := add(db, a.Name, a.Password, a.Actions, time.Now())
			if err != nil {
				return nil, adminError(err)
			}
			return u, nil
		}},
		{Name: "user list", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			if err := admin.DecodeArgs(raw, &struct{}{}); err != nil {
				return nil, err
			}
			list, err := List(db)
			if err != nil {
				return nil, err
			}
			if list == nil {
				list = []User{}
			}
			return list, nil
		}},
		{Name: "user del", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			var a DelArgs
			if err := admin.DecodeArgs(raw, &a); err != nil {
				return nil, err
			}
			u, err := remove(db, a.Name)
			if err != nil {
				return nil, adminError(err)
			}
			return u, nil
		}},
	}
}

// adminError turns this package's input errors into messages for the user.
func adminError(err error) error {
	return admin.InputError(err, "users: ", ErrInvalid, ErrExists, ErrNotFound)
}
