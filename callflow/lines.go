package callflow

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/pbx"
)

// LineSelector is how a request names a line: exactly one of the first four
// fields, and Dialplan when the internal number is in several dialplans.
type LineSelector struct {
	PublicNumber   string
	InternalNumber string
	ID             string
	SIPUsername    string
	Dialplan       string
}

func (s LineSelector) given() int {
	n := 0
	for _, v := range []string{s.PublicNumber, s.InternalNumber, s.ID, s.SIPUsername} {
		if v != "" {
			n++
		}
	}
	return n
}

// Value checks.
var (
	numberRE  = regexp.MustCompile(`^[0-9*#+]{1,32}$`)
	nameRE    = regexp.MustCompile(`^[A-Za-z0-9_.+-]{1,64}$`)
	channelRE = regexp.MustCompile(`^[A-Za-z0-9_.+-]{1,40}/[A-Za-z0-9/@_.;:+#*-]{1,120}$`)
)

// CheckNumber validates a telephone number parameter.
func CheckNumber(param, v string) error {
	if !numberRE.MatchString(v) {
		return invalid(param, "%q is not a telephone number (digits, *, #, +; at most 32)", v)
	}
	return nil
}

// CheckText validates a free text that reaches Asterisk (names, customCDR
// values): no control characters, at most max bytes.
func CheckText(param, v string, max int) error {
	if len(v) > max {
		return invalid(param, "longer than %d bytes", max)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return invalid(param, "holds control characters")
		}
	}
	return nil
}

// findLine looks a line up.
func (s *Service) findLine(sel LineSelector, role string) (pbx.Extension, error) {
	switch sel.given() {
	case 0:
		return pbx.Extension{}, &Error{Kind: KindMissing, Role: role, Detail: "no " + role + " line named"}
	case 1:
	default:
		return pbx.Extension{}, &Error{Kind: KindConflict, Role: role, Detail: "name the " + role + " line one way only"}
	}
	for _, v := range []string{sel.PublicNumber, sel.InternalNumber, sel.SIPUsername, sel.Dialplan} {
		if v != "" && !nameRE.MatchString(v) {
			return pbx.Extension{}, &Error{Kind: KindNotFound, Role: role, Detail: role + " line not found"}
		}
	}
	q := pbx.Selector{PublicNumber: sel.PublicNumber, InternalNumber: sel.InternalNumber, SIPUsername: sel.SIPUsername, Dialplan: sel.Dialplan}
	if sel.ID != "" {
		id, err := strconv.Atoi(sel.ID)
		if err != nil || id <= 0 {
			return pbx.Extension{}, &Error{Kind: KindNotFound, Role: role, Detail: role + " line not found"}
		}
		q.ID = id
	}
	e, err := s.dir.Find(q)
	switch {
	case errors.Is(err, pbx.ErrAmbiguous):
		return e, &Error{Kind: KindAmbiguous, Role: role, Detail: "the " + role + " number is in several dialplans: name one"}
	case errors.Is(err, pbx.ErrDialplanNotFound):
		return e, &Error{Kind: KindDialplanNotFound, Role: role, Detail: role + " dialplan not found"}
	case err != nil:
		return e, &Error{Kind: KindNotFound, Role: role, Detail: role + " line not found"}
	}
	return e, nil
}

// LineState is the state of a line for checkExten: Asterisk's channel state
// of a call on it (Down, Rsrvd, OffHook, Dialing, Ring, Ringing, Up, Busy),
// Unreachable when no phone is registered, or Free.
type LineState string

// Line states besides Asterisk's channel states.
const (
	LineFree        LineState = "Free"
	LineUnreachable LineState = "Unreachable"
)

// Contact is where a line's phone is registered.
type Contact struct {
	Endpoint  string
	URI       string // sip:1000@127.0.0.1:6000
	ViaAddr   string // the address the registration came from
	ViaPort   string
	Status    string // Reachable, Unreachable, NonQualified, Unknown
	RTTMicros int    // round trip of the last qualify, -1 when none
	UserAgent string
}

// URIHost returns the host of the contact URI.
func (c Contact) URIHost() string {
	u, err := url.Parse(c.URI)
	if err != nil {
		return ""
	}
	host := u.Opaque
	if i := strings.IndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if i := strings.IndexAny(host, ":;"); i >= 0 {
		host = host[:i]
	}
	return host
}

// contacts returns the registered contacts by endpoint.
func (s *Service) contacts(ctx context.Context) (map[string]Contact, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, items, err := s.ami.List(ctx, ami.Action{Name: "PJSIPShowContacts"})
	var re *ami.ResponseError
	if errors.As(err, &re) && strings.Contains(re.Message, "No Contacts found") {
		return map[string]Contact{}, nil
	}
	if err != nil {
		return nil, asteriskError("listing contacts", err)
	}
	out := map[string]Contact{}
	for _, it := range items {
		c := Contact{Endpoint: it["Endpoint"], URI: it["Uri"], ViaAddr: it["ViaAddr"], ViaPort: it["ViaPort"],
			Status: it["Status"], UserAgent: ami.Unescape(it["UserAgent"]), RTTMicros: -1}
		if n, err := strconv.Atoi(it["RoundtripUsec"]); err == nil {
			c.RTTMicros = n
		}
		out[c.Endpoint] = c
	}
	return out, nil
}

// lineState returns the state of a line: unreachable without a contact, the
// state of its call if it has one, else free.
func (s *Service) lineState(ctx context.Context, e pbx.Extension, contacts map[string]Contact) LineState {
	c, ok := contacts[e.SIPUsername]
	if !ok || c.Status == "Unreachable" {
		return LineUnreachable
	}
	for _, call := range s.calls.Live() {
		for _, ch := range call.Channels {
			if ch.Endpoint == e.SIPUsername {
				return LineState(ch.State)
			}
		}
	}
	return LineFree
}

// checkLine applies originate's checkExten, checkIpHost and checkIpContact.
func (s *Service) checkLine(ctx context.Context, e pbx.Extension, checkExten bool, host, contact string) error {
	if !checkExten && host == "" && contact == "" {
		return nil
	}
	contacts, err := s.contacts(ctx)
	if err != nil {
		return err
	}
	c := contacts[e.SIPUsername]
	if host != "" && c.ViaAddr != host {
		return &Error{Kind: KindHostMismatch, Param: "checkIpHost", Detail: "registered from " + orUnspecified(c.ViaAddr) + ", not " + host,
			Device: e.Endpoint(), Actual: orUnspecified(c.ViaAddr), Requested: host}
	}
	if contact != "" && c.URIHost() != contact {
		return &Error{Kind: KindContactMismatch, Param: "checkIpContact", Detail: "contact address " + orUnspecified(c.URIHost()) + ", not " + contact,
			Device: e.Endpoint(), Actual: orUnspecified(c.URIHost()), Requested: contact}
	}
	if checkExten {
		if st := s.lineState(ctx, e, contacts); st != LineFree {
			return &Error{Kind: KindLineState, Param: "checkExten", State: st, Detail: "line " + e.Number + " is " + string(st)}
		}
	}
	return nil
}

func orUnspecified(s string) string {
	if s == "" {
		return "(Unspecified)"
	}
	return s
}
