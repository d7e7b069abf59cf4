package recording

import (
	"encoding/base64"
	"fmt"
	"io"
)

// ReadBase64 reads the recording at asteriskPath (checked and opened like
// Open) and returns it base64-encoded (standard alphabet, padded), as the
// end-of-call data's monitor_file. A file larger than max bytes is refused
// with ErrTooLarge (max <= 0: no limit). Other errors are Open's.
func (s *Store) ReadBase64(asteriskPath string, max int64) (string, error) {
	f, err := s.Open(asteriskPath)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSourceUnreadable, err)
	}
	if max > 0 && fi.Size() > max {
		return "", fmt.Errorf("%w: %s is %d bytes, the limit %d", ErrTooLarge, asteriskPath, fi.Size(), max)
	}
	r := io.Reader(f)
	if max > 0 {
		r = io.LimitReader(f, max+1) // the file may grow while it is read
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSourceUnreadable, err)
	}
	if max > 0 && int64(len(data)) > max {
		return "", fmt.Errorf("%w: %s grew past the limit %d", ErrTooLarge, asteriskPath, max)
	}
	return base64.StdEncoding.EncodeToString(data), nil
}
