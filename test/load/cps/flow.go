package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/daemon"
	"github.com/callctl/callctl/flow"
	"github.com/callctl/callctl/test/testbed"
)

// flowMode: -flow.
var flowMode bool

const (
	// flowDID runs the test bed's flow "load" (from-carrier sends
	// 36123403NN to technical extension 2NN; load.yaml's exten is 250).
	flowDID = "3612340350"
	// maxFlowCalls is callctl's default flows.max_calls: more calls would
	// go to the DID's static destination, not through the flow.
	maxFlowCalls = 500
	// agentLine is the queue's agent: a sipp (agent.xml) registered as
	// this test bed line on 127.0.0.1:agentPort answers every call of the
	// queue load (queues.conf: ringinuse), so each call has a real agent
	// leg.
	agentLine = "1009"
	agentPort = "6009"
)

// setFlow stores the flow in file in the running daemon, as
// `callctl flow set FILE` does (validated against its PBX configuration).
func (d *daemonProc) setFlow(file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var info flow.Info
	err = admin.Exec(context.Background(), d.cfg.AdminSocket(), d.cfg.DataDir, daemon.AdminCommands(d.cfg),
		"flow set", flow.SetArgs{Source: string(b)}, &info)
	if err != nil {
		return fmt.Errorf("flow set %s: %w", file, err)
	}
	return nil
}

// startAgent registers line agentLine at sipp's address, runs agent.xml
// there and makes the line the member of the queue load, through
// Asterisk's CLI (not an AMI session: one more event consumer would add to
// Asterisk's CPU). The function it returns undoes all three.
func startAgent(work, here string, bound time.Duration) (func(), error) {
	cli := func(command string) (string, error) {
		out, err := exec.Command("bash", filepath.Join(testbed.Dir(), "cli.sh"), command).CombinedOutput()
		return string(out), err
	}
	register := func(expires string) error {
		out, err := exec.Command("sipp", "127.0.0.1:5060", "-sf", filepath.Join(here, "register.xml"),
			"-set", "ext", agentLine, "-set", "expires", expires, "-au", agentLine, "-ap", "pw"+agentLine,
			"-i", "127.0.0.1", "-p", agentPort, "-mp", "26900", "-m", "1", "-timeout", "10s", "-timeout_error", "-nostdin").CombinedOutput()
		if err != nil {
			return fmt.Errorf("sipp register %s (expires %s): %v: %s", agentLine, expires, err, tail(string(out), 800))
		}
		return nil
	}
	member := "PJSIP/" + agentLine
	removeMember := func() { cli("queue remove member " + member + " from load") }
	removeMember() // left over from an interrupted run
	if err := register("600"); err != nil {
		return nil, err
	}
	agent := exec.Command("sipp", "-sf", filepath.Join(here, "agent.xml"), "-i", "127.0.0.1", "-p", agentPort, "-mp", "26800",
		"-aa", "-timeout", strconv.Itoa(int(bound.Seconds()))+"s", "-trace_err", "-error_file", filepath.Join(work, "agent-errors.log"), "-nostdin")
	agent.Dir = work
	out, err := os.Create(filepath.Join(work, "agent.out"))
	if err != nil {
		return nil, err
	}
	agent.Stdout, agent.Stderr = out, out
	if err := agent.Start(); err != nil {
		out.Close()
		register("0")
		return nil, fmt.Errorf("sipp agent: %w", err)
	}
	done := make(chan struct{})
	go func() { agent.Wait(); out.Close(); close(done) }()
	stop := func() {
		removeMember()
		agent.Process.Kill()
		<-done
		if err := register("0"); err != nil {
			fmt.Fprintln(os.Stderr, "cps:", err)
		}
	}
	if o, err := cli("queue add member " + member + " to load"); err != nil {
		stop()
		return nil, fmt.Errorf("queue add member: %v: %s", err, o)
	}
	if o, err := cli("queue show load"); err != nil || !strings.Contains(o, member) {
		stop()
		return nil, fmt.Errorf("queue load has no member %s: %v: %s", member, err, o)
	}
	time.Sleep(300 * time.Millisecond) // sipp listening
	return stop, nil
}
