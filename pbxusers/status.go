package pbxusers

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/callctl/callctl/store"
)

var jsonUnmarshal = json.Unmarshal

// Status is an operator status of the catalogue. Only code 0 is callable;
// one status (Logout) means logged out. A deleted status stays in the
// catalogue (the log names it) but cannot be set.
type Status struct {
	ID      int    `json:"status_id"`
	Code    int    `json:"status"`
	Label   string `json:"label"`
	Logout  bool   `json:"logout"`
	Deleted bool   `json:"deleted"`
}

// Callable reports whether an operator in this status takes calls.
func (s Status) Callable() bool { return s.Code == 0 }

// AddStatus saves a new status. At most one status that is not deleted
// means logged out, and it is not callable.
func AddStatus(db *store.DB, s Status) error {
	if s.ID <= 0 {
		return fmt.Errorf("%w: status id %d: a positive number", ErrInvalid, s.ID)
	}
	if s.Code < 0 || s.Code > MaxStatus {
		return fmt.Errorf("%w: status %d: 0 to %d", ErrInvalid, s.Code, MaxStatus)
	}
	if err := checkText("label", s.Label); err != nil {
		return err
	}
	if s.Logout && s.Callable() {
		return fmt.Errorf("%w: the logged-out status cannot be status 0 (callable)", ErrInvalid)
	}
	s.Deleted = false
	return db.Update(func(tx *store.Tx) error {
		old, err := tx.Get(store.BucketOperatorStatus, store.IDKey(uint64(s.ID)))
		if err != nil {
			return err
		}
		if old != nil {
			return fmt.Errorf("%w: status %d", ErrExists, s.ID)
		}
		if s.Logout {
			var other *Status
			if err := scanJSON(tx, store.BucketOperatorStatus, func(x Status) {
				if x.Logout && !x.Deleted {
					other = &x
				}
			}); err != nil {
				return err
			}
			if other != nil {
				return fmt.Errorf("%w: status %d already means logged out", ErrInvalid, other.ID)
			}
		}
		return tx.PutJSON(store.BucketOperatorStatus, store.IDKey(uint64(s.ID)), s)
	})
}

// DeleteStatus marks a status deleted.
func DeleteStatus(db *store.DB, id int) (Status, error) {
	var s Status
	err := db.Update(func(tx *store.Tx) error {
		found, err := tx.GetJSON(store.BucketOperatorStatus, store.IDKey(uint64(id)), &s)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w: status %d", ErrNotFound, id)
		}
		s.Deleted = true
		return tx.PutJSON(store.BucketOperatorStatus, store.IDKey(uint64(id)), s)
	})
	return s, err
}

// ListStatuses returns the catalogue by id, deleted statuses too.
func ListStatuses(db *store.DB) ([]Status, error) {
	out := []Status{}
	err := db.View(func(tx *store.Tx) error {
		return scanJSON(tx, store.BucketOperatorStatus, func(s Status) { out = append(out, s) })
	})
	return out, err
}

// GetStatus returns a status of the catalogue.
func GetStatus(db *store.DB, id int) (Status, error) {
	var s Status
	var found bool
	err := db.View(func(tx *store.Tx) error {
		var err error
		found, err = tx.GetJSON(store.BucketOperatorStatus, store.IDKey(uint64(id)), &s)
		return err
	})
	if err == nil && !found {
		err = fmt.Errorf("%w: status %d", ErrNotFound, id)
	}
	return s, err
}

// Interval is a time an operator spent in one status; To is zero while it
// lasts.
type Interval struct {
	StatusID int       `json:"status_id"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to,omitzero"`
}

// SetStatus records that the operator is in status statusID from at on:
// the open interval ends, a new one opens.
func SetStatus(db *store.DB, userID, statusID int, at time.Time) error {
	return db.Update(func(tx *store.Tx) error {
		var u User
		found, err := tx.GetJSON(store.BucketPBXUsers, store.IDKey(uint64(userID)), &u)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w: user %d", ErrNotFound, userID)
		}
		if !u.Operator {
			return ErrNotOperator
		}
		var s Status
		found, err = tx.GetJSON(store.BucketOperatorStatus, store.IDKey(uint64(statusID)), &s)
		if err != nil {
			return err
		}
		if !found || s.Deleted {
			return fmt.Errorf("%w: status %d", ErrNotFound, statusID)
		}
		if last, k, ok, err := lastInterval(tx, userID); err != nil {
			return err
		} else if ok {
			if at.Before(last.From) {
				at = last.From // a clock that went back: keep the log in order
			}
			last.To = at
			if err := tx.PutJSON(store.BucketOperatorHistory, k, last); err != nil {
				return err
			}
		}
		k := historyKey(userID, at)
		for {
			if v, err := tx.Get(store.BucketOperatorHistory, k); err != nil {
				return err
			} else if v == nil {
				break
			}
			at = at.Add(time.Nanosecond) // two changes in one nanosecond
			k = historyKey(userID, at)
		}
		if err := tx.PutJSON(store.BucketOperatorHistory, k, Interval{StatusID: statusID, From: at}); err != nil {
			return err
		}
		u.StatusID = statusID
		return tx.PutJSON(store.BucketPBXUsers, store.IDKey(uint64(userID)), u)
	})
}

func lastInterval(tx *store.Tx, userID int) (Interval, []byte, bool, error) {
	var last Interval
	var key []byte
	err := tx.ScanReverse(store.BucketOperatorHistory, store.IDKey(uint64(userID)), store.IDKey(uint64(userID)+1), func(k, v []byte) (bool, error) {
		key = slices.Clone(k)
		return false, json.Unmarshal(v, &last)
	})
	return last, key, key != nil, err
}

// History returns the operator's intervals that overlap [from, to], in
// order.
func History(db *store.DB, userID int, from, to time.Time) ([]Interval, error) {
	out := []Interval{}
	err := db.View(func(tx *store.Tx) error {
		var found bool
		var u User
		found, err := tx.GetJSON(store.BucketPBXUsers, store.IDKey(uint64(userID)), &u)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w: user %d", ErrNotFound, userID)
		}
		return tx.Scan(store.BucketOperatorHistory, store.IDKey(uint64(userID)), store.IDKey(uint64(userID)+1), func(k, v []byte) (bool, error) {
			var iv Interval
			if err := json.Unmarshal(v, &iv); err != nil {
				return false, err
			}
			if iv.From.After(to) {
				return false, nil
			}
			if iv.To.IsZero() || !iv.To.Before(from) {
				out = append(out, iv)
			}
			return true, nil
		})
	})
	return out, err
}
