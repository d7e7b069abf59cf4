//go:build unix

package recording

import (
	"io/fs"
	"os"
	"syscall"
)

// copyOwner gives f the owner and group of fi's file when callctl may (as
// root); otherwise f keeps callctl's.
func copyOwner(f *os.File, fi fs.FileInfo) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		_ = f.Chown(int(st.Uid), int(st.Gid))
	}
}
