package pbxusers

import (
	"context"
	"encoding/json"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/store"
)

// IDArgs name a user or a status.
type IDArgs struct {
	ID int `json:"id"`
}

// AdminCommands are "pbxuser add|list|del" and "opstatus add|list|del"
// (del marks a status deleted).
func AdminCommands() []admin.Command {
	return []admin.Command{
		{Name: "pbxuser add", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			var u User
			if err := admin.DecodeArgs(raw, &u); err != nil {
				return nil, err
			}
			if err := AddUser(db, u); err != nil {
				return nil, adminError(err)
			}
			return GetUser(db, u.ID)
		}},
		{Name: "pbxuser list", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			if err := admin.DecodeArgs(raw, &struct{}{}); err != nil {
				return nil, err
			}
			return ListUsers(db)
		}},
		{Name: "pbxuser del", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			var a IDArgs
			if err := admin.DecodeArgs(raw, &a); err != nil {
				return nil, err
			}
			u, err := DeleteUser(db, a.ID)
			if err != nil {
				return nil, adminError(err)
			}
			return u, nil
		}},
		{Name: "opstatus add", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			var s Status
			if err := admin.DecodeArgs(raw, &s); err != nil {
				return nil, err
			}
			if err := AddStatus(db, s); err != nil {
				return nil, adminError(err)
			}
			return GetStatus(db, s.ID)
		}},
		{Name: "opstatus list", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			if err := admin.DecodeArgs(raw, &struct{}{}); err != nil {
				return nil, err
			}
			return ListStatuses(db)
		}},
		{Name: "opstatus del", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			var a IDArgs
			if err := admin.DecodeArgs(raw, &a); err != nil {
				return nil, err
			}
			s, err := DeleteStatus(db, a.ID)
			if err != nil {
				return nil, adminError(err)
			}
			return s, nil
		}},
	}
}

// adminError turns input errors into messages for the user.
func adminError(err error) error {
	return admin.InputError(err, "pbxusers: ", ErrInvalid, ErrExists, ErrNotFound)
}
