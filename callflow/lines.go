package callflow

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/pbx"
)

// Lines tells the state of the lines and trunks.
type Lines struct{ *env }

// BadID stands for an id a dialect could not read: it counts as given, and
// names nothing.
const BadID = -1

// LineSelector names a line: exactly one of PublicNumber, InternalNumber,
// ID and SIPUsername, and Dialplan when the number is in several dialplans.
type LineSelector struct {
	PublicNumber   string
	InternalNumber string
	ID             int // 0: not given; BadID (any negative): names no line
	SIPUsername    string
	Dialplan       string
}

func (s LineSelector) given() int {
	n := 0
	for _, v := range []string{s.PublicNumber, s.InternalNumber, s.SIPUsername} {
		if v != "" {
			n++
		}
	}
	if s.ID != 0 {
		n++
	}
	return n
}

// findLine looks a line up; line and dialplan are the request's fields for
// the line and its dialplan.
func (e *env) findLine(sel LineSelector, line, dialplan Field) (pbx.Extension, error) {
	switch sel.given() {
	case 0:
		return pbx.Extension{}, &Error{Kind: KindMissing, Field: line, Detail: "no " + line.String() + " line named"}
	case 1:
	default:
		return pbx.Extension{}, &Error{Kind: KindConflict, Field: line, Detail: "name the " + line.String() + " line one way only"}
	}
	notFound := &Error{Kind: KindNotFound, Field: line, Detail: line.String() + " line not found"}
	for _, v := range []string{sel.PublicNumber, sel.InternalNumber, sel.SIPUsername, sel.Dialplan} {
		if v != "" && !nameRE.MatchString(v) {
			return pbx.Extension{}, notFound
		}
	}
	if sel.ID < 0 {
		return pbx.Extension{}, notFound
	}
	q := pbx.Selector{PublicNumber: sel.PublicNumber, InternalNumber: sel.InternalNumber, SIPUsername: sel.SIPUsername, Dialplan: sel.Dialplan, ID: sel.ID}
	ext, err := e.Directory.Find(q)
	switch {
	case errors.Is(err, pbx.ErrAmbiguous):
		return ext, &Error{Kind: KindAmbiguous, Field: line, Detail: "the " + line.String() + " number is in several dialplans: name one"}
	case errors.Is(err, pbx.ErrDialplanNotFound):
		return ext, &Error{Kind: KindNotFound, Field: dialplan, Requested: sel.Dialplan, Detail: dialplan.String() + " not found"}
	case err != nil:
		notFound.Err = err
		return ext, notFound
	}
	return ext, nil
}

// LineState is the state of a line for a click-to-call's check: Asterisk's
// channel state of a call on it (Down, Rsrvd, OffHook, Dialing, Ring,
// Ringing, Up, Busy), Unreachable when no phone is registered, or Free.
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

// SIPPeer is a line or a trunk with its registration.
type SIPPeer struct {
	Trunk     bool
	ID        int
	User      string // the PJSIP endpoint
	Host      string // where it is registered from ("" when not)
	Port      string
	Status    string // Reachable, Unreachable, NonQualified, Unknown, or "" when not registered
	RTTMicros int    // -1: none
	UserAgent string
	Contact   string
}

// SIPStatus returns every line and trunk with its registration.
func (l *Lines) SIPStatus(ctx context.Context) ([]SIPPeer, error) {
	contacts, err := l.contacts(ctx)
	if err != nil {
		return nil, err
	}
	cfg := l.Directory.Config()
	var out []SIPPeer
	add := func(trunk bool, id int, ep string) {
		p := SIPPeer{Trunk: trunk, ID: id, User: ep, RTTMicros: -1}
		if c, ok := contacts[ep]; ok {
			p.Host, p.Port, p.Status, p.RTTMicros, p.UserAgent, p.Contact = c.ViaAddr, c.ViaPort, c.Status, c.RTTMicros, c.UserAgent, c.URI
			if trunk && p.Host == "" {
				p.Host = c.URIHost()
			}
		}
		out = append(out, p)
	}
	for _, e := range cfg.Extensions {
		add(false, e.ID, e.SIPUsername)
	}
	for _, t := range cfg.Trunks {
		add(true, t.ID, t.Name)
	}
	return out, nil
}

// contacts returns the registered contacts by endpoint.
func (l *Lines) contacts(ctx context.Context) (map[string]Contact, error) {
	ctx, cancel := l.ctx(ctx)
	defer cancel()
	_, items, err := l.AMI.List(ctx, ami.Action{Name: "PJSIPShowContacts"})
	var re *ami.ResponseError
	if errors.As(err, &re) && strings.Contains(re.Message, "No Contacts found") {
		return map[string]Contact{}, nil
	}
	if err != nil {
		return nil, amiError("listing contacts", err)
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
func (l *Lines) lineState(e pbx.Extension, contacts map[string]Contact) LineState {
	c, ok := contacts[e.SIPUsername]
	if !ok || c.Status == "Unreachable" {
		return LineUnreachable
	}
	for _, call := range l.Live.Calls() {
		for _, ch := range call.Channels {
			if ch.Endpoint == e.SIPUsername {
				return LineState(ch.State)
			}
		}
	}
	return LineFree
}

// LineCheck is what a click-to-call checks of its source line first.
type LineCheck struct {
	Free    bool   // a phone is registered and the line has no call
	Host    string // the phone is registered from this address
	Contact string // the phone's contact has this address
}

func (c LineCheck) validate() error {
	if err := checkAddress(FieldCheckHost, c.Host); err != nil {
		return err
	}
	return checkAddress(FieldCheckContact, c.Contact)
}

// check applies c to the line.
func (l *Lines) check(ctx context.Context, e pbx.Extension, c LineCheck) error {
	if c == (LineCheck{}) {
		return nil
	}
	contacts, err := l.contacts(ctx)
	if err != nil {
		return err
	}
	ct := contacts[e.SIPUsername]
	if c.Host != "" && ct.ViaAddr != c.Host {
		return &Error{Kind: KindMismatch, Field: FieldCheckHost, Detail: "registered from " + orUnspecified(ct.ViaAddr) + ", not " + c.Host,
			Device: e.Endpoint(), Actual: orUnspecified(ct.ViaAddr), Requested: c.Host}
	}
	if c.Contact != "" && ct.URIHost() != c.Contact {
		return &Error{Kind: KindMismatch, Field: FieldCheckContact, Detail: "contact address " + orUnspecified(ct.URIHost()) + ", not " + c.Contact,
			Device: e.Endpoint(), Actual: orUnspecified(ct.URIHost()), Requested: c.Contact}
	}
	if c.Free {
		if st := l.lineState(e, contacts); st != LineFree {
			return &Error{Kind: KindLineBusy, Field: FieldSource, State: st, Detail: "line " + e.Number + " is " + string(st)}
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
