package oauth

import (
	"context"
	"encoding/json"
	"time"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/store"
)

// NameArgs name an application ("app add", "app del").
type NameArgs struct {
	Name string `json:"name"`
}

// AdminCommands are "app add" (returns the NewApp: its secret is shown
// this once), "app list" ([]App) and "app del" (the deleted App).
func AdminCommands() []admin.Command {
	return []admin.Command{
		{Name: "app add", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			var a NameArgs
			if err := admin.DecodeArgs(raw, &a); err != nil {
				return nil, err
			}
			app, err := Add(db, a.Name, time.Now())
			return app, adminError(err)
		}},
		{Name: "app list", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			if err := admin.DecodeArgs(raw, &struct{}{}); err != nil {
				return nil, err
			}
			return List(db)
		}},
		{Name: "app del", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			var a NameArgs
			if err := admin.DecodeArgs(raw, &a); err != nil {
				return nil, err
			}
			app, err := Delete(db, a.Name)
			return app, adminError(err)
		}},
	}
}

// adminError turns this package's input errors into messages for the user.
func adminError(err error) error {
	return admin.InputError(err, "oauth: ", ErrInvalid, ErrExists, ErrNotFound)
}
