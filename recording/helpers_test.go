package recording

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bed is a temporary tree: roots a and b, a directory out beside them.
type bed struct {
	t    testing.TB
	base string // the temporary directory, symlinks resolved
	st   *Store
}

func newBed(t testing.TB) *bed {
	t.Helper()
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := &bed{t: t, base: base}
	for _, d := range []string{"a", "b", "out"} {
		b.mkdir("{" + d + "}")
	}
	b.st = mustNew(t, Config{Roots: []string{b.x("{a}"), b.x("{b}")}})
	return b
}

func mustNew(t testing.TB, cfg Config) *Store {
	t.Helper()
	st, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return st
}

// x expands {a}, {b}, {out} and {base} in s.
func (b *bed) x(s string) string {
	return strings.NewReplacer(
		"{a}", b.base+"/a",
		"{b}", b.base+"/b",
		"{out}", b.base+"/out",
		"{base}", b.base,
	).Replace(s)
}

func (b *bed) mkdir(p string) {
	b.t.Helper()
	if err := os.MkdirAll(b.x(p), 0o755); err != nil {
		b.t.Fatal(err)
	}
}

func (b *bed) write(p, content string) string {
	b.t.Helper()
	p = b.x(p)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
		b.t.Fatal(err)
	}
	return p
}

func (b *bed) symlink(target, link string) {
	b.t.Helper()
	if err := os.Symlink(b.x(target), b.x(link)); err != nil {
		b.t.Fatal(err)
	}
}

// read returns the content of p, or "<missing>".
func (b *bed) read(p string) string {
	b.t.Helper()
	data, err := os.ReadFile(b.x(p))
	if os.IsNotExist(err) {
		return "<missing>"
	}
	if err != nil {
		b.t.Fatal(err)
	}
	return string(data)
}

// names lists the entries of the directory p ("" for none or missing).
func (b *bed) names(p string) string {
	b.t.Helper()
	es, err := os.ReadDir(b.x(p))
	if err != nil && !os.IsNotExist(err) {
		b.t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return strings.Join(out, " ")
}

func (b *bed) exists(p string) bool {
	_, err := os.Lstat(b.x(p))
	return err == nil
}
