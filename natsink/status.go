package natsink

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/store"
)

// Status is what "callctl nats status" shows.
type Status struct {
	Enabled bool   `json:"enabled"`
	URL     string `json:"url,omitempty"` // user information cut out
	Stream  string `json:"stream,omitempty"`
	// Running: the daemon's sink answered (else the figures are the
	// database's: Connected and LastError unknown).
	Running   bool       `json:"running"`
	Connected bool       `json:"connected"`
	Server    string     `json:"server,omitempty"` // the server connected to
	Pending   int        `json:"pending"`
	Oldest    *time.Time `json:"oldest,omitempty"` // the oldest pending message's commit
	LastAck   *LastAck   `json:"last_ack,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	ErrorAt   *time.Time `json:"last_error_at,omitempty"`
}

// Status reports the running sink's state.
func (s *Sink) Status() Status {
	st := Status{Enabled: true, URL: redactURLs(s.cfg.URL), Stream: s.cfg.Stream, Running: true}
	var oldest time.Time
	st.Pending, oldest = s.q.stats()
	if !oldest.IsZero() {
		st.Oldest = &oldest
	}
	if nc := s.conn.Load(); nc != nil && nc.IsConnected() {
		st.Connected, st.Server = true, redactURLs(nc.ConnectedUrlRedacted())
	}
	st.LastAck = s.lastAck.Load()
	if e := s.lastErr.Load(); e != nil {
		st.LastError, st.ErrorAt = e.Error, &e.At
	}
	return st
}

// storedStatus reads the state from the database (no daemon runs).
func storedStatus(db *store.DB, cfg Config) (Status, error) {
	st := Status{Enabled: cfg.Enabled(), Stream: cfg.Stream, URL: redactURLs(cfg.URL)}
	err := db.View(func(tx *store.Tx) error {
		n, err := tx.Count(store.BucketNATSOutbox)
		if err != nil {
			return err
		}
		st.Pending = n
		if err := tx.Scan(store.BucketNATSOutbox, nil, nil, func(_, v []byte) (bool, error) {
			var e entry
			if err := json.Unmarshal(v, &e); err == nil {
				st.Oldest = &e.Created
			}
			return false, nil
		}); err != nil {
			return err
		}
		var last LastAck
		if ok, err := tx.GetJSON(store.BucketNATSState, lastAckKey, &last); err != nil {
			return err
		} else if ok {
			st.LastAck = &last
		}
		return nil
	})
	return st, err
}

// redactURLs cuts user information out of a comma list of URLs.
func redactURLs(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if u, err := url.Parse(p); err == nil && u.User != nil {
			u.User = nil
			p = u.String()
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}

// AdminCommands is "nats status". live is the daemon's sink (nil when
// NATS is off or in the CLI without a daemon).
func AdminCommands(cfg Config, live *Sink) []admin.Command {
	return []admin.Command{{Name: "nats status", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
		if err := admin.DecodeArgs(raw, &struct{}{}); err != nil {
			return nil, err
		}
		if live != nil && live.db == db {
			return live.Status(), nil
		}
		return storedStatus(db, cfg)
	}}}
}
