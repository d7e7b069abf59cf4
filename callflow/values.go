package callflow

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/callctl/callctl/agents"
	"github.com/callctl/callctl/ami"
)

// Limits of the values the core accepts.
const (
	MaxRingTime   = time.Hour         // ring times are 1 s to MaxRingTime, in whole seconds
	MaxCustomLen  = 255               // bytes of a CDR's custom value
	MaxCallerName = 80                // bytes of a caller name
	MaxPenalty    = agents.MaxPenalty // an agent's penalty in a queue: 0 to MaxPenalty
)

// Value checks.
var (
	numberRE  = regexp.MustCompile(`^[0-9*#+]{1,32}$`)
	nameRE    = regexp.MustCompile(`^[A-Za-z0-9_.+-]{1,64}$`)
	channelRE = regexp.MustCompile(`^[A-Za-z0-9_.+-]{1,40}/[A-Za-z0-9/@_.;:+#*-]{1,120}$`)
	fileRE    = regexp.MustCompile(`^[A-Za-z0-9_.+-]{1,200}$`)
	pathRE    = regexp.MustCompile(`^/[A-Za-z0-9_./+-]{0,400}$`)
	ipRE      = regexp.MustCompile(`^[0-9A-Fa-f.:]{2,45}$`)
)

// quote shows a value in an error: quoted, and clipped, so that a huge
// value never travels on into answers and logs.
func quote(v string) string {
	const max = 64
	if len(v) > max {
		cut := max
		for cut > 0 && v[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
			cut--
		}
		return strconv.Quote(v[:cut]) + "…"
	}
	return strconv.Quote(v)
}

// checkNumber validates a telephone number.
func checkNumber(f Field, v string) error {
	if !numberRE.MatchString(v) {
		return Invalid(f, "%s is not a telephone number (digits, *, #, +; at most 32)", quote(v))
	}
	return nil
}

// checkText validates a free text that reaches Asterisk (names, custom
// values): no control characters, at most max bytes.
func checkText(f Field, v string, max int) error {
	if len(v) > max {
		return Invalid(f, "longer than %d bytes", max)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return Invalid(f, "holds control characters")
		}
	}
	return nil
}

// checkContextName validates a dialplan context's name.
func checkContextName(f Field, v string) error {
	if !nameRE.MatchString(v) {
		return Invalid(f, "%s is not a dialplan context name", quote(v))
	}
	return nil
}

// CallerID is what a phone shows as the caller.
type CallerID struct {
	Number string // digits, *, #, +; at most 32
	Name   string // at most MaxCallerName bytes, no control characters, no " < > \
}

// IsZero reports whether c names nothing.
func (c CallerID) IsZero() bool { return c == CallerID{} }

// check validates a caller id shown to a phone. The name goes into
// Asterisk's "name" <number> form: quotes, angle brackets or a backslash
// would let it change the number shown.
func (c CallerID) check(number, name Field) error {
	if err := checkNumber(number, c.Number); err != nil {
		return err
	}
	if err := checkText(name, c.Name, MaxCallerName); err != nil {
		return err
	}
	if strings.ContainsAny(c.Name, `"<>\`) {
		return Invalid(name, `must not contain " < > or \`)
	}
	return nil
}

// header is the caller id as an Originate's CallerID header.
func (c CallerID) header() string { return `"` + c.Name + `" <` + c.Number + `>` }

// ringTime validates a ring time and returns it in whole seconds; 0 takes
// def (seconds).
func ringTime(f Field, d time.Duration, def int) (int, error) {
	if d == 0 {
		return def, nil
	}
	if d < time.Second || d > MaxRingTime || d%time.Second != 0 {
		return 0, Invalid(f, "%s: a number of seconds from 1 to %d", quote(formatSeconds(d)), int(MaxRingTime/time.Second))
	}
	return int(d / time.Second), nil
}

func formatSeconds(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10)
	}
	return d.String()
}

// checkAddress validates an IP address.
func checkAddress(f Field, v string) error {
	if v != "" && !ipRE.MatchString(v) {
		return Invalid(f, "%s is not an IP address", quote(v))
	}
	return nil
}

// amiError is the error of a failed AMI exchange: a value package ami
// refused before the wire (too long for Asterisk's lines) is the request's
// fault, anything else Asterisk's.
func amiError(what string, err error) *Error {
	if errors.Is(err, ami.ErrInvalidValue) {
		return &Error{Kind: KindInvalid, Detail: "too long or malformed for Asterisk", Err: err}
	}
	return unavailable(what, err)
}
