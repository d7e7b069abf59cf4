package cdrstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/store"
)

// ListArgs are the arguments of "cdr list".
type ListArgs struct {
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	Exten string    `json:"exten"`
	Limit int       `json:"limit"`
}

// ShowArgs are the arguments of "cdr show".
type ShowArgs struct {
	ID uint64 `json:"id"`
}

// AdminCommands are "cdr list" and "cdr show".
func AdminCommands() []admin.Command {
	return []admin.Command{
		{Name: "cdr list", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			var a ListArgs
			if err := admin.DecodeArgs(raw, &a); err != nil {
				return nil, err
			}
			var recs []cdr.Record
			err := db.View(func(tx *store.Tx) error {
				var err error
				recs, err = List(tx, Filter{Since: a.Since, Until: a.Until, Exten: a.Exten, Limit: a.Limit})
				return err
			})
			if recs == nil {
				recs = []cdr.Record{}
			}
			return recs, err
		}},
		{Name: "cdr show", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			var a ShowArgs
			if err := admin.DecodeArgs(raw, &a); err != nil {
				return nil, err
			}
			var r cdr.Record
			var ok bool
			err := db.View(func(tx *store.Tx) error {
				var err error
				r, ok, err = Get(tx, a.ID)
				return err
			})
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, admin.Errorf("cdr %d not found", a.ID)
			}
			return r, nil
		}},
	}
}
