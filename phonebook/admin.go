package phonebook

import (
	"context"
	"encoding/json"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/store"
)

// IDArgs name a custom field.
type IDArgs struct {
	ID int `json:"id"`
}

// AdminCommands are "phonebook field add|list|del" (the entries are the
// API's).
func AdminCommands() []admin.Command {
	return []admin.Command{
		{Name: "phonebook field add", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			var f Field
			if err := admin.DecodeArgs(raw, &f); err != nil {
				return nil, err
			}
			if err := AddField(db, f); err != nil {
				return nil, adminError(err)
			}
			return f, nil
		}},
		{Name: "phonebook field list", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			if err := admin.DecodeArgs(raw, &struct{}{}); err != nil {
				return nil, err
			}
			return Fields(db)
		}},
		{Name: "phonebook field del", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			var a IDArgs
			if err := admin.DecodeArgs(raw, &a); err != nil {
				return nil, err
			}
			if err := DeleteField(db, a.ID); err != nil {
				return nil, adminError(err)
			}
			return a, nil
		}},
	}
}

func adminError(err error) error {
	return admin.InputError(err, "phonebook: ", ErrInvalid, ErrExists, ErrNotFound)
}
