package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/flow"
)

const flowUsage = `usage:
  callctl flow set FILE          store the call flow in FILE (YAML or JSON; - reads standard input),
                                 replacing the flow of its name; it is validated first
  callctl flow list [--json]     the flows
  callctl flow show NAME         a flow, in YAML
  callctl flow del NAME          delete a flow (refused while another flow's goto names it)
`

// flowCommand runs "flow set|list|show|del".
func flowCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, flowUsage)
		return exitUsage
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("callctl flow "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration file")
	jsonOut := fs.Bool("json", false, "list: print JSON")
	positional, ok := parseInterleaved(fs, args)
	if !ok {
		return exitUsage
	}
	cmd := "flow " + sub
	want := 1
	if sub == "list" {
		want = 0
	}
	switch sub {
	case "set", "list", "show", "del":
	default:
		fmt.Fprintf(stderr, "callctl: unknown command flow %s\n\n%s", sub, flowUsage)
		return exitUsage
	}
	if len(positional) != want {
		fmt.Fprint(stderr, flowUsage)
		return exitUsage
	}
	cfg, ok := loadConfig(*configPath, environment(), stderr)
	if !ok {
		return exitError
	}
	var err error
	ctx := backgroundContext()
	switch sub {
	case "set":
		file := positional[0]
		var data []byte
		if file == "-" {
			data, err = io.ReadAll(io.LimitReader(os.Stdin, flow.MaxSize+1))
		} else {
			data, err = os.ReadFile(file)
		}
		if err != nil {
			return fail(stderr, err)
		}
		var in flow.Info
		if err := adminExec(ctx, cfg, cmd, flow.SetArgs{Source: string(data)}, &in); err != nil {
			var ue *admin.Error
			if !errors.As(err, &ue) {
				return fail(stderr, err)
			}
			// One line per problem, each naming the file.
			for _, line := range strings.Split(ue.Message, "\n") {
				fmt.Fprintf(stderr, "callctl: %s: %s\n", file, line)
			}
			return exitError
		}
		verb := "saved"
		if in.Replaced {
			verb = "replaced"
		}
		fmt.Fprintf(stdout, "flow %s %s (%d steps, exten %s)\n", in.Name, verb, in.Steps, dash(in.Exten))
	case "list":
		var list []flow.Info
		if err := adminExec(ctx, cfg, cmd, nil, &list); err != nil {
			return fail(stderr, err)
		}
		if *jsonOut {
			return printJSON(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tEXTEN\tLANGUAGE\tSTEPS\tFIRST")
		for _, f := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", f.Name, dash(f.Exten), f.Language, f.Steps, f.First)
		}
		tw.Flush()
	case "show":
		var res flow.ShowResult
		if err := adminExec(ctx, cfg, cmd, flow.NameArgs{Name: positional[0]}, &res); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprint(stdout, res.YAML)
	case "del":
		if err := adminExec(ctx, cfg, cmd, flow.NameArgs{Name: positional[0]}, nil); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "flow %s deleted\n", positional[0])
	}
	return exitOK
}
