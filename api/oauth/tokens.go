package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/callctl/callctl/store"
)

// DefaultTokenTTL is how long an access token lasts.
const DefaultTokenTTL = time.Hour

// MaxTokens is how many live tokens one application may hold.
const MaxTokens = 100

// ErrUnauthorized: the token is unknown, expired, or its application was
// deleted.
var ErrUnauthorized = errors.New("oauth: invalid access token")

// token is an access token's record, keyed by the token's SHA-256.
type token struct {
	ClientID string    `json:"client_id"`
	Expires  time.Time `json:"expires"`
}

// Tokens issues and checks access tokens. It is safe for concurrent use.
type Tokens struct {
	db  *store.DB
	ttl time.Duration
	now func() time.Time // replaced by tests
}

// NewTokens returns Tokens on db whose tokens last ttl (<= 0: DefaultTokenTTL).
func NewTokens(db *store.DB, ttl time.Duration) *Tokens {
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	return &Tokens{db: db, ttl: ttl, now: time.Now}
}

// Issued is a new access token.
type Issued struct {
	AccessToken string
	ExpiresIn   time.Duration
}

// errBadClient: unknown client id or wrong secret, never told apart.
var errBadClient = errors.New("oauth: client authentication failed")

// Issue checks the client's credentials and returns a new token. The
// expired tokens are swept, and the application's oldest live tokens
// dropped beyond MaxTokens.
func (t *Tokens) Issue(clientID, secret string) (Issued, error) {
	tok, err := randomString(32)
	if err != nil {
		return Issued{}, err
	}
	now := t.now()
	err = t.db.Update(func(tx *store.Tx) error {
		a, ok, err := verify(tx, clientID, secret)
		if err != nil {
			return err
		}
		if !ok {
			return errBadClient
		}
		type live struct {
			key     []byte
			expires time.Time
		}
		var mine []live
		if err := dropTokens(tx, func(r *token) bool { return !r.Expires.After(now) }); err != nil {
			return err
		}
		err = tx.Scan(store.BucketOAuthTokens, nil, nil, func(k, v []byte) (bool, error) {
			var r token
			if err := json.Unmarshal(v, &r); err != nil {
				return false, fmt.Errorf("oauth: token record: %w", err)
			}
			if r.ClientID == a.ClientID {
				mine = append(mine, live{append([]byte(nil), k...), r.Expires})
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		sort.Slice(mine, func(i, j int) bool { return mine[i].expires.Before(mine[j].expires) })
		for i := 0; i <= len(mine)-MaxTokens; i++ {
			if err := tx.Delete(store.BucketOAuthTokens, mine[i].key); err != nil {
				return err
			}
		}
		return tx.PutJSON(store.BucketOAuthTokens, sha(tok), token{ClientID: a.ClientID, Expires: now.Add(t.ttl)})
	})
	if err != nil {
		return Issued{}, err
	}
	return Issued{AccessToken: tok, ExpiresIn: t.ttl}, nil
}

// Check reports whether tok is a live token of an existing application
// (nil) or not (ErrUnauthorized); other errors are the store's. Every
// application may use every action of the REST API, so action is not
// consulted.
func (t *Tokens) Check(ctx context.Context, tok, action string) error {
	if tok == "" || len(tok) > 512 {
		return ErrUnauthorized
	}
	now := t.now()
	return t.db.View(func(tx *store.Tx) error {
		var r token
		ok, err := tx.GetJSON(store.BucketOAuthTokens, sha(tok), &r)
		if err != nil {
			return err
		}
		if !ok || !r.Expires.After(now) {
			return ErrUnauthorized
		}
		if v, err := tx.Get(store.BucketOAuthApps, []byte(r.ClientID)); err != nil {
			return err
		} else if v == nil {
			return ErrUnauthorized
		}
		return nil
	})
}

// dropTokens deletes the tokens drop returns true for.
func dropTokens(tx *store.Tx, drop func(*token) bool) error {
	var keys [][]byte
	err := tx.Scan(store.BucketOAuthTokens, nil, nil, func(k, v []byte) (bool, error) {
		var r token
		if err := json.Unmarshal(v, &r); err != nil {
			return false, fmt.Errorf("oauth: token record: %w", err)
		}
		if drop(&r) {
			keys = append(keys, append([]byte(nil), k...))
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.Delete(store.BucketOAuthTokens, k); err != nil {
			return err
		}
	}
	return nil
}
