package daemon

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/api/openapi"
)

// The daemon's mux serves every OpenAPI document at /openapi/<name>.json,
// beside the API it describes.
func TestServesOpenAPIDocuments(t *testing.T) {
	cfg, err := LoadConfig("", map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir, cfg.HTTP.Listen = t.TempDir(), "127.0.0.1:0"
	d, err := New(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.listener.Close()
		d.db.Close()
	})
	for _, name := range openapi.Names() {
		want, _ := openapi.Document(name)
		rec := httptest.NewRecorder()
		d.mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi/"+name+".json", nil))
		if rec.Code != 200 || rec.Body.String() != string(want) || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %v", name, rec.Code, rec.Header())
		}
	}
	rec := httptest.NewRecorder()
	d.mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi/nope.json", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("an unknown document: %d", rec.Code)
	}
}
