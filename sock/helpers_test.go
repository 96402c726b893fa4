package sock

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azmq/azmq/ring"
)

// Bounds for the tests: how long an operation that must not finish is
// watched, and how long one that must finish may take.
const (
	blockedFor = 20 * time.Millisecond
	finishIn   = 5 * time.Second
)

// checkLeaks fails the test if goroutines it started outlive it.
func checkLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(finishIn)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Errorf("goroutines leaked: %d > %d\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(time.Millisecond)
		}
	})
}

func newSocket(t testing.TB, typ Type, opts Options) Socket {
	t.Helper()
	s, err := New(typ, opts)
	if err != nil {
		t.Fatalf("New(%v): %v", typ, err)
	}
	t.Cleanup(s.Close)
	return s
}

// attach plays the transport: a pipe with the given high-water marks (0:
// unbounded), with no transport-side Wakers, attached to s.
func attach(t testing.TB, s Socket, sendHWM, recvHWM int, id string) *ring.Pipe {
	t.Helper()
	p := ring.NewPipe(sendHWM, recvHWM)
	if id != "" {
		p.RoutingID = []byte(id)
	}
	if err := s.Attach(p); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	return p
}

// detach plays the transport losing the peer for good.
func detach(s Socket, p *ring.Pipe) {
	p.SetGone()
	s.Detach(p)
}

func mkMsg(frames ...string) *ring.Msg {
	m := &ring.Msg{}
	for _, f := range frames {
		m.Append([]byte(f))
	}
	return m
}

func strs(m *ring.Msg) []string {
	var out []string
	for _, f := range m.Frames(nil) {
		out = append(out, string(f))
	}
	return out
}

// show renders frames for messages: "a|b", empty frames as "".
func show(frames []string) string { return strings.Join(frames, "|") }

// peerSend pushes a message from the peer into the socket's side.
func peerSend(t testing.TB, p *ring.Pipe, frames ...string) {
	t.Helper()
	if err := p.In.Push(mkMsg(frames...)); err != nil {
		t.Fatalf("peer push %q: %v", frames, err)
	}
}

// peerRecv pops what the socket sent to the peer, nil if nothing.
func peerRecv(p *ring.Pipe) []string {
	var m ring.Msg
	if !p.Out.Pop(&m) {
		return nil
	}
	defer m.Release()
	f := strs(&m)
	if f == nil {
		f = []string{}
	}
	return f
}

func wantPeerRecv(t *testing.T, p *ring.Pipe, want ...string) {
	t.Helper()
	got := peerRecv(p)
	if got == nil || !slices.Equal(got, want) {
		t.Fatalf("peer got %q, want %q", got, want)
	}
}

func wantNothing(t *testing.T, p *ring.Pipe) {
	t.Helper()
	if got := peerRecv(p); got != nil {
		t.Fatalf("peer got %q, want nothing", got)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), finishIn)
	t.Cleanup(cancel)
	return ctx
}

func send(t *testing.T, s Socket, frames ...string) {
	t.Helper()
	if err := s.Send(ctxT(t), mkMsg(frames...)); err != nil {
		t.Fatalf("Send %q: %v", frames, err)
	}
}

func recv(t *testing.T, s Socket) []string {
	t.Helper()
	var m ring.Msg
	if err := s.Recv(ctxT(t), &m); err != nil {
		t.Fatalf("Recv: %v", err)
	}
	defer m.Release()
	return strs(&m)
}

func wantRecv(t *testing.T, s Socket, want ...string) {
	t.Helper()
	if got := recv(t, s); !slices.Equal(got, want) {
		t.Fatalf("Recv = %q, want %q", got, want)
	}
}

// wantRecvBlocks checks that Recv finds nothing within blockedFor.
func wantRecvBlocks(t *testing.T, s Socket) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), blockedFor)
	defer cancel()
	var m ring.Msg
	err := s.Recv(ctx, &m)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Recv = %v (%q), want deadline exceeded", err, strs(&m))
	}
}

// async runs f in a goroutine and returns its result channel.
func async(f func() error) <-chan error {
	c := make(chan error, 1)
	go func() { c <- f() }()
	return c
}

func wantPending(t *testing.T, c <-chan error) {
	t.Helper()
	select {
	case err := <-c:
		t.Fatalf("call returned early: %v", err)
	case <-time.After(blockedFor):
	}
}

func wantDone(t *testing.T, c <-chan error) error {
	t.Helper()
	select {
	case err := <-c:
		return err
	case <-time.After(finishIn):
		t.Fatal("call did not return")
		return nil
	}
}
