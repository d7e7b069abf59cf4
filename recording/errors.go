package recording

import (
	"errors"
	"fmt"
)

// Move, Resolve, Within and Open fail with one of these, wrapped with %w
// (test with errors.Is). Nothing is touched when any of them is returned.
var (
	// ErrBadName: a name contains a path separator, a NUL or another control
	// character, is "." or "..", is blank, or is longer than 255 bytes; or a
	// path (source, directory) is empty, relative, contains a NUL or is
	// longer than 4096 bytes.
	ErrBadName = errors.New("recording: bad file or directory name")
	// ErrOutsideRoots: the source or destination is not inside one of the
	// roots, lexically or after resolving symlinks, or its symlinks cannot
	// be resolved (dangling link, loop).
	ErrOutsideRoots = errors.New("recording: path is outside the recording directories")
	// ErrSourceUnreadable: the source does not exist, is not a regular file
	// (a directory, a device, a symlink for Move) or cannot be opened for
	// reading. The underlying *fs.PathError is wrapped too, so
	// errors.Is(err, fs.ErrNotExist) tells a missing file.
	ErrSourceUnreadable = errors.New("recording: source is not a readable regular file")
	// ErrMkdir: the destination directory does not exist and cannot be
	// created (its root is missing, a component is a file, permission).
	ErrMkdir = errors.New("recording: cannot create the destination directory")
	// ErrMoveFailed: anything else that prevented the move: permission
	// denied, a failed copy across filesystems, a destination that exists.
	ErrMoveFailed = errors.New("recording: move failed")
	// ErrDestinationExists: the destination exists (a file, directory or
	// symlink); Move does not overwrite. It wraps ErrMoveFailed, so test for
	// it before ErrMoveFailed when mapping errors.
	ErrDestinationExists = fmt.Errorf("%w: destination exists", ErrMoveFailed)
)

// ErrTooLarge: ReadBase64's file is larger than its limit.
var ErrTooLarge = errors.New("recording: the recording is too large")

// RefSigner.Verify fails with one of these.
var (
	// ErrBadRef: the reference is malformed or not signed with this key
	// (any byte of it changed).
	ErrBadRef = errors.New("recording: not a valid recording reference")
	// ErrRefExpired: the reference is genuine but has expired.
	ErrRefExpired = errors.New("recording: the recording reference has expired")
)
