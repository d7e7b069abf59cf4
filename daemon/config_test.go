package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultsAreValid(t *testing.T) {
	cfg, err := LoadConfig("", map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AMI.Addr != "127.0.0.1:5038" || cfg.ARI.URL != "http://127.0.0.1:8088/ari" || cfg.HTTP.Listen != "127.0.0.1:8080" || cfg.DataDir != "./data" {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestFileThenEnvironment(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "ami.secret")
	os.WriteFile(secret, []byte("s3cret\n"), 0o600)
	path := filepath.Join(dir, "callctl.yaml")
	os.WriteFile(path, []byte(`
data_dir: /var/lib/callctl
http:
  listen: 127.0.0.1:9090
ami:
  addr: 127.0.0.1:15038
  secret_file: `+secret+`
ari:
  request_timeout: 3s
`), 0o600)
	cfg, err := LoadConfig(path, map[string]string{
		"CALLCTL_HTTP_LISTEN":  "127.0.0.1:9191",
		"CALLCTL_ARI_APP":      "callctl2",
		"CALLCTL_AMI_USERNAME": "admin",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/var/lib/callctl" || cfg.HTTP.Listen != "127.0.0.1:9191" || cfg.AMI.Addr != "127.0.0.1:15038" ||
		cfg.AMI.Username != "admin" || cfg.AMI.Secret != "s3cret" || cfg.ARI.App != "callctl2" || cfg.ARI.RequestTimeout != 3*time.Second {
		t.Fatalf("got %+v", cfg)
	}
}

func TestUnknownKeysAndBadValuesAreRefused(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"unknown key": "htttp:\n  listen: 127.0.0.1:1\n",
		"bad listen":  "http:\n  listen: nowhere\n",
		"bad level":   "log:\n  level: loud\n",
		"bad zone":    "timezone: Mars/Olympus\n",
		"bad app":     "ari:\n  app: 'a/b'\n",
		"bad gc":      "gc_percent: 5\n",
		"bad procs":   "max_procs: -1\n",
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
		os.WriteFile(path, []byte(body), 0o600)
		if _, err := LoadConfig(path, map[string]string{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestNodeIDAndWebhookSettings(t *testing.T) {
	cfg, err := LoadConfig("", map[string]string{})
	if host, _ := os.Hostname(); err != nil || cfg.NodeID != host || cfg.Webhook.Concurrency != 4 || cfg.Webhook.AllowLinkLocal {
		t.Fatalf("defaults: %v %q %+v", err, cfg.NodeID, cfg.Webhook)
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("node_id: pbx-budapest-1\nwebhook:\n  allow_link_local: true\n  concurrency: 8\n  reference_ttl: 720h\n"), 0o600)
	cfg, err = LoadConfig(path, map[string]string{"CALLCTL_WEBHOOK_LOG_SIZE": "500"})
	if err != nil || cfg.NodeID != "pbx-budapest-1" || !cfg.Webhook.AllowLinkLocal || cfg.Webhook.Concurrency != 8 ||
		cfg.Webhook.ReferenceTTL != 720*time.Hour || cfg.Webhook.LogSize != 500 {
		t.Fatalf("%v %+v", err, cfg.Webhook)
	}
	for _, env := range []map[string]string{{"CALLCTL_NODE_ID": "a\nb"}, {"CALLCTL_WEBHOOK_CONCURRENCY": "0"}} {
		if _, err := LoadConfig("", env); err == nil {
			t.Errorf("%v accepted", env)
		}
	}
}

func TestNATSSettings(t *testing.T) {
	cfg, err := LoadConfig("", map[string]string{})
	if err != nil || cfg.NATS.Enabled() || cfg.NATS.Stream != "CALLCTL" {
		t.Fatalf("defaults: %v %+v", err, cfg.NATS)
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("nats:\n  stream: PBX\n  replicas: 3\n  user: pbx\n  password: pw\n  tls:\n    ca: /etc/nats/ca.pem\n"), 0o600)
	cfg, err = LoadConfig(path, map[string]string{"CALLCTL_NATS_URL": "nats://n1:4222,nats://n2:4222", "CALLCTL_NATS_ACK_TIMEOUT": "2s"})
	if err != nil || cfg.NATS.URL != "nats://n1:4222,nats://n2:4222" || cfg.NATS.Stream != "PBX" || cfg.NATS.Replicas != 3 ||
		cfg.NATS.User != "pbx" || cfg.NATS.TLS.CA != "/etc/nats/ca.pem" || cfg.NATS.AckTimeout != 2*time.Second {
		t.Fatalf("%v %+v", err, cfg.NATS)
	}
	for _, env := range []map[string]string{
		{"CALLCTL_NATS_URL": "nats://n1", "CALLCTL_NATS_STREAM": "a.b"},
		{"CALLCTL_NATS_URL": "nats://n1", "CALLCTL_NATS_TOKEN": "t", "CALLCTL_NATS_CREDS_FILE": "x.creds"},
	} {
		if _, err := LoadConfig("", env); err == nil {
			t.Errorf("%v accepted", env)
		}
	}
}

func TestVIPeXAndFlowSettings(t *testing.T) {
	cfg, err := LoadConfig("", map[string]string{"CALLCTL_VIPEX_SUBSCRIPTION_ID": "3212601"})
	if err != nil || cfg.VIPeX.SubscriptionID != "3212601" || len(cfg.PBX.Flows) != 2 {
		t.Fatalf("%v %+v %+v", err, cfg.VIPeX, cfg.PBX.Flows)
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("vipex:\n  subscription_id: \"1643897\"\npbx:\n  flows:\n    - {exten: \"800\", language: hu}\n"), 0o600)
	cfg, err = LoadConfig(path, map[string]string{})
	if err != nil || cfg.VIPeX.SubscriptionID != "1643897" || len(cfg.PBX.Flows) != 1 || cfg.PBX.Flows[0].Language != "hu" {
		t.Fatalf("%v %+v %+v", err, cfg.VIPeX, cfg.PBX.Flows)
	}
}
