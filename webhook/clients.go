package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/callctl/callctl/store"
)

// listClients returns the clients of kind ("": all), by name.
func listClients(tx *store.Tx, kind string) ([]Client, error) {
	var out []Client
	err := tx.Scan(store.BucketWebhookClients, nil, nil, func(k, v []byte) (bool, error) {
		var c Client
		if err := json.Unmarshal(v, &c); err != nil {
			return false, fmt.Errorf("webhook: client %s: %w", k, err)
		}
		if kind == "" || c.Kind == kind {
			out = append(out, c)
		}
		return true, nil
	})
	return out, err
}

// getClient returns the client called name.
func getClient(tx *store.Tx, name string) (Client, error) {
	var c Client
	ok, err := tx.GetJSON(store.BucketWebhookClients, []byte(name), &c)
	if err != nil {
		return c, err
	}
	if !ok {
		return c, fmt.Errorf("%w: %s", ErrNoClient, name)
	}
	return c, nil
}

// Client returns the client called name (ErrNoClient if there is none).
func (o *Outbox) Client(name string) (Client, error) {
	var c Client
	err := o.db.View(func(tx *store.Tx) error {
		var err error
		c, err = getClient(tx, name)
		return err
	})
	return c, err
}

// Save checks c (filling its defaults) and stores it; a client of that
// name is replaced only when replace is set, and only by one of the same
// kind. Its pending deliveries are rendered with the new settings.
func (o *Outbox) Save(c Client, replace bool) (Client, error) {
	if err := c.normalize(o.cfg.AllowLinkLocal, o.cfg.Concurrency); err != nil {
		return c, &BadClientError{Msg: err.Error()}
	}
	err := o.db.Update(func(tx *store.Tx) error {
		old, err := getClient(tx, c.Name)
		switch {
		case err == nil && !replace:
			return &BadClientError{Msg: fmt.Sprintf("client %s already exists (--replace to change it)", c.Name)}
		case err == nil && old.Kind != c.Kind:
			return &BadClientError{Msg: fmt.Sprintf("client %s is a %s client: delete it to make it a %s one", c.Name, old.Kind, c.Kind)}
		case err == nil:
			c.Created = old.Created
		case errors.Is(err, ErrNoClient):
			c.Created = timeNow()
		default:
			return err
		}
		if err := tx.PutJSON(store.BucketWebhookClients, []byte(c.Name), &c); err != nil {
			return err
		}
		return o.loadTriggers(tx)
	})
	return c, err
}

// BadClientError is a client setting refused (the message is for the user).
type BadClientError struct{ Msg string }

func (e *BadClientError) Error() string { return e.Msg }

// Delete removes a client and its undelivered deliveries (pending and
// failed); it returns how many were dropped.
func (o *Outbox) Delete(name string) (int, error) {
	dropped := 0
	err := o.db.Update(func(tx *store.Tx) error {
		if _, err := getClient(tx, name); err != nil {
			return err
		}
		if err := tx.Delete(store.BucketWebhookClients, []byte(name)); err != nil {
			return err
		}
		var keys [][]byte
		err := tx.Scan(store.BucketOutbox, nil, nil, func(k, v []byte) (bool, error) {
			var d Delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return false, err
			}
			if d.Kind != kindEvent && d.Client == name {
				keys = append(keys, append([]byte(nil), k...))
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.Delete(store.BucketOutbox, k); err != nil {
				return err
			}
		}
		dropped = len(keys)
		tx.OnCommit(func() { o.sched.dropLane(name) })
		return o.loadTriggers(tx)
	})
	return dropped, err
}

// DropTarget removes, inside tx, the undelivered events for the target
// called name (an extension event subscription that was deleted) and
// returns how many there were.
func (o *Outbox) DropTarget(tx *store.Tx, name string) (int, error) {
	var keys [][]byte
	err := tx.Scan(store.BucketOutbox, nil, nil, func(k, v []byte) (bool, error) {
		var d Delivery
		if err := json.Unmarshal(v, &d); err != nil {
			return false, err
		}
		if d.Kind == kindEvent && d.Target != nil && d.Target.Name == name {
			keys = append(keys, append([]byte(nil), k...))
		}
		return true, nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := tx.Delete(store.BucketOutbox, k); err != nil {
			return 0, err
		}
	}
	tx.OnCommit(func() { o.sched.dropLane("event/" + name) })
	return len(keys), nil
}

var timeNow = time.Now

// ClientKind returns the kind of the client called name as tx sees it,
// "" when there is none (for what checks a reference to a client inside
// its own transaction: a call flow's steps).
func ClientKind(tx *store.Tx, name string) (string, error) {
	c, err := getClient(tx, name)
	if errors.Is(err, ErrNoClient) {
		return "", nil
	}
	return c.Kind, err
}
