// Package pbx describes what the PBX has, as callctl needs to know it:
// extensions (lines) with their numbers and users, trunks, outbound routes,
// queues and recording roots. It comes from the configuration file; it is
// read-only at run time and safe for concurrent use.
package pbx

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Extension is a line: a PJSIP endpoint used by a person.
type Extension struct {
	// ID is the line's numeric id (VoIPSUN srcExtenId).
	ID int `yaml:"id"`
	// Number is the internal number (srcExtenInternalNum), e.g. "1000".
	Number string `yaml:"number"`
	// PublicNumber is the line's public number (srcExtenPublicNum), e.g. a DID.
	PublicNumber string `yaml:"public_number"`
	// SIPUsername is the PJSIP endpoint name (srcSipUsername); default Number.
	SIPUsername string `yaml:"sip_username"`
	// Dialplan is the numbering plan the line belongs to (dialplanName).
	Dialplan string `yaml:"dialplan"`
	// Context is the dialplan context its calls start in.
	Context string `yaml:"context"`
	// UserID and CostLocation describe the line's user for CDRs.
	UserID       int    `yaml:"user_id"`
	CostLocation string `yaml:"cost_location"`
	// UserNumber is the user's phone number for CDRs (user_number).
	UserNumber string `yaml:"user_number"`
}

// Endpoint is the PJSIP endpoint of the line.
func (e Extension) Endpoint() string { return "PJSIP/" + e.SIPUsername }

// Trunk is a PJSIP endpoint towards a carrier.
type Trunk struct {
	ID   int    `yaml:"id"`
	Name string `yaml:"name"` // PJSIP endpoint name
	// AccountCode is what listcalls shows for its channels (SIPTR_<id> by default).
	AccountCode string `yaml:"account_code"`
}

// OutRoute is an outbound route: how a number leaves the PBX.
type OutRoute struct {
	ID    int    `yaml:"id"`
	Name  string `yaml:"name"`
	Trunk string `yaml:"trunk"`
	// StripPrefix is removed from the number, Prepend put in front, before dialling.
	StripPrefix string `yaml:"strip_prefix"`
	Prepend     string `yaml:"prepend"`
}

// DialString returns the Dial() string for number through the route.
func (r OutRoute) DialString(number string) string {
	return "PJSIP/" + r.Prepend + strings.TrimPrefix(number, r.StripPrefix) + "@" + r.Trunk
}

// Queue is an app_queue queue.
type Queue struct {
	ID   int    `yaml:"id"`
	Name string `yaml:"name"`
}

// Flow is a call flow (IVR) reached at its technical extension in the
// shipped flows context (callctl-flow) that only the dialplan has. A
// stored flow (package flow, callctl flow set) with the extension wins:
// its language is the extension's, and it needs no entry here.
type Flow struct {
	Exten string `yaml:"exten"`
	// Language of its prompts (CHANNEL(language)): Asterisk's sound
	// language codes, e.g. en, hu; default en.
	Language string `yaml:"language"`
}

// DID is an inbound number (the number a carrier sends, as the dialplan's
// from-carrier context sees it) and the call flow it runs.
type DID struct {
	Number string `yaml:"number"`
	// Flow is the name of the call flow callctl runs for the DID (package
	// flow); required.
	Flow string `yaml:"flow"`
	// Fallback is the extension (a line's internal number) the shipped
	// dialplan rings when callctl does not take the call (not running, or
	// over its limit of calls in flows); callctl writes it to AstDB, family
	// callctl-did, key the DID, when it starts. Empty: the dialplan's own
	// last resort for the DID.
	Fallback string `yaml:"fallback,omitempty"`
}

// Config is the pbx section of the configuration.
type Config struct {
	// DefaultDialplan is the numbering plan of lines that name none.
	DefaultDialplan string      `yaml:"default_dialplan"`
	Extensions      []Extension `yaml:"extensions"`
	Trunks          []Trunk     `yaml:"trunks"`
	OutRoutes       []OutRoute  `yaml:"outroutes"`
	Queues          []Queue     `yaml:"queues"`
	// Flows are the technical extensions that only the dialplan has,
	// which outbound IVR calls may go on in (a stored flow's extension is
	// known from the flow store, with its language).
	Flows []Flow `yaml:"flows"`
	// DIDs are the inbound numbers that run a call flow.
	DIDs []DID `yaml:"dids"`
	// OutboundContext is where outbound calls of lines are dialled (the
	// dialplan sends non-extension numbers to the carrier).
	OutboundContext string `yaml:"outbound_context"`
}

// DefaultConfig is the test bed: lines 1000–1009 with public numbers
// 3612345100X, the trunk "carrier", one outbound route over it, queues
// support and sales, dialplan call flows 700 (English) and 701
// (Hungarian); the stored flow seed-inbound (technical extension 200)
// needs no entry.
func DefaultConfig() Config {
	c := Config{
		DefaultDialplan: "default",
		Trunks:          []Trunk{{ID: 1, Name: "carrier"}},
		OutRoutes:       []OutRoute{{ID: 1, Name: "carrier", Trunk: "carrier"}},
		Queues:          []Queue{{ID: 1, Name: "support"}, {ID: 2, Name: "sales"}},
		Flows:           []Flow{{Exten: "700", Language: "en"}, {Exten: "701", Language: "hu"}},
		DIDs:            []DID{{Number: "3612340300", Flow: "seed-inbound", Fallback: "1001"}},
		OutboundContext: "from-internal",
	}
	for i := 0; i < 10; i++ {
		n := fmt.Sprintf("100%d", i)
		c.Extensions = append(c.Extensions, Extension{ID: i + 1, Number: n, PublicNumber: "3612345" + n})
	}
	return c
}

var safeName = regexp.MustCompile(`^[A-Za-z0-9_.+-]{1,64}$`)

// Directory answers questions about the PBX's lines and trunks.
type Directory struct {
	cfg       Config
	byEP      map[string]*Extension // endpoint name → line
	trunks    map[string]*Trunk
	queues    map[string]*Queue
	outroutes []OutRoute
	flows     map[string]Flow
	dids      map[string]DID
}

// New validates cfg and indexes it.
func New(cfg Config) (*Directory, error) {
	d := &Directory{cfg: cfg, byEP: map[string]*Extension{}, trunks: map[string]*Trunk{}, queues: map[string]*Queue{}}
	// The defaults below are filled into copies: the caller's lists stay
	// as they were configured.
	d.cfg.Extensions = slices.Clone(cfg.Extensions)
	d.cfg.Trunks = slices.Clone(cfg.Trunks)
	if cfg.DefaultDialplan == "" {
		d.cfg.DefaultDialplan = "default"
	}
	for i := range d.cfg.Extensions {
		e := &d.cfg.Extensions[i]
		if e.SIPUsername == "" {
			e.SIPUsername = e.Number
		}
		if e.Dialplan == "" {
			e.Dialplan = d.cfg.DefaultDialplan
		}
		if e.Context == "" {
			e.Context = d.cfg.OutboundContext
		}
		if !safeName.MatchString(e.Number) || !safeName.MatchString(e.SIPUsername) {
			return nil, fmt.Errorf("pbx: extension %q: number and sip_username must be 1-64 of [A-Za-z0-9_.+-]", e.Number)
		}
		if _, dup := d.byEP[e.SIPUsername]; dup {
			return nil, fmt.Errorf("pbx: two extensions use sip_username %q", e.SIPUsername)
		}
		d.byEP[e.SIPUsername] = e
	}
	for i := range d.cfg.Trunks {
		t := &d.cfg.Trunks[i]
		if !safeName.MatchString(t.Name) {
			return nil, fmt.Errorf("pbx: trunk %q: bad name", t.Name)
		}
		if _, clash := d.byEP[t.Name]; clash {
			return nil, fmt.Errorf("pbx: %q is both a trunk and an extension", t.Name)
		}
		if t.AccountCode == "" {
			t.AccountCode = fmt.Sprintf("SIPTR_%d", t.ID)
		}
		d.trunks[t.Name] = t
	}
	for _, r := range d.cfg.OutRoutes {
		if _, ok := d.trunks[r.Trunk]; !ok {
			return nil, fmt.Errorf("pbx: outroute %q uses unknown trunk %q", r.Name, r.Trunk)
		}
	}
	for i := range d.cfg.Queues {
		q := &d.cfg.Queues[i]
		if !safeName.MatchString(q.Name) {
			return nil, fmt.Errorf("pbx: queue %q: bad name", q.Name)
		}
		d.queues[q.Name] = q
	}
	d.outroutes = d.cfg.OutRoutes
	d.flows = map[string]Flow{}
	for _, f := range d.cfg.Flows {
		if f.Language == "" {
			f.Language = "en"
		}
		if !safeName.MatchString(f.Exten) || !safeName.MatchString(f.Language) {
			return nil, fmt.Errorf("pbx: flow %q: exten and language must be 1-64 of [A-Za-z0-9_.+-]", f.Exten)
		}
		d.flows[f.Exten] = f
	}
	d.dids = map[string]DID{}
	for _, did := range d.cfg.DIDs {
		if !didNumber.MatchString(did.Number) {
			return nil, fmt.Errorf("pbx: did %q: number must be 1-32 of 0-9 (a leading + allowed)", did.Number)
		}
		if _, dup := d.dids[did.Number]; dup {
			return nil, fmt.Errorf("pbx: did %q is listed twice", did.Number)
		}
		if !flowName.MatchString(did.Flow) {
			return nil, fmt.Errorf("pbx: did %q: flow must be 1-64 of [A-Za-z0-9_.-]", did.Number)
		}
		if did.Fallback != "" && !d.isLine(did.Fallback) {
			return nil, fmt.Errorf("pbx: did %q: fallback %q is not an extension's number", did.Number, did.Fallback)
		}
		d.dids[did.Number] = did
	}
	return d, nil
}

var (
	didNumber = regexp.MustCompile(`^\+?[0-9]{1,32}$`)
	flowName  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
)

// isLine reports whether number is a line's internal number.
func (d *Directory) isLine(number string) bool {
	for _, e := range d.cfg.Extensions {
		if e.Number == number {
			return true
		}
	}
	return false
}

// DID returns the inbound number's configuration.
func (d *Directory) DID(number string) (DID, bool) {
	did, ok := d.dids[number]
	return did, ok
}

// IsLine reports whether number is one of the lines' internal numbers.
func (d *Directory) IsLine(number string) bool { return d.isLine(number) }

// Config returns the configuration the directory was built from (with defaults filled in).
func (d *Directory) Config() Config { return d.cfg }

// ByEndpoint returns the line whose PJSIP endpoint is name.
func (d *Directory) ByEndpoint(name string) (Extension, bool) {
	e, ok := d.byEP[name]
	if !ok {
		return Extension{}, false
	}
	return *e, true
}

// Trunk returns the trunk whose PJSIP endpoint is name.
func (d *Directory) Trunk(name string) (Trunk, bool) {
	t, ok := d.trunks[name]
	if !ok {
		return Trunk{}, false
	}
	return *t, true
}

// Queue returns a queue by name.
func (d *Directory) Queue(name string) (Queue, bool) {
	q, ok := d.queues[name]
	if !ok {
		return Queue{}, false
	}
	return *q, true
}

// Flow returns the call flow of a technical extension.
func (d *Directory) Flow(exten string) (Flow, bool) {
	f, ok := d.flows[exten]
	return f, ok
}

// Lookup errors.
var (
	ErrNotFound         = errors.New("pbx: extension not found")
	ErrAmbiguous        = errors.New("pbx: several extensions match: name the dialplan")
	ErrDialplanNotFound = errors.New("pbx: dialplan not found")
	ErrOutRouteNotFound = errors.New("pbx: outbound route not found")
)

// Selector is how an API request names a line: exactly one of the fields.
type Selector struct {
	PublicNumber   string
	InternalNumber string
	ID             int
	SIPUsername    string
	Dialplan       string // narrows InternalNumber when several plans share a number
}

// Find returns the line sel names.
func (d *Directory) Find(sel Selector) (Extension, error) {
	if sel.Dialplan != "" && !d.hasDialplan(sel.Dialplan) {
		return Extension{}, ErrDialplanNotFound
	}
	var found []*Extension
	for i := range d.cfg.Extensions {
		e := &d.cfg.Extensions[i]
		match := false
		switch {
		case sel.PublicNumber != "":
			match = e.PublicNumber == sel.PublicNumber
		case sel.InternalNumber != "":
			match = e.Number == sel.InternalNumber
		case sel.ID != 0:
			match = e.ID == sel.ID
		case sel.SIPUsername != "":
			match = e.SIPUsername == sel.SIPUsername
		}
		if match && (sel.Dialplan == "" || e.Dialplan == sel.Dialplan) {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 0:
		return Extension{}, ErrNotFound
	case 1:
		return *found[0], nil
	default:
		return Extension{}, ErrAmbiguous
	}
}

func (d *Directory) hasDialplan(name string) bool {
	for _, e := range d.cfg.Extensions {
		if e.Dialplan == name {
			return true
		}
	}
	return name == d.cfg.DefaultDialplan
}

// OutRoute finds an outbound route by name or id (exactly one is set).
func (d *Directory) OutRoute(name string, id int) (OutRoute, error) {
	for _, r := range d.outroutes {
		if name != "" && r.Name == name || name == "" && id != 0 && r.ID == id {
			return r, nil
		}
	}
	return OutRoute{}, ErrOutRouteNotFound
}
