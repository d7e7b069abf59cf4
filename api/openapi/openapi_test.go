package openapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/callctl/callctl/api/openapi"
	"github.com/callctl/callctl/api/openapi/openapitest"
)

// Every document loads and validates as OpenAPI 3.1 with kin-openapi.
func TestDocumentsValidate(t *testing.T) {
	if got, want := openapi.Names(), []string{"rest", "vipex", "voipsun"}; !slices.Equal(got, want) {
		t.Fatalf("documents %v, want %v", got, want)
	}
	for _, name := range openapi.Names() {
		d := openapitest.Load(t, name)
		if len(d.Actions()) == 0 {
			t.Errorf("%s: no actions", name)
		}
	}
}

func TestHandler(t *testing.T) {
	h := openapi.Handler()
	for _, name := range openapi.Names() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi/"+name+".json", nil))
		want, _ := openapi.Document(name)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || rec.Body.String() != string(want) || !json.Valid(rec.Body.Bytes()) {
			t.Errorf("%s: %d %v", name, rec.Code, rec.Header())
		}
	}
	for _, path := range []string{"/openapi/", "/openapi/nope.json", "/openapi/voipsun", "/openapi/../openapi.go", "/openapi/voipsun.json.json"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d", path, rec.Code)
		}
	}
}
