// Package storetest opens throw-away databases for tests.
package storetest

import (
	"testing"

	"github.com/callctl/callctl/store"
)

// New opens a fresh database in a temporary directory, closed at the end of the test.
func New(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
