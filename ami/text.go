package ami

// The text forms of AMI header values: Asterisk's C escaping and its event
// timestamps.

import (
	"strconv"
	"strings"
	"time"
)

// Unescape reverses the C escaping Asterisk applies to some event values
// (ast_escape_c: VarSet's Value, CallerIDName, ConnectedLineName and
// ChanVariable values): \a \b \f \n \r \t \v \\ \' \" \? become the
// characters they stand for; any other backslash is kept.
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	const from, to = `abfnrtv\'"?`, "\a\b\f\n\r\t\v\\'\"?"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			if j := strings.IndexByte(from, s[i+1]); j >= 0 {
				b.WriteByte(to[j])
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ParseTimestamp reads a Timestamp header, "1795422803.111871" (seconds and
// microseconds), as timestampevents writes it; the zero time if malformed.
func ParseTimestamp(s string) time.Time {
	sec, frac, _ := strings.Cut(s, ".")
	secs, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}
	}
	var micros int64
	if frac != "" {
		frac = (frac + "000000")[:6]
		if micros, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return time.Time{}
		}
	}
	return time.Unix(secs, micros*1000)
}

// FormatTimestamp writes t as a Timestamp header.
func FormatTimestamp(t time.Time) string {
	return strconv.FormatInt(t.Unix(), 10) + "." + strconv.FormatInt(int64(t.Nanosecond()/1000)+1000000, 10)[1:]
}
