// Command record plays call scenarios (test/scenario) on the test bed and
// records what Asterisk emitted into fixtures for the CDR engine's replay
// tests:
//
//	<out>/<scenario>.jsonl        every AMI event, one JSON object a line, as
//	                              the ami package delivered it (including
//	                              its Connected/Disconnected events and, after
//	                              a reconnect, the CoreShowChannels answer)
//	<out>/<scenario>.asterisk.csv the lines Asterisk's own CDR engine wrote
//	                              (cdr_custom, see test/asterisk/etc/cdr_custom.conf)
//	<out>/<scenario>.cel.csv      with -cel: the CEL rows Asterisk wrote
//	                              (cel_sqlite3_custom, see package cdr/cel);
//	                              the .jsonl then keeps only the events the
//	                              CDR engine reads
//
// A scenario that runs one of callctl's call flows (Scenario.NeedsFlows:
// ivr-queue, DID 3612340300) plays with callctl running in this process
// (test/testbed RunDaemon: the test bed's configuration and flows, a fresh
// data directory), started before the scenario and stopped after it, so
// that the flow runs over ARI as in production; the other scenarios play
// without callctl.
//
// Usage: go run ./test/record [-out cdr/testdata] [-cel] [scenario …]  (default: all)
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr/cdrfeed"
	"github.com/callctl/callctl/cdr/cel"
	"github.com/callctl/callctl/test/scenario"
	"github.com/callctl/callctl/test/testbed"
)

func main() {
	out := flag.String("out", "cdr/testdata", "fixture directory")
	flag.BoolVar(&withCEL, "cel", false, "also record the CEL rows (and only the events the CDR engine reads)")
	flag.Parse()
	if err := run(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "record:", err)
		os.Exit(1)
	}
}

var withCEL bool

func run(out string, names []string) error {
	if err := testbed.Up(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	// Record everything Asterisk emits (the AMI user without event filters),
	// so that the fixtures also show what the filters leave out.
	cfg := ami.DefaultConfig()
	cfg.Username = "callctl-all"
	client := ami.New(cfg, zerolog.New(os.Stderr).Level(zerolog.WarnLevel), nil)
	go client.Run(ctx)
	for !client.Ready() {
		time.Sleep(20 * time.Millisecond)
	}
	env, err := scenario.NewEnv(ctx, client)
	if err != nil {
		return err
	}
	defer env.Close()

	var list []scenario.Scenario
	if len(names) == 0 {
		list = scenario.All
	}
	for _, n := range names {
		s, ok := scenario.Get(n)
		if !ok {
			return fmt.Errorf("no scenario %q", n)
		}
		list = append(list, s)
	}
	for _, s := range list {
		if err := recordWithFlows(ctx, env, s, out); err != nil {
			return err
		}
	}
	return nil
}

// recordWithFlows records s, with callctl's flow runner if it needs one.
func recordWithFlows(ctx context.Context, env *scenario.Env, s scenario.Scenario, out string) error {
	if !s.NeedsFlows() {
		return record(ctx, env, s, out)
	}
	dir, err := os.MkdirTemp("", "callctl-record-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	d, err := testbed.RunDaemon(dir, zerolog.New(os.Stderr).Level(zerolog.WarnLevel).With().Timestamp().Logger(), nil)
	if err != nil {
		return fmt.Errorf("callctl for %s: %w", s.Name, err)
	}
	err = record(ctx, env, s, out)
	if cerr := d.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("callctl: %w", cerr)
	}
	return err
}

func record(ctx context.Context, env *scenario.Env, s scenario.Scenario, out string) error {
	csvPath := filepath.Join(testbed.Root(), "var/log/asterisk/cdr-custom/Master.csv")
	csvBefore := lineCount(csvPath)
	celBefore, err := celLastID(ctx)
	if err != nil {
		return err
	}
	sub := env.AMI.Subscribe("record", 100000)
	var events []ami.Message
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range sub.C() {
			events = append(events, e)
			// After a reconnect, record the answer to the resynchronisation
			// the CDR feed makes at this point.
			if e.Event() == ami.EventConnected {
				rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				_, items, err := env.AMI.List(rctx, ami.Action{Name: "CoreShowChannels"})
				cancel()
				if err == nil {
					events = append(events, items...)
					events = append(events, ami.Message{"Event": "CoreShowChannelsComplete", "EventList": "Complete"})
				}
			}
		}
	}()
	env.Restart = testbed.Crash
	fmt.Fprintf(os.Stderr, "== %s: %s\n", s.Name, s.Doc)
	err = scenario.Play(ctx, env, s)
	time.Sleep(500 * time.Millisecond) // the last events, and cdr_custom's write
	sub.Close()
	<-done
	if err != nil {
		return err
	}

	f, err := os.Create(filepath.Join(out, s.Name+".jsonl"))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, e := range events {
		if e.Event() == "TestEvent" || e.Event() == "RTCPSent" || e.Event() == "RTCPReceived" {
			continue // noise of Debian's build and of media, not call state
		}
		if _, tracked := cdrfeed.ParseEvent(e); withCEL && !tracked && !strings.HasPrefix(e.Event(), "CoreShowChannel") {
			continue
		}
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	lines := readLines(csvPath)
	if csvBefore > len(lines) { // the file was rotated by a restart
		csvBefore = 0
	}
	cdrs := strings.Join(lines[csvBefore:], "\n")
	if cdrs != "" {
		cdrs += "\n"
	}
	fmt.Fprintf(os.Stderr, "   %d events, %d Asterisk CDRs\n", len(events), len(lines)-csvBefore)
	if err := os.WriteFile(filepath.Join(out, s.Name+".asterisk.csv"), []byte(cdrs), 0o644); err != nil {
		return err
	}
	if withCEL {
		return recordCEL(ctx, filepath.Join(out, s.Name+".cel.csv"), celBefore)
	}
	return nil
}

// celPath is the test bed's CEL file on this machine.
func celPath() string { return filepath.Join(testbed.Root(), "var/log/asterisk/cel.db") }

func celLastID(ctx context.Context) (int64, error) {
	if !withCEL {
		return 0, nil
	}
	db, err := cel.Open(ctx, celPath(), "", false)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	return db.LastID(ctx)
}

// recordCEL writes the CEL rows after rowid from.
func recordCEL(ctx context.Context, path string, from int64) error {
	db, err := cel.Open(ctx, celPath(), "", false)
	if err != nil {
		return err
	}
	defer db.Close()
	var rows []cel.Row
	if err := db.After(ctx, from, func(r cel.Row) error { rows = append(rows, r); return nil }); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := cel.WriteCSV(f, rows); err != nil {
		f.Close()
		return err
	}
	fmt.Fprintf(os.Stderr, "   %d CEL rows\n", len(rows))
	return f.Close()
}

func readLines(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

func lineCount(path string) int { return len(readLines(path)) }
