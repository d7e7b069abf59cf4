package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/daemon"
)

type cdrFlags struct {
	since, until, exten string
	limit               int
	json                bool
}

// The seed's time format, in the PBX's zone.
const seedTime = "2006-01-02 15:04:05"

func cdrCommand(cmd string, args []string, f cdrFlags, cfg daemon.Config, loc *time.Location, stdout, stderr io.Writer) int {
	ctx := context.Background()
	exec := func(name string, in, out any) error {
		return adminExec(ctx, cfg, name, in, out)
	}
	if cmd == "cdr show" {
		if len(args) != 1 {
			fmt.Fprintln(stderr, "usage: callctl cdr show ID [--json]")
			return 2
		}
		id, err := strconv.ParseUint(args[0], 10, 64)
		if err != nil {
			fmt.Fprintln(stderr, "callctl: cdr show: the id is a number")
			return 2
		}
		var r cdr.Record
		if err := exec("cdr show", cdrstore.ShowArgs{ID: id}, &r); err != nil {
			return fail(stderr, err)
		}
		if f.json {
			return printJSON(stdout, r)
		}
		printRecords(stdout, []cdr.Record{r}, loc, true)
		return 0
	}
	var a cdrstore.ListArgs
	var err error
	if a.Since, err = parseTime(f.since, loc); err != nil {
		fmt.Fprintln(stderr, "callctl: --since:", err)
		return 2
	}
	if a.Until, err = parseTime(f.until, loc); err != nil {
		fmt.Fprintln(stderr, "callctl: --until:", err)
		return 2
	}
	a.Exten, a.Limit = f.exten, f.limit
	var recs []cdr.Record
	if err := exec("cdr list", a, &recs); err != nil {
		return fail(stderr, err)
	}
	if f.json {
		return printJSON(stdout, recs)
	}
	printRecords(stdout, recs, loc, false)
	return 0
}

func parseTime(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{seedTime, "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Parse(time.RFC3339, s)
}

func seed(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format(seedTime)
}

var directions = map[int]string{cdr.Outbound: "out", cdr.Inbound: "in", cdr.MissedInbound: "missed"}

func printRecords(w io.Writer, recs []cdr.Record, loc *time.Location, legs bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTART\tDIR\tSRC\tDST\tEXTEN\tDUR\tBILL\tRING\tANSWERED BY\tHANGUP BY\tLEGS")
	for _, r := range recs {
		dir := directions[r.Direction]
		if r.Internal {
			dir = "internal"
		}
		if r.Resynced {
			dir += "*"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%d\n", r.ID, seed(r.Start, loc), dir, r.Src, r.Dst, r.Exten,
			r.Duration, r.Billsec, r.Ringtime, dash(r.AnsweredBy), r.HangupBy, len(r.Legs))
		if legs {
			for _, l := range r.Legs {
				fmt.Fprintf(tw, "  %d\t%s\t%s %s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t\n", l.ID, seed(l.Start, loc), l.Kind, directions[l.Direction],
					l.Src, l.Dst, l.Exten, l.Duration, l.Billsec, l.Ringtime, dash(l.Status), l.HangupBy)
			}
		}
	}
	tw.Flush()
	if len(recs) > 0 && legs {
		r := recs[0]
		fmt.Fprintf(w, "\nanswer %s  hangup %s  linkedid %s  ivr_digits %s  tags %s  recording %s\n",
			seed(r.Answer, loc), seed(r.Hangup, loc), r.Linkedid, dash(r.IVRDigits), dash(r.CustomField), dash(r.RecordingPath))
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
