// Package natstest runs NATS servers with JetStream inside the test
// process, on 127.0.0.1: one server, or a cluster of several, that a test
// can stop and start again on the same ports and storage.
package natstest

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Node is one NATS server.
type Node struct {
	t    testing.TB
	opts server.Options
	srv  *server.Server
}

// URL is the node's client URL (the same after a restart).
func (n *Node) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.opts.Port) }

// Running reports whether the node runs.
func (n *Node) Running() bool { return n.srv != nil }

// Stop shuts the node down (its clients are disconnected at once).
func (n *Node) Stop() {
	if n.srv == nil {
		return
	}
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
	n.srv = nil
}

// Start starts the node again with its ports and storage.
func (n *Node) Start() {
	n.t.Helper()
	opts := n.opts
	s, err := server.NewServer(&opts)
	if err != nil {
		n.t.Fatalf("natstest: %v", err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		n.t.Fatalf("natstest: server %s not ready", n.opts.ServerName)
	}
	n.srv = s
}

// Server starts one JetStream server on a free port; edit changes its
// options first (authentication, TLS).
func Server(t testing.TB, edit ...func(*server.Options)) *Node {
	t.Helper()
	n := &Node{t: t, opts: server.Options{ServerName: "n1", Host: "127.0.0.1", Port: freePort(t), JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true}}
	for _, e := range edit {
		e(&n.opts)
	}
	n.Start()
	t.Cleanup(n.Stop)
	return n
}

// Cluster is several JetStream servers routed to each other.
type Cluster struct {
	Nodes []*Node
}

// NewCluster starts a JetStream cluster of size servers on free ports.
func NewCluster(t testing.TB, size int) *Cluster {
	t.Helper()
	routePorts := make([]int, size)
	var routes []string
	for i := range routePorts {
		routePorts[i] = freePort(t)
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", routePorts[i]))
	}
	c := &Cluster{}
	dir := t.TempDir()
	for i := 0; i < size; i++ {
		name := fmt.Sprintf("n%d", i+1)
		c.Nodes = append(c.Nodes, &Node{t: t, opts: server.Options{ServerName: name, Host: "127.0.0.1", Port: freePort(t),
			JetStream: true, StoreDir: filepath.Join(dir, name), NoLog: true, NoSigs: true,
			Cluster: server.ClusterOpts{Name: "callctl-test", Host: "127.0.0.1", Port: routePorts[i]},
			Routes:  server.RoutesFromStr(strings.Join(routes, ","))}})
	}
	// Start them together: each waits for its routes before it is ready.
	done := make(chan struct{}, size)
	for _, n := range c.Nodes {
		go func() {
			opts := n.opts
			s, err := server.NewServer(&opts)
			if err != nil {
				t.Errorf("natstest: %v", err)
				done <- struct{}{}
				return
			}
			s.Start()
			n.srv = s
			done <- struct{}{}
		}()
	}
	for range c.Nodes {
		<-done
	}
	for _, n := range c.Nodes {
		if n.srv == nil || !n.srv.ReadyForConnections(15*time.Second) {
			t.Fatalf("natstest: cluster node %s not ready", n.opts.ServerName)
		}
		t.Cleanup(n.Stop)
	}
	return c
}

// URL lists the nodes' client URLs, comma separated.
func (c *Cluster) URL() string {
	var urls []string
	for _, n := range c.Nodes {
		urls = append(urls, n.URL())
	}
	return strings.Join(urls, ",")
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
