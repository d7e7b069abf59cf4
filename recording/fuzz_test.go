package recording

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzResolve: whatever the string, a path Resolve accepts is inside a root
// both as Asterisk sees it and on the host, and a refusal is ErrBadName or
// ErrOutsideRoots.
func FuzzResolve(f *testing.F) {
	b := newBed(f)
	b.write("{a}/1.wav", "one")
	b.write("{out}/secret.wav", "secret")
	b.symlink("{out}", "{a}/evil")
	b.symlink("{b}", "{a}/tob")
	b.symlink("{a}/loop", "{a}/loop")
	b.symlink("{base}/nowhere", "{a}/dangle")
	b.symlink("{out}/secret.wav", "{b}/s.wav")
	b.mkdir("{a}/sub")
	for i, rel := range []string{"../out", "..", "../../..", "../a/.."} {
		if err := os.Symlink(rel, b.x("{a}/sub/r"+strconv.Itoa(i))); err != nil {
			f.Fatal(err)
		}
	}
	roots := []string{b.x("{a}"), b.x("{b}")}
	for _, s := range []string{
		"{a}/1.wav", "{a}/evil/secret.wav", "{a}/tob/x", "{a}/loop/x", "{a}/dangle/x",
		"{b}/s.wav", "{a}/sub/r0/x", "{a}/sub/r1/out", "{a}/sub/r2", "{a}/sub/r3/b",
		"{a}/../out", "{a}/./../b/x", "{a}x", "{b}/", "/", "", "relative/x", "{a}/\x00",
	} {
		f.Add(b.x(s))
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := b.st.Resolve(s)
		if err != nil {
			if !errors.Is(err, ErrBadName) && !errors.Is(err, ErrOutsideRoots) {
				t.Fatalf("Resolve(%q): unexpected error %v", s, err)
			}
			return
		}
		if p.Asterisk != filepath.Clean(s) {
			t.Fatalf("Resolve(%q).Asterisk = %q", s, p.Asterisk)
		}
		if p.Host != filepath.Clean(p.Host) {
			t.Fatalf("Resolve(%q).Host = %q is not clean", s, p.Host)
		}
		in := func(p string) bool {
			for _, r := range roots {
				if strings.HasPrefix(p+"/", r+"/") {
					return true
				}
			}
			return false
		}
		if !in(p.Asterisk) || !in(p.Host) {
			t.Fatalf("Resolve(%q) = %+v: outside the roots", s, p)
		}
	})
}
