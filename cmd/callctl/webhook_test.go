package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/callctl/callctl/webhook"
)

// The webhook commands on a database no daemon holds.
func TestWebhookCommandsWithoutADaemon(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CALLCTL_DATA_DIR", dir)
	var mu sync.Mutex
	var bodies []string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		w.WriteHeader(202)
		io.WriteString(w, `{"received":true}`)
	}))
	defer rcv.Close()
	tmpl := filepath.Join(dir, "t.json")
	os.WriteFile(tmpl, []byte(`{"call":{{id}},"from":"{{src}}"}`+"\n"), 0o600)
	run1 := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(args, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	secret := "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"
	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"webhook", "add", "crm", "--kind", "call_end", "--url", rcv.URL + "/end", "--basic-auth", "crm:pa55word",
			"--api-key", "key-123456789", "--api-key-in", "query:token", "--secret", secret, "--include-recording",
			"--header", "X-Tenant: 42", "--header", "X-Source: pbx", "--retry", "0s,1m,1h"}, 0, "webhook crm saved (call_end POST " + rcv.URL + "/end)"},
		{[]string{"webhook", "add", "crm", "--kind", "call_end", "--url", rcv.URL}, 1, "already exists"},
		{[]string{"webhook", "add", "ring", "--kind", "call_notify", "--url", rcv.URL, "--method", "POST", "--template-file", tmpl, "--triggers", "ring,answer"}, 0, "saved"},
		{[]string{"webhook", "add", "q", "--kind", "data_query", "--url", rcv.URL, "--params", "id,src"}, 0, "saved"},
		// Bad input: a clear message, nothing stored.
		{[]string{"webhook", "add", "x", "--kind", "call_start", "--url", rcv.URL}, 1, "kind \"call_start\""},
		{[]string{"webhook", "add", "x", "--kind", "call_end", "--url", "ftp://crm.example"}, 1, "want http:// or https://"},
		{[]string{"webhook", "add", "x", "--kind", "call_end", "--url", "https://"}, 1, "host"},
		{[]string{"webhook", "add", "x", "--kind", "call_end", "--url", rcv.URL, "--method", "GET"}, 1, "POST only"},
		{[]string{"webhook", "add", "x", "--kind", "call_notify", "--url", rcv.URL, "--template", "?n={{caller}}"}, 1, "unknown parameter {{caller}}"},
		{[]string{"webhook", "add", "x", "--kind", "call_notify", "--url", rcv.URL, "--secret", "whsec_nope!"}, 1, "base64"},
		{[]string{"webhook", "add", "x", "--kind", "call_notify", "--url", "http://169.254.169.254/"}, 1, "link-local"},
		{[]string{"webhook", "add", "x", "--kind", "call_notify", "--url", rcv.URL, "--retry", "5x"}, 2, "--retry"},
		{[]string{"webhook", "add", "x", "--kind", "call_notify", "--url", rcv.URL, "--template", "a", "--template-file", tmpl}, 2, "exclude"},
		{[]string{"webhook", "show", "x"}, 1, "no such client"},
		{[]string{"webhook", "list"}, 0, "crm   call_end     POST    " + rcv.URL + "/end"},
		{[]string{"webhook", "show", "ring"}, 0, `template     {"call":{{id}},"from":"{{src}}"}`},
		{[]string{"webhook", "test", "crm"}, 0, "POST " + rcv.URL + "/end: 202 Accepted"},
		{[]string{"webhook", "test", "ring"}, 0, `{"received":true}`},
		{[]string{"webhook", "log"}, 0, "ID  CREATED"},
		{[]string{"webhook", "log", "crm", "--failed"}, 0, "ID  CREATED"},
		{[]string{"webhook", "retry", "77"}, 1, "no such delivery"},
		{[]string{"webhook", "retry", "abc"}, 2, "is a number"},
		{[]string{"webhook", "retry", "--failed", "nobody"}, 1, "no such client"},
		{[]string{"webhook", "retry", "--failed", "crm"}, 0, "0 deliveries queued again"},
		{[]string{"webhook", "del", "q"}, 0, "webhook q deleted (0 undelivered deliveries dropped)"},
		{[]string{"webhook", "frob"}, 2, "unknown command webhook"},
		{[]string{"webhook"}, 2, "usage"},
	} {
		code, out := run1(c.args...)
		if code != c.code || !strings.Contains(out, c.out) {
			t.Errorf("callctl %s: exit %d, %q; want %d and %q", strings.Join(c.args, " "), code, out, c.code, c.out)
		}
	}
	// Secrets are never shown in full.
	for _, args := range [][]string{{"webhook", "show", "crm"}, {"webhook", "show", "crm", "--json"}, {"webhook", "list", "--json"}} {
		_, out := run1(args...)
		for _, s := range []string{"pa55word", "key-123456789", secret} {
			if strings.Contains(out, s) {
				t.Errorf("callctl %s shows the secret %q:\n%s", strings.Join(args, " "), s, out)
			}
		}
	}
	_, out := run1("webhook", "show", "crm", "--json")
	var c webhook.ClientInfo
	if err := json.Unmarshal([]byte(out), &c); err != nil || len(c.Headers) != 2 || c.APIKeyIn != "query:token" || len(c.Retry) != 3 || !c.IncludeRecording {
		t.Errorf("show --json: %v %+v", err, c)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 || !strings.Contains(bodies[0], `"id":76355`) || bodies[1] != `{"call":91000,"from":"36709676052"}` {
		t.Errorf("test bodies %q", bodies)
	}
	if code, out := run1("webhook", "list"); code != 0 || strings.Contains(out, "\nx ") || strings.Contains(out, "\nq ") {
		t.Errorf("list after refusals: %s", out)
	}
}
