// Package recording knows where Asterisk's call recordings live and moves
// them safely.
//
// Asterisk (MixMonitor) writes recordings into a few directories, the roots
// (Config.Roots, e.g. /var/spool/asterisk/monitor). Paths are always given
// as Asterisk sees them. Config.HostPrefix maps them to callctl's
// filesystem: host path = HostPrefix + Asterisk path. In production the
// prefix is empty; in the test bed Asterisk runs in a chroot and the prefix
// is the chroot's directory.
//
// Core types: Config (roots and prefix), Store (made by New; safe for
// concurrent use) and Path (one recording path in both views). Resolve,
// Within and Open check that a path is inside a root; Move moves or renames
// a finished call's recording (the API's moverecord action). Move's
// failures are the distinct sentinel errors of errors.go, wrapped with %w.
//
// RefSigner signs opaque references to a call's recording (Sign, Verify;
// ref.go): the end-of-call data's main_reference_id and reference_id, which
// the VIPeX get_record action takes back. They name a record and sub-record
// id and an expiry under an HMAC, never a path. ReadBase64 reads a recording
// for the end-of-call data's monitor_file.
//
// A path is inside the roots only if it is twice: after filepath.Clean, as
// Asterisk sees it, against the configured roots; and on the host, after
// resolving the symbolic links of every existing component (of the path and
// of the roots themselves), against the resolved roots. So `..` tricks, a
// symlink inside a root pointing elsewhere, and roots reached through
// symlinks are all handled; a dangling symlink or a symlink loop counts as
// outside. A symlink from one root into another root is allowed.
//
// New only checks the configuration's syntax: roots need not exist yet
// (Asterisk creates its spool directories on demand and the chroot may be
// mounted later). Roots are resolved again on every call. Move creates
// missing destination directories (0o755) below an existing root, never the
// root itself nor anything outside it.
//
// Moves within one filesystem are a rename. Across filesystems (EXDEV) Move
// copies to a temporary ".callctl-move-*" file in the destination directory,
// fsyncs it, renames it into place, fsyncs the directory and only then
// removes the source; on any failure it removes what it created and leaves
// the source untouched. The copy keeps the source's permission bits and
// modification time, and its owner when callctl may chown (as root).
//
// Caveats:
//   - Symlinks are resolved on the host, so an absolute symlink created
//     inside the test bed's chroot points at the host's path of that name,
//     not the chroot's: it is normally refused as outside the roots. Use
//     relative symlinks inside the chroot.
//   - The checks and the filesystem operations are not one atomic step. Open
//     is hardened with os.Root, but whoever can create symlinks in the roots
//     concurrently (Asterisk, an administrator) could race Move. API callers,
//     who only pass strings, cannot.
//   - Move never overwrites: the destination's existence is checked under a
//     lock just before the rename, which excludes races between Moves of
//     the same Store, not with other processes creating that file.
//   - Move's source must be a regular file, not a symlink to one; Open and
//     Resolve follow a final symlink that stays inside the roots.
//   - A process killed during a cross-filesystem move may leave a
//     ".callctl-move-*" temporary file behind; the source is still intact.
//   - Paths are Unix paths; the package is meant for Linux.
package recording
