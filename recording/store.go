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
)

const (
	maxPath = 4096 // bytes in a path (Linux PATH_MAX)
	maxName = 255  // bytes in a file name (NAME_MAX)
)

// Store checks and moves recordings inside the configured roots. It is safe
// for concurrent use.
type Store struct {
	roots  []string // cleaned, as Asterisk sees them
	prefix string   // "" or absolute without a trailing slash

	// mu makes "destination does not exist" and the rename into place one
	// step for the Moves of this Store.
	mu sync.Mutex

	// Seams for tests: the filesystem operations that can fail half-way.
	rename func(oldpath, newpath string) error
	remove func(name string) error
	copy   func(dst io.Writer, src io.Reader) (int64, error)
}

// Path is one recording path in both views.
type Path struct {
	// Asterisk is the path as Asterisk sees it, cleaned.
	Asterisk string
	// Host is the path on callctl's filesystem: HostPrefix + Asterisk with
	// the symlinks of every existing component resolved. It may not exist.
	Host string
}

// New validates cfg (see Config.Validate); it does not touch the filesystem.
func New(cfg Config) (*Store, error) {
	roots, prefix, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	return &Store{
		roots:  roots,
		prefix: prefix,
		rename: os.Rename,
		remove: os.Remove,
		copy:   io.Copy,
	}, nil
}

// Roots returns the roots, as Asterisk sees them (a copy).
func (s *Store) Roots() []string { return append([]string(nil), s.roots...) }

// Resolve checks that asteriskPath is inside a root after cleaning and, on
// the host, after resolving the symlinks of its existing components, and
// returns both views of it. The path need not exist. Errors: ErrBadName,
// ErrOutsideRoots, or a wrapped *fs.PathError when a directory on the way
// cannot be searched (permission).
func (s *Store) Resolve(asteriskPath string) (Path, error) {
	r, err := s.resolve(asteriskPath)
	return Path{Asterisk: r.ast, Host: r.host}, err
}

// Within reports whether Resolve accepts asteriskPath.
func (s *Store) Within(asteriskPath string) bool {
	_, err := s.resolve(asteriskPath)
	return err == nil
}

// Open resolves asteriskPath like Resolve and opens the regular file there
// for reading. Errors: ErrBadName, ErrOutsideRoots, ErrSourceUnreadable
// (which also wraps the *fs.PathError, e.g. fs.ErrNotExist).
func (s *Store) Open(asteriskPath string) (*os.File, error) {
	r, err := s.resolve(asteriskPath)
	if err != nil {
		return nil, sourceErr(err)
	}
	f, _, err := openRegular(r)
	return f, err
}

// resolved is a path that passed the checks.
type resolved struct {
	ast  string // cleaned Asterisk path
	host string // host path, existing components' symlinks resolved
	root string // the resolved host root host is in
}

func (s *Store) resolve(p string) (resolved, error) {
	ast, err := checkPath(p)
	if err != nil {
		return resolved{}, err
	}
	if !s.lexicallyInside(ast) {
		return resolved{}, fmt.Errorf("%w: %q", ErrOutsideRoots, ast)
	}
	host, err := resolveExisting(s.prefix + ast)
	if err != nil {
		if errors.Is(err, errUnresolvable) {
			return resolved{}, fmt.Errorf("%w: %q: %v", ErrOutsideRoots, ast, err)
		}
		return resolved{}, fmt.Errorf("recording: resolving %q: %w", ast, err)
	}
	root := s.hostRootOf(host)
	if root == "" {
		return resolved{}, fmt.Errorf("%w: %q leads to %q", ErrOutsideRoots, ast, host)
	}
	return resolved{ast: ast, host: host, root: root}, nil
}

// checkPath returns p cleaned, or ErrBadName.
func checkPath(p string) (string, error) {
	if p == "" || !filepath.IsAbs(p) || strings.IndexByte(p, 0) >= 0 || len(p) > maxPath {
		return "", fmt.Errorf("%w: path %q: want an absolute path", ErrBadName, p)
	}
	return filepath.Clean(p), nil
}

// checkName reports whether name can be a file name in a root.
func checkName(name string) error {
	bad := strings.TrimSpace(name) == "" || name == "." || name == ".." || len(name) > maxName
	for i := 0; i < len(name) && !bad; i++ {
		c := name[i]
		bad = c == '/' || c == filepath.Separator || c < 0x20 || c == 0x7f
	}
	if bad {
		return fmt.Errorf("%w: %q", ErrBadName, name)
	}
	return nil
}

func (s *Store) lexicallyInside(ast string) bool {
	for _, r := range s.roots {
		if inside(ast, r) {
			return true
		}
	}
	return false
}

// hostRootOf returns the longest resolved host root that holds host, or "".
// Roots are resolved on every call: they may appear, or their symlinks
// change, while callctl runs. A root that cannot be resolved holds nothing.
func (s *Store) hostRootOf(host string) string {
	best := ""
	for _, r := range s.roots {
		rr, err := resolveExisting(s.prefix + r)
		if err == nil && inside(host, rr) && len(rr) > len(best) {
			best = rr
		}
	}
	return best
}

// inside reports whether the clean absolute path p is root or below it.
func inside(p, root string) bool {
	if root == string(filepath.Separator) {
		return true
	}
	return p == root || strings.HasPrefix(p, root+string(filepath.Separator))
}

// errUnresolvable: an existing component's symlinks cannot be followed.
var errUnresolvable = errors.New("symbolic links cannot be resolved")

// resolveExisting resolves the symlinks of the longest existing leading part
// of the clean absolute path p and appends the rest, which does not exist
// and so holds no symlinks. A dangling symlink or a loop is errUnresolvable;
// a permission error is returned as is.
func resolveExisting(p string) (string, error) {
	cur, rest := p, ""
	retried := false
	for {
		real, err := filepath.EvalSymlinks(cur)
		if err == nil {
			if rest == "" {
				return real, nil
			}
			return filepath.Join(real, rest), nil
		}
		switch {
		case errors.Is(err, fs.ErrPermission):
			return "", err
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return "", fmt.Errorf("%w: %v", errUnresolvable, err)
		}
		if _, lerr := os.Lstat(cur); lerr == nil {
			if !retried { // made meanwhile (a concurrent move's directory): look again
				retried = true
				continue
			}
			// cur exists, yet cannot be resolved: a dangling symlink.
			return "", fmt.Errorf("%w: %q: %v", errUnresolvable, cur, err)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return "", fmt.Errorf("%w: %v", errUnresolvable, err)
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// sourceErr maps a resolve error for a path to be read: ErrBadName and
// ErrOutsideRoots stay, anything else (permission) is ErrSourceUnreadable.
func sourceErr(err error) error {
	if errors.Is(err, ErrBadName) || errors.Is(err, ErrOutsideRoots) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrSourceUnreadable, err)
}

// openRegular opens the regular file at r for reading, through an os.Root
// at r's root so that a symlink swapped in after the checks cannot lead
// outside it.
func openRegular(r resolved) (*os.File, fs.FileInfo, error) {
	fail := func(err error) (*os.File, fs.FileInfo, error) {
		return nil, nil, fmt.Errorf("%w: %q: %w", ErrSourceUnreadable, r.ast, err)
	}
	fi, err := os.Lstat(r.host)
	if err != nil {
		return fail(err)
	}
	if !fi.Mode().IsRegular() {
		return fail(fmt.Errorf("not a regular file (%v)", fi.Mode().Type()))
	}
	rel, err := filepath.Rel(r.root, r.host)
	if err != nil {
		return fail(err)
	}
	root, err := os.OpenRoot(r.root)
	if err != nil {
		return fail(err)
	}
	defer root.Close()
	f, err := root.Open(rel)
	if err != nil {
		return fail(err)
	}
	fi, err = f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("not a regular file (%v)", fi.Mode().Type())
	}
	if err != nil {
		f.Close()
		return fail(err)
	}
	return f, fi, nil
}
