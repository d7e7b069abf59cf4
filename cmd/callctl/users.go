package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/callctl/callctl/agents"
	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/callflow"
	"github.com/callctl/callctl/daemon"
)

// userCommand runs "user add|list|del".
func userCommand(cmd string, args []string, secret secretSource, actions string, jsonOut bool, cfg daemon.Config, stdout, stderr io.Writer) int {
	ctx := backgroundContext()
	switch cmd {
	case "user add":
		const use = "usage: callctl user add NAME [--password-stdin | --password-file F | --password P] [--actions all|a,b,c]\n(without one, the password is asked for on a terminal)"
		if len(args) != 1 {
			fmt.Fprintln(stderr, use)
			return 2
		}
		password, code := readSecret(secret, use, stderr)
		if code != 0 {
			return code
		}
		in := users.AddArgs{Name: args[0], Password: password}
		if actions != "" && actions != "all" {
			in.Actions = strings.Split(actions, ",")
		}
		var u users.User
		if err := adminExec(ctx, cfg, cmd, in, &u); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "user %s added (actions: %s)\n", u.Name, strings.Join(u.Actions, ","))
	case "user del":
		if len(args) != 1 {
			fmt.Fprintln(stderr, "usage: callctl user del NAME")
			return 2
		}
		if err := adminExec(ctx, cfg, cmd, users.DelArgs{Name: args[0]}, nil); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "user %s deleted\n", args[0])
	case "user list":
		var list []users.User
		if err := adminExec(ctx, cfg, cmd, nil, &list); err != nil {
			return fail(stderr, err)
		}
		if jsonOut {
			return printJSON(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tACTIONS\tCREATED")
		for _, u := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, strings.Join(u.Actions, ","), u.Created.Format(seedTime))
		}
		tw.Flush()
	}
	return 0
}

// readSecret reads a command's secret, or returns the exit status of a
// failure (usage printed when none was given).
func readSecret(s secretSource, usage string, stderr io.Writer) (string, int) {
	secret, err := s.read(stderr)
	switch {
	case errors.Is(err, errNoSecret):
		fmt.Fprintln(stderr, usage)
		return "", exitUsage
	case errors.Is(err, errTwoSources):
		fmt.Fprintln(stderr, "callctl:", err)
		return "", exitUsage
	case err != nil:
		fmt.Fprintln(stderr, "callctl:", err)
		return "", exitError
	case secret == "":
		fmt.Fprintf(stderr, "callctl: empty %s\n", s.what)
		return "", exitError
	}
	return secret, 0
}

// coreActions lists the core action names for the help.
func coreActions() string {
	var names []string
	for _, a := range callflow.Actions() {
		names = append(names, string(a))
	}
	return strings.Join(names, ",")
}

// agentCommand runs "agent add|list|del".
func agentCommand(cmd string, args []string, secret secretSource, name, queues string, jsonOut bool, cfg daemon.Config, stdout, stderr io.Writer) int {
	ctx := backgroundContext()
	switch cmd {
	case "agent add":
		const use = "usage: callctl agent add NUMBER [--pin-stdin | --pin-file F | --pin PIN] [--name N] [--queues q1,q2]\n(without one, the PIN is asked for on a terminal)"
		if len(args) != 1 {
			fmt.Fprintln(stderr, use)
			return 2
		}
		pin, code := readSecret(secret, use, stderr)
		if code != 0 {
			return code
		}
		in := agents.AddArgs{Number: args[0], PIN: pin, Name: name}
		if queues != "" {
			in.Queues = strings.Split(queues, ",")
		}
		if err := adminExec(ctx, cfg, cmd, in, nil); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "agent %s added\n", args[0])
	case "agent del":
		if len(args) != 1 {
			fmt.Fprintln(stderr, "usage: callctl agent del NUMBER")
			return 2
		}
		if err := adminExec(ctx, cfg, cmd, agents.DelArgs{Number: args[0]}, nil); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "agent %s deleted\n", args[0])
	case "agent list":
		var list []agents.Agent
		if err := adminExec(ctx, cfg, cmd, nil, &list); err != nil {
			return fail(stderr, err)
		}
		if jsonOut {
			return printJSON(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NUMBER\tNAME\tQUEUES\tLOGGED IN FROM")
		for _, a := range list {
			var qs []string
			for q, p := range a.Queues {
				qs = append(qs, fmt.Sprintf("%s(%d)", q, p))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Number, a.Name, strings.Join(qs, ","), dash(a.LoggedInFrom))
		}
		tw.Flush()
	}
	return 0
}
