package recording

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Move moves the recording at src (an Asterisk path) into the directory dir
// (an Asterisk path; "" keeps src's directory) under name ("" keeps src's
// base name) and returns its new Asterisk path. name is used verbatim.
//
// Checks, in this order, before anything is touched: ErrBadName (src, dir,
// name), ErrOutsideRoots (source, then destination directory),
// ErrSourceUnreadable. Moving a file onto itself (the destination resolves
// to the source's path) is a successful no-op returning dir/name.
// Then missing directories are created below the root (ErrMkdir), an
// existing destination is refused (ErrDestinationExists, which is also
// ErrMoveFailed) and the file is renamed, or copied when the destination is
// on another filesystem (ErrMoveFailed). On failure the source is intact
// and no temporary file is left.
func (s *Store) Move(src, dir, name string) (string, error) {
	if _, err := checkPath(src); err != nil {
		return "", err
	}
	if dir != "" {
		if _, err := checkPath(dir); err != nil {
			return "", err
		}
	}
	if name != "" {
		if err := checkName(name); err != nil {
			return "", err
		}
	}

	from, err := s.resolve(src)
	if err != nil {
		return "", sourceErr(err)
	}
	if dir == "" {
		dir = filepath.Dir(from.ast)
	}
	if name == "" {
		name = filepath.Base(from.ast)
	}
	to, err := s.resolve(dir)
	if err != nil {
		if errors.Is(err, ErrBadName) || errors.Is(err, ErrOutsideRoots) {
			return "", err
		}
		return "", fmt.Errorf("%w: %w", ErrMoveFailed, err)
	}
	destAst := filepath.Join(to.ast, name)
	dest := filepath.Join(to.host, name)

	// The source entry itself must be the file, not a symlink to it.
	if li, err := os.Lstat(s.prefix + from.ast); err == nil && li.Mode()&fs.ModeSymlink != 0 {
		return "", fmt.Errorf("%w: %q is a symbolic link", ErrSourceUnreadable, from.ast)
	}
	f, fi, err := openRegular(from)
	if err != nil {
		return "", err
	}
	defer f.Close()

	if dest == from.host {
		return destAst, nil
	}
	if err := mkdirBelow(to.root, to.host); err != nil {
		return "", fmt.Errorf("%w: %q: %w", ErrMkdir, to.ast, err)
	}

	err = s.place(from.host, dest)
	if errors.Is(err, syscall.EXDEV) {
		err = s.copyAcross(f, fi, from.host, to.host, dest)
	}
	if err != nil {
		if errors.Is(err, ErrMoveFailed) {
			return "", fmt.Errorf("%w: %q", err, destAst)
		}
		return "", fmt.Errorf("%w: %q to %q: %w", ErrMoveFailed, from.ast, destAst, err)
	}
	return destAst, nil
}

// place renames oldpath to dest unless dest exists.
func (s *Store) place(oldpath, dest string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := os.Lstat(dest); err == nil {
		return ErrDestinationExists
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return s.rename(oldpath, dest)
}

// mkdirBelow creates the directory dir and its missing parents with 0o755,
// through an os.Root at root: root must exist, nothing outside it is made.
func mkdirBelow(root, dir string) error {
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("%q is not below %q", dir, root)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return err
	}
	defer r.Close()
	if rel == "." {
		return nil
	}
	if err := r.MkdirAll(rel, 0o755); err != nil {
		// Another move may have made it meanwhile.
		if fi, serr := r.Stat(rel); serr == nil && fi.IsDir() {
			return nil
		}
		return err
	}
	return nil
}

// tempPattern names the temporary file of a copy across filesystems. It is
// short so that any valid destination name still fits beside it.
const tempPattern = ".callctl-move-*"

// copyAcross moves src (open as f, described by fi, at host path srcPath)
// to dest in dir on another filesystem: copy to a temporary file in dir,
// fsync, rename into place, fsync dir, remove the source. On failure it
// removes what it made and leaves the source.
func (s *Store) copyAcross(f *os.File, fi fs.FileInfo, srcPath, dir, dest string) (err error) {
	tmp, err := os.CreateTemp(dir, tempPattern)
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	placed := false
	defer func() {
		if err == nil {
			return
		}
		tmp.Close()
		if placed {
			_ = os.Remove(dest)
			_ = syncDir(dir)
		} else {
			_ = os.Remove(tmpName)
		}
	}()

	n, err := s.copy(tmp, f)
	if err != nil {
		return fmt.Errorf("copying: %w", err)
	}
	if n != fi.Size() {
		return fmt.Errorf("copied %d bytes of %d: the source changed", n, fi.Size())
	}
	copyOwner(tmp, fi)
	if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
		return err
	}
	if err := os.Chtimes(tmpName, time.Time{}, fi.ModTime()); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := s.place(tmpName, dest); err != nil {
		return err
	}
	placed = true
	if err := syncDir(dir); err != nil {
		return err
	}
	if err := s.remove(srcPath); err != nil {
		return fmt.Errorf("removing the source: %w", err)
	}
	return nil
}

// syncDir fsyncs a directory so that a rename in it is durable. Filesystems
// that cannot fsync directories (EINVAL) are accepted.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	return err
}
