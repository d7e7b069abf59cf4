package daemon

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// Every key of the file has its one-line comment, and no comment is left
// over from a key that is gone: a new setting cannot be added without
// documenting it in the packaged /etc/callctl/callctl.yaml.
func TestEveryKeyHasAComment(t *testing.T) {
	var paths []string
	for _, k := range ConfigKeys() {
		paths = append(paths, k.Path)
	}
	slices.Sort(paths)
	if want := commentedKeys(); !slices.Equal(paths, want) {
		for _, p := range paths {
			if _, ok := configComments[p]; !ok {
				t.Errorf("key %s has no comment in configComments", p)
			}
		}
		for _, c := range want {
			if !slices.Contains(paths, c) {
				t.Errorf("configComments has %s, which is no key", c)
			}
		}
	}
}

// The file `callctl config default` writes names every key, and reads back
// as the defaults.
func TestDefaultFileReadsBackAsTheDefaults(t *testing.T) {
	def := DefaultConfig()
	cfg := def
	cfg.NodeID = "" // the host name where it is read
	var buf bytes.Buffer
	if err := WriteConfigYAML(&buf, cfg, "test header", false); err != nil {
		t.Fatal(err)
	}
	for _, k := range ConfigKeys() {
		last := k.Path[strings.LastIndexByte(k.Path, '.')+1:]
		if !strings.Contains(buf.String(), last+":") {
			t.Errorf("key %s is not in the file", k.Path)
		}
		if k.Env != "" && !strings.Contains(buf.String(), "["+k.Env+"]") {
			t.Errorf("variable %s is not in the file", k.Env)
		}
	}
	path := filepath.Join(t.TempDir(), "callctl.yaml")
	os.WriteFile(path, buf.Bytes(), 0o600)
	got, err := LoadConfig(path, map[string]string{})
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(got.CDR.Rates) == 0 && def.CDR.Rates == nil {
		got.CDR.Rates = nil // "rates: []"
	}
	if !reflect.DeepEqual(got, def) {
		t.Errorf("read back:\n%+v\nwant\n%+v", got, def)
	}
}

func TestSecretsAreMasked(t *testing.T) {
	cfg := DefaultConfig()
	cfg.AMI.Secret, cfg.ARI.Password, cfg.NATS.Token = "ami-s3cret", "ari-s3cret", "nats-s3cret"
	var buf bytes.Buffer
	if err := WriteConfigYAML(&buf, cfg, "", true); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "s3cret") || strings.Count(out, Masked) != 3 {
		t.Errorf("secrets not masked:\n%s", out)
	}
	if !strings.Contains(out, `password: ""`) { // nats.password: unset stays visible as unset
		t.Errorf("an unset secret is not shown as unset")
	}
}

// Each kind of bad configuration is caught, with a message that names the
// key (and the line), and all problems of a file are reported at once.
func TestCheckConfigFindsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, file string
		env        map[string]string
		want       []string
	}{
		{"unknown top-level key", "htttp:\n  listen: 127.0.0.1:1\n", nil,
			[]string{`line 1: unknown key "htttp" (did you mean "http"?)`}},
		{"unknown nested key", "http:\n  lisen: 127.0.0.1:1\n", nil,
			[]string{`line 2: unknown key "http.lisen" (did you mean "http.listen"?)`}},
		{"unknown key in a list", "pbx:\n  extensions:\n    - {id: 1, nummer: \"1000\"}\n", nil,
			[]string{`line 3: unknown key "pbx.extensions[0].nummer" (did you mean "pbx.extensions[0].number"?)`}},
		{"not a number", "http:\n  max_conns: many\n", nil,
			[]string{"line 2: cannot unmarshal !!str `many` into int"}},
		{"bad duration", "ami:\n  dial_timeout: 5 parsecs\n", nil,
			[]string{"line 2: cannot unmarshal !!str `5 parsecs` into time.Duration"}},
		{"bad level", "log:\n  level: loud\n", nil, []string{`log.level "loud": want debug, info, warn or error`}},
		{"bad listen", "http:\n  listen: nowhere\n", nil, []string{"http.listen: address nowhere: missing port in address"}},
		{"bad zone", "timezone: Mars/Olympus\n", nil, []string{"timezone: unknown time zone Mars/Olympus"}},
		{"bad app", "ari:\n  app: 'a/b'\n", nil, []string{"ari.app: want letters"}},
		{"bad ari url", "ari:\n  url: 127.0.0.1:8088\n", nil, []string{"ari.url: want http(s)://host:port/ari"}},
		{"bad gc", "gc_percent: 5\n", nil, []string{"gc_percent must be 0"}},
		{"bad procs", "max_procs: -1\n", nil, []string{"max_procs must be 0"}},
		{"relative recording root", "recording:\n  roots: [spool]\n", nil, []string{`recording.roots: "spool": want an absolute path`}},
		{"missing secret file", "ami:\n  secret_file: /nonexistent/ami.secret\n", nil,
			[]string{"ami.secret_file: open /nonexistent/ami.secret: no such file or directory"}},
		{"bad environment", "", map[string]string{"CALLCTL_HTTP_MAX_CONNS": "lots"}, []string{`environment: `, `MaxConns`}},
		{"not a mapping", "- a\n- b\n", nil, []string{"line 1: the file must be a mapping"}},
		{"syntax error", "http:\n  listen: [\n", nil, []string{"line 2: did not find expected node content"}},
		{"several at once", "htttp: {}\nlog:\n  level: loud\n  format: pretty\ngc_percent: 5\n", nil,
			[]string{`unknown key "htttp"`, `log.level "loud"`, `log.format "pretty"`, "gc_percent must be 0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".yaml")
			os.WriteFile(path, []byte(c.file), 0o600)
			env := c.env
			if env == nil {
				env = map[string]string{}
			}
			_, problems := CheckConfig(path, env)
			all := strings.Join(problems, "\n")
			if len(problems) == 0 || (!strings.Contains("several at once, bad environment, unknown key in a list", c.name) && len(problems) != 1) {
				t.Errorf("problems: %q", problems)
			}
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("want %q in:\n%s", w, all)
				}
			}
			if _, err := LoadConfig(path, env); err == nil {
				t.Error("LoadConfig accepted it")
			}
		})
	}
	if _, problems := CheckConfig(filepath.Join(dir, "missing.yaml"), map[string]string{}); len(problems) != 1 || !strings.Contains(problems[0], "no such file") {
		t.Errorf("missing file: %q", problems)
	}
}

// Unreachable Asterisk interfaces are reported with the reason, within
// their timeouts.
func TestCheckConnectionsSaysWhy(t *testing.T) {
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	ssh, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ssh.Close()
	go func() {
		for {
			c, err := ssh.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("SSH-2.0-OpenSSH_9.2\r\n"))
			c.Close()
		}
	}()
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"Authentication required"}`, http.StatusUnauthorized)
	}))
	defer web.Close()

	cfg := DefaultConfig()
	cfg.AMI.Addr, cfg.ARI.URL = closedAddr, "http://"+closedAddr+"/ari"
	res := CheckConnections(context.Background(), cfg)
	for _, r := range res {
		if r.Err == nil || !strings.Contains(r.Err.Error(), "connection refused") {
			t.Errorf("%s: %v", r.Name, r.Err)
		}
	}
	cfg.AMI.Addr, cfg.ARI.URL = ssh.Addr().String(), web.URL+"/ari"
	res = CheckConnections(context.Background(), cfg)
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "does not speak AMI") {
		t.Errorf("ami to an ssh server: %v", res[0].Err)
	}
	if res[1].Err == nil || !strings.Contains(res[1].Err.Error(), "401") {
		t.Errorf("ari 401: %v", res[1].Err)
	}

	// A server that accepts and never greets: bounded by the caller's ctx.
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	cfg.AMI.Addr = silent.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res = CheckConnections(ctx, cfg)
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "sent no AMI greeting") || time.Since(start) > 2*time.Second {
		t.Errorf("silent AMI: %v after %s", res[0].Err, time.Since(start))
	}
}
