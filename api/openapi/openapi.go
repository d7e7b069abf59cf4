// Package openapi holds the OpenAPI 3.1 documents of callctl's HTTP
// surfaces, kept in the repository and embedded in the binary:
//
//	voipsun  the VoIPSUN api.php dialect (api/voipsun)
//	vipex    the VIPeX rt=api dialect (api/vipex)
//	rest     the REST API at /api/ver1.0 and its token endpoint /oauth/token
//	         (api/rest, api/oauth)
//
// Handler serves them at /openapi/<name>.json. The documents are written
// by hand; each dialect's tests drive its real server with recorded
// requests and validate every request and answer against its document
// (api/openapi/openapitest), and fail for an action the code has and the
// document does not, so a document cannot drift from the code unnoticed.
//
// The RPC dialects (VoIPSUN, VIPeX) have one operation per path and
// method, with the action a parameter; OpenAPI cannot tell operations
// apart by a parameter's value. Each action is described by two component
// schemas named after it: "params.<action>" (its parameters, as the
// server reads them: strings) and "result.<action>" (its answer on
// success); "error" is the dialect's error answer (VoIPSUN adds
// "error.<action>", the error numbers each action answers; VIPeX's error
// lists every reason of its table).
//
// Caveats: the documents are read only by tests and clients; the daemon
// serves the bytes as they are.
package openapi

import (
	"embed"
	"net/http"
	"slices"
	"strings"
)

//go:embed *.json
var files embed.FS

// PathPrefix is where Handler is mounted.
const PathPrefix = "/openapi/"

// Names are the documents' names, sorted.
func Names() []string {
	entries, _ := files.ReadDir(".")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	slices.Sort(out)
	return out
}

// Document returns the document name ("voipsun"), and whether there is one.
func Document(name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return nil, false
	}
	b, err := files.ReadFile(name + ".json")
	return b, err == nil
}

// Handler serves GET /openapi/<name>.json; any other name is 404.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, PathPrefix), ".json")
		doc, found := Document(name)
		if !ok || !found {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(doc)
	})
}
