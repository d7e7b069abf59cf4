// Command callctl is the callctl daemon and its administration CLI.
//
//	callctl serve [--config FILE]         run the daemon
//	callctl config check [--config FILE] [--offline] | config default
//	callctl help [COMMAND] | COMMAND --help
//	callctl status [--config FILE]        database status (works while the daemon runs)
//	callctl cdr list [--since T] [--until T] [--exten N] [--limit N] [--json]
//	callctl cdr show ID [--json]
//	callctl user add NAME [--password-stdin | --password-file F | --password P] [--actions all|a,b,c] | user list | user del NAME
//	callctl agent add NUMBER [--pin-stdin | --pin-file F | --pin PIN] [--name N] [--queues q1,q2] | agent list | agent del NUMBER
//	callctl app add NAME [--json] | app list | app del NAME
//	callctl webhook add NAME --kind K --url URL [...] | list | show | del | test | log | retry
//	callctl pbxuser add ID --name N [...] | list | del ID; opstatus add ID --status S --label L | list | del ID
//	callctl flow set FILE | list [--json] | show NAME | del NAME
//	callctl nats status [--json]
//	callctl version
//
// Administrative commands talk to a running daemon through its admin socket,
// or open the database themselves when no daemon runs.
package main

import (
	"context"
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
  config check [--offline]   validate the configuration, try AMI and ARI, print it (secrets masked)
  config default             every key with its default and a comment (the packaged callctl.yaml)
  cdr list  finished calls, newest first [--since T] [--until T] [--exten N] [--limit N]
  cdr show  one finished call and its sub-records: cdr show ID
  user add NAME [--password-stdin | --password-file F] [--actions all|a,b,c]
            an API user (default: every action; actions are core actions:
            click_to_call, list_calls, … — see callctl user add -h). The password
            is asked for on a terminal; --password P also works, but other local
            users can read it in the process list
  user list | user del NAME
  agent add NUMBER [--pin-stdin | --pin-file F] [--name N] [--queues q1,q2]
            a call-center agent; the PIN is asked for on a terminal (--pin PIN
            also works, visible in the process list)
  agent list | agent del NUMBER
  app add NAME [--json]   a REST API application: prints its client_id and client_secret (once)
  app list | app del NAME
  webhook add|list|show|del|test|log|retry   outbound API clients (callctl webhook for details)
  pbxuser add|list|del, opstatus add|list|del, phonebook field add|list|del   PBX users, operator statuses,
            phonebook custom fields (VIPeX; callctl pbxuser for details)
  flow set FILE | flow list [--json] | flow show NAME | flow del NAME
            call flows (YAML or JSON; callctl flow for details)
  nats status   messages waiting for NATS JetStream and the last acknowledgement [--json]
  version   print the version
  help [COMMAND]   this overview, or a command's usage (also: callctl COMMAND --help)

Times (T) are "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD" in the PBX's time zone, or RFC 3339.

Every command takes --config FILE (default: /etc/callctl/callctl.yaml when it
exists, else the built-in defaults) and honours CALLCTL_* environment
variables; list commands take --json. Exit status: 0 done, 1 not done (a bad
configuration, refused, failed), 2 a wrong command line. See README.md.
`

// run executes one command and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	if wantsHelp(args) {
		return help(args, stdout, stderr)
	}
	cmd, args := args[0], args[1:]
	if cmd == "config" {
		return configCommand(args, stdout, stderr)
	}
	if cmd == "webhook" {
		return webhookCommand(args, stdout, stderr)
	}
	if cmd == "pbxuser" || cmd == "opstatus" || cmd == "phonebook" {
		return pbxusersCommand(cmd, args, stdout, stderr)
	}
	if cmd == "nats" {
		return natsCommand(args, stdout, stderr)
	}
	if cmd == "flow" {
		return flowCommand(args, stdout, stderr)
	}
	if cmd == "cdr" || cmd == "user" || cmd == "agent" || cmd == "app" {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			fmt.Fprintf(stderr, "callctl: %s needs a subcommand\n\n", cmd)
			help([]string{cmd}, stderr, stderr)
			return exitUsage
		}
		cmd, args = cmd+" "+args[0], args[1:]
	}
	fs := flag.NewFlagSet("callctl "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, "(callctl help %s for the usage)\n", cmd) }
	configPath := fs.String("config", "", "YAML configuration file")
	jsonOut := fs.Bool("json", false, "print JSON")
	since := fs.String("since", "", "cdr list: calls that started at or after this time")
	until := fs.String("until", "", "cdr list: calls that started before this time")
	exten := fs.String("exten", "", "cdr list: calls this extension took part in")
	limit := fs.Int("limit", 100, "cdr list: at most this many calls")
	var password, pin secretSource
	password.what, password.flag = "password", "password"
	pin.what, pin.flag = "PIN", "pin"
	fs.StringVar(&password.arg, "password", "", "user add: the user's password (visible to other local users in the process list: prefer a prompt, --password-stdin or --password-file)")
	fs.BoolVar(&password.fromStdin, "password-stdin", false, "user add: read the password from the first line of standard input")
	fs.StringVar(&password.file, "password-file", "", "user add: read the password from the first line of this file")
	actions := fs.String("actions", "all", "user add: the core actions the user may call, in every dialect: all, or a comma list of "+coreActions())
	fs.StringVar(&pin.arg, "pin", "", "agent add: the agent's PIN (visible to other local users in the process list: prefer a prompt, --pin-stdin or --pin-file)")
	fs.BoolVar(&pin.fromStdin, "pin-stdin", false, "agent add: read the PIN from the first line of standard input")
	fs.StringVar(&pin.file, "pin-file", "", "agent add: read the PIN from the first line of this file")
	name := fs.String("name", "", "agent add: the agent's name (default Agent_NUMBER)")
	queues := fs.String("queues", "", "agent add: the agent's queues, a comma list")
	// Flags may follow positional arguments: callctl user add alice --password x
	positional, ok := parseInterleaved(fs, args)
	if !ok {
		return exitUsage
	}
	environ := environment()

	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "callctl", version)
		return exitOK
	case "serve":
		if len(positional) > 0 {
			fmt.Fprintln(stderr, "usage: callctl serve [--config FILE]")
			return exitUsage
		}
		cfg, ok := loadConfig(*configPath, environ, stderr)
		if !ok {
			return exitError
		}
		cfg.ApplyRuntime(environ)
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
		cfg, ok := loadConfig(*configPath, environ, stderr)
		if !ok {
			return exitError
		}
		var st admin.Status
		if err := adminExec(context.Background(), cfg, "status", nil, &st); err != nil {
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
	case "cdr list", "cdr show":
		cfg, ok := loadConfig(*configPath, environ, stderr)
		if !ok {
			return exitError
		}
		loc, _ := cfg.Location()
		return cdrCommand(cmd, positional, cdrFlags{*since, *until, *exten, *limit, *jsonOut}, cfg, loc, stdout, stderr)
	case "app add", "app list", "app del":
		cfg, ok := loadConfig(*configPath, environ, stderr)
		if !ok {
			return exitError
		}
		return appCommand(cmd, positional, *jsonOut, cfg, stdout, stderr)
	case "user add", "user list", "user del", "agent add", "agent list", "agent del":
		cfg, ok := loadConfig(*configPath, environ, stderr)
		if !ok {
			return exitError
		}
		if strings.HasPrefix(cmd, "user") {
			return userCommand(cmd, positional, password, *actions, *jsonOut, cfg, stdout, stderr)
		}
		return agentCommand(cmd, positional, pin, *name, *queues, *jsonOut, cfg, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "callctl: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}

// systemConfig is the configuration file a command reads when it names
// none (and CALLCTL_CONFIG is not set): the package installs it.
var systemConfig = "/etc/callctl/callctl.yaml"

// configFile is the file a command reads: --config, else CALLCTL_CONFIG,
// else systemConfig when it exists, else none (the built-in defaults).
func configFile(flagValue string, environ map[string]string) string {
	if flagValue != "" {
		return flagValue
	}
	if p := environ["CALLCTL_CONFIG"]; p != "" {
		return p
	}
	if _, err := os.Stat(systemConfig); err == nil {
		return systemConfig
	}
	return ""
}

// loadConfig loads the configuration, or prints its problems (one a line)
// and returns false.
func loadConfig(flagValue string, environ map[string]string, stderr io.Writer) (daemon.Config, bool) {
	cfg, err := daemon.LoadConfig(configFile(flagValue, environ), environ)
	if err != nil {
		fmt.Fprintln(stderr, "callctl:", err)
		return cfg, false
	}
	return cfg, true
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
	return exitError
}

// adminExec runs an admin command through the daemon or on the database.
func adminExec(ctx context.Context, cfg daemon.Config, name string, in, out any) error {
	return admin.Exec(ctx, cfg.AdminSocket(), cfg.DataDir, daemon.AdminCommands(cfg), name, in, out)
}

func backgroundContext() context.Context { return context.Background() }

// parseInterleaved parses fs's flags wherever they stand among the
// positional arguments (callctl user add alice --password-stdin) and
// returns the positional ones; false when a flag is bad (fs said why).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, bool) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, false
		}
		if fs.NArg() == 0 {
			return positional, true
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
