package daemon

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/flow"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store/storetest"
)

// A stored flow's language is its technical extension's; a pbx.flows
// entry for the same extension with another language is reported.
func TestFlowLanguagesAndShadowedEntries(t *testing.T) {
	db := storetest.New(t)
	s := flow.NewStore(db)
	dir, err := pbx.New(pbx.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{
		"name: a\nexten: \"250\"\nlanguage: hu\nsteps: [{id: h, hangup: {}}]\n",
		"name: b\nexten: \"251\"\nsteps: [{id: h, hangup: {}}]\n",
	} {
		f, err := flow.Decode([]byte(src))
		if err == nil {
			err = s.Set(f, flow.NewCatalog(dir, db))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	l := flowLanguages{s}
	for exten, want := range map[string]string{"250": "hu", "251": "en", "252": ""} {
		if lang, ok, err := l.FlowLanguage(exten); err != nil || ok != (want != "") || lang != want {
			t.Errorf("%s: %q %v %v, want %q", exten, lang, ok, err, want)
		}
	}
	var buf bytes.Buffer
	warnShadowedFlows(zerolog.New(&buf), []pbx.Flow{{Exten: "250", Language: "en"}, {Exten: "251"}, {Exten: "700", Language: "hu"}}, l)
	if out := buf.String(); strings.Count(out, "\n") != 1 || !strings.Contains(out, `"exten":"250"`) {
		t.Errorf("warnings: %s", out)
	}
}
