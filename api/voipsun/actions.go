package voipsun

import (
	"context"
	"strconv"

	"github.com/callctl/callctl/callflow"
)

var ok = struct {
	Success string `json:"success"`
}{"true"}

func source(p params, dialplanParam string) callflow.LineSelector {
	return callflow.LineSelector{
		PublicNumber: p.get("srcExtenPublicNum"), InternalNumber: p.get("srcExtenInternalNum"),
		ID: p.get("srcExtenId"), SIPUsername: p.get("srcSipUsername"), Dialplan: p.get(dialplanParam),
	}
}

func callOptions(p params) callflow.CallOptions {
	return callflow.CallOptions{
		DstNum:           p.get("dstNum"),
		CustomCDR:        [4]string{p.get("customCDR1"), p.get("customCDR2"), p.get("customCDR3"), p.get("customCDR4")},
		DialerCid:        p.get("dialerCid"),
		DialerName:       p.get("dialerName"),
		OverrideCallerID: p.get("overrideCallerId"),
		MonitorFilename:  p.get("monitorFilename"),
		MonitorPath:      p.get("monitorPath"),
		MonitorType:      p.get("monitorType"),
		Macro:            p.get("macro"),
		DstRingTimeout:   p.get("dstRingTimeout"),
	}
}

func (h *Handler) originate(ctx context.Context, p params) (any, *apiError) {
	err := h.core.Originate(ctx, callflow.OriginateRequest{
		Source:         source(p, "dialplanName"),
		SrcRingTimeout: p.get("srcRingTimeout"),
		CheckExten:     p.get("checkExten") != "",
		CheckIPHost:    p.get("checkIpHost"),
		CheckIPContact: p.get("checkIpContact"),
		CallOptions:    callOptions(p),
	})
	if err != nil {
		return nil, translate(err, codes{lookups: map[string]lookupCodes{callflow.RoleSource: originateLookup}})
	}
	return ok, nil
}

func (h *Handler) dial(ctx context.Context, p params) (any, *apiError) {
	err := h.core.Dial(ctx, callflow.DialRequest{
		OutrouteName: p.get("outrouteName"), OutrouteID: p.get("outrouteId"),
		Context: p.get("context"), HangupContext: p.get("hangupContext"),
		CallOptions: callOptions(p),
	})
	if err != nil {
		return nil, translate(err, codes{})
	}
	return ok, nil
}

func (h *Handler) hangupcall(ctx context.Context, p params) (any, *apiError) {
	ch := p.get("channelName")
	if ch == "" {
		return nil, newError("400", "Parameter channelName is empty")
	}
	if err := h.core.Hangup(ctx, ch); err != nil {
		return nil, translate(err, codes{})
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

func (h *Handler) listcalls(ctx context.Context, p params) (any, *apiError) {
	calls := h.core.ListCalls(ctx)
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

func (h *Handler) spying(ctx context.Context, p params) (any, *apiError) {
	err := h.core.Spy(ctx, callflow.SpyRequest{
		Source: source(p, "srcDialplanName"),
		Target: callflow.LineSelector{
			PublicNumber: p.get("dstExtenPublicNum"), InternalNumber: p.get("dstExtenInternalNum"),
			ID: p.get("dstExtenId"), SIPUsername: p.get("dstSipUsername"), Dialplan: p.get("dstDialplanName"),
		},
		TargetChannel: p.get("dstChannelName"),
		SpyCid:        p.get("spyCid"),
		SpyName:       p.get("spyName"),
	})
	if err != nil {
		return nil, translate(err, codes{lookups: map[string]lookupCodes{callflow.RoleSource: spySource, callflow.RoleDestination: spyTarget}})
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

func (h *Handler) sipstatus(ctx context.Context, p params) (any, *apiError) {
	peers, err := h.core.SIPStatus(ctx)
	if err != nil {
		return nil, translate(err, codes{})
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
