package webhook

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/store"
)

// AddArgs are the arguments of "webhook add".
type AddArgs struct {
	Client  Client `json:"client"`
	Replace bool   `json:"replace,omitempty"`
}

// NameArgs name a client.
type NameArgs struct {
	Name string `json:"name"`
}

// RetryArgs name a delivery, or a client whose failed deliveries are retried.
type RetryArgs struct {
	ID     uint64 `json:"id,omitempty"`
	Failed string `json:"failed,omitempty"`
}

// ClientInfo is a client as shown (secrets cut short) with its queue.
type ClientInfo struct {
	Client
	Pending int `json:"pending"`
	Failed  int `json:"failed"`
}

// DelResult is the result of "webhook del".
type DelResult struct {
	Dropped int `json:"dropped"`
}

// RetryResult is the result of "webhook retry".
type RetryResult struct {
	Queued int `json:"queued"`
}

// AdminCommands are the "webhook …" commands. live is the daemon's outbox
// (nil in the CLI without a daemon): changes it makes are seen by its
// workers at once. Otherwise each command opens an outbox on the database
// it is given, with cfg and opts, that sends nothing by itself.
func AdminCommands(cfg Config, opts Options, live *Outbox) []admin.Command {
	opts.Registerer = nil
	outbox := func(db *store.DB) (*Outbox, error) {
		if live != nil && live.db == db {
			return live, nil
		}
		return New(db, cfg, opts)
	}
	cmd := func(name string, args func() any, run func(ctx context.Context, o *Outbox, args any) (any, error)) admin.Command {
		return admin.Command{Name: name, Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			a := args()
			if err := admin.DecodeArgs(raw, a); err != nil {
				return nil, err
			}
			o, err := outbox(db)
			if err != nil {
				return nil, err
			}
			res, err := run(ctx, o, a)
			return res, userError(err)
		}}
	}
	return []admin.Command{
		cmd("webhook add", func() any { return &AddArgs{} }, func(ctx context.Context, o *Outbox, a any) (any, error) {
			args := a.(*AddArgs)
			c, err := o.Save(args.Client, args.Replace)
			return c.Redacted(), err
		}),
		cmd("webhook list", func() any { return &struct{}{} }, func(ctx context.Context, o *Outbox, _ any) (any, error) {
			return o.infos("")
		}),
		cmd("webhook show", func() any { return &NameArgs{} }, func(ctx context.Context, o *Outbox, a any) (any, error) {
			name := a.(*NameArgs).Name
			infos, err := o.infos(name)
			if err != nil {
				return nil, err
			}
			if len(infos) == 0 {
				return nil, ErrNoClient
			}
			return infos[0], nil
		}),
		cmd("webhook del", func() any { return &NameArgs{} }, func(ctx context.Context, o *Outbox, a any) (any, error) {
			n, err := o.Delete(a.(*NameArgs).Name)
			return DelResult{Dropped: n}, err
		}),
		cmd("webhook test", func() any { return &NameArgs{} }, func(ctx context.Context, o *Outbox, a any) (any, error) {
			return o.Test(ctx, a.(*NameArgs).Name)
		}),
		cmd("webhook log", func() any { return &LogFilter{} }, func(ctx context.Context, o *Outbox, a any) (any, error) {
			return o.Log(*a.(*LogFilter))
		}),
		cmd("webhook retry", func() any { return &RetryArgs{} }, func(ctx context.Context, o *Outbox, a any) (any, error) {
			args := a.(*RetryArgs)
			if args.Failed != "" {
				if _, err := o.Client(args.Failed); err != nil {
					return nil, err
				}
				n, err := o.RetryFailed(args.Failed)
				return RetryResult{Queued: n}, err
			}
			_, err := o.Retry(args.ID)
			return RetryResult{Queued: 1}, err
		}),
	}
}

// infos lists the clients (or the one called name) with their queues.
func (o *Outbox) infos(name string) ([]ClientInfo, error) {
	var out []ClientInfo
	err := o.db.View(func(tx *store.Tx) error {
		clients, err := listClients(tx, "")
		if err != nil {
			return err
		}
		idx := map[string]int{}
		for _, c := range clients {
			if name == "" || c.Name == name {
				idx[c.Name] = len(out)
				out = append(out, ClientInfo{Client: c.Redacted()})
			}
		}
		return tx.Scan(store.BucketOutbox, nil, nil, func(k, v []byte) (bool, error) {
			var d struct{ Client, Kind, State string }
			if err := json.Unmarshal(v, &d); err != nil {
				return false, err
			}
			if i, ok := idx[d.Client]; ok && d.Kind != kindEvent {
				if d.State == StateFailed {
					out[i].Failed++
				} else {
					out[i].Pending++
				}
			}
			return true, nil
		})
	})
	if out == nil {
		out = []ClientInfo{}
	}
	return out, err
}

// userError turns the errors a user can fix into admin errors.
func userError(err error) error {
	var bad *BadClientError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &bad):
		return admin.Errorf("%s", bad.Msg)
	case errors.Is(err, ErrNoClient), errors.Is(err, ErrNoDelivery), errors.Is(err, ErrWrongKind):
		return admin.Errorf("%s", err.Error())
	}
	return err
}
