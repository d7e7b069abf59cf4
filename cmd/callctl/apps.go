package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/callctl/callctl/api/oauth"
	"github.com/callctl/callctl/daemon"
)

// appCommand runs "app add|list|del": the REST API's OAuth applications.
func appCommand(cmd string, args []string, jsonOut bool, cfg daemon.Config, stdout, stderr io.Writer) int {
	ctx := backgroundContext()
	switch cmd {
	case "app add":
		if len(args) != 1 {
			fmt.Fprintln(stderr, "usage: callctl app add NAME [--json]")
			return 2
		}
		var a oauth.NewApp
		if err := adminExec(ctx, cfg, cmd, oauth.NameArgs{Name: args[0]}, &a); err != nil {
			return fail(stderr, err)
		}
		if jsonOut {
			return printJSON(stdout, a)
		}
		fmt.Fprintf(stdout, "application %s added\nclient_id      %s\nclient_secret  %s\n", a.Name, a.ClientID, a.ClientSecret)
		fmt.Fprintln(stdout, "The secret is shown only now; callctl keeps only its hash.")
	case "app del":
		if len(args) != 1 {
			fmt.Fprintln(stderr, "usage: callctl app del NAME")
			return 2
		}
		if err := adminExec(ctx, cfg, cmd, oauth.NameArgs{Name: args[0]}, nil); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "application %s deleted (its tokens too)\n", args[0])
	case "app list":
		var list []oauth.App
		if err := adminExec(ctx, cfg, cmd, nil, &list); err != nil {
			return fail(stderr, err)
		}
		if jsonOut {
			return printJSON(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tCLIENT ID\tCREATED")
		for _, a := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Name, a.ClientID, a.Created.Format(seedTime))
		}
		tw.Flush()
	}
	return 0
}
