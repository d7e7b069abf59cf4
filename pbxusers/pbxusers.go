// Package pbxusers stores the PBX's users (the persons behind the
// extensions, as VIPeX shows them: id, name, email, whether they are
// call-center operators), the catalogue of operator statuses, and each
// operator's log of status changes. pbx.extensions link to users by
// user_id; an extension's default and operator flags are the user's.
//
// Records are JSON in store.BucketPBXUsers and store.BucketOperatorStatus
// keyed by id (store.IDKey); the log is store.BucketOperatorHistory keyed
// by user id and time. Functions take the *store.DB and run their own
// transactions. Bad input gives ErrInvalid, an existing id ErrExists, a
// missing one ErrNotFound.
package pbxusers

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/callctl/callctl/store"
)

// Errors.
var (
	ErrInvalid     = errors.New("pbxusers: invalid")
	ErrExists      = errors.New("pbxusers: exists already")
	ErrNotFound    = errors.New("pbxusers: not found")
	ErrNotOperator = errors.New("pbxusers: the user is not an operator")
)

// Limits.
const (
	MaxNameLen  = 128 // bytes of a user's name or a status label
	MaxEmailLen = 254
	MaxStatus   = 9 // status codes are 0 to MaxStatus
)

// User is a PBX user.
type User struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	// Operator: a call-center operator, who has an operator status.
	Operator bool `json:"operator"`
	// DefaultExten is the number of the user's default extension; "" is
	// the first of the user's extensions.
	DefaultExten string `json:"default_exten,omitempty"`
	// OperatorExtens are the numbers of the user's operator extensions
	// (those in call-center queues).
	OperatorExtens []string `json:"operator_extens,omitempty"`
	// StatusID is the operator's current status (a Status id); 0: none yet.
	StatusID int `json:"status_id,omitempty"`
}

var extenRE = regexp.MustCompile(`^[A-Za-z0-9_.+-]{1,64}$`)

// checkText is a name or label: 1 to MaxNameLen bytes of UTF-8, no
// control characters.
func checkText(what, v string) error {
	if v == "" || len(v) > MaxNameLen || !utf8.ValidString(v) {
		return fmt.Errorf("%w: %s: 1 to %d bytes of UTF-8", ErrInvalid, what, MaxNameLen)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: %s holds control characters", ErrInvalid, what)
		}
	}
	return nil
}

func (u User) check() error {
	if u.ID <= 0 {
		return fmt.Errorf("%w: user id %d: a positive number", ErrInvalid, u.ID)
	}
	if err := checkText("name", u.Name); err != nil {
		return err
	}
	if u.Email != "" {
		if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email || len(u.Email) > MaxEmailLen {
			return fmt.Errorf("%w: email %q", ErrInvalid, u.Email)
		}
	}
	for _, e := range append([]string{u.DefaultExten}, u.OperatorExtens...) {
		if e != "" && !extenRE.MatchString(e) {
			return fmt.Errorf("%w: extension %q", ErrInvalid, e)
		}
	}
	return nil
}

// AddUser saves a new user (its StatusID is ignored: a new operator has
// no status until one is set).
func AddUser(db *store.DB, u User) error {
	if err := u.check(); err != nil {
		return err
	}
	u.StatusID = 0
	return db.Update(func(tx *store.Tx) error {
		old, err := tx.Get(store.BucketPBXUsers, store.IDKey(uint64(u.ID)))
		if err != nil {
			return err
		}
		if old != nil {
			return fmt.Errorf("%w: user %d", ErrExists, u.ID)
		}
		return tx.PutJSON(store.BucketPBXUsers, store.IDKey(uint64(u.ID)), u)
	})
}

// DeleteUser removes a user and its status log.
func DeleteUser(db *store.DB, id int) (User, error) {
	var u User
	err := db.Update(func(tx *store.Tx) error {
		found, err := tx.GetJSON(store.BucketPBXUsers, store.IDKey(uint64(id)), &u)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w: user %d", ErrNotFound, id)
		}
		var keys [][]byte
		from := store.IDKey(uint64(id))
		to := store.IDKey(uint64(id) + 1)
		if err := tx.Scan(store.BucketOperatorHistory, from, to, func(k, _ []byte) (bool, error) {
			keys = append(keys, slices.Clone(k))
			return true, nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.Delete(store.BucketOperatorHistory, k); err != nil {
				return err
			}
		}
		return tx.Delete(store.BucketPBXUsers, store.IDKey(uint64(id)))
	})
	return u, err
}

// GetUser returns a user.
func GetUser(db *store.DB, id int) (User, error) {
	var u User
	var found bool
	err := db.View(func(tx *store.Tx) error {
		var err error
		found, err = tx.GetJSON(store.BucketPBXUsers, store.IDKey(uint64(id)), &u)
		return err
	})
	if err == nil && !found {
		err = fmt.Errorf("%w: user %d", ErrNotFound, id)
	}
	return u, err
}

// ListUsers returns every user by id.
func ListUsers(db *store.DB) ([]User, error) {
	out := []User{}
	err := db.View(func(tx *store.Tx) error {
		return scanJSON(tx, store.BucketPBXUsers, func(u User) { out = append(out, u) })
	})
	return out, err
}

func scanJSON[T any](tx *store.Tx, bucket string, fn func(T)) error {
	return tx.Scan(bucket, nil, nil, func(k, v []byte) (bool, error) {
		var x T
		if err := jsonUnmarshal(v, &x); err != nil {
			return false, fmt.Errorf("pbxusers: %s %x: %w", bucket, k, err)
		}
		fn(x)
		return true, nil
	})
}

// historyKey is a log entry's key: the user id, then the time.
func historyKey(userID int, at time.Time) []byte {
	k := store.IDKey(uint64(userID))
	return binary.BigEndian.AppendUint64(k, uint64(at.UnixNano()))
}
