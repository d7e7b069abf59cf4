package extevents

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/webhook"
)

// Outbox is where events go (*webhook.Outbox).
type Outbox interface {
	EnqueueEvent(tx *store.Tx, t webhook.Target, ev webhook.FormEvent) error
	RecordingRef(callID, legID uint64, now time.Time) string
	// DropTarget removes a deleted subscription's undelivered events.
	DropTarget(tx *store.Tx, name string) (int, error)
}

// Extensions maps extension ids to numbers and back (pbx.extensions).
type Extensions struct {
	byID     map[int]string
	byNumber map[string]int
	byPublic map[string]int
}

// ExtensionsOf indexes the extensions of cfg. Where several share a number
// (in different dialplans) the first one listed has it.
func ExtensionsOf(cfg pbx.Config) Extensions {
	x := Extensions{byID: map[int]string{}, byNumber: map[string]int{}, byPublic: map[string]int{}}
	for _, e := range cfg.Extensions {
		if _, dup := x.byID[e.ID]; dup || e.ID == 0 {
			continue
		}
		x.byID[e.ID] = e.Number
		if _, dup := x.byNumber[e.Number]; !dup {
			x.byNumber[e.Number] = e.ID
		}
		if _, dup := x.byPublic[e.PublicNumber]; !dup && e.PublicNumber != "" {
			x.byPublic[e.PublicNumber] = e.ID
		}
	}
	return x
}

// index is which extension numbers want which event types.
type index map[string]map[string]bool

// Service keeps the subscriptions and turns the CDR engine's changes into
// their events (it is a cdrfeed.Outbox).
type Service struct {
	db             *store.DB
	exts           Extensions
	out            Outbox
	allowLinkLocal bool
	idx            atomic.Pointer[index]
}

// New loads the subscriptions of db. out may be nil for a service that
// only manages subscriptions (then Enqueue must not be called).
func New(db *store.DB, exts Extensions, out Outbox, allowLinkLocal bool) (*Service, error) {
	s := &Service{db: db, exts: exts, out: out, allowLinkLocal: allowLinkLocal}
	s.idx.Store(&index{})
	err := db.View(func(tx *store.Tx) error { return s.reindex(tx, false) })
	if err != nil {
		return nil, err
	}
	return s, nil
}

// reindex rebuilds the in-memory index from tx, at once or (onCommit)
// when tx commits.
func (s *Service) reindex(tx *store.Tx, onCommit bool) error {
	subs, err := list(tx, nil)
	if err != nil {
		return err
	}
	idx := index{}
	for _, sub := range subs {
		n, ok := s.exts.byID[sub.ExtensionID]
		if !ok {
			continue // the extension left the configuration
		}
		if idx[n] == nil {
			idx[n] = map[string]bool{}
		}
		idx[n][sub.EventType] = true
	}
	if onCommit {
		tx.OnCommit(func() { s.idx.Store(&idx) })
	} else {
		s.idx.Store(&idx)
	}
	return nil
}

// KnownExtension reports whether id is an extension's id.
func (s *Service) KnownExtension(id int) bool {
	_, ok := s.exts.byID[id]
	return ok
}

// Add stores a new subscription for extension ext.
func (s *Service) Add(ext int, spec Spec) (Subscription, error) {
	if err := s.check(ext, spec); err != nil {
		return Subscription{}, err
	}
	var sub Subscription
	err := s.db.Update(func(tx *store.Tx) error {
		id, err := tx.NextID(store.BucketExtEvents)
		if err != nil {
			return err
		}
		sub = Subscription{ID: id, ExtensionID: ext, URL: spec.URL, Method: spec.Method, EventType: spec.EventType}
		if err := tx.PutJSON(store.BucketExtEvents, store.IDKey(id), sub); err != nil {
			return err
		}
		return s.reindex(tx, true)
	})
	return sub, err
}

// Update replaces subscription id of extension ext.
func (s *Service) Update(ext int, id uint64, spec Spec) (Subscription, error) {
	if err := s.check(ext, spec); err != nil {
		return Subscription{}, err
	}
	var sub Subscription
	err := s.db.Update(func(tx *store.Tx) error {
		if _, err := get(tx, ext, id); err != nil {
			return err
		}
		sub = Subscription{ID: id, ExtensionID: ext, URL: spec.URL, Method: spec.Method, EventType: spec.EventType}
		if err := tx.PutJSON(store.BucketExtEvents, store.IDKey(id), sub); err != nil {
			return err
		}
		return s.reindex(tx, true)
	})
	return sub, err
}

// Get returns subscription id of extension ext.
func (s *Service) Get(ext int, id uint64) (Subscription, error) {
	if !s.KnownExtension(ext) {
		return Subscription{}, ErrUnknownExtension
	}
	var sub Subscription
	err := s.db.View(func(tx *store.Tx) error {
		var err error
		sub, err = get(tx, ext, id)
		return err
	})
	return sub, err
}

// List returns the subscriptions of extension ext, by id.
func (s *Service) List(ext int) ([]Subscription, error) {
	if !s.KnownExtension(ext) {
		return nil, ErrUnknownExtension
	}
	var subs []Subscription
	err := s.db.View(func(tx *store.Tx) error {
		var err error
		subs, err = list(tx, func(sub *Subscription) bool { return sub.ExtensionID == ext })
		return err
	})
	return subs, err
}

// Delete removes subscription id of extension ext, and the events still
// waiting to be sent to it.
func (s *Service) Delete(ext int, id uint64) error {
	if !s.KnownExtension(ext) {
		return ErrUnknownExtension
	}
	return s.db.Update(func(tx *store.Tx) error {
		if _, err := get(tx, ext, id); err != nil {
			return err
		}
		if err := s.drop(tx, id); err != nil {
			return err
		}
		return s.reindex(tx, true)
	})
}

// drop deletes subscription id and its undelivered events.
func (s *Service) drop(tx *store.Tx, id uint64) error {
	if err := tx.Delete(store.BucketExtEvents, store.IDKey(id)); err != nil {
		return err
	}
	if s.out == nil {
		return nil
	}
	sub := Subscription{ID: id}
	_, err := s.out.DropTarget(tx, targetOf(&sub).Name)
	return err
}

// DeleteAll removes every subscription of extension ext and returns how
// many there were.
func (s *Service) DeleteAll(ext int) (int, error) {
	if !s.KnownExtension(ext) {
		return 0, ErrUnknownExtension
	}
	n := 0
	err := s.db.Update(func(tx *store.Tx) error {
		subs, err := list(tx, func(sub *Subscription) bool { return sub.ExtensionID == ext })
		if err != nil {
			return err
		}
		for _, sub := range subs {
			if err := s.drop(tx, sub.ID); err != nil {
				return err
			}
		}
		n = len(subs)
		return s.reindex(tx, true)
	})
	return n, err
}

func (s *Service) check(ext int, spec Spec) error {
	if !s.KnownExtension(ext) {
		return ErrUnknownExtension
	}
	return Validate(spec, s.allowLinkLocal)
}

// targetOf is where a subscription's events go: its own lane of the
// outbox, so that one slow receiver holds up no other.
func targetOf(sub *Subscription) webhook.Target {
	return webhook.Target{Name: "ext-event-" + strconv.FormatUint(sub.ID, 10), URL: sub.URL, Method: sub.Method}
}
