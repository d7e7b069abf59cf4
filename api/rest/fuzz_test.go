package rest

import (
	"strings"
	"testing"

	"github.com/callctl/callctl/extevents"
)

// The body and path parsers never panic, and what they accept is what a
// subscription may hold: no line break or NUL gets through to a URL that
// callctl would call.
func FuzzRequest(f *testing.F) {
	f.Add("/api/ver1.0/extension/175/event/", `{"url":"https://somehost.com/fordel/show.php?myid=175","method":"GET","event_type":"dial-out"}`)
	f.Add("/api/ver1.0/extension/1/event/72", `{"url":"http://a/\r\n","method":"POST","event_type":"answer","id":72}`)
	f.Add("/api/ver1.0/extension/01/event//", `[{}]`)
	f.Fuzz(func(t *testing.T, path, body string) {
		_, id, _, ok := route(path)
		if !ok {
			id = 0
		}
		spec, err := parseSpec([]byte(body), id)
		if err != nil {
			return
		}
		svc := spec
		if strings.ContainsAny(svc.URL, "\r\n\x00") && validURL(svc) {
			t.Fatalf("accepted %q", svc.URL)
		}
	})
}

// validURL is whether the subscriptions would take spec.
func validURL(spec extevents.Spec) bool {
	return extevents.Validate(spec, false) == nil
}
