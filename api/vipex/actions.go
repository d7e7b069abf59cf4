package vipex

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"time"

	"github.com/callctl/callctl/callflow"
	"github.com/callctl/callctl/recording"
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

func (h *Handler) dialPhonenumber(ctx context.Context, p params) (any, error) {
	ref, err := h.svc.Calls.ClickToCall(ctx, callflow.ClickToCallRequest{
		Source:      callflow.LineSelector{InternalNumber: p.get("exten")},
		Destination: p.get("phonenumber"),
	})
	if err != nil {
		return nil, err
	}
	return object{{"id", ref.CallID}}, nil
}

func (h *Handler) outboundIVR(ctx context.Context, p params) (any, error) {
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

func (h *Handler) extensCurrentCalls(ctx context.Context, p params) (any, error) {
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

func (h *Handler) getRecord(ctx context.Context, p params) (any, error) {
	ref := p.get("rec")
	if ref == "" {
		return nil, refuse(reasonMissing, "rec")
	}
	if h.opts.References == nil {
		return nil, refuse(reasonBadRef, "")
	}
	r, err := h.opts.References.Verify(ref, time.Now())
	switch {
	case errors.Is(err, recording.ErrRefExpired):
		return nil, refuse(reasonExpiredRef, "")
	case err != nil:
		return nil, refuse(reasonBadRef, "")
	}
	return h.svc.Recordings.Open(ctx, r.RecordID, r.LegID)
}

// audioTypes are the Content-Types of the files MixMonitor writes.
var audioTypes = map[string]string{
	".wav": "audio/wav", ".WAV": "audio/wav", ".gsm": "audio/x-gsm", ".ulaw": "audio/basic", ".alaw": "audio/x-alaw-basic",
	".mp3": "audio/mpeg", ".ogg": "audio/ogg",
}

// writeFile sends a recording as an attachment, and closes it.
func writeFile(w http.ResponseWriter, f callflow.RecordingFile) {
	defer f.File.Close()
	ct, ok := audioTypes[path.Ext(f.Name)]
	if !ok {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	w.Header().Set("Content-Length", strconv.FormatInt(f.Size, 10))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	io.CopyN(w, f.File, f.Size)
}
