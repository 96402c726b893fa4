package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// idleResult is what one server measured holding n idle connections.
type idleResult struct {
	server string
	n      int
	rss    float64 // bytes per connection
	err    error
}

var reIdleRSS = regexp.MustCompile(`(?m)^rss per connection: (-?\d+) \[B\]$`)

// idleServers are the implementations that have an idle server tool, in
// report order.
var idleServers = []string{"azmq", "azmq-epoll", "azmq-std", "libzmq"}

// measureIdle runs each available server with n idle azmq clients (in
// their own process) and reads the server's resident memory per
// connection.
func measureIdle(impls map[string]*impl, eps *endpoints, n int, timeout time.Duration) []idleResult {
	client := impls["azmq"]
	for _, name := range []string{"azmq-epoll", "azmq-std"} {
		if client == nil || client.unavailable != "" {
			client = impls[name]
		}
	}
	var out []idleResult
	for _, name := range idleServers {
		im := impls[name]
		if im == nil || im.unavailable != "" {
			continue
		}
		r := idleResult{server: name, n: n}
		if client == nil || client.unavailable != "" {
			r.err = fmt.Errorf("no azmq client tool")
		} else {
			r.rss, r.err = idleRun(im.argv("idle", "serve"), client.argv("idle", "clients"), eps, n, timeout)
		}
		if r.err != nil {
			logf("idle %s: FAILED: %v", name, r.err)
		} else {
			logf("idle %s: %d connections, %.0f B each", name, n, r.rss)
		}
		out = append(out, r)
	}
	return out
}

// idleRun starts the server, then the clients once it listens, and waits
// for the server's report.
func idleRun(server, client []string, eps *endpoints, n int, timeout time.Duration) (float64, error) {
	ep, bound, err := eps.next("tcp")
	if err != nil {
		return 0, err
	}
	count := strconv.Itoa(n)
	srv, err := start(append(server, ep, count))
	if err != nil {
		return 0, err
	}
	defer srv.kill()
	deadline := time.Now().Add(timeout)
	for !bound() {
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("server never listened: %s", strings.TrimSpace(srv.err.String()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	cl, err := start(append(client, ep, count))
	if err != nil {
		return 0, err
	}
	defer cl.kill()
	select {
	case <-srv.done:
	case <-time.After(time.Until(deadline)):
		return 0, fmt.Errorf("timeout after %s", timeout)
	}
	cl.cmd.Process.Signal(syscall.SIGTERM)
	if srv.werr != nil {
		return 0, fmt.Errorf("server: %v: %s", srv.werr, strings.TrimSpace(srv.err.String()))
	}
	m := reIdleRSS.FindStringSubmatch(srv.out.String())
	if m == nil {
		return 0, fmt.Errorf("server said %q", srv.out.String())
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err
}

// writeIdle appends the idle-connections table to a report.
func writeIdle(b *strings.Builder, res []idleResult) {
	if len(res) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## Idle connections: server memory per connection (`idle serve`)\n\n"+
		"A ROUTER binds; %d DEALERs in another process (azmq) connect and say hello once; "+
		"the server's resident memory growth divided by the connections.\n\n"+
		"| server | connections | RSS per connection | ÷ libzmq |\n|---|---:|---:|---:|\n", res[0].n)
	var lib float64
	for _, r := range res {
		if r.server == "libzmq" && r.err == nil {
			lib = r.rss
		}
	}
	for _, r := range res {
		if r.err != nil {
			fmt.Fprintf(b, "| %s | %d | failed: %v | – |\n", r.server, r.n, r.err)
			continue
		}
		ratio := "–"
		if lib > 0 {
			ratio = fmt.Sprintf("%.2f×", r.rss/lib)
		}
		fmt.Fprintf(b, "| %s | %d | %s B | %s |\n", r.server, r.n, si(r.rss), ratio)
	}
}
