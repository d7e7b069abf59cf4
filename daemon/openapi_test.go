package daemon

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/api/openapi"
	"github.com/callctl/callctl/api/openapi/openapitest"
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

	// The documents' paths are where the daemon serves the dialects: a
	// refused request to each, through the daemon's own mux, is the
	// document's (the dialects' tests cover every action).
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for name, exchanges := range map[string][]openapitest.Exchange{
		"voipsun": {{Action: "listcalls", Error: true, Target: "/api/api.php?username=crm&password=x&action=listcalls"}},
		"vipex": {{Action: "get_vipex_user_list", Error: true, Target: "/?rt=api&action=get_vipex_user_list&vipex_id=1"},
			{Action: "get_vipex_user_list", Error: true, Target: "/api?rt=api&action=get_vipex_user_list&vipex_id=1&format=xml"}},
		"rest": {{Action: "event_list", Error: true, Target: "/api/ver1.0/extension/1/event/"},
			{Action: "token", Error: true, Method: "POST", Target: "/oauth/token", Header: form, Body: "grant_type=client_credentials&client_id=x&client_secret=y"}},
	} {
		doc := openapitest.Load(t, name)
		for _, e := range exchanges {
			doc.Run(t, d.mux, nil, e)
		}
	}
}
