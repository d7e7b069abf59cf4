package voipsun

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/callctl/callctl/api"
	"github.com/callctl/callctl/callflow"
)

var ok = struct {
	Success string `json:"success"`
}{"true"}

// line decodes a line selector: prefix "src" or "dst", and the dialplan's
// parameter.
func line(p params, prefix, dialplanParam string) callflow.LineSelector {
	return callflow.LineSelector{
		PublicNumber: p.get(prefix + "ExtenPublicNum"), InternalNumber: p.get(prefix + "ExtenInternalNum"),
		ID: id(p.get(prefix + "ExtenId")), SIPUsername: p.get(prefix + "SipUsername"), Dialplan: p.get(dialplanParam),
	}
}

// id decodes an id: "" is none; what is not a positive number names
// nothing (callflow.BadID).
func id(v string) int {
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return callflow.BadID
	}
	return n
}

// seconds decodes a ring time: a positive number of seconds ("" is the
// default); the core checks its range.
func seconds(p params, name string, f callflow.Field) (time.Duration, error) {
	v := p.get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, callflow.Invalid(f, "%s: a number of seconds from 1 to %d", quote(v), int(callflow.MaxRingTime/time.Second))
	}
	return time.Duration(min(n, 1<<32)) * time.Second, nil
}

// callOptions decodes what originate and dial share.
func callOptions(p params) (callflow.CallOptions, error) {
	o := callflow.CallOptions{
		Custom:  [4]string{p.get("customCDR1"), p.get("customCDR2"), p.get("customCDR3"), p.get("customCDR4")},
		PreDial: p.get("macro"),
	}
	switch t := p.get("monitorType"); strings.ToLower(t) {
	case "", "mixmonitor", "monitor": // Asterisk 22 has no Monitor: MixMonitor for both
	default:
		return o, &api.RequestError{Detail: "monitorType: " + quote(t) + ": use mixmonitor or monitor"}
	}
	if f, d := p.get("monitorFilename"), p.get("monitorPath"); f != "" || d != "" {
		o.Record = &callflow.Recording{File: f, Dir: d}
	}
	var err error
	o.DestinationRing, err = seconds(p, "dstRingTimeout", callflow.FieldDestinationRing)
	return o, err
}

// dialerID is the seed's caller id of a dialer: dialerCid (or the
// customCDR value "customCDRX" names), else 000; dialerName, else the
// number when dialerCid was given, else "Dialer".
func dialerID(p params, custom [4]string) callflow.CallerID {
	cidParam := p.get("dialerCid")
	cid := cidParam
	if n, ok := strings.CutPrefix(cid, "customCDR"); ok && len(n) == 1 && n[0] >= '1' && n[0] <= '4' {
		cid = custom[n[0]-'1']
	}
	if cid == "" {
		cid = "000"
	}
	name := p.get("dialerName")
	if name == "" {
		name = "Dialer"
		if cidParam != "" {
			name = cid
		}
	}
	return callflow.CallerID{Number: cid, Name: name}
}

func (h *Handler) originate(ctx context.Context, p params) (any, error) {
	o, err := callOptions(p)
	if err != nil {
		return nil, err
	}
	srcRing, err := seconds(p, "srcRingTimeout", callflow.FieldSourceRing)
	if err != nil {
		return nil, err
	}
	_, err = h.svc.Calls.ClickToCall(ctx, callflow.ClickToCallRequest{
		Source:              line(p, "src", "dialplanName"),
		Destination:         p.get("dstNum"),
		SourceRing:          srcRing,
		SourceCallerID:      dialerID(p, o.Custom),
		DestinationCallerID: p.get("overrideCallerId"),
		Check:               callflow.LineCheck{Free: p.get("checkExten") != "", Host: p.get("checkIpHost"), Contact: p.get("checkIpContact")},
		CallOptions:         o,
	})
	if err != nil {
		return nil, err
	}
	return ok, nil
}

func (h *Handler) dial(ctx context.Context, p params) (any, error) {
	o, err := callOptions(p)
	if err != nil {
		return nil, err
	}
	cid := dialerID(p, o.Custom)
	if n := p.get("overrideCallerId"); n != "" {
		cid.Number = n
	}
	_, err = h.svc.Calls.Dial(ctx, callflow.DialRequest{
		Destination: p.get("dstNum"),
		OutRoute:    callflow.RouteSelector{Name: p.get("outrouteName"), ID: id(p.get("outrouteId"))},
		Context:     p.get("context"), FailContext: p.get("hangupContext"),
		CallerID:    cid,
		CallOptions: o,
	})
	if err != nil {
		return nil, err
	}
	return ok, nil
}

func (h *Handler) hangupcall(ctx context.Context, p params) (any, error) {
	if err := h.svc.Calls.Hangup(ctx, p.get("channelName")); err != nil {
		return nil, err
	}
	return ok, nil
}

type listCallsResult struct {
	Success string     `json:"success"`
	Total   string     `json:"total"`
	Results []callItem `json:"results"`
}

type callItem struct {
	ChannelName string `json:"channelName"`
	Context     string `json:"context"`
	Src         string `json:"src"`
	Dst         string `json:"dst"`
	Duration    string `json:"duration"`
	Status      string `json:"status"`
	AccountCode string `json:"accountCode"`
	SourceType  string `json:"sourceType"`
	IDChannel   string `json:"idChannel"`
}

func (h *Handler) listcalls(ctx context.Context, p params) (any, error) {
	calls := h.svc.Calls.ListCalls(ctx)
	res := listCallsResult{Success: "true", Total: strconv.Itoa(len(calls)), Results: make([]callItem, 0, len(calls))}
	for _, c := range calls {
		it := callItem{ChannelName: c.Name, Context: c.Context, Src: c.Src, Dst: c.Dst, Duration: strconv.Itoa(c.Seconds),
			Status: c.Status, AccountCode: "SIP_" + strconv.Itoa(c.ID), SourceType: "extension", IDChannel: strconv.Itoa(c.ID)}
		if c.Trunk {
			it.AccountCode, it.SourceType = "SIPTR_"+strconv.Itoa(c.ID), "trunk"
		}
		res.Results = append(res.Results, it)
	}
	return res, nil
}

func (h *Handler) spying(ctx context.Context, p params) (any, error) {
	// The seed's caller id of the supervisor: spyCid, else 000; spyName,
	// else the number when spyCid was given, else "Spy".
	cid := callflow.CallerID{Number: p.get("spyCid"), Name: p.get("spyName")}
	if cid.Name == "" {
		cid.Name = "Spy"
		if cid.Number != "" {
			cid.Name = cid.Number
		}
	}
	if cid.Number == "" {
		cid.Number = "000"
	}
	_, err := h.svc.Calls.Spy(ctx, callflow.SpyRequest{
		Source:        line(p, "src", "srcDialplanName"),
		Target:        line(p, "dst", "dstDialplanName"),
		TargetChannel: p.get("dstChannelName"),
		CallerID:      cid,
	})
	if err != nil {
		return nil, err
	}
	return ok, nil
}

// sipStatusResult keeps the seed's quirks: total is a number, success a
// boolean, and a "_debug" flag.
type sipStatusResult struct {
	Total   int       `json:"total"`
	Results []sipItem `json:"results"`
	Success bool      `json:"success"`
	Debug   bool      `json:"_debug"`
}

type sipItem struct {
	ID              int     `json:"id"`
	Type            string  `json:"type"`
	User            string  `json:"user"`
	Host            string  `json:"host"`
	Port            string  `json:"port"`
	Status          string  `json:"status"`
	UserAgent       string  `json:"useragent"`
	RegContact      string  `json:"regcontact"`
	Registry        *string `json:"registry"`
	ExtensionLineID *string `json:"extension_line_id,omitempty"`
	SIPID           *string `json:"sip_id,omitempty"`
}

func (h *Handler) sipstatus(ctx context.Context, p params) (any, error) {
	peers, err := h.svc.Lines.SIPStatus(ctx)
	if err != nil {
		return nil, err
	}
	res := sipStatusResult{Total: len(peers), Results: make([]sipItem, 0, len(peers)), Success: true}
	for _, pr := range peers {
		id := strconv.Itoa(pr.ID)
		it := sipItem{User: pr.User, Host: pr.Host, Port: pr.Port, Status: sipStatusText(pr), UserAgent: pr.UserAgent, RegContact: pr.Contact}
		if it.Host == "" {
			it.Host, it.Port = "(Unspecified)", "0"
		}
		// The seed's ids: the line's id × 10 + 2, the trunk's × 10 + 1.
		if pr.Trunk {
			it.ID, it.Type, it.SIPID = pr.ID*10+1, "sip", &id
			it.RegContact = "" // a trunk's contact is static, not a registration
		} else {
			it.ID, it.Type, it.ExtensionLineID = pr.ID*10+2, "extension_line", &id
		}
		res.Results = append(res.Results, it)
	}
	return res, nil
}

// sipStatusText renders a PJSIP contact status as chan_sip showed it.
func sipStatusText(p callflow.SIPPeer) string {
	switch p.Status {
	case "":
		return "UNKNOWN"
	case "Reachable":
		if p.RTTMicros >= 0 {
			return "OK (" + strconv.Itoa((p.RTTMicros+500)/1000) + " ms)"
		}
		return "OK"
	case "Unreachable":
		return "UNREACHABLE"
	default: // NonQualified, Unknown: qualify is off
		return "Unmonitored"
	}
}
