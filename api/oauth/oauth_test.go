package oauth

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/store/storetest"
)

// The store keeps neither the secret nor the tokens, only their hashes.
func TestSecretsAreHashed(t *testing.T) {
	db := storetest.New(t)
	app, err := Add(db, "crm", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tokens := NewTokens(db, time.Hour)
	is, err := tokens.Issue(app.ClientID, app.ClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *store.Tx) error {
		for _, b := range []string{store.BucketOAuthApps, store.BucketOAuthTokens} {
			tx.Scan(b, nil, nil, func(k, v []byte) (bool, error) {
				for _, s := range []string{app.ClientSecret, is.AccessToken} {
					if strings.Contains(string(k)+string(v), s) {
						t.Errorf("bucket %s holds a secret in the clear", b)
					}
				}
				return true, nil
			})
		}
		return nil
	})
}

// A token expires after its TTL; an application keeps at most MaxTokens
// live ones, the newest.
func TestTokenExpiryAndCap(t *testing.T) {
	db := storetest.New(t)
	app, err := Add(db, "crm", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	tokens := NewTokens(db, time.Hour)
	tokens.now = func() time.Time { return now }
	var issued []string
	for i := 0; i < MaxTokens+5; i++ {
		is, err := tokens.Issue(app.ClientID, app.ClientSecret)
		if err != nil {
			t.Fatal(err)
		}
		issued = append(issued, is.AccessToken)
		now = now.Add(time.Second)
	}
	ctx := context.Background()
	if err := tokens.Check(ctx, issued[0], ""); err != ErrUnauthorized {
		t.Errorf("oldest token beyond the cap: %v", err)
	}
	if err := tokens.Check(ctx, issued[len(issued)-1], ""); err != nil {
		t.Errorf("newest token: %v", err)
	}
	if n := countTokens(t, db); n != MaxTokens {
		t.Errorf("%d tokens kept, want %d", n, MaxTokens)
	}
	now = now.Add(time.Hour)
	if err := tokens.Check(ctx, issued[len(issued)-1], ""); err != ErrUnauthorized {
		t.Errorf("expired token: %v", err)
	}
	// The next issue sweeps the expired ones.
	if _, err := tokens.Issue(app.ClientID, app.ClientSecret); err != nil {
		t.Fatal(err)
	}
	if n := countTokens(t, db); n != 1 {
		t.Errorf("%d tokens after the sweep, want 1", n)
	}
}

func countTokens(t *testing.T, db *store.DB) int {
	n := 0
	db.View(func(tx *store.Tx) error {
		var err error
		n, err = tx.Count(store.BucketOAuthTokens)
		return err
	})
	return n
}
