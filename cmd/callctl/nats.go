package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/callctl/callctl/natsink"
)

const natsUsage = `usage:
  callctl nats status [--json]   messages waiting for NATS JetStream, the last acknowledgement
`

// natsCommand runs "nats status".
func natsCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "status" {
		fmt.Fprint(stderr, natsUsage)
		return 2
	}
	fs := flag.NewFlagSet("callctl nats status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration file")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprint(stderr, natsUsage)
		return 2
	}
	cfg, ok := loadConfig(*configPath, environment(), stderr)
	if !ok {
		return exitError
	}
	var st natsink.Status
	if err := adminExec(backgroundContext(), cfg, "nats status", nil, &st); err != nil {
		return fail(stderr, err)
	}
	if *jsonOut {
		return printJSON(stdout, st)
	}
	printNATSStatus(stdout, st, time.Now())
	return 0
}

func printNATSStatus(w io.Writer, st natsink.Status, now time.Time) {
	row := func(k, v string) { fmt.Fprintf(w, "%-12s %s\n", k, v) }
	if !st.Enabled {
		row("nats", "off (nats.url is not set)")
	} else {
		row("url", st.URL)
		row("stream", st.Stream)
	}
	switch {
	case !st.Running:
		row("connection", "unknown (the daemon does not run)")
	case st.Connected:
		row("connection", "connected to "+st.Server)
	default:
		row("connection", "not connected")
	}
	pending := fmt.Sprint(st.Pending)
	if st.Oldest != nil {
		pending += fmt.Sprintf(" (oldest %s ago)", now.Sub(*st.Oldest).Round(time.Second))
	}
	row("pending", pending)
	if a := st.LastAck; a != nil {
		dup := ""
		if a.Duplicate {
			dup = ", duplicate"
		}
		row("last ack", fmt.Sprintf("%s (%s ago): %s seq %d, %s%s", a.At.Format(time.RFC3339), now.Sub(a.At).Round(time.Second),
			a.Stream, a.Seq, a.MsgID, dup))
	} else {
		row("last ack", "none")
	}
	if st.LastError != "" {
		row("last error", fmt.Sprintf("%s: %s", st.ErrorAt.Format(time.RFC3339), strings.TrimSpace(st.LastError)))
	}
}
