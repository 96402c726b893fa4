package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// endpoints hands out a fresh endpoint per run: a free tcp port on
// 127.0.0.1, or a new socket path in a private temporary directory.
type endpoints struct {
	dir string
	n   int
}

func newEndpoints() (*endpoints, error) {
	dir, err := os.MkdirTemp("", "azmq-compare-")
	if err != nil {
		return nil, err
	}
	return &endpoints{dir: dir}, nil
}

// next returns an endpoint for transport and a function that reports
// whether a socket is bound on it (listening, for tcp; the socket file
// exists, for ipc), so that the connecting side starts only then.
func (e *endpoints) next(transport string) (string, func() bool, error) {
	switch transport {
	case "tcp":
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		return fmt.Sprintf("tcp://127.0.0.1:%d", port), tcpListening(port), nil
	case "ipc":
		e.n++
		path := filepath.Join(e.dir, strconv.Itoa(e.n)+".sock")
		return "ipc://" + path, func() bool {
			fi, err := os.Stat(path)
			return err == nil && fi.Mode()&os.ModeSocket != 0
		}, nil
	}
	return "", nil, fmt.Errorf("no endpoints for transport %q", transport)
}

// cleanup removes the temporary directory of the ipc endpoints.
func (e *endpoints) cleanup() { os.RemoveAll(e.dir) }

// tcpListening returns a check that reads /proc/net/tcp for a socket in
// LISTEN state on 127.0.0.1:port or 0.0.0.0:port. Probing by connecting
// would show every implementation a spurious peer. Without /proc the check
// answers yes after 300 ms.
func tcpListening(port int) func() bool {
	suffix := portSuffix(port)
	var since time.Time
	return func() bool {
		b, err := os.ReadFile("/proc/net/tcp")
		if err != nil {
			if since.IsZero() {
				since = time.Now()
			}
			return time.Since(since) > 300*time.Millisecond
		}
		return procTCPListening(b, suffix)
	}
}

// portSuffix is how /proc/net/tcp ends an address with port: ":15B3".
func portSuffix(port int) string { return fmt.Sprintf(":%04X", port) }

// procTCPListening reports whether the /proc/net/tcp table b has a LISTEN
// socket whose local address is 127.0.0.1 or 0.0.0.0 and ends in
// suffix (":PORT" in hex).
func procTCPListening(b []byte, suffix string) bool {
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[3] != "0A" || !strings.HasSuffix(f[1], suffix) {
			continue
		}
		if host := strings.TrimSuffix(f[1], suffix); host == "0100007F" || host == "00000000" {
			return true
		}
	}
	return false
}

// proc is a started tool with its output captured.
type proc struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	err  bytes.Buffer
	done chan struct{}
	werr error
}

func start(argv []string) (*proc, error) {
	p := &proc{cmd: exec.Command(argv[0], argv[1:]...), done: make(chan struct{})}
	p.cmd.Stdout = &p.out
	p.cmd.Stderr = &p.err
	ownGroup(p.cmd)
	live.Lock()
	defer live.Unlock()
	if live.stopping {
		return nil, errors.New("stopping")
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	live.procs[p] = true
	go func() {
		p.werr = p.cmd.Wait()
		live.Lock()
		delete(live.procs, p)
		live.Unlock()
		close(p.done)
	}()
	return p, nil
}

// live is every tool now running, so that an interrupted harness can end
// them: they run in process groups of their own, which a ^C does not reach.
var live = struct {
	sync.Mutex
	procs    map[*proc]bool
	stopping bool
}{procs: map[*proc]bool{}}

// stopOnSignal makes SIGINT and SIGTERM kill every running tool, run
// cleanup and exit.
func stopOnSignal(cleanup func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-c
		live.Lock()
		live.stopping = true
		for p := range live.procs {
			killGroup(p.cmd.Process)
		}
		live.Unlock()
		cleanup()
		fmt.Fprintln(os.Stderr, "compare: stopped by", sig)
		os.Exit(130)
	}()
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill ends the tool's process group and waits for it.
func (p *proc) kill() {
	if !p.exited() {
		killGroup(p.cmd.Process)
	}
	<-p.done
}

// failure describes a tool that exited badly: its status and the tail of
// what it printed.
func (p *proc) failure(side string) error {
	msg := strings.TrimSpace(p.err.String() + "\n" + p.out.String())
	if len(msg) > 300 {
		msg = "…" + msg[len(msg)-300:]
	}
	return fmt.Errorf("%s: %v: %s", side, p.werr, strings.ReplaceAll(msg, "\n", " | "))
}

// errTimeout marks a run that was killed because it ran out of time.
var errTimeout = errors.New("timeout")

// runPair runs a receiving (binding) tool and a sending (connecting) tool
// on one endpoint: the local side first, the remote side once bound()
// answers yes, then both until they exit. Past timeout both are killed.
// It returns what each printed on standard output.
func runPair(local, remote []string, bound func() bool, timeout time.Duration) (string, string, error) {
	deadline := time.Now().Add(timeout)
	lp, err := start(local)
	if err != nil {
		return "", "", fmt.Errorf("local: %w", err)
	}
	for !bound() {
		if lp.exited() {
			return lp.out.String(), "", lp.failure("local exited before binding")
		}
		if time.Now().After(deadline) {
			lp.kill()
			return lp.out.String(), "", fmt.Errorf("%w after %v: local never bound", errTimeout, timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
	rp, err := start(remote)
	if err != nil {
		lp.kill()
		return lp.out.String(), "", fmt.Errorf("remote: %w", err)
	}
	// finish kills what still runs, so that both outputs are complete and
	// no longer written, and returns them.
	finish := func(err error) (string, string, error) {
		lp.kill()
		rp.kill()
		return lp.out.String(), rp.out.String(), err
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	// A side that fails ends the run at once; finish stops the other, which
	// might otherwise wait for its peer until the timeout.
	ld, rd := lp.done, rp.done
	for ld != nil || rd != nil {
		select {
		case <-ld:
			ld = nil
			if lp.werr != nil {
				return finish(lp.failure("local"))
			}
		case <-rd:
			rd = nil
			if rp.werr != nil {
				return finish(rp.failure("remote"))
			}
		case <-timer.C:
			var running []string
			if ld != nil {
				running = append(running, "local")
			}
			if rd != nil {
				running = append(running, "remote")
			}
			return finish(fmt.Errorf("%w after %v: %s still running", errTimeout, timeout, strings.Join(running, " and ")))
		}
	}
	return finish(nil)
}
