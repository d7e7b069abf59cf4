package recording

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestMove(t *testing.T) {
	long := strings.Repeat("n", maxName)
	tests := []struct {
		name           string
		setup          func(b *bed)
		src, dir, to   string // Move's arguments, expanded
		want           string // new path, expanded; "" when an error is wanted
		wantErr        error
		wantErrToo     error             // a second error errors.Is must find
		files          map[string]string // expected contents afterwards ("<missing>")
		notExists      []string
		mustNotMention string
	}{
		{
			name: "rename in place", src: "{a}/1.wav", to: "x.wav", want: "{a}/x.wav",
			files: map[string]string{"{a}/x.wav": "one", "{a}/1.wav": "<missing>"},
		},
		{
			name: "keep name, new directory in the same root", src: "{a}/1.wav", dir: "{a}/2024/05", want: "{a}/2024/05/1.wav",
			files: map[string]string{"{a}/2024/05/1.wav": "one", "{a}/1.wav": "<missing>"},
		},
		{
			name: "existing directory, trailing slash", setup: func(b *bed) { b.mkdir("{a}/d") },
			src: "{a}/1.wav", dir: "{a}/d/", to: "y.wav", want: "{a}/d/y.wav",
			files: map[string]string{"{a}/d/y.wav": "one"},
		},
		{
			name: "between roots", src: "{a}/1.wav", dir: "{b}/x", to: "y.wav", want: "{b}/x/y.wav",
			files: map[string]string{"{b}/x/y.wav": "one", "{a}/1.wav": "<missing>"},
		},
		{
			name: "into a root itself", setup: func(b *bed) { b.write("{a}/sub/2.wav", "two") },
			src: "{a}/sub/2.wav", dir: "{b}", want: "{b}/2.wav",
			files: map[string]string{"{b}/2.wav": "two"},
		},
		{
			name: "dotdot that stays inside", src: "{a}/1.wav", dir: "{a}/../a/sub", want: "{a}/sub/1.wav",
			files: map[string]string{"{a}/sub/1.wav": "one"},
		},
		{
			name: "unclean source", src: "{a}/./x/../1.wav", to: "z.wav", want: "{a}/z.wav",
			files: map[string]string{"{a}/z.wav": "one"},
		},
		{
			name: "symlinked directory into the other root", setup: func(b *bed) { b.symlink("{b}", "{a}/tob") },
			src: "{a}/1.wav", dir: "{a}/tob/new", want: "{a}/tob/new/1.wav",
			files: map[string]string{"{b}/new/1.wav": "one", "{a}/1.wav": "<missing>"},
		},
		{
			name: "name of 255 bytes", src: "{a}/1.wav", to: long, want: "{a}/" + long,
			files: map[string]string{"{a}/" + long: "one"},
		},
		{
			name: "name with spaces kept verbatim", src: "{a}/1.wav", to: " x y ", want: "{a}/ x y ",
			files: map[string]string{"{a}/ x y ": "one"},
		},

		// No-ops.
		{name: "onto itself", src: "{a}/1.wav", want: "{a}/1.wav", files: map[string]string{"{a}/1.wav": "one"}},
		{name: "onto itself, named", src: "{a}/1.wav", dir: "{a}", to: "1.wav", want: "{a}/1.wav", files: map[string]string{"{a}/1.wav": "one"}},
		{
			name: "onto itself through a symlinked directory", setup: func(b *bed) { b.symlink(".", "{a}/self") },
			src: "{a}/1.wav", dir: "{a}/self", want: "{a}/self/1.wav", files: map[string]string{"{a}/1.wav": "one"},
		},

		// Outside the roots.
		{name: "destination elsewhere", src: "{a}/1.wav", dir: "{out}", wantErr: ErrOutsideRoots},
		{name: "destination below elsewhere", src: "{a}/1.wav", dir: "{out}/new", wantErr: ErrOutsideRoots, notExists: []string{"{out}/new"}},
		{name: "destination root/../elsewhere", src: "{a}/1.wav", dir: "{a}/../out", wantErr: ErrOutsideRoots},
		{name: "destination /", src: "{a}/1.wav", dir: "/", wantErr: ErrOutsideRoots},
		{name: "destination is the roots' parent", src: "{a}/1.wav", dir: "{base}", wantErr: ErrOutsideRoots},
		{name: "root name prefix is not inside", src: "{a}/1.wav", dir: "{a}x", wantErr: ErrOutsideRoots, notExists: []string{"{a}x"}},
		{
			name: "symlinked directory pointing outside", setup: func(b *bed) { b.symlink("{out}", "{a}/evil") },
			src: "{a}/1.wav", dir: "{a}/evil", wantErr: ErrOutsideRoots,
		},
		{
			name: "below a symlinked directory pointing outside", setup: func(b *bed) { b.symlink("{out}", "{a}/evil") },
			src: "{a}/1.wav", dir: "{a}/evil/new/deeper", wantErr: ErrOutsideRoots, notExists: []string{"{out}/new"},
		},
		{
			name: "relative symlink escaping", setup: func(b *bed) {
				if err := os.Symlink("../out", b.x("{a}/up")); err != nil {
					b.t.Fatal(err)
				}
			},
			src: "{a}/1.wav", dir: "{a}/up", wantErr: ErrOutsideRoots,
		},
		{
			name: "dangling symlinked directory", setup: func(b *bed) { b.symlink("{base}/nowhere", "{a}/dangle") },
			src: "{a}/1.wav", dir: "{a}/dangle/x", wantErr: ErrOutsideRoots, notExists: []string{"{base}/nowhere"},
		},
		{
			name: "symlink loop", setup: func(b *bed) { b.symlink("{a}/loop", "{a}/loop") },
			src: "{a}/1.wav", dir: "{a}/loop/x", wantErr: ErrOutsideRoots,
		},
		{
			name: "symlinked source pointing outside", setup: func(b *bed) {
				b.write("{out}/secret.wav", "secret")
				b.symlink("{out}/secret.wav", "{a}/link.wav")
			},
			src: "{a}/link.wav", to: "got.wav", wantErr: ErrOutsideRoots,
			files: map[string]string{"{out}/secret.wav": "secret", "{a}/got.wav": "<missing>"},
		},
		{
			name: "source in a symlinked directory pointing outside", setup: func(b *bed) {
				b.write("{out}/secret.wav", "secret")
				b.symlink("{out}", "{a}/evil")
			},
			src: "{a}/evil/secret.wav", dir: "{a}", wantErr: ErrOutsideRoots,
			files: map[string]string{"{out}/secret.wav": "secret"},
		},
		{
			name: "source elsewhere", setup: func(b *bed) { b.write("{out}/secret.wav", "secret") },
			src: "{out}/secret.wav", dir: "{a}", wantErr: ErrOutsideRoots, files: map[string]string{"{out}/secret.wav": "secret"},
		},
		{
			name: "source root/../elsewhere", setup: func(b *bed) { b.write("{out}/secret.wav", "secret") },
			src: "{a}/../out/secret.wav", dir: "{a}", wantErr: ErrOutsideRoots, files: map[string]string{"{out}/secret.wav": "secret"},
		},

		// Bad names.
		{name: "name with a slash", src: "{a}/1.wav", to: "x/y.wav", wantErr: ErrBadName},
		{name: "name dot", src: "{a}/1.wav", to: ".", wantErr: ErrBadName},
		{name: "name dotdot", src: "{a}/1.wav", to: "..", wantErr: ErrBadName},
		{name: "name blank", src: "{a}/1.wav", to: " \t ", wantErr: ErrBadName},
		{name: "name NUL", src: "{a}/1.wav", to: "x\x00.wav", wantErr: ErrBadName},
		{name: "name newline", src: "{a}/1.wav", to: "x\n.wav", wantErr: ErrBadName},
		{name: "name too long", src: "{a}/1.wav", to: long + "n", wantErr: ErrBadName},
		{name: "dir relative", src: "{a}/1.wav", dir: "a/b", wantErr: ErrBadName},
		{name: "dir NUL", src: "{a}/1.wav", dir: "{a}/x\x00", wantErr: ErrBadName},
		{name: "source relative", src: "1.wav", dir: "{a}", wantErr: ErrBadName},
		{name: "source empty", src: "", dir: "{a}", wantErr: ErrBadName},
		{name: "source NUL", src: "{a}/1.wav\x00", wantErr: ErrBadName},

		// Unreadable sources.
		{name: "missing source", src: "{a}/nope.wav", to: "x.wav", wantErr: ErrSourceUnreadable, wantErrToo: fs.ErrNotExist},
		{
			name: "source is a directory", setup: func(b *bed) { b.mkdir("{a}/dir.wav") },
			src: "{a}/dir.wav", to: "x.wav", wantErr: ErrSourceUnreadable,
		},
		{name: "source is a root", src: "{a}", dir: "{b}", wantErr: ErrSourceUnreadable},
		{
			name: "source below a file", src: "{a}/1.wav/x.wav", dir: "{b}", wantErr: ErrSourceUnreadable,
		},
		{
			name: "source is a symlink inside the root", setup: func(b *bed) { b.symlink("{a}/1.wav", "{a}/alias.wav") },
			src: "{a}/alias.wav", dir: "{b}", wantErr: ErrSourceUnreadable,
			files: map[string]string{"{a}/1.wav": "one"}, notExists: []string{"{b}/alias.wav"},
		},

		// Directories that cannot be made.
		{name: "directory below a file", src: "{a}/1.wav", dir: "{a}/1.wav/sub", wantErr: ErrMkdir},
		{
			name: "root that does not exist", src: "{a}/1.wav", dir: "{base}/c/sub", wantErr: ErrMkdir,
			notExists: []string{"{base}/c"},
		},

		// Existing destinations.
		{
			name: "destination exists", setup: func(b *bed) { b.write("{b}/1.wav", "older") },
			src: "{a}/1.wav", dir: "{b}", wantErr: ErrDestinationExists, wantErrToo: ErrMoveFailed,
			files: map[string]string{"{b}/1.wav": "older", "{a}/1.wav": "one"},
		},
		{
			name: "destination is a dangling symlink", setup: func(b *bed) { b.symlink("{out}/x.wav", "{a}/d.wav") },
			src: "{a}/1.wav", to: "d.wav", wantErr: ErrDestinationExists,
			notExists: []string{"{out}/x.wav"}, files: map[string]string{"{a}/1.wav": "one"},
		},
		{
			name: "destination is a directory", setup: func(b *bed) { b.mkdir("{a}/d.wav") },
			src: "{a}/1.wav", to: "d.wav", wantErr: ErrDestinationExists, files: map[string]string{"{a}/1.wav": "one"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBed(t)
			b.write("{a}/1.wav", "one")
			// The third root does not exist: its parent does.
			b.st = mustNew(t, Config{Roots: []string{b.x("{a}"), b.x("{b}"), b.x("{base}/c")}})
			if tt.setup != nil {
				tt.setup(b)
			}
			before := b.names("{out}")
			got, err := b.st.Move(b.x(tt.src), b.x(tt.dir), tt.to)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Move: got %q, %v; want %v", got, err, tt.wantErr)
				}
				if tt.wantErrToo != nil && !errors.Is(err, tt.wantErrToo) {
					t.Fatalf("Move: %v is not %v", err, tt.wantErrToo)
				}
				if got != "" {
					t.Errorf("Move returned %q with an error", got)
				}
				if b.read("{a}/1.wav") != "one" {
					t.Error("the source was touched")
				}
			} else {
				if err != nil {
					t.Fatalf("Move: %v", err)
				}
				if want := b.x(tt.want); got != want {
					t.Fatalf("Move = %q, want %q", got, want)
				}
			}
			if after := b.names("{out}"); after != before {
				t.Errorf("outside directory changed: %q -> %q", before, after)
			}
			for p, want := range tt.files {
				if got := b.read(p); got != want {
					t.Errorf("%s: %q, want %q", p, got, want)
				}
			}
			for _, p := range tt.notExists {
				if b.exists(p) {
					t.Errorf("%s exists", p)
				}
			}
		})
	}
}

func TestMoveCreatesDirectories0755(t *testing.T) {
	b := newBed(t)
	b.write("{a}/1.wav", "one")
	if _, err := b.st.Move(b.x("{a}/1.wav"), b.x("{a}/x/y"), ""); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"{a}/x", "{a}/x/y"} {
		fi, err := os.Stat(b.x(d))
		if err != nil || !fi.IsDir() || fi.Mode().Perm()&^0o755 != 0 || fi.Mode().Perm()&0o700 != 0o700 {
			t.Errorf("%s: %v %v", d, fi.Mode(), err)
		}
	}
}

func TestMoveRootThroughSymlink(t *testing.T) {
	b := newBed(t)
	b.write("{base}/real/rec/1.wav", "one")
	b.symlink("{base}/real", "{base}/link")
	st := mustNew(t, Config{Roots: []string{b.x("{base}/link/rec")}})

	got, err := st.Move(b.x("{base}/link/rec/1.wav"), b.x("{base}/link/rec/2024"), "")
	if err != nil || got != b.x("{base}/link/rec/2024/1.wav") {
		t.Fatalf("Move = %q, %v", got, err)
	}
	if b.read("{base}/real/rec/2024/1.wav") != "one" {
		t.Fatal("not moved")
	}
	// The path must be inside the configured root as given, too.
	if _, err := st.Move(b.x("{base}/real/rec/2024/1.wav"), "", "x.wav"); !errors.Is(err, ErrOutsideRoots) {
		t.Fatalf("real path: %v", err)
	}
	// A sibling of the root reached through the same symlink is outside.
	b.mkdir("{base}/real/other")
	if _, err := st.Move(b.x("{base}/link/rec/2024/1.wav"), b.x("{base}/link/rec/../other"), ""); !errors.Is(err, ErrOutsideRoots) {
		t.Fatalf("sibling: %v", err)
	}
	// Repointing the root's symlink is seen at once.
	if err := os.Remove(b.x("{base}/link")); err != nil {
		t.Fatal(err)
	}
	b.write("{base}/real2/rec/5.wav", "five")
	b.symlink("{base}/real2", "{base}/link")
	if _, err := st.Move(b.x("{base}/link/rec/5.wav"), "", "6.wav"); err != nil {
		t.Fatal(err)
	}
	if b.read("{base}/real2/rec/6.wav") != "five" {
		t.Fatal("not moved after repointing")
	}
}

func TestMoveHostPrefix(t *testing.T) {
	prefix, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := &bed{t: t, base: prefix}
	const mon = "/var/spool/asterisk/monitor"
	b.write("{base}"+mon+"/1795423570.14.wav", "rec")
	b.mkdir("{base}" + mon + "/sub")
	st := mustNew(t, Config{Roots: []string{mon}, HostPrefix: prefix + "/"})

	p, err := st.Resolve(mon + "/1795423570.14.wav")
	if err != nil || p.Asterisk != mon+"/1795423570.14.wav" || p.Host != prefix+mon+"/1795423570.14.wav" {
		t.Fatalf("Resolve = %+v, %v", p, err)
	}
	got, err := st.Move(mon+"/1795423570.14.wav", mon+"/2024/05", "call.wav")
	if err != nil || got != mon+"/2024/05/call.wav" {
		t.Fatalf("Move = %q, %v", got, err)
	}
	if b.read("{base}"+mon+"/2024/05/call.wav") != "rec" {
		t.Fatal("not moved on the host")
	}

	// A relative symlink inside the chroot works; an absolute one is
	// resolved on the host, outside the prefix, and refused.
	if err := os.Symlink("sub", b.x("{base}"+mon+"/rel")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(mon+"/sub", b.x("{base}"+mon+"/abs")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../../../../../..", b.x("{base}"+mon+"/esc")); err != nil {
		t.Fatal(err)
	}
	got, err = st.Move(mon+"/2024/05/call.wav", mon+"/rel", "")
	if err != nil || got != mon+"/rel/call.wav" || b.read("{base}"+mon+"/sub/call.wav") != "rec" {
		t.Fatalf("Move through relative link = %q, %v", got, err)
	}
	for _, p := range []string{
		mon + "/abs/x.wav",
		mon + "/esc" + mon + "/x.wav",
		"/etc/passwd",
		mon + "/../../../../etc/passwd",
		prefix + mon + "/sub/call.wav", // a host path is not an Asterisk path
	} {
		if _, err := st.Resolve(p); !errors.Is(err, ErrOutsideRoots) {
			t.Errorf("Resolve(%q): %v, want ErrOutsideRoots", p, err)
		}
		if _, err := st.Move(mon+"/sub/call.wav", filepath.Dir(p), ""); !errors.Is(err, ErrOutsideRoots) {
			t.Errorf("Move to %q: %v, want ErrOutsideRoots", filepath.Dir(p), err)
		}
	}
}

// exdevFor makes st's rename fail like a rename across filesystems for the
// sources, not for the temporary files.
func exdevFor(st *Store) {
	st.rename = func(oldpath, newpath string) error {
		if !strings.HasPrefix(filepath.Base(oldpath), ".callctl-move-") {
			return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: syscall.EXDEV}
		}
		return os.Rename(oldpath, newpath)
	}
}

func TestMoveAcrossFilesystems(t *testing.T) {
	b := newBed(t)
	data := strings.Repeat("RIFF0123456789", 100000)
	src := b.write("{a}/1.wav", data)
	mtime := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := os.Chtimes(src, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(src, 0o604); err != nil {
		t.Fatal(err)
	}
	exdevFor(b.st)

	got, err := b.st.Move(src, b.x("{b}/2024"), "x.wav")
	if err != nil || got != b.x("{b}/2024/x.wav") {
		t.Fatalf("Move = %q, %v", got, err)
	}
	if b.exists("{a}/1.wav") {
		t.Error("the source is still there")
	}
	if b.read("{b}/2024/x.wav") != data {
		t.Error("the destination's bytes differ")
	}
	if names := b.names("{b}/2024"); names != "x.wav" {
		t.Errorf("destination directory holds %q", names)
	}
	fi, err := os.Stat(got)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o604 || !fi.ModTime().Equal(mtime) {
		t.Errorf("mode %v mtime %v, want 0604 and %v", fi.Mode(), fi.ModTime(), mtime)
	}
}

func TestMoveAcrossFilesystemsFailures(t *testing.T) {
	tests := []struct {
		name    string
		hook    func(b *bed)
		wantErr error
		dest    string // expected content of the destination
	}{
		{
			name: "write fails half-way",
			hook: func(b *bed) {
				b.st.copy = func(dst io.Writer, src io.Reader) (int64, error) {
					n, _ := io.CopyN(dst, src, 3)
					return n, errors.New("disk full")
				}
			},
			wantErr: ErrMoveFailed, dest: "<missing>",
		},
		{
			name: "source shrinks while copying",
			hook: func(b *bed) {
				b.st.copy = func(dst io.Writer, src io.Reader) (int64, error) { return io.CopyN(dst, src, 2) }
			},
			wantErr: ErrMoveFailed, dest: "<missing>",
		},
		{
			name: "rename into place fails",
			hook: func(b *bed) {
				exdevFor(b.st)
				b.st.rename = func(oldpath, newpath string) error {
					return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: syscall.EXDEV}
				}
			},
			wantErr: ErrMoveFailed, dest: "<missing>",
		},
		{
			name: "destination appears while copying",
			hook: func(b *bed) {
				b.st.copy = func(dst io.Writer, src io.Reader) (int64, error) {
					b.write("{b}/d/x.wav", "theirs")
					return io.Copy(dst, src)
				}
			},
			wantErr: ErrDestinationExists, dest: "theirs",
		},
		{
			name: "source cannot be removed",
			hook: func(b *bed) {
				b.st.remove = func(name string) error {
					return &os.PathError{Op: "remove", Path: name, Err: syscall.EACCES}
				}
			},
			wantErr: ErrMoveFailed, dest: "<missing>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBed(t)
			b.write("{a}/1.wav", "recording")
			b.mkdir("{b}/d")
			exdevFor(b.st)
			tt.hook(b)
			got, err := b.st.Move(b.x("{a}/1.wav"), b.x("{b}/d"), "x.wav")
			if !errors.Is(err, tt.wantErr) || got != "" {
				t.Fatalf("Move = %q, %v; want %v", got, err, tt.wantErr)
			}
			if b.read("{a}/1.wav") != "recording" {
				t.Error("the source was touched")
			}
			if got := b.read("{b}/d/x.wav"); got != tt.dest {
				t.Errorf("destination %q, want %q", got, tt.dest)
			}
			if names := b.names("{b}/d"); strings.Contains(names, ".callctl-move-") {
				t.Errorf("temporary file left: %q", names)
			}
		})
	}
}

func TestMoveReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	for _, cross := range []bool{false, true} {
		t.Run(fmt.Sprint("cross=", cross), func(t *testing.T) {
			b := newBed(t)
			b.write("{a}/1.wav", "one")
			b.mkdir("{b}/ro")
			if err := os.Chmod(b.x("{b}/ro"), 0o555); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(b.x("{b}/ro"), 0o755) })
			if cross {
				exdevFor(b.st)
			}
			if _, err := b.st.Move(b.x("{a}/1.wav"), b.x("{b}/ro"), ""); !errors.Is(err, ErrMoveFailed) {
				t.Fatalf("Move: %v", err)
			}
			if _, err := b.st.Move(b.x("{a}/1.wav"), b.x("{b}/ro/sub"), ""); !errors.Is(err, ErrMkdir) {
				t.Fatalf("Move into a new directory: %v", err)
			}
			if b.read("{a}/1.wav") != "one" || b.names("{b}/ro") != "" {
				t.Fatal("something was touched")
			}
		})
	}
}

// Concurrent Moves onto one name: exactly one wins, nothing is overwritten.
func TestMoveConcurrentNoOverwrite(t *testing.T) {
	for _, cross := range []bool{false, true} {
		t.Run(fmt.Sprint("cross=", cross), func(t *testing.T) {
			b := newBed(t)
			if cross {
				exdevFor(b.st)
			}
			const n = 8
			errs := make([]error, n)
			for i := range n {
				b.write(fmt.Sprintf("{a}/s%d.wav", i), fmt.Sprint(i))
			}
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					_, errs[i] = b.st.Move(b.x(fmt.Sprintf("{a}/s%d.wav", i)), b.x("{b}/same"), "x.wav")
				})
			}
			wg.Wait()
			winner := -1
			for i, err := range errs {
				switch {
				case err == nil && winner < 0:
					winner = i
				case err == nil:
					t.Fatalf("two winners: %d and %d", winner, i)
				case !errors.Is(err, ErrDestinationExists):
					t.Fatalf("Move %d: %v", i, err)
				case b.read(fmt.Sprintf("{a}/s%d.wav", i)) != fmt.Sprint(i):
					t.Fatalf("loser %d's source touched", i)
				}
			}
			if winner < 0 || b.read("{b}/same/x.wav") != fmt.Sprint(winner) {
				t.Fatalf("winner %d, destination %q", winner, b.read("{b}/same/x.wav"))
			}
			if names := b.names("{b}/same"); names != "x.wav" {
				t.Fatalf("destination directory holds %q", names)
			}
		})
	}
}

func TestMovePermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores permissions")
	}
	b := newBed(t)
	b.write("{a}/1.wav", "one")
	b.write("{a}/locked/2.wav", "two")
	b.write("{a}/unreadable.wav", "no")
	for p, mode := range map[string]os.FileMode{"{a}/unreadable.wav": 0, "{a}/locked": 0} {
		if err := os.Chmod(b.x(p), mode); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.Chmod(b.x("{a}/locked"), 0o755) })
	tests := []struct {
		src, dir string
		wantErr  error
	}{
		{"{a}/unreadable.wav", "{b}", ErrSourceUnreadable},
		{"{a}/locked/2.wav", "{b}", ErrSourceUnreadable},
		{"{a}/1.wav", "{a}/locked/sub", ErrMoveFailed},
	}
	for _, tt := range tests {
		if _, err := b.st.Move(b.x(tt.src), b.x(tt.dir), ""); !errors.Is(err, tt.wantErr) {
			t.Errorf("Move(%s, %s): %v, want %v", tt.src, tt.dir, err, tt.wantErr)
		}
	}
	if _, err := b.st.Open(b.x("{a}/unreadable.wav")); !errors.Is(err, ErrSourceUnreadable) || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Open: %v", err)
	}
	if b.read("{a}/1.wav") != "one" || b.names("{b}") != "" {
		t.Error("something was touched")
	}
}
