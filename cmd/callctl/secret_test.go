package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callctl/callctl/agents"
	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/store"
)

func TestSecretsOffTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CALLCTL_DATA_DIR", dir)
	oldIn, oldTerm, oldHidden := stdin, stdinTerminal, readHidden
	defer func() { stdin, stdinTerminal, readHidden = oldIn, oldTerm, oldHidden }()

	file := filepath.Join(dir, "pw")
	os.WriteFile(file, []byte("from-file\r\nsecond line ignored\n"), 0o600)
	var prompts []string
	for _, c := range []struct {
		args     []string
		in       string
		terminal []string // what the prompt reads, if on a terminal
		code     int
		out      string
	}{
		{[]string{"user", "add", "a", "--password-stdin"}, "from-stdin\n", nil, 0, "user a added"},
		{[]string{"user", "add", "b", "--password-file", file}, "", nil, 0, "user b added"},
		{[]string{"user", "add", "c"}, "", []string{"typed", "typed"}, 0, "user c added"},
		{[]string{"user", "add", "d"}, "", []string{"typed", "typo"}, 1, "the two passwords differ"},
		{[]string{"user", "add", "e"}, "", nil, 2, "usage"}, // no terminal, no source
		{[]string{"user", "add", "f", "--password", "x", "--password-stdin"}, "y\n", nil, 2, "only one of"},
		{[]string{"user", "add", "g", "--password-stdin"}, "\n", nil, 1, "empty password"},
		{[]string{"user", "add", "h", "--password-file", filepath.Join(dir, "missing")}, "", nil, 1, "no such file"},
		{[]string{"agent", "add", "7001", "--pin-stdin"}, "4321\n", nil, 0, "agent 7001 added"},
		{[]string{"agent", "add", "7002"}, "", []string{"9876", "9876"}, 0, "agent 7002 added"},
	} {
		stdin = strings.NewReader(c.in)
		answers := c.terminal
		stdinTerminal = func() bool { return answers != nil }
		readHidden = func() (string, error) {
			a := answers[0]
			answers = answers[1:]
			return a, nil
		}
		var out, errOut bytes.Buffer
		code := run(c.args, &out, &errOut)
		got := out.String() + errOut.String()
		if code != c.code || !strings.Contains(got, c.out) {
			t.Errorf("callctl %s: exit %d, %q; want %d and %q", strings.Join(c.args, " "), code, got, c.code, c.out)
		}
		if c.terminal != nil {
			prompts = append(prompts, errOut.String())
		}
	}
	if !strings.Contains(prompts[0], "password: ") || !strings.Contains(prompts[0], "password again: ") {
		t.Errorf("prompt: %q", prompts[0])
	}

	db, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, pw := range map[string]string{"a": "from-stdin", "b": "from-file", "c": "typed"} {
		if err := users.Authenticate(context.Background(), db, users.Credentials{Name: name, Password: pw}, "list_calls"); err != nil {
			t.Errorf("user %s with %q: %v", name, pw, err)
		}
	}
	for number, pin := range map[string]string{"7001": "4321", "7002": "9876"} {
		if _, err := agents.Check(db, number, pin); err != nil {
			t.Errorf("agent %s with %q: %v", number, pin, err)
		}
	}
}
