package callflow

import (
	"testing"
	"time"

	"github.com/callctl/callctl/cdr"
)

func TestOutboundIVR(t *testing.T) {
	b := newBed(t)
	go func() {
		for {
			for _, a := range b.ami.actions() {
				if id := a.Headers["ChannelId"]; id != "" {
					b.view.show(id, &cdr.LiveCall{ID: 77, Linkedid: id})
					return
				}
			}
			time.Sleep(time.Millisecond)
		}
	}()
	ref, err := b.core.Calls.OutboundIVR(ctxT(t), OutboundIVRRequest{Destination: "36201234567", Flow: "701", Digits: "12345678"})
	if err != nil {
		t.Fatal(err)
	}
	a := b.ami.actions()[len(b.ami.actions())-1]
	if ref.CallID != 77 || a.Headers["Channel"] != "Local/36201234567@callctl-dial/n" || a.Headers["Context"] != "callctl-dial-answered" ||
		a.Headers["OtherChannelId"] != ref.Uniqueid+";2" {
		t.Errorf("ref %+v, originate %v", ref, a.Headers)
	}
	if v := a.Variables; v["CALLCTL_CONTEXT"] != "callctl-outbound-ivr" || v["CALLCTL_EXTEN"] != "701" || v["CALLCTL_SAY_LANGUAGE"] != "hu" ||
		v["CALLCTL_SAY_DIGITS"] != "12345678" || v["CALLCTL_DIAL"] != "PJSIP/36201234567@carrier" {
		t.Errorf("variables %v", v)
	}
}

func TestOutboundIVRValidationBeforeAsterisk(t *testing.T) {
	b := newBed(t)
	c := b.core.Calls
	for _, tc := range []struct {
		name  string
		req   OutboundIVRRequest
		kind  Kind
		field Field
	}{
		{"no number", OutboundIVRRequest{Flow: "700"}, KindMissing, FieldDestination},
		{"bad number", OutboundIVRRequest{Destination: "36\r\n1", Flow: "700"}, KindInvalid, FieldDestination},
		{"no flow", OutboundIVRRequest{Destination: "3620"}, KindMissing, FieldFlow},
		{"unknown flow", OutboundIVRRequest{Destination: "3620", Flow: "999"}, KindNotFound, FieldFlow},
		{"a line is not a flow", OutboundIVRRequest{Destination: "3620", Flow: "1000"}, KindNotFound, FieldFlow},
		{"bad digits", OutboundIVRRequest{Destination: "3620", Flow: "700", Digits: "12a"}, KindInvalid, FieldDigits},
		{"digits with LF", OutboundIVRRequest{Destination: "3620", Flow: "700", Digits: "1\n2"}, KindInvalid, FieldDigits},
		{"33 digits", OutboundIVRRequest{Destination: "3620", Flow: "700", Digits: "123456789012345678901234567890123"}, KindInvalid, FieldDigits},
	} {
		_, err := c.OutboundIVR(ctxT(t), tc.req)
		if k, f := errField(err); k != tc.kind || f != tc.field {
			t.Errorf("%s: %v, want %v (%v)", tc.name, err, tc.kind, tc.field)
		}
	}
	if a := b.ami.actions(); len(a) != 0 {
		t.Errorf("sent to Asterisk: %+v", a)
	}
}

type storedFlows map[string]string // exten → language

func (s storedFlows) FlowLanguage(exten string) (string, bool, error) {
	lang, ok := s[exten]
	return lang, ok, nil
}

// A stored flow's technical extension is known with the stored flow's
// language, before (and instead of) pbx.flows; pbx.flows keeps the
// extensions only the dialplan has.
func TestOutboundIVRTechnicalExtensionLanguage(t *testing.T) {
	b := newBed(t)
	c := b.core.Calls
	for _, exten := range []string{"200", "701"} {
		if _, ok := c.techExten(exten); ok != (exten == "701") {
			t.Errorf("without the flow store: %s known %v", exten, ok)
		}
	}
	c.Flows = storedFlows{"200": "hu", "701": "en"}
	for exten, want := range map[string]string{"200": "hu", "701": "en", "700": "en"} {
		if f, ok := c.techExten(exten); !ok || f.Language != want || f.Exten != exten {
			t.Errorf("%s: %+v %v, want language %s", exten, f, ok, want)
		}
	}
	if _, ok := c.techExten("999"); ok {
		t.Error("999 known")
	}
}
