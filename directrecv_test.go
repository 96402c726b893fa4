package azmq_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

// A receive on a socket with one pipe reads the connection on its own
// goroutine (the std backend on Linux; elsewhere the reader goroutine goes
// on reading for it), under any ctx: the rest of the suite, which bounds
// every receive with a deadline, takes that path too. These tests drive
// it on purpose, mostly with context.Background.

// recvBackground receives on a goroutine with context.Background and
// returns a channel for the outcome.
func recvBackground(s *azmq.Socket) <-chan recvResult { return recvCtx(context.Background(), s) }

// recvCtx receives on a goroutine with ctx and returns a channel for the
// outcome.
func recvCtx(ctx context.Context, s *azmq.Socket) <-chan recvResult {
	ch := make(chan recvResult, 1)
	go func() {
		m, err := s.Recv(ctx)
		ch <- recvResult{m, err}
	}()
	return ch
}

type recvResult struct {
	msg [][]byte
	err error
}

// await returns the outcome of a recvBackground, failing the test after
// testTimeout.
func await(t *testing.T, ch <-chan recvResult) recvResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(testTimeout):
		t.Fatalf("Recv did not return within %v", testTimeout)
		return recvResult{}
	}
}

// pumping reports whether some goroutine is parked reading a connection
// for a receive.
func pumping() bool {
	buf := make([]byte, 1<<20)
	return strings.Contains(string(buf[:runtime.Stack(buf, true)]), "engine.(*stdConn).Pump")
}

// pumpingRecv starts a receive on s with context.Background and, where
// receives read their connection themselves, returns once this one does.
// Until then it feeds it messages: feed makes one arrive at s and returns
// what to run once it is received. A receive asks for the reading at one
// message and gets it at a later one, unless the reader took it back in
// between (a slow machine, the race detector).
func pumpingRecv(t *testing.T, b azmq.Backend, s *azmq.Socket, feed func() func()) <-chan recvResult {
	t.Helper()
	return pumpingRecvCtx(t, context.Background(), b, s, feed)
}

// pumpingRecvCtx is pumpingRecv with every receive under ctx.
func pumpingRecvCtx(t *testing.T, ctx context.Context, b azmq.Backend, s *azmq.Socket, feed func() func()) <-chan recvResult {
	t.Helper()
	direct := b == azmq.BackendStd && runtime.GOOS == "linux"
	for i := range 100 {
		ch := recvCtx(ctx, s)
		if !direct && i > 0 || direct && eventually(100*time.Millisecond, pumping) {
			return ch
		}
		after := feed()
		if r := await(t, ch); r.err != nil || string(r.msg[0]) != "prime" {
			t.Fatalf("priming receive: %s, %v", show(r.msg), r.err)
		}
		after()
	}
	t.Fatal("no receive came to read its connection itself")
	return nil
}

// primeFrom returns a pumpingRecv feed that sends "prime" from push.
func primeFrom(t *testing.T, push *azmq.Socket) func() func() {
	return func() func() {
		mustSend(t, push, "prime")
		return func() {}
	}
}

func TestDirectRecv(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, c *azmq.Context, b azmq.Backend, tr string)
	}{
		{"req_rep_sizes", func(t *testing.T, c *azmq.Context, b azmq.Backend, tr string) {
			reqRepSizes(t, c, tr, nil, nil)
		}},
		{"curve_sizes", func(t *testing.T, c *azmq.Context, b azmq.Backend, tr string) {
			// Sealed frames, big ones included, decoded by a receive.
			k := testCurveKeys(t)
			reqRepSizes(t, c, tr, []azmq.Option{azmq.WithCurveServer(k.ss)},
				[]azmq.Option{azmq.WithCurveClient(k.sp, k.cp, k.cs)})
		}},
		{"queue_limit", func(t *testing.T, c *azmq.Context, b azmq.Backend, tr string) {
			// One read brings far more than the inbound queue holds.
			pull := newSocket(t, c, azmq.Pull, azmq.WithRecvHWM(2))
			push := newSocket(t, c, azmq.Push)
			link(t, tr, pull, push)
			ch := pumpingRecv(t, b, pull, primeFrom(t, push))
			for i := range 500 {
				mustSend(t, push, fmt.Sprint(i))
			}
			for i := range 500 {
				if i > 0 {
					ch = recvBackground(pull)
				}
				r := await(t, ch)
				if r.err != nil || string(r.msg[0]) != fmt.Sprint(i) {
					t.Fatalf("message %d: %s, %v", i, show(r.msg), r.err)
				}
			}
		}},
		{"another_pipe", func(t *testing.T, c *azmq.Context, b azmq.Backend, tr string) {
			// A receive reading the first peer's connection must see a
			// message from a second peer although the first stays silent.
			pull, push := newSocket(t, c, azmq.Pull), newSocket(t, c, azmq.Push)
			link(t, tr, pull, push)
			ch := pumpingRecv(t, b, pull, primeFrom(t, push))
			fromNewPeer(t, c, pull, ch, "second")
		}},
		{"ctx_ends", func(t *testing.T, c *azmq.Context, b azmq.Backend, tr string) {
			// A receive whose ctx can end reads its connection too, and
			// the ctx ending ends it; the connection is read for the
			// next receive as before.
			pull, push := newSocket(t, c, azmq.Pull), newSocket(t, c, azmq.Push)
			link(t, tr, pull, push)
			ctx, cancel := context.WithCancel(context.Background())
			ch := pumpingRecvCtx(t, ctx, b, pull, primeFrom(t, push))
			cancel()
			if r := await(t, ch); !errors.Is(r.err, context.Canceled) {
				t.Fatalf("Recv after its ctx was cancelled: %s, %v", show(r.msg), r.err)
			}
			deadline, stop := context.WithTimeout(context.Background(), testTimeout)
			defer stop()
			ch = pumpingRecvCtx(t, deadline, b, pull, primeFrom(t, push))
			mustSend(t, push, "after")
			if r := await(t, ch); r.err != nil || string(r.msg[0]) != "after" {
				t.Fatalf("got %s, %v", show(r.msg), r.err)
			}
		}},
		{"close", func(t *testing.T, c *azmq.Context, b azmq.Backend, tr string) {
			pull, push := newSocket(t, c, azmq.Pull), newSocket(t, c, azmq.Push)
			link(t, tr, pull, push)
			ch := pumpingRecv(t, b, pull, primeFrom(t, push))
			pull.Close()
			if r := await(t, ch); !errors.Is(r.err, azmq.ErrClosed) {
				t.Fatalf("Recv after Close: %v, want ErrClosed", r.err)
			}
		}},
		{"peer_leaves", func(t *testing.T, c *azmq.Context, b azmq.Backend, tr string) {
			// The connection a receive reads ends under it; a new peer's
			// message still arrives.
			pull, push := newSocket(t, c, azmq.Pull), newSocket(t, c, azmq.Push)
			link(t, tr, pull, push)
			ch := pumpingRecv(t, b, pull, primeFrom(t, push))
			push.Close()
			fromNewPeer(t, c, pull, ch, "after")
		}},
		{"not_receiving", func(t *testing.T, c *azmq.Context, b azmq.Backend, tr string) {
			// Once the application stops receiving, the connection is
			// read for it again: a disconnect is seen without a receive.
			pull := newSocket(t, c, azmq.Pull)
			push := newSocket(t, c, azmq.Push, azmq.WithLinger(testTimeout))
			events := pull.Monitor(timeoutCtx(t, testTimeout))
			link(t, tr, pull, push)
			ch := pumpingRecv(t, b, pull, primeFrom(t, push))
			mustSend(t, push, "first")
			if r := await(t, ch); r.err != nil || string(r.msg[0]) != "first" {
				t.Fatalf("got %s, %v", show(r.msg), r.err)
			}
			mustSend(t, push, "queued")
			push.Close()
			for e := range events {
				if e.Kind == azmq.EventDisconnected {
					recvWant(t, pull, "queued")
					return
				}
			}
			t.Fatal("no disconnect seen while not receiving")
		}},
	}
	for _, b := range backends {
		for _, tr := range []string{"tcp", "ipc"} {
			for _, tc := range cases {
				t.Run(b.String()+"/"+tr+"/"+tc.name, func(t *testing.T) {
					tc.run(t, newContext(t, b), b, tr)
				})
			}
		}
	}
	assertNoLeaks(t)
}

// reqRepSizes runs request/reply round trips of many sizes, every receive
// with context.Background, checking each body.
func reqRepSizes(t *testing.T, c *azmq.Context, tr string, repOpts, reqOpts []azmq.Option) {
	t.Helper()
	rep, req := newSocket(t, c, azmq.Rep, repOpts...), newSocket(t, c, azmq.Req, reqOpts...)
	link(t, tr, rep, req)
	ctx := context.Background()
	for i, size := range []int{0, 1, 16, 4096, 70 << 10, 16, 1 << 20, 3, 300 << 10} {
		body := bytes.Repeat([]byte{byte(i + 1)}, size)
		mustSendBytes(t, req, []byte("head"), body)
		r := await(t, recvBackground(rep))
		if r.err != nil || len(r.msg) != 2 || !bytes.Equal(r.msg[1], body) {
			t.Fatalf("request %d of %d bytes: %d frames, %v", i, size, len(r.msg), r.err)
		}
		if err := rep.Send(ctx, r.msg...); err != nil {
			t.Fatal(err)
		}
		r = await(t, recvBackground(req))
		if r.err != nil || !bytes.Equal(r.msg[1], body) {
			t.Fatalf("reply %d: %v", i, r.err)
		}
	}
}

// fromNewPeer connects a new PUSH to pull, sends text, and checks that the
// receive under way, ch, gets it.
func fromNewPeer(t *testing.T, c *azmq.Context, pull *azmq.Socket, ch <-chan recvResult, text string) {
	t.Helper()
	push := newSocket(t, c, azmq.Push)
	mustConnect(t, push, pull.Addr())
	mustSend(t, push, text)
	if r := await(t, ch); r.err != nil || string(r.msg[0]) != text {
		t.Fatalf("got %s, %v; want the new peer's %q", show(r.msg), r.err, text)
	}
}

// mustSendBytes sends the frames, failing the test if that takes
// testTimeout.
func mustSendBytes(t *testing.T, s *azmq.Socket, frames ...[]byte) {
	t.Helper()
	if err := s.Send(timeoutCtx(t, testTimeout), frames...); err != nil {
		t.Fatalf("%v Send: %v", s.Type(), err)
	}
}
