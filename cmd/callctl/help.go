package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Exit statuses of every command (README "Exit status").
const (
	exitOK    = 0 // done
	exitError = 1 // understood but not done: a bad configuration, refused (no such user, exists already, invalid value), the database or the daemon failed
	exitUsage = 2 // the command line is wrong: unknown command or flag, missing or extra argument, a flag value that does not parse
)

// helpTopic is the help of one command or group of commands.
type helpTopic struct {
	name string // "cdr list", or a group: "webhook"
	text string // usage lines, then what it does and its flags
}

const configFlag = `  --config FILE   the YAML configuration (default /etc/callctl/callctl.yaml when it exists, else the
                  built-in defaults); CALLCTL_* variables override it`

var helpTopics = []helpTopic{
	{"serve", `usage: callctl serve [--config FILE]

Runs the daemon: AMI and ARI connections, the CDR engine, the HTTP APIs,
/healthz, /readyz and /metrics, the admin socket. SIGTERM or SIGINT stop it
(requests drain, the calls in progress are saved).
` + configFlag},
	{"status", `usage: callctl status [--config FILE] [--json]

The database: its path, schema version and how many records of each kind.
` + configFlag},
	{"config", `usage: callctl config check [--config FILE] [--offline] [--json]
       callctl config default

config check validates the configuration (unknown keys with their lines,
values that do not parse or are out of range, bad CALLCTL_* variables,
unreadable secret files), logs in to AMI and asks ARI for /asterisk/info
(each bounded by ami.dial_timeout and ari.request_timeout) and prints the
effective configuration with the secrets masked. Exit status 1 when
anything is wrong, each problem on its own line.
  --offline   do not connect to Asterisk

config default prints every key with its default and a one-line comment:
the file the package installs as /etc/callctl/callctl.yaml (CALLCTL_*
variables change the defaults it shows).
` + configFlag},
	{"cdr list", `usage: callctl cdr list [--since T] [--until T] [--exten N] [--limit N] [--json] [--config FILE]

Finished calls, newest first.
  --since T    calls that started at or after T
  --until T    calls that started before T
  --exten N    calls extension N took part in
  --limit N    at most N calls (default 100)
  --json       JSON: a list of calls with their sub_cdrs; times RFC 3339, null when missing
T is "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD" in the PBX's zone (timezone), or RFC 3339.
` + configFlag},
	{"cdr show", `usage: callctl cdr show ID [--json] [--config FILE]

One finished call (main record id) and its sub-records.
` + configFlag},
	{"user add", `usage: callctl user add NAME [--password-stdin | --password-file F | --password P] [--actions all|a,b,c]

An API user. Without a password flag the password is asked for on a
terminal; --password P works too, but other local users can read it in the
process list.
  --actions   the core actions the user may call in every dialect: all
              (default) or a comma list of ` + coreActions() + `
` + configFlag},
	{"user list", "usage: callctl user list [--json] [--config FILE]\n\nThe API users and their actions.\n" + configFlag},
	{"user del", "usage: callctl user del NAME [--config FILE]\n\nDeletes an API user.\n" + configFlag},
	{"agent add", `usage: callctl agent add NUMBER [--pin-stdin | --pin-file F | --pin PIN] [--name N] [--queues q1,q2]

A call-centre agent. Without a PIN flag the PIN is asked for on a terminal.
  --name N      the agent's name (default Agent_NUMBER)
  --queues q    the agent's queues, a comma list
` + configFlag},
	{"agent list", "usage: callctl agent list [--json] [--config FILE]\n\nThe agents, their queues and where they are logged in.\n" + configFlag},
	{"agent del", "usage: callctl agent del NUMBER [--config FILE]\n\nDeletes an agent.\n" + configFlag},
	{"app add", "usage: callctl app add NAME [--json] [--config FILE]\n\nA REST API application (OAuth client): prints its client_id and client_secret, once.\n" + configFlag},
	{"app list", "usage: callctl app list [--json] [--config FILE]\n\nThe REST API applications.\n" + configFlag},
	{"app del", "usage: callctl app del NAME [--config FILE]\n\nDeletes an application and its tokens.\n" + configFlag},
	{"webhook", webhookUsage + "\nOutbound API clients (README: Outbound API clients).\n" + configFlag},
	{"pbxuser", pbxusersUsage + "\nPBX users, operator statuses and phonebook custom fields (VIPeX).\n" + configFlag},
	{"opstatus", pbxusersUsage + "\nPBX users, operator statuses and phonebook custom fields (VIPeX).\n" + configFlag},
	{"phonebook", pbxusersUsage + "\nPBX users, operator statuses and phonebook custom fields (VIPeX).\n" + configFlag},
	{"nats", natsUsage + "\n" + configFlag},
	{"flow", flowUsage + `
Call flows (README "Call flows"): set validates the flow against the PBX
(pbx.extensions, pbx.queues), the webhook clients and the stored flows;
every problem is printed on its own line and nothing is changed. del
refuses (and changes nothing) a flow that a DID of pbx.dids runs or
another flow's goto names.
` + configFlag},
	{"version", "usage: callctl version\n\nPrints callctl's version."},
	{"help", "usage: callctl help [COMMAND]\n\nThe list of commands, or one command's help (also: callctl COMMAND --help)."},
}

// findHelp returns the topic of the longest command name args begin with:
// "cdr list" for [cdr list], "cdr list" and "cdr show" for [cdr], …
func findHelp(args []string) []helpTopic {
	for n := min(len(args), 3); n > 0; n-- {
		name := strings.Join(args[:n], " ")
		for _, t := range helpTopics {
			if t.name == name {
				return []helpTopic{t}
			}
		}
		var group []helpTopic
		for _, t := range helpTopics {
			if strings.HasPrefix(t.name, name+" ") {
				group = append(group, t)
			}
		}
		if len(group) > 0 {
			return group
		}
	}
	return nil
}

// isHelpFlag reports whether an argument asks for help.
func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// help answers "callctl help [CMD]", "callctl --help" and "CMD --help":
// the help on standard output and exit status 0, or an unknown command
// (status 2).
func help(args []string, stdout, stderr io.Writer) int {
	args = slices.DeleteFunc(slices.Clone(args), isHelpFlag)
	if len(args) > 0 && args[0] == "help" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	topics := findHelp(args)
	if topics == nil {
		fmt.Fprintf(stderr, "callctl: unknown command %q\n\n%s", strings.Join(args, " "), usage)
		return exitUsage
	}
	for i, t := range topics {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintln(stdout, strings.TrimRight(t.text, "\n"))
	}
	return exitOK
}

// wantsHelp reports whether the command line asks for help: callctl help
// …, or -h/--help anywhere before a "--".
func wantsHelp(args []string) bool {
	if len(args) > 0 && args[0] == "help" {
		return true
	}
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelpFlag(a) {
			return true
		}
	}
	return false
}
