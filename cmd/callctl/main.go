// Command callctl is the callctl daemon and its administration CLI.
//
//	callctl serve [--config FILE]         run the daemon
//	callctl status [--config FILE]        database status (works while the daemon runs)
//	callctl version
//
// Administrative commands talk to a running daemon through its admin socket,
// or open the database themselves when no daemon runs.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/daemon"
)

var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: callctl <command> [flags]

commands:
  serve     run the daemon
  status    show the database status
  version   print the version

Every command takes --config FILE (default: built-in defaults) and honours
CALLCTL_* environment variables; see README.md.
`

// run executes one command and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("callctl "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration file")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	environ := environment()

	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "callctl", version)
		return 0
	case "serve":
		cfg, err := daemon.LoadConfig(*configPath, environ)
		if err != nil {
			fmt.Fprintln(stderr, "callctl:", err)
			return 2
		}
		log := daemon.NewLogger(cfg.Log, os.Stderr)
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		d, err := daemon.New(cfg, log)
		if err != nil {
			log.Error().Err(err).Msg("callctl cannot start")
			return 1
		}
		if err := d.Run(ctx); err != nil {
			log.Error().Err(err).Msg("callctl stopped with an error")
			return 1
		}
		return 0
	case "status":
		cfg, err := daemon.LoadConfig(*configPath, environ)
		if err != nil {
			fmt.Fprintln(stderr, "callctl:", err)
			return 2
		}
		var st admin.Status
		if err := admin.Exec(context.Background(), cfg.AdminSocket(), cfg.DataDir, daemon.AdminCommands(), "status", nil, &st); err != nil {
			return fail(stderr, err)
		}
		if *jsonOut {
			return printJSON(stdout, st)
		}
		fmt.Fprintf(stdout, "database        %s\nschema version  %d\n", st.Database, st.SchemaVersion)
		for _, k := range []string{"users", "agents", "cdrs", "outbox"} {
			fmt.Fprintf(stdout, "%-15s %d\n", k, st.Records[k])
		}
		return 0
	default:
		fmt.Fprintf(stderr, "callctl: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

func environment() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

func fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "callctl:", err)
	var ue *admin.Error
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func printJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return 1
	}
	return 0
}
