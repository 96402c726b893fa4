package azmq_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

// Shared helpers of socket_test.go and hostile_test.go: contexts and sockets
// closed by t.Cleanup, bounded blocking calls, and frame comparison.

// testTimeout bounds every blocking call a test makes.
const testTimeout = 10 * time.Second

// backendCase is one entry of a table run on every backend.
type backendCase struct {
	name string
	run  func(t *testing.T, c *azmq.Context)
}

// runOnBackends runs every case on every backend, the cases of one backend
// in parallel, each on a context of its own, then checks that no engine
// goroutine outlived its context.
func runOnBackends(t *testing.T, cases []backendCase) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.String(), func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, newContext(t, b))
				})
			}
		})
	}
	assertNoLeaks(t)
}

// newContext returns a context on backend b, closed at the end of the test;
// a close that hangs fails the test instead of hanging it.
func newContext(t testing.TB, b azmq.Backend) *azmq.Context {
	t.Helper()
	c := azmq.NewContext(azmq.WithBackend(b))
	if got := c.Backend(); got != b {
		t.Fatalf("context backend %v, asked for %v", got, b)
	}
	t.Cleanup(func() { closeWithin(t, "context", c.Close) })
	return c
}

// closeWithin runs close and fails the test if it takes longer than
// testTimeout. The result is ignored: a second close returns ErrClosed.
func closeWithin(t testing.TB, what string, close func() error) {
	t.Helper()
	done := make(chan struct{}, 1)
	go func() {
		close()
		done <- struct{}{}
	}()
	select {
	case <-done:
	case <-time.After(testTimeout):
		t.Errorf("%s Close did not return within %v", what, testTimeout)
	}
}

// newSocket returns a socket of type typ with a zero linger (overridable by
// opts), closed at the end of the test.
func newSocket(t testing.TB, c *azmq.Context, typ azmq.Type, opts ...azmq.Option) *azmq.Socket {
	t.Helper()
	s, err := c.NewSocket(typ, append([]azmq.Option{azmq.WithLinger(0)}, opts...)...)
	if err != nil {
		t.Fatalf("NewSocket(%v): %v", typ, err)
	}
	if s.Type() != typ {
		t.Fatalf("Type() = %v, want %v", s.Type(), typ)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// bindLocal binds s to an ephemeral port on 127.0.0.1 and returns the
// resolved endpoint.
func bindLocal(t testing.TB, s *azmq.Socket) string {
	t.Helper()
	if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatalf("Bind: %v", err)
	}
	return s.Addr()
}

// mustConnect connects s to endpoint.
func mustConnect(t testing.TB, s *azmq.Socket, endpoint string) {
	t.Helper()
	if err := s.Connect(endpoint); err != nil {
		t.Fatalf("Connect(%q): %v", endpoint, err)
	}
}

// timeoutCtx returns a context that ends after d, cancelled at the end of
// the test at the latest.
func timeoutCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// mustSend sends the frames, failing the test if that takes testTimeout.
func mustSend(t testing.TB, s *azmq.Socket, frames ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := s.Send(ctx, bs(frames...)...); err != nil {
		t.Fatalf("%v Send(%q): %v", s.Type(), frames, err)
	}
}

// mustRecv receives one message, failing the test if that takes testTimeout.
func mustRecv(t testing.TB, s *azmq.Socket) [][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	m, err := s.Recv(ctx)
	if err != nil {
		t.Fatalf("%v Recv: %v", s.Type(), err)
	}
	return m
}

// recvWant receives one message and compares it with want.
func recvWant(t testing.TB, s *azmq.Socket, want ...string) [][]byte {
	t.Helper()
	got := mustRecv(t, s)
	wantFrames(t, got, bs(want...))
	return got
}

// wantNothing checks that s receives nothing within d.
func wantNothing(t testing.TB, s *azmq.Socket, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if m, err := s.Recv(ctx); err == nil {
		t.Fatalf("%v received %s, want nothing", s.Type(), show(m))
	}
}

// wantFrames compares two messages frame by frame.
func wantFrames(t testing.TB, got, want [][]byte) {
	t.Helper()
	if !sameFrames(got, want) {
		t.Fatalf("got %s, want %s", show(got), show(want))
	}
}

func sameFrames(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// bs converts strings to frames.
func bs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// show prints a message compactly; long frames are summarised.
func show(m [][]byte) string {
	parts := make([]string, len(m))
	for i, f := range m {
		if len(f) > 32 {
			parts[i] = fmt.Sprintf("<%d bytes %x…>", len(f), f[:8])
		} else {
			parts[i] = fmt.Sprintf("%q", f)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// hostPort strips the transport from a tcp endpoint.
func hostPort(t testing.TB, endpoint string) string {
	t.Helper()
	hp, ok := strings.CutPrefix(endpoint, "tcp://")
	if !ok {
		t.Fatalf("endpoint %q is not tcp", endpoint)
	}
	return hp
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// eventually polls cond every 10 ms until it holds or d has passed.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
