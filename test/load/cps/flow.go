package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

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
	// queueMember answers every call of the queue load at once (queues.conf:
	// ringinuse) and hangs up after 30 s.
	queueMember = "Local/wait@callctl-test/n"
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

// addQueueMember makes queueMember the member of the queue load through
// Asterisk's CLI (not an AMI session: one more event consumer would add to
// Asterisk's CPU) and returns what removes it again.
func addQueueMember() (func(), error) {
	cli := func(command string) (string, error) {
		out, err := exec.Command("bash", filepath.Join(testbed.Dir(), "cli.sh"), command).CombinedOutput()
		return string(out), err
	}
	remove := func() { cli("queue remove member " + queueMember + " from load") }
	remove() // left over from an interrupted run
	if out, err := cli("queue add member " + queueMember + " to load"); err != nil {
		return nil, fmt.Errorf("queue add member: %v: %s", err, out)
	}
	out, err := cli("queue show load")
	if err != nil || !strings.Contains(out, "Local/wait@callctl-test") {
		remove()
		return nil, fmt.Errorf("queue load has no member after queue add member: %v: %s", err, out)
	}
	return remove, nil
}
