package vipex

import (
	"context"
	"strconv"

	"github.com/callctl/callctl/callflow"
)

// forwardParams names the core's fields in the forward actions.
var forwardParams = map[callflow.Field]string{
	callflow.FieldSource: "number", callflow.FieldForwardType: "forward_type", callflow.FieldDestinationType: "destination_type",
	callflow.FieldDestination: "destination_number", callflow.FieldTarget: "destination_number",
	callflow.FieldDestinationRing: "noanswer_timeout", callflow.FieldCallType: "call_type",
}

func (h *Handler) setForward(ctx context.Context, p params) (any, error) {
	f := callflow.Forward{Number: p.get("number"), Type: p.get("forward_type"), DestinationType: p.get("destination_type"),
		Destination: p.get("destination_number"), CallType: p.get("call_type")}
	if v := p.get("noanswer_timeout"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, callflow.Invalid(callflow.FieldDestinationRing, "%s is not a number of seconds", quote(v))
		}
		f.NoAnswerTimeout = n
		if n == 0 {
			return nil, callflow.Invalid(callflow.FieldDestinationRing, "0: 1 or more seconds")
		}
	}
	if err := h.svc.Forwards.Set(ctx, f); err != nil {
		return nil, err
	}
	return object{}, nil
}

func (h *Handler) getForwards(ctx context.Context, p params) (any, error) {
	number := p.get("number")
	forwards, err := h.svc.Forwards.List(ctx, number)
	if err != nil {
		return nil, err
	}
	l := make(list, 0, len(forwards))
	for _, f := range forwards {
		o := object{{"forward_type", f.Type}, {"destination_type", f.DestinationType}, {"destination_number", f.Destination}}
		if f.Type == "noanswer" {
			o = append(o, field{"noanswer_timeout", f.NoAnswerTimeout})
		}
		l = append(l, append(o, field{"call_type", f.CallType}))
	}
	return object{{"number", number}, {"call_forward_list", l}}, nil
}

func (h *Handler) delForward(ctx context.Context, p params) (any, error) {
	if err := h.svc.Forwards.Delete(ctx, p.get("number"), p.get("forward_type")); err != nil {
		return nil, err
	}
	return object{}, nil
}
