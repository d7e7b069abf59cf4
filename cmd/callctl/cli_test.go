package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/store"
)

func TestMain(m *testing.M) {
	// Not the host's /etc/callctl/callctl.yaml, wherever the tests run.
	systemConfig = "/nonexistent/callctl.yaml"
	os.Exit(m.Run())
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// callctl --help, callctl help CMD and CMD --help answer with the usage on
// standard output and exit status 0; every command has its help.
func TestHelpAnswers(t *testing.T) {
	t.Setenv("CALLCTL_DATA_DIR", t.TempDir())
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "usage: callctl <command>"},
		{[]string{"-h"}, "usage: callctl <command>"},
		{[]string{"help"}, "usage: callctl <command>"},
		{[]string{"help", "cdr", "list"}, "usage: callctl cdr list"},
		{[]string{"cdr", "list", "--help"}, "--exten N"},
		{[]string{"cdr", "--help"}, "usage: callctl cdr show ID"},
		{[]string{"help", "cdr"}, "usage: callctl cdr list"},
		{[]string{"serve", "--help"}, "usage: callctl serve"},
		{[]string{"serve", "-h"}, "SIGTERM"},
		{[]string{"config", "check", "--help"}, "--offline"},
		{[]string{"user", "add", "--help"}, "--actions"},
		{[]string{"webhook", "--help"}, "callctl webhook add NAME --kind"},
		{[]string{"webhook", "log", "--help"}, "callctl webhook log [NAME]"},
		{[]string{"phonebook", "field", "add", "--help"}, "phonebook field add ID"},
		{[]string{"nats", "status", "-h"}, "callctl nats status"},
		{[]string{"help", "help"}, "usage: callctl help"},
	} {
		code, out, errOut := runCLI(c.args...)
		if code != exitOK || !strings.Contains(out, c.want) || errOut != "" {
			t.Errorf("callctl %s: exit %d, stdout %q, stderr %q; want 0 and %q", strings.Join(c.args, " "), code, out, errOut, c.want)
		}
	}
	for _, topic := range helpTopics {
		code, out, _ := runCLI(append(strings.Fields(topic.name), "--help")...)
		if code != exitOK || !strings.HasPrefix(out, "usage:") {
			t.Errorf("callctl %s --help: exit %d, %q", topic.name, code, out)
		}
	}
	// Every command the overview names has its help.
	for _, line := range strings.Split(usage, "\n") {
		if !strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "   ") {
			continue
		}
		name := strings.Fields(line)[0]
		if findHelp([]string{name}) == nil {
			t.Errorf("%q is in the usage but has no help topic", name)
		}
	}
	if code, _, errOut := runCLI("help", "frobnicate"); code != exitUsage || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("help frobnicate: %d %q", code, errOut)
	}
}

// Exit status: 0 done, 1 understood but not done, 2 a wrong command line.
func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CALLCTL_DATA_DIR", dir)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("htttp: {}\n"), 0o600)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"version"}, 0, "callctl"},
		{[]string{"status"}, 0, "schema version"},
		{[]string{}, 2, "usage"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"cdr"}, 2, "cdr needs a subcommand"},
		{[]string{"cdr", "list", "--frob"}, 2, "flag provided but not defined: -frob"},
		{[]string{"cdr", "list", "--limit", "many"}, 2, "invalid value"},
		{[]string{"cdr", "show"}, 2, "usage: callctl cdr show ID"},
		{[]string{"serve", "extra"}, 2, "usage: callctl serve"},
		{[]string{"config"}, 2, "usage: callctl config check"},
		{[]string{"config", "frob"}, 2, "unknown command config"},
		{[]string{"user", "del"}, 2, "usage: callctl user del NAME"},
		{[]string{"cdr", "show", "5"}, 1, "cdr 5 not found"},
		{[]string{"user", "del", "nobody"}, 1, "no such user"},
		{[]string{"status", "--config", bad}, 1, `unknown key "htttp"`},
		{[]string{"serve", "--config", bad}, 1, `unknown key "htttp"`},
		{[]string{"status", "--config", filepath.Join(dir, "missing.yaml")}, 1, "no such file"},
	} {
		code, out, errOut := runCLI(c.args...)
		if code != c.code || !strings.Contains(out+errOut, c.want) {
			t.Errorf("callctl %s: exit %d, %q; want %d and %q", strings.Join(c.args, " "), code, out+errOut, c.code, c.want)
		}
	}
}

// config check: each bad configuration exits 1 with one line per problem;
// a good one prints the effective configuration, secrets masked.
func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CALLCTL_DATA_DIR", dir)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	bad := write("bad.yaml", "htttp: {}\nlog:\n  level: loud\nami:\n  dial_timeout: soon\n")
	code, out, errOut := runCLI("config", "check", "--config", bad, "--offline")
	if code != exitError || out != "" {
		t.Fatalf("bad: exit %d, %q", code, out)
	}
	for _, w := range []string{"3 problem(s)", "  line 1: unknown key \"htttp\" (did you mean \"http\"?)",
		"  line 5: cannot unmarshal !!str `soon` into time.Duration", `  log.level "loud": want debug, info, warn or error`} {
		if !strings.Contains(errOut, w) {
			t.Errorf("want %q in:\n%s", w, errOut)
		}
	}

	good := write("good.yaml", "ami:\n  secret: s3cret-ami\nari:\n  password: s3cret-ari\nhttp:\n  listen: 127.0.0.1:9999\n")
	code, out, errOut = runCLI("config", "check", "--config", good, "--offline")
	if code != exitOK || strings.Contains(out, "s3cret") || !strings.Contains(out, "secret: '*****'") ||
		!strings.Contains(out, "listen: 127.0.0.1:9999") || !strings.Contains(out, "data_dir: "+dir) || !strings.Contains(out, "# "+good+": ok") {
		t.Errorf("good: exit %d, stderr %q\n%s", code, errOut, out)
	}

	// Unreachable AMI and ARI: the reason, exit 1.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("CALLCTL_AMI_ADDR", addr)
	t.Setenv("CALLCTL_ARI_URL", "http://"+addr+"/ari")
	code, _, errOut = runCLI("config", "check", "--config", good)
	if code != exitError || !strings.Contains(errOut, "ami: "+addr+" unreachable: ami: dial tcp "+addr+": connect: connection refused") ||
		!strings.Contains(errOut, "ari: http://"+addr+"/ari unreachable") {
		t.Errorf("unreachable: exit %d, %q", code, errOut)
	}
	code, out, _ = runCLI("config", "check", "--config", good, "--json")
	var res checkResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitError || res.OK || len(res.Problems) != 2 || len(res.Connections) != 2 || res.Connections[0].OK {
		t.Errorf("--json: exit %d, %v, %s", code, err, out)
	}
	code, out, _ = runCLI("config", "check", "--config", good, "--json", "--offline")
	if code != exitOK || !strings.Contains(out, `"problems": []`) || !strings.Contains(out, `"connections": []`) {
		t.Errorf("--json --offline: exit %d, %s", code, out)
	}
}

// config default writes the file the package installs: it checks clean.
func TestConfigDefaultChecksClean(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CALLCTL_DATA_DIR", dir)
	code, out, errOut := runCLI("config", "default")
	if code != exitOK || !strings.Contains(out, "data_dir: "+dir) || !strings.Contains(out, `node_id: ""`) {
		t.Fatalf("exit %d, %q\n%s", code, errOut, out)
	}
	path := filepath.Join(dir, "callctl.yaml")
	os.WriteFile(path, []byte(out), 0o600)
	if code, _, errOut := runCLI("config", "check", "--offline", "--config", path); code != exitOK {
		t.Errorf("check of the default file: %d %s", code, errOut)
	}
}

// JSON shows missing data as null and empty lists as [], never Go's zero
// values: a call that was not answered, from the recorded scenario.
func TestJSONHasNoGoZeroValues(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CALLCTL_DATA_DIR", dir)
	data, err := os.ReadFile("../../cdr/testdata/outbound-noanswer.records.json")
	if err != nil {
		t.Fatal(err)
	}
	var recs []cdr.Record
	if err := json.Unmarshal(data, &recs); err != nil || len(recs) != 1 || !recs[0].Answer.IsZero() || recs[0].Legs != nil {
		t.Fatalf("fixture: %v %+v", err, recs)
	}
	recs[0].ID = 7
	db, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *store.Tx) error { return cdrstore.Save(tx, &recs[0]) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	runCLI("user", "add", "crm", "--password", "x")
	runCLI("app", "add", "crm")
	runCLI("agent", "add", "7001", "--pin", "1234")
	runCLI("pbxuser", "add", "27", "--name", "N")

	for _, args := range [][]string{
		{"cdr", "list", "--json"}, {"cdr", "show", "7", "--json"}, {"status", "--json"},
		{"user", "list", "--json"}, {"agent", "list", "--json"}, {"app", "list", "--json"},
		{"webhook", "list", "--json"}, {"webhook", "log", "--json"}, {"pbxuser", "list", "--json"},
		{"opstatus", "list", "--json"}, {"phonebook", "field", "list", "--json"}, {"nats", "status", "--json"},
		{"config", "check", "--offline", "--json"},
	} {
		code, out, errOut := runCLI(args...)
		if code != exitOK {
			t.Errorf("%v: exit %d %s", args, code, errOut)
			continue
		}
		if strings.Contains(out, "0001-01-01") || strings.Contains(out, "null") && args[0] != "cdr" {
			t.Errorf("%v: a Go zero value:\n%s", args, out)
		}
		if !json.Valid([]byte(out)) {
			t.Errorf("%v: not JSON: %s", args, out)
		}
	}
	_, out, _ := runCLI("cdr", "show", "7", "--json")
	for _, w := range []string{`"answer_time": null`, `"sub_cdrs": []`, `"id": 7`, `"start_time": "20`} {
		if !strings.Contains(out, w) {
			t.Errorf("cdr show: want %s in\n%s", w, out)
		}
	}
	_, out, _ = runCLI("cdr", "list", "--json", "--exten", "nobody")
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("empty list: %q", out)
	}
}
