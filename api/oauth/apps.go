// Package oauth is the OAuth 2.0 client credentials grant of the REST API
// (RFC 6749 §4.4): applications, created with "callctl app add", exchange
// their client id and secret at POST /oauth/token for an opaque access
// token, which REST requests carry as "Authorization: Bearer …".
//
// Applications are JSON records in store.BucketOAuthApps keyed by client
// id; the secret is stored as its SHA-256 only (it is 256 random bits, so a
// fast hash is enough: there is nothing to guess). Access tokens are 256
// random bits too, stored in store.BucketOAuthTokens keyed by their
// SHA-256 with the application and expiry: they last TokenTTL, survive a
// restart, and die with their application. An application holds at most
// MaxTokens live tokens; a new one beyond that replaces the oldest.
package oauth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/callctl/callctl/store"
)

// App is an application as shown (no secret).
type App struct {
	Name     string    `json:"name"`
	ClientID string    `json:"client_id"`
	Created  time.Time `json:"created"`
}

// stored is an application's record.
type stored struct {
	App
	SecretSHA256 string `json:"secret_sha256"` // hex
}

// NewApp is a created application with its secret, shown once.
type NewApp struct {
	App
	ClientSecret string `json:"client_secret"`
}

// Errors of the application operations.
var (
	ErrInvalid  = errors.New("oauth: invalid application name")
	ErrExists   = errors.New("oauth: an application of that name exists")
	ErrNotFound = errors.New("oauth: no such application")
)

var validName = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func sha(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// Add creates an application called name.
func Add(db *store.DB, name string, now time.Time) (NewApp, error) {
	if !validName.MatchString(name) {
		return NewApp{}, fmt.Errorf("%w %q: 1-64 of [A-Za-z0-9._@-]", ErrInvalid, name)
	}
	id, err := randomString(16)
	if err != nil {
		return NewApp{}, err
	}
	secret, err := randomString(32)
	if err != nil {
		return NewApp{}, err
	}
	rec := stored{App: App{Name: name, ClientID: id, Created: now.UTC()}, SecretSHA256: hex.EncodeToString(sha(secret))}
	err = db.Update(func(tx *store.Tx) error {
		if _, ok, err := byName(tx, name); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("%w: %s", ErrExists, name)
		}
		return tx.PutJSON(store.BucketOAuthApps, []byte(id), rec)
	})
	if err != nil {
		return NewApp{}, err
	}
	return NewApp{App: rec.App, ClientSecret: secret}, nil
}

// List returns the applications by client id.
func List(db *store.DB) ([]App, error) {
	out := []App{}
	err := db.View(func(tx *store.Tx) error {
		return tx.Scan(store.BucketOAuthApps, nil, nil, func(k, v []byte) (bool, error) {
			var a stored
			if err := json.Unmarshal(v, &a); err != nil {
				return false, fmt.Errorf("oauth: app %q: %w", k, err)
			}
			out = append(out, a.App)
			return true, nil
		})
	})
	return out, err
}

// Delete removes the application called name (or of that client id) and
// its tokens.
func Delete(db *store.DB, name string) (App, error) {
	var app App
	err := db.Update(func(tx *store.Tx) error {
		a, ok, err := byName(tx, name)
		if err != nil {
			return err
		}
		if !ok {
			if ok, err = tx.GetJSON(store.BucketOAuthApps, []byte(name), &a); err != nil {
				return err
			} else if !ok {
				return fmt.Errorf("%w: %s", ErrNotFound, name)
			}
		}
		app = a.App
		if err := tx.Delete(store.BucketOAuthApps, []byte(a.ClientID)); err != nil {
			return err
		}
		return dropTokens(tx, func(t *token) bool { return t.ClientID == a.ClientID })
	})
	return app, err
}

func byName(tx *store.Tx, name string) (stored, bool, error) {
	var found stored
	ok := false
	err := tx.Scan(store.BucketOAuthApps, nil, nil, func(k, v []byte) (bool, error) {
		var a stored
		if err := json.Unmarshal(v, &a); err != nil {
			return false, fmt.Errorf("oauth: app %q: %w", k, err)
		}
		if a.Name == name {
			found, ok = a, true
			return false, nil
		}
		return true, nil
	})
	return found, ok, err
}

// verify returns the application of clientID if secret is its secret.
// An unknown id costs the same hash and comparison as a wrong secret.
func verify(tx *store.Tx, clientID, secret string) (stored, bool, error) {
	var a stored
	ok, err := tx.GetJSON(store.BucketOAuthApps, []byte(clientID), &a)
	if err != nil {
		return a, false, err
	}
	want, herr := hex.DecodeString(a.SecretSHA256)
	if !ok || herr != nil || len(want) != sha256.Size {
		want = make([]byte, sha256.Size)
		ok = false
	}
	match := subtle.ConstantTimeCompare(sha(secret), want) == 1
	return a, ok && match, nil
}
