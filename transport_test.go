package azmq_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

var inprocSeq atomic.Int64

// endpointFor returns a fresh bindable endpoint on transport tr.
func endpointFor(t testing.TB, tr string) string {
	t.Helper()
	switch tr {
	case "ipc":
		dir, err := os.MkdirTemp("", "azmq")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		return "ipc://" + filepath.Join(dir, "s")
	case "inproc":
		return fmt.Sprintf("inproc://test-%d", inprocSeq.Add(1))
	}
	return "tcp://127.0.0.1:*"
}

// TestTransports runs the socket patterns over tcp, ipc and inproc alike.
func TestTransports(t *testing.T) {
	for _, b := range backends {
		for _, tr := range []string{"tcp", "ipc", "inproc"} {
			t.Run(b.String()+"/"+tr, func(t *testing.T) {
				for _, tc := range patternCases {
					t.Run(tc.name, func(t *testing.T) {
						t.Parallel()
						tc.run(t, newContext(t, b), tr)
					})
				}
			})
		}
	}
	assertNoLeaks(t)
}

type patternCase struct {
	name string
	run  func(t *testing.T, c *azmq.Context, tr string)
}

// link binds a to a fresh endpoint on tr and connects b to it.
func link(t *testing.T, tr string, a, b *azmq.Socket) {
	t.Helper()
	if err := a.Bind(endpointFor(t, tr)); err != nil {
		t.Fatal(err)
	}
	mustConnect(t, b, a.Addr())
}

var patternCases = []patternCase{
	{"pair", func(t *testing.T, c *azmq.Context, tr string) {
		a, b := newSocket(t, c, azmq.Pair), newSocket(t, c, azmq.Pair)
		link(t, tr, a, b)
		mustSend(t, b, "ping", "", "x")
		recvWant(t, a, "ping", "", "x")
		mustSend(t, a, "pong")
		recvWant(t, b, "pong")
	}},
	{"push_pull", func(t *testing.T, c *azmq.Context, tr string) {
		pull, push := newSocket(t, c, azmq.Pull), newSocket(t, c, azmq.Push)
		link(t, tr, pull, push)
		for i := 0; i < 100; i++ {
			mustSend(t, push, fmt.Sprint(i))
		}
		for i := 0; i < 100; i++ {
			recvWant(t, pull, fmt.Sprint(i))
		}
	}},
	{"req_rep", func(t *testing.T, c *azmq.Context, tr string) {
		rep, req := newSocket(t, c, azmq.Rep), newSocket(t, c, azmq.Req)
		link(t, tr, rep, req)
		for i := 0; i < 10; i++ {
			mustSend(t, req, "q", fmt.Sprint(i))
			recvWant(t, rep, "q", fmt.Sprint(i))
			mustSend(t, rep, "a", fmt.Sprint(i))
			recvWant(t, req, "a", fmt.Sprint(i))
		}
		if err := req.Send(timeoutCtx(t, time.Second), []byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := req.Send(timeoutCtx(t, time.Second), []byte("y")); !errors.Is(err, azmq.ErrState) {
			t.Fatalf("second Send: %v, want ErrState", err)
		}
	}},
	{"dealer_router", func(t *testing.T, c *azmq.Context, tr string) {
		router := newSocket(t, c, azmq.Router)
		named := newSocket(t, c, azmq.Dealer, azmq.WithRoutingID([]byte("d1")))
		anon := newSocket(t, c, azmq.Dealer)
		if err := router.Bind(endpointFor(t, tr)); err != nil {
			t.Fatal(err)
		}
		mustConnect(t, named, router.Addr())
		mustConnect(t, anon, router.Addr())
		mustSend(t, named, "hi")
		recvWant(t, router, "d1", "hi")
		mustSend(t, anon, "yo")
		got := mustRecv(t, router)
		if len(got) != 2 || len(got[0]) != 5 || got[0][0] != 0 || string(got[1]) != "yo" {
			t.Fatalf("anonymous dealer: got %s", show(got))
		}
		mustSend(t, router, "d1", "back")
		recvWant(t, named, "back")
		if err := router.Send(timeoutCtx(t, time.Second), got[0], []byte("back2")); err != nil {
			t.Fatal(err)
		}
		recvWant(t, anon, "back2")
	}},
	{"req_router_envelope", func(t *testing.T, c *azmq.Context, tr string) {
		router, req := newSocket(t, c, azmq.Router), newSocket(t, c, azmq.Req, azmq.WithRoutingID([]byte("r")))
		link(t, tr, router, req)
		mustSend(t, req, "q")
		recvWant(t, router, "r", "", "q")
		mustSend(t, router, "r", "", "a")
		recvWant(t, req, "a")
	}},
	{"dealer_rep_envelope", func(t *testing.T, c *azmq.Context, tr string) {
		rep, dealer := newSocket(t, c, azmq.Rep), newSocket(t, c, azmq.Dealer)
		link(t, tr, rep, dealer)
		mustSend(t, dealer, "", "q")
		recvWant(t, rep, "q")
		mustSend(t, rep, "a")
		recvWant(t, dealer, "", "a")
	}},
	{"big_frames", func(t *testing.T, c *azmq.Context, tr string) {
		pull, push := newSocket(t, c, azmq.Pull), newSocket(t, c, azmq.Push)
		link(t, tr, pull, push)
		big := strings.Repeat("z", 1<<20)
		mustSend(t, push, big, "", big[:70000])
		recvWant(t, pull, big, "", big[:70000])
	}},
	{"connect_before_bind", func(t *testing.T, c *azmq.Context, tr string) {
		if tr == "tcp" {
			t.Skip("covered for tcp by TestSocket/connect_before_bind with a known free port")
		}
		ep := endpointFor(t, tr)
		push := newSocket(t, c, azmq.Push, azmq.WithReconnectInterval(10*time.Millisecond, 0))
		mustConnect(t, push, ep)
		if err := push.Send(timeoutCtx(t, time.Second), []byte("early")); err != nil {
			t.Fatalf("send before bind: %v", err)
		}
		pull := newSocket(t, c, azmq.Pull)
		if err := pull.Bind(ep); err != nil {
			t.Fatal(err)
		}
		recvWant(t, pull, "early")
	}},
	{"pub_sub", func(t *testing.T, c *azmq.Context, tr string) {
		pub, sub := newSocket(t, c, azmq.Pub), newSocket(t, c, azmq.Sub)
		link(t, tr, pub, sub)
		if err := sub.Subscribe([]byte("a")); err != nil {
			t.Fatal(err)
		}
		// The subscription reaches the publisher a moment later: publish
		// until the first message arrives (the slow joiner).
		var got [][]byte
		for i := 0; got == nil; i++ {
			if i == 1000 {
				t.Fatal("nothing published reached the subscriber")
			}
			mustSend(t, pub, "b-skip")
			mustSend(t, pub, "a-first")
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
			got, _ = sub.Recv(ctx)
			cancel()
		}
		wantFrames(t, got, bs("a-first"))
		mustSend(t, pub, "b-skip")
		mustSend(t, pub, "a-last", "x")
		for {
			m := mustRecv(t, sub)
			if string(m[0]) == "b-skip" {
				t.Fatal("SUB delivered a message matching no subscription")
			}
			if string(m[0]) == "a-last" {
				break
			}
		}
		if err := sub.Unsubscribe([]byte("a")); err != nil {
			t.Fatal(err)
		}
		if err := pub.Subscribe([]byte("x")); !errors.Is(err, azmq.ErrNotSupported) {
			t.Fatalf("Subscribe on PUB: %v", err)
		}
	}},
	{"close_wakes", func(t *testing.T, c *azmq.Context, tr string) {
		pull, push := newSocket(t, c, azmq.Pull), newSocket(t, c, azmq.Push)
		link(t, tr, pull, push)
		errc := make(chan error, 1)
		go func() {
			_, err := pull.Recv(context.Background())
			errc <- err
		}()
		time.Sleep(20 * time.Millisecond)
		pull.Close()
		select {
		case err := <-errc:
			if !errors.Is(err, azmq.ErrClosed) {
				t.Fatalf("Recv after Close: %v", err)
			}
		case <-time.After(testTimeout):
			t.Fatal("Close did not wake Recv")
		}
	}},
	{"peer_gone_wakes_sender", func(t *testing.T, c *azmq.Context, tr string) {
		pull := newSocket(t, c, azmq.Pull, azmq.WithRecvHWM(1))
		push := newSocket(t, c, azmq.Push, azmq.WithSendHWM(1))
		link(t, tr, pull, push)
		// Fill every queue on the way, then close the receiver: a blocked
		// sender must not hang past its context.
		ctx := timeoutCtx(t, 500*time.Millisecond)
		chunk := make([]byte, 16<<10) // large enough to fill kernel buffers too
		var err error
		for i := 0; i < 100000 && err == nil; i++ {
			err = push.Send(ctx, chunk)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("sending into a full pipe: %v, want a deadline", err)
		}
		pull.Close()
		if err := push.Send(timeoutCtx(t, 100*time.Millisecond), []byte("x")); err == nil && tr == "inproc" {
			t.Fatal("send to a closed inproc peer succeeded")
		}
	}},
}

func TestInprocErrors(t *testing.T) {
	c := newContext(t, azmq.BackendStd)
	a, b := newSocket(t, c, azmq.Pull), newSocket(t, c, azmq.Pull)
	if err := a.Bind("inproc://x"); err != nil {
		t.Fatal(err)
	}
	if err := b.Bind("inproc://x"); !errors.Is(err, azmq.ErrAddrInUse) {
		t.Fatalf("second bind: %v, want ErrAddrInUse", err)
	}
	if err := b.Bind("inproc://"); !errors.Is(err, azmq.ErrInvalidEndpoint) {
		t.Fatalf("empty name: %v", err)
	}
	push := newSocket(t, c, azmq.Push)
	if err := push.Connect("inproc://x"); err != nil {
		t.Fatal(err)
	}
	other := newSocket(t, c, azmq.Push)
	if err := a.Unbind("inproc://x"); err != nil {
		t.Fatal(err)
	}
	if err := b.Bind("inproc://x"); err != nil {
		t.Fatalf("bind after unbind: %v", err)
	}
	// An incompatible pair is refused, as on the wire.
	if err := other.Connect("inproc://x"); err != nil {
		t.Fatal(err)
	}
	mustSend(t, other, "ok")
	recvWant(t, b, "ok")
	pub := newSocket(t, c, azmq.Dealer)
	if err := pub.Connect("inproc://x"); !errors.Is(err, azmq.ErrSocketType) {
		t.Fatalf("DEALER to PULL over inproc: %v, want ErrSocketType", err)
	}
	// Contexts do not share names: a connect in another context never
	// reaches this bind.
	c2 := newContext(t, azmq.BackendStd)
	p2 := newSocket(t, c2, azmq.Push)
	mustConnect(t, p2, "inproc://x")
	_ = p2.Send(timeoutCtx(t, 50*time.Millisecond), []byte("lost"))
	wantNothing(t, b, 100*time.Millisecond)
}

func TestIPCFiles(t *testing.T) {
	for _, bk := range backends {
		t.Run(bk.String(), func(t *testing.T) {
			c := newContext(t, bk)
			dir := t.TempDir()
			path := filepath.Join(dir, "sock")

			// A stale socket file (its listener died without removing it)
			// is taken over.
			l, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			l.(*net.UnixListener).SetUnlinkOnClose(false)
			l.Close()
			pull := newSocket(t, c, azmq.Pull)
			if err := pull.Bind("ipc://" + path); err != nil {
				t.Fatalf("bind over a stale file: %v", err)
			}
			if got := pull.Addr(); got != "ipc://"+path {
				t.Fatalf("Addr = %q", got)
			}

			// A live listener's path is refused.
			other := newSocket(t, c, azmq.Pull)
			if err := other.Bind("ipc://" + path); !errors.Is(err, azmq.ErrAddrInUse) {
				t.Fatalf("bind over a live listener: %v, want ErrAddrInUse", err)
			}

			push := newSocket(t, c, azmq.Push)
			mustConnect(t, push, "ipc://"+path)
			mustSend(t, push, "hi")
			recvWant(t, pull, "hi")

			// Unbind removes the file.
			if err := pull.Unbind("ipc://" + path); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("socket file after Unbind: %v", err)
			}

			// Close removes it too.
			if err := other.Bind("ipc://" + path); err != nil {
				t.Fatal(err)
			}
			other.Close()
			deadline := time.Now().Add(testTimeout)
			for {
				if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("socket file left after Close")
				}
				time.Sleep(5 * time.Millisecond)
			}

			// Abstract namespace: no file at all.
			name := fmt.Sprintf("@azmq-test-%d-%s", os.Getpid(), bk)
			abs := newSocket(t, c, azmq.Pull)
			if err := abs.Bind("ipc://" + name); err != nil {
				t.Fatal(err)
			}
			mustConnect(t, push, "ipc://"+name)
			mustSend(t, push, "abstract")
			recvWant(t, abs, "abstract")

			// The wildcard makes a private directory and reports the path.
			wild := newSocket(t, c, azmq.Pull)
			if err := wild.Bind("ipc://*"); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(wild.Addr(), "ipc:///") {
				t.Fatalf("wildcard Addr = %q", wild.Addr())
			}

			// Mistakes are clear errors at Bind/Connect.
			long := "ipc:///" + strings.Repeat("x", 120)
			if err := push.Connect(long); !errors.Is(err, azmq.ErrInvalidEndpoint) {
				t.Fatalf("too long a path: %v", err)
			}
			if os.Geteuid() != 0 {
				locked := filepath.Join(dir, "locked")
				os.Mkdir(locked, 0o500)
				if err := other.Bind("ipc://" + filepath.Join(locked, "s")); err == nil {
					t.Fatal("bind in a read-only directory succeeded")
				}
			}
			if err := other.Bind("ipc:///nonexistent-dir-azmq/s"); err == nil {
				t.Fatal("bind in a missing directory succeeded")
			}
		})
	}
	assertNoLeaks(t)
}

// TestCloseDeliversQueued is "connect, send, close" against a peer that is
// not there yet: with a linger the socket goes on connecting after Close and
// the message arrives, as with libzmq; Context.Close waits for it.
func TestCloseDeliversQueued(t *testing.T) {
	for _, b := range backends {
		for _, tr := range []string{"tcp", "ipc"} {
			t.Run(b.String()+"/"+tr, func(t *testing.T) {
				ep := endpointFor(t, tr)
				if tr == "tcp" {
					ep = fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t))
				}
				sender := azmq.NewContext(azmq.WithBackend(b))
				push, err := sender.NewSocket(azmq.Push, azmq.WithLinger(5*time.Second), azmq.WithReconnectInterval(10*time.Millisecond, 0))
				if err != nil {
					t.Fatal(err)
				}
				mustConnect(t, push, ep)
				for _, m := range []string{"one", "two"} {
					if err := push.Send(timeoutCtx(t, time.Second), []byte(m)); err != nil {
						t.Fatal(err)
					}
				}
				push.Close()
				closed := make(chan struct{})
				go func() {
					sender.Close()
					close(closed)
				}()
				time.Sleep(50 * time.Millisecond)
				pull := newSocket(t, newContext(t, b), azmq.Pull)
				if err := pull.Bind(ep); err != nil {
					t.Fatal(err)
				}
				recvWant(t, pull, "one")
				recvWant(t, pull, "two")
				select {
				case <-closed:
				case <-time.After(testTimeout):
					t.Fatal("Context.Close did not return after the queue was delivered")
				}
			})
		}
	}
	assertNoLeaks(t)
}

// TestCloseLingerBound: with nobody ever binding, Close gives up after the
// linger and Context.Close returns.
func TestCloseLingerBound(t *testing.T) {
	for _, b := range backends {
		t.Run(b.String(), func(t *testing.T) {
			c := azmq.NewContext(azmq.WithBackend(b))
			push, err := c.NewSocket(azmq.Push, azmq.WithLinger(100*time.Millisecond), azmq.WithReconnectInterval(10*time.Millisecond, 0))
			if err != nil {
				t.Fatal(err)
			}
			mustConnect(t, push, fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t)))
			if err := push.Send(timeoutCtx(t, time.Second), []byte("lost")); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			closeWithin(t, "context", c.Close)
			if d := time.Since(start); d < 80*time.Millisecond {
				t.Fatalf("Context.Close returned after %v, before the 100 ms linger", d)
			}
		})
	}
	assertNoLeaks(t)
}
