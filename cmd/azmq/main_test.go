package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

const testTimeout = 10 * time.Second

// syncBuffer collects stderr, which run writes from its own goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// runCLI runs the command to its end with stdin as input.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
	defer cancel()
	var out bytes.Buffer
	var errb syncBuffer
	code = run(ctx, args, strings.NewReader(stdin), &out, &errb)
	if ctx.Err() != nil {
		t.Fatalf("azmq %v did not finish: %s", args, errb.String())
	}
	return code, out.String(), errb.String()
}

// cli is the command running in the background, its stdin and stdout
// pipes in the test's hands.
type cli struct {
	t      *testing.T
	args   []string
	in     *io.PipeWriter
	lines  chan string
	stderr syncBuffer
	code   chan int
}

func startCLI(t *testing.T, args ...string) *cli {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	c := &cli{t: t, args: args, in: inW, lines: make(chan string, 1000), code: make(chan int, 1)}
	go func() {
		code := run(ctx, args, inR, outW, &c.stderr)
		inR.Close()
		outW.Close()
		c.code <- code
	}()
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	t.Cleanup(func() {
		cancel()
		inW.Close()
		select {
		case <-c.code:
		case <-time.After(testTimeout):
			t.Errorf("azmq %v still running after cancel", args)
		}
	})
	return c
}

// line returns the next line the command printed.
func (c *cli) line() string {
	c.t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok {
			c.t.Fatalf("azmq %v ended its output; stderr: %s", c.args, c.stderr.String())
		}
		return l
	case <-time.After(testTimeout):
		c.t.Fatalf("azmq %v printed nothing within %v; stderr: %s", c.args, testTimeout, c.stderr.String())
	}
	return ""
}

// write feeds lines to the command's stdin.
func (c *cli) write(lines ...string) {
	c.t.Helper()
	for _, l := range lines {
		if _, err := io.WriteString(c.in, l+"\n"); err != nil {
			c.t.Fatalf("stdin of azmq %v: %v", c.args, err)
		}
	}
}

// wait closes stdin and returns the exit code.
func (c *cli) wait() int {
	c.t.Helper()
	c.in.Close()
	select {
	case code := <-c.code:
		c.code <- code // for the cleanup
		return code
	case <-time.After(testTimeout):
		c.t.Fatalf("azmq %v did not exit; stderr: %s", c.args, c.stderr.String())
	}
	return 0
}

// freeEndpoint returns a tcp endpoint on a loopback port that was free a
// moment ago.
func freeEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "tcp://" + l.Addr().String()
}

func TestUsageErrors(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	for _, tc := range []struct {
		args   []string
		stdin  string
		code   int
		stderr string
	}{
		{nil, "", exitUsage, "usage: azmq COMMAND"},
		{[]string{"frobnicate", "tcp://127.0.0.1:1"}, "", exitUsage, `unknown command "frobnicate"`},
		{[]string{"push"}, "", exitUsage, "no endpoint given"},
		{[]string{"push", "--bind", "--connect", "tcp://127.0.0.1:1"}, "", exitUsage, "--bind and --connect together"},
		{[]string{"push", "--nonesuch", "tcp://127.0.0.1:1"}, "", exitUsage, "flag provided but not defined"},
		{[]string{"pull", "--subscribe", "x", "tcp://127.0.0.1:1"}, "", exitUsage, "--subscribe needs a SUB"},
		{[]string{"send", "--type", "pull", "tcp://127.0.0.1:1"}, "", exitUsage, `--type "pull" is not one of`},
		{[]string{"push", "--backend", "kqueue", "tcp://127.0.0.1:1"}, "", exitUsage, "--backend"},
		{[]string{"push", "--count", "-1", "tcp://127.0.0.1:1"}, "", exitUsage, "negative"},
		{[]string{"bench", "--sizes", "x"}, "", exitUsage, `bad size "x"`},
		{[]string{"help"}, "", exitOK, ""},
		{[]string{"rep", "-h"}, "", exitOK, "-echo"},
		{[]string{"pull", "--bind", "tcp://" + held.Addr().String()}, "", exitRuntime, "address already in use"},
		{[]string{"pull", "bogus://x"}, "", exitRuntime, "bogus"},
		{[]string{"pull", "--timeout", "50ms", "tcp://127.0.0.1:*"}, "", exitRuntime, "no receive within --timeout 50ms"},
		{[]string{"push", "--hex", "--linger", "0", "tcp://127.0.0.1:9"}, "zz\n", exitRuntime, "stdin line 1: frame 1: not hexadecimal"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.stdin, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
}

func TestPushPull(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []string
		in    string
		out   string
	}{
		{"text", nil, "a\tb\nc\n\n", "a\tb\nc\n\n"},
		{"sep", []string{"--sep", "|"}, "a|b|c\n", "a|b|c\n"},
		{"no sep", []string{"--sep", ""}, "a\tb\n", "a\tb\n"},
		{"hex", []string{"--hex"}, "00ff\t\n68656c6c6f\n", "00ff\t\n68656c6c6f\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := strings.Count(tc.in, "\n")
			ep := freeEndpoint(t)
			pull := startCLI(t, append([]string{"pull", "--count", fmt.Sprint(n), ep}, tc.flags...)...)
			code, _, stderr := runCLI(t, tc.in, append([]string{"push", ep}, tc.flags...)...)
			if code != 0 {
				t.Fatalf("push: exit %d: %s", code, stderr)
			}
			var got strings.Builder
			for range n {
				got.WriteString(pull.line() + "\n")
			}
			if got.String() != tc.out {
				t.Fatalf("pull printed %q, want %q", got.String(), tc.out)
			}
			if code := pull.wait(); code != 0 {
				t.Fatalf("pull: exit %d: %s", code, pull.stderr.String())
			}
		})
	}
}

func TestReqRep(t *testing.T) {
	rep := startCLI(t, "rep", "--backend", "std", "--count", "1", "tcp://127.0.0.1:*")
	ep := waitBound(t, rep)
	req := startCLI(t, "req", "--connect", ep, "--timeout", testTimeout.String())
	req.write("hello")
	if got := rep.line(); got != "hello" {
		t.Fatalf("rep printed %q", got)
	}
	rep.write("world\tand more")
	if got := req.line(); got != "world\tand more" {
		t.Fatalf("req printed %q", got)
	}
	if code := req.wait(); code != 0 {
		t.Fatalf("req: exit %d: %s", code, req.stderr.String())
	}
	if code := rep.wait(); code != 0 {
		t.Fatalf("rep: exit %d: %s", code, rep.stderr.String())
	}
}

// waitBound reads the endpoint a command reports after binding a wildcard.
func waitBound(t *testing.T, c *cli) string {
	t.Helper()
	var ep string
	ok := eventually(func() bool {
		_, after, found := strings.Cut(c.stderr.String(), "bound ")
		ep, _, _ = strings.Cut(after, "\n")
		return found && strings.HasSuffix(after, "\n")
	})
	if !ok {
		t.Fatalf("azmq %v reported no address: %s", c.args, c.stderr.String())
	}
	return ep
}

func eventually(cond func() bool) bool {
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// A sub joins a library PUB that publishes until the sub has what it
// wants: no slow-joiner race.
func TestSub(t *testing.T) {
	c := azmq.NewContext()
	defer c.Close()
	pub, err := c.NewSocket(azmq.Pub, azmq.WithLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	sub := startCLI(t, "sub", "--subscribe", "news", "--subscribe", "alerts", "--count", "2", pub.Addr())
	done := make(chan struct{})
	go func() {
		ctx := context.Background()
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
			pub.Send(ctx, []byte("sport"), []byte("0:0"))
			pub.Send(ctx, []byte("news"), []byte("hello"))
		}
	}()
	got := []string{sub.line(), sub.line()}
	close(done)
	for _, l := range got {
		if l != "news\thello" {
			t.Fatalf("sub printed %q", got)
		}
	}
	if code := sub.wait(); code != 0 {
		t.Fatalf("sub: exit %d: %s", code, sub.stderr.String())
	}
}

// A pub keeps reading stdin, and the test keeps writing, until a library
// SUB has the message.
func TestPub(t *testing.T) {
	c := azmq.NewContext()
	defer c.Close()
	s, err := c.NewSocket(azmq.Sub, azmq.WithLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	s.Subscribe([]byte("news"))
	ep := freeEndpoint(t)
	pub := startCLI(t, "pub", ep)
	if err := s.Connect(ep); err != nil {
		t.Fatal(err)
	}
	got := make(chan [][]byte, 1)
	go func() {
		m, _ := s.Recv(context.Background())
		got <- m
	}()
	var m [][]byte
	deadline := time.After(testTimeout)
feed:
	for {
		pub.write("sport\t0:0", "news\thello")
		select {
		case m = <-got:
			break feed
		case <-deadline:
			t.Fatal("SUB received nothing")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if len(m) != 2 || string(m[0]) != "news" || string(m[1]) != "hello" {
		t.Fatalf("SUB received %q", m)
	}
	if code := pub.wait(); code != 0 {
		t.Fatalf("pub: exit %d: %s", code, pub.stderr.String())
	}
}

func TestDealerRouter(t *testing.T) {
	router := startCLI(t, "router", "--bind", "tcp://127.0.0.1:*", "--count", "1")
	ep := waitBound(t, router)
	dealer := startCLI(t, "dealer", "--id", "me", "--count", "1", ep)
	dealer.write("ping")
	if got := router.line(); got != "me\tping" {
		t.Fatalf("router printed %q", got)
	}
	router.write("me\tpong")
	if got := dealer.line(); got != "pong" {
		t.Fatalf("dealer printed %q", got)
	}
	for _, c := range []*cli{dealer, router} {
		if code := c.wait(); code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, c.stderr.String())
		}
	}
}

func TestBench(t *testing.T) {
	code, out, stderr := runCLI(t, "", "bench", "--sizes", "16,5000", "--msgs", "200", "--roundtrips", "20")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[0], "| backend | size [B] | throughput [msg/s]") {
		t.Fatalf("table:\n%s", out)
	}
	for _, l := range lines[2:] {
		if cells := strings.Split(l, "|"); len(cells) != 7 {
			t.Fatalf("row %q", l)
		}
	}
}

// Interop with libzmq through pyzmq: azmq req against a libzmq REP, and a
// libzmq REQ against azmq rep.

const python = "/usr/bin/python3"

func requirePyzmq(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import zmq").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("libzmq peer unavailable in CI: %s with pyzmq: %v (.ci/run installs python3-zmq)", python, err)
		}
		t.Skipf("skipping interop test: %s cannot import zmq (apt-get install python3-zmq): %v", python, err)
	}
}

// pyRep binds a libzmq REP, prints its endpoint, and answers n requests
// with "re:" before the first frame.
const pyRep = `
import sys, zmq
s = zmq.Context().socket(zmq.REP)
s.linger = 0
port = s.bind_to_random_port("tcp://127.0.0.1")
print("tcp://127.0.0.1:%d" % port, flush=True)
for _ in range(int(sys.argv[1])):
    m = s.recv_multipart()
    s.send_multipart([b"re:" + m[0]] + m[1:])
`

// pyReq connects a libzmq REQ to argv[1], sends two requests and prints
// each reply's frames in hex, comma-separated.
const pyReq = `
import sys, zmq
s = zmq.Context().socket(zmq.REQ)
s.linger = 0
s.connect(sys.argv[1])
for req in ([b"ping", b"\x00\xff"], [b""]):
    s.send_multipart(req)
    print(",".join(f.hex() for f in s.recv_multipart()), flush=True)
`

// startPy runs a pyzmq script and returns its stdout lines.
func startPy(t *testing.T, script string, args ...string) <-chan string {
	t.Helper()
	cmd := exec.Command(python, append([]string{"-c", script}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	t.Cleanup(func() {
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("libzmq peer: %v", err)
			}
		case <-time.After(testTimeout):
			cmd.Process.Kill()
			<-done
			t.Error("libzmq peer did not finish")
		}
	})
	return lines
}

func pyLine(t *testing.T, lines <-chan string) string {
	t.Helper()
	select {
	case l, ok := <-lines:
		if !ok {
			t.Fatal("libzmq peer ended its output")
		}
		return l
	case <-time.After(testTimeout):
		t.Fatal("libzmq peer printed nothing")
	}
	return ""
}

func TestInteropReqToLibzmqRep(t *testing.T) {
	requirePyzmq(t)
	for _, backend := range []string{"epoll", "std"} {
		t.Run(backend, func(t *testing.T) {
			ep := pyLine(t, startPy(t, pyRep, "2"))
			code, out, stderr := runCLI(t, "hello\nmulti\tpart\n", "req", "--backend", backend, "--timeout", testTimeout.String(), ep)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if want := "re:hello\nre:multi\tpart\n"; out != want {
				t.Fatalf("printed %q, want %q", out, want)
			}
		})
	}
}

func TestInteropLibzmqReqToRep(t *testing.T) {
	requirePyzmq(t)
	for _, backend := range []string{"epoll", "std"} {
		t.Run(backend, func(t *testing.T) {
			rep := startCLI(t, "rep", "--echo", "--hex", "--count", "2", "--backend", backend, "tcp://127.0.0.1:*")
			ep := waitBound(t, rep)
			replies := startPy(t, pyReq, ep)
			if got := rep.line(); got != "70696e67\t00ff" {
				t.Fatalf("rep printed %q", got)
			}
			if got := pyLine(t, replies); got != "70696e67,00ff" {
				t.Fatalf("libzmq REQ got %q", got)
			}
			if got := rep.line(); got != "" {
				t.Fatalf("rep printed %q, want an empty frame", got)
			}
			if got := pyLine(t, replies); got != "" {
				t.Fatalf("libzmq REQ got %q", got)
			}
			if code := rep.wait(); code != 0 {
				t.Fatalf("rep: exit %d: %s", code, rep.stderr.String())
			}
		})
	}
}
