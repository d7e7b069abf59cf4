package admin

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/store"
)

var echo = Command{Name: "put", Run: func(ctx context.Context, db *store.DB, args json.RawMessage) (any, error) {
	var a struct{ Name string }
	if err := json.Unmarshal(args, &a); err != nil {
		return nil, err
	}
	if a.Name == "" {
		return nil, Errorf("name is required")
	}
	return a.Name, db.Update(func(tx *store.Tx) error { return tx.Put(store.BucketUsers, []byte(a.Name), []byte("1")) })
}}

func TestSameCommandWithAndWithoutDaemon(t *testing.T) {
	dir := t.TempDir()
	socket := filepath.Join(dir, "admin.sock")
	reg := NewRegistry(echo)
	ctx := context.Background()

	// No daemon: the command opens the database itself.
	var got string
	if err := Exec(ctx, socket, dir, reg, "put", map[string]string{"Name": "alice"}, &got); err != nil || got != "alice" {
		t.Fatalf("direct: %v %q", err, got)
	}

	// A daemon holds the database and serves the socket.
	db, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- Serve(sctx, socket, db, reg, zerolog.Nop()) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err = Exec(ctx, socket, dir, reg, "put", map[string]string{"Name": "bob"}, &got)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || got != "bob" {
		t.Fatalf("via daemon: %v %q", err, got)
	}
	var ue *Error
	if err := Exec(ctx, socket, dir, reg, "put", map[string]string{}, nil); !errors.As(err, &ue) || ue.Message != "name is required" {
		t.Fatalf("user error via daemon: %v", err)
	}
	var st Status
	if err := Exec(ctx, socket, dir, reg, "status", nil, &st); err != nil || st.Records[store.BucketUsers] != 2 {
		t.Fatalf("status: %v %+v", err, st)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := Exec(ctx, socket, dir, reg, "status", nil, &st); err != nil || st.Records[store.BucketUsers] != 2 {
		t.Fatalf("after the daemon stopped: %v %+v", err, st)
	}
}

func TestLockedDatabaseWithoutSocketIsExplained(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = Exec(context.Background(), filepath.Join(dir, "admin.sock"), dir, NewRegistry(), "status", nil, nil)
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("err = %v", err)
	}
}

// Run as root on another user's data directory (the package's
// /var/lib/callctl), the database file the CLI creates is that user's.
func TestDirectAsRootGivesTheFileToTheDirsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir := t.TempDir()
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	var st Status
	if err := Exec(context.Background(), filepath.Join(dir, "admin.sock"), dir, NewRegistry(), "status", nil, &st); err != nil {
		t.Fatal(err)
	}
	var f syscall.Stat_t
	if err := syscall.Stat(filepath.Join(dir, store.FileName), &f); err != nil || f.Uid != 65534 || f.Gid != 65534 {
		t.Errorf("%v: owner %d:%d", err, f.Uid, f.Gid)
	}
}
