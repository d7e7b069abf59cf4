package webhook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callctl/callctl/store"
)

// The standard's reference verifier, the npm package standardwebhooks run
// with node, accepts what the outbox sends (and refuses it changed). The
// test installs the package from the npm registry into its temporary
// directory.
func TestSignatureVerifiedByStandardWebhooksLibrary(t *testing.T) {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to run the Standard Webhooks reference verifier: %v", tool, err)
		}
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", dir, "standardwebhooks@1.1.1")
	install.Env = append(os.Environ(), "npm_config_cache="+filepath.Join(dir, ".npm"), "npm_config_update_notifier=false")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm install standardwebhooks: %v\n%s", err, out)
	}
	script := filepath.Join(dir, "verify.js")
	os.WriteFile(script, []byte(`
const { Webhook } = require("standardwebhooks");
const fs = require("fs");
const [secret, payloadFile, headersFile] = process.argv.slice(2);
const payload = fs.readFileSync(payloadFile, "utf8");
const headers = JSON.parse(fs.readFileSync(headersFile, "utf8"));
try { new Webhook(secret).verify(payload, headers); console.log("verified"); }
catch (e) { console.log("refused: " + e.message); process.exit(1); }
`), 0o600)

	rcv := newReceiver(t)
	o, db := testOutbox(t, nil)
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("a 24-byte signing secret"))
	mustSave(t, o, Client{Name: "signed", Kind: KindCallNotify, URL: rcv.URL() + "/in", Method: "POST", Secret: secret})
	mustSave(t, o, Client{Name: "signed-get", Kind: KindCallNotify, URL: rcv.URL() + "/in", Secret: secret})
	ev := CallEvent{CallID: 7, Seq: 1, Trigger: TriggerArrival, Params: Params{ID: 7, StartTime: time.Now(), Src: "36301234567", Dst: "3612340300", CustomField: "Kovács Éva, \"VIP\""}}
	if err := db.Update(func(tx *store.Tx) error { return o.Notify(tx, ev) }); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.wait(2, 10*time.Second)
	verify := func(secret, body string, h map[string]string) (bool, string) {
		p, hf := filepath.Join(dir, "payload"), filepath.Join(dir, "headers.json")
		os.WriteFile(p, []byte(body), 0o600)
		hj, _ := json.Marshal(h)
		os.WriteFile(hf, hj, 0o600)
		out, err := exec.CommandContext(ctx, "node", script, secret, p, hf).CombinedOutput()
		return err == nil, strings.TrimSpace(string(out))
	}
	for _, r := range reqs {
		h := map[string]string{}
		for _, k := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
			h[k] = r.Header.Get(k)
		}
		if ok, out := verify(secret, r.Body, h); !ok {
			t.Errorf("%s request %s: the reference verifier says %s", r.Method, r.URL, out)
		}
		if ok, _ := verify(secret, r.Body+" ", h); ok {
			t.Errorf("%s: a changed body verified", r.Method)
		}
		other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another 24-byte secret!!"))
		if ok, _ := verify(other, r.Body, h); ok {
			t.Errorf("%s: verified with another secret", r.Method)
		}
	}
}
