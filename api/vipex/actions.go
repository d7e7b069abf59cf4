package vipex

import (
	"context"
	"time"

	"github.com/callctl/callctl/callflow"
)

// timeLayout is the seed's time format, in the PBX's zone.
const timeLayout = "2006-01-02 15:04:05"

// timeOrNull is a time, or null when it is zero.
func (h *Handler) timeOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.In(h.opts.Location).Format(timeLayout)
}

func (h *Handler) dialPhonenumber(ctx context.Context, p params) (object, error) {
	ref, err := h.svc.Calls.ClickToCall(ctx, callflow.ClickToCallRequest{
		Source:      callflow.LineSelector{InternalNumber: p.get("exten")},
		Destination: p.get("phonenumber"),
	})
	if err != nil {
		return nil, err
	}
	return object{{"id", ref.CallID}}, nil
}

func (h *Handler) outboundIVR(ctx context.Context, p params) (object, error) {
	ref, err := h.svc.Calls.OutboundIVR(ctx, callflow.OutboundIVRRequest{
		Destination: p.get("phonenumber"),
		Flow:        p.get("exten"),
		Digits:      p.get("digits"),
	})
	if err != nil {
		return nil, err
	}
	return object{{"id", ref.CallID}}, nil
}

func (h *Handler) extensCurrentCalls(ctx context.Context, p params) (object, error) {
	exten := p.get("exten")
	calls, err := h.svc.Calls.LineCalls(ctx, callflow.LineSelector{InternalNumber: exten})
	if err != nil {
		return nil, err
	}
	items := make(list, 0, len(calls))
	for _, c := range calls {
		party, direction := "internal", "outbound"
		if c.External {
			party = "external"
		}
		if c.Inbound {
			direction = "inbound"
		}
		items = append(items, object{
			{"id", c.ID}, {"call_id", c.CallID}, {"other_party_type", party}, {"direction", direction},
			{"start_time", h.timeOrNull(c.Start)}, {"answer_time", h.timeOrNull(c.Answer)},
			{"other_party_number", c.OtherNumber},
		})
	}
	return object{{"exten", exten}, {"extens_current_calls", items}}, nil
}
