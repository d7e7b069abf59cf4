package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/callctl/callctl/daemon"
)

const configUsage = `usage: callctl config check [--config FILE] [--offline] [--json]
       callctl config default
`

// configCommand runs "config check" and "config default".
func configCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, configUsage)
		return exitUsage
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("callctl config "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, "(callctl help config for the usage)\n") }
	configPath := fs.String("config", "", "YAML configuration file")
	offline := fs.Bool("offline", false, "check: do not connect to Asterisk")
	jsonOut := fs.Bool("json", false, "check: print the problems and the connections as JSON")
	if _, ok := parseInterleaved(fs, args); !ok || fs.NArg() > 0 {
		return exitUsage
	}
	environ := environment()
	switch sub {
	case "default":
		cfg, problems := daemon.CheckConfig("", environ)
		if len(problems) > 0 {
			for _, p := range problems {
				fmt.Fprintln(stderr, "callctl: config: environment:", p)
			}
			return exitError
		}
		if _, set := environ["CALLCTL_NODE_ID"]; !set {
			cfg.NodeID = "" // the host name where the file is read, not here
		}
		header := "callctl's configuration: every key with its default. Each key's CALLCTL_* variable,\n" +
			"in brackets, overrides it. Check it with: callctl config check\n" +
			"Secrets may come from files instead: ami.secret_file, ari.password_file."
		if err := daemon.WriteConfigYAML(stdout, cfg, header, false); err != nil {
			fmt.Fprintln(stderr, "callctl:", err)
			return exitError
		}
		return exitOK
	case "check":
		return configCheck(configFile(*configPath, environ), environ, *offline, *jsonOut, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "callctl: unknown command config %q\n\n%s", sub, configUsage)
		return exitUsage
	}
}

// checkResult is config check's --json answer.
type checkResult struct {
	File        string            `json:"file"` // "" for the built-in defaults
	OK          bool              `json:"ok"`
	Problems    []string          `json:"problems"`
	Connections []connectionCheck `json:"connections"` // none with --offline or a bad file
}

type connectionCheck struct {
	Name   string `json:"name"`
	Target string `json:"target"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"` // what answered, or why nothing did
}

func configCheck(path string, environ map[string]string, offline, jsonOut bool, stdout, stderr io.Writer) int {
	cfg, problems := daemon.CheckConfig(path, environ)
	res := checkResult{File: path, Problems: problems}
	if len(problems) == 0 && !offline {
		for _, r := range daemon.CheckConnections(context.Background(), cfg) {
			c := connectionCheck{Name: r.Name, Target: r.Target, OK: r.Err == nil, Detail: r.Detail}
			if r.Err != nil {
				c.Detail = r.Err.Error()
				res.Problems = append(res.Problems, fmt.Sprintf("%s: %s unreachable: %v", r.Name, r.Target, r.Err))
			}
			res.Connections = append(res.Connections, c)
		}
	}
	res.OK = len(res.Problems) == 0
	if jsonOut {
		if code := printJSON(stdout, res); code != exitOK {
			return code
		}
		if !res.OK {
			return exitError
		}
		return exitOK
	}
	name := path
	if name == "" {
		name = "the built-in defaults (no file)"
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "callctl: config %s: %d problem(s):\n", name, len(problems))
		for _, p := range problems {
			fmt.Fprintln(stderr, "  "+p)
		}
		return exitError
	}
	if err := daemon.WriteConfigYAML(stdout, cfg, "the effective configuration of "+name+" (secrets masked)", true); err != nil {
		fmt.Fprintln(stderr, "callctl:", err)
		return exitError
	}
	for _, c := range res.Connections {
		if c.OK {
			fmt.Fprintf(stdout, "# %s %s: ok (%s)\n", c.Name, c.Target, c.Detail)
		}
	}
	if !res.OK {
		fmt.Fprintf(stderr, "callctl: config %s: %d problem(s):\n", name, len(res.Problems))
		for _, p := range res.Problems {
			fmt.Fprintln(stderr, "  "+p)
		}
		return exitError
	}
	fmt.Fprintf(stdout, "# %s: ok\n", name)
	return exitOK
}
