package azmq_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

// TestDial covers the synchronous connect: success once the handshake is
// done, the last failure when ctx ends (and the endpoint given up), and an
// incompatible peer reported at once.
func TestDial(t *testing.T) {
	runOnBackends(t, []backendCase{
		{"connects", func(t *testing.T, c *azmq.Context) {
			pull := newSocket(t, c, azmq.Pull)
			ep := bindLocal(t, pull)
			push := newSocket(t, c, azmq.Push)
			if err := push.Dial(timeoutCtx(t, testTimeout), ep); err != nil {
				t.Fatal(err)
			}
			if st := push.Stats(); len(st.Pipes) != 1 || st.Pipes[0].PeerType != "PULL" {
				t.Fatalf("after Dial: %+v", st.Pipes)
			}
			mustSend(t, push, "hi")
			recvWant(t, pull, "hi")
		}},
		{"refused until ctx ends", func(t *testing.T, c *azmq.Context) {
			push := newSocket(t, c, azmq.Push, azmq.WithReconnectInterval(20*time.Millisecond, 0))
			ep := "tcp://127.0.0.1:" + strconv.Itoa(freePort(t))
			err := push.Dial(timeoutCtx(t, 300*time.Millisecond), ep)
			if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("Dial: %v", err)
			}
			if err := push.Disconnect(ep); !errors.Is(err, azmq.ErrInvalidEndpoint) {
				t.Fatalf("endpoint still connecting after a failed Dial: %v", err)
			}
		}},
		{"wrong type", func(t *testing.T, c *azmq.Context) {
			pub := newSocket(t, c, azmq.Pub)
			ep := bindLocal(t, pub)
			push := newSocket(t, c, azmq.Push)
			start := time.Now()
			err := push.Dial(timeoutCtx(t, testTimeout), ep)
			if !errors.Is(err, azmq.ErrSocketType) || time.Since(start) > testTimeout/2 {
				t.Fatalf("Dial: %v after %v", err, time.Since(start))
			}
		}},
		{"inproc", func(t *testing.T, c *azmq.Context) {
			pull := newSocket(t, c, azmq.Pull)
			if err := pull.Bind("inproc://dial"); err != nil {
				t.Fatal(err)
			}
			push := newSocket(t, c, azmq.Push)
			if err := push.Dial(timeoutCtx(t, testTimeout), "inproc://dial"); err != nil {
				t.Fatal(err)
			}
			mustSend(t, push, "hi")
			recvWant(t, pull, "hi")
		}},
	})
}

// TestDialInterop dials a libzmq peer.
func TestDialInterop(t *testing.T) {
	requirePyzmq(t)
	runOnBackends(t, []backendCase{
		{"PUSH-PULL", func(t *testing.T, c *azmq.Context) {
			p := startPeer(t, "PULL", "bind", "tcp://127.0.0.1:*", nil)
			s := newSocket(t, c, azmq.Push)
			if err := s.Dial(timeoutCtx(t, testTimeout), p.endpoint); err != nil {
				t.Fatal(err)
			}
			mustSend(t, s, "x")
			mustEqual(t, "pulled", p.recv(), bs("x"))
		}},
	})
}

// TestImmediate: with WithImmediate a PUSH queues nothing for a peer that
// is not connected, so Send blocks; by default it queues.
func TestImmediate(t *testing.T) {
	runOnBackends(t, []backendCase{
		{"no connection", func(t *testing.T, c *azmq.Context) {
			ep := "tcp://127.0.0.1:" + strconv.Itoa(freePort(t))
			for _, immediate := range []bool{false, true} {
				push := newSocket(t, c, azmq.Push, azmq.WithImmediate(immediate))
				mustConnect(t, push, ep)
				err := push.Send(timeoutCtx(t, 200*time.Millisecond), []byte("x"))
				if immediate != errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("immediate %v: Send: %v", immediate, err)
				}
			}
		}},
		{"one live peer of two", func(t *testing.T, c *azmq.Context) {
			pull := newSocket(t, c, azmq.Pull)
			ep := bindLocal(t, pull)
			push := newSocket(t, c, azmq.Push, azmq.WithImmediate(true))
			mustConnect(t, push, "tcp://127.0.0.1:"+strconv.Itoa(freePort(t)))
			mustConnect(t, push, ep)
			// Round robin over connected peers only: all four arrive.
			for i := 0; i < 4; i++ {
				mustSend(t, push, strconv.Itoa(i))
			}
			for i := 0; i < 4; i++ {
				recvWant(t, pull, strconv.Itoa(i))
			}
		}},
	})
}

// TestConnectTimeout: a connect nobody answers (a listener whose backlog is
// full) fails after WithConnectTimeout instead of the kernel's minutes.
func TestConnectTimeout(t *testing.T) {
	ep := "tcp://" + fullBacklog(t)
	runOnBackends(t, []backendCase{
		{"bounded", func(t *testing.T, c *azmq.Context) {
			for _, ct := range []time.Duration{0, 100 * time.Millisecond} {
				s := newSocket(t, c, azmq.Push, azmq.WithConnectTimeout(ct))
				err := s.Dial(timeoutCtx(t, time.Second), ep)
				if (ct > 0) != errors.Is(err, azmq.ErrConnectTimeout) || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("connect timeout %v: Dial: %v", ct, err)
				}
			}
		}},
	})
}

// fullBacklog returns the address of a listener that never accepts and
// whose backlog is full, so that a new connect gets no answer.
func fullBacklog(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	addr := (&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sa.(*syscall.SockaddrInet4).Port}).String()
	c, err := net.Dial("tcp", addr) // takes the one place
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if c2, err := net.DialTimeout("tcp", addr, 300*time.Millisecond); err == nil {
		c2.Close()
		t.Skip("this kernel answers connects beyond the backlog")
	}
	return addr
}

// TestReconnectStop: with ReconnectStopConnRefused a refused Dial returns at
// once instead of retrying until ctx ends; with AfterDisconnect a lost
// connection is not retried.
func TestReconnectStop(t *testing.T) {
	runOnBackends(t, []backendCase{
		{"conn refused", func(t *testing.T, c *azmq.Context) {
			ep := "tcp://127.0.0.1:" + strconv.Itoa(freePort(t))
			for _, stop := range []bool{false, true} {
				var opts []azmq.Option
				if stop {
					opts = append(opts, azmq.WithReconnectStop(azmq.ReconnectStopConnRefused))
				}
				s := newSocket(t, c, azmq.Push, opts...)
				err := s.Dial(timeoutCtx(t, 500*time.Millisecond), ep)
				if !errors.Is(err, syscall.ECONNREFUSED) || stop == errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("stop %v: Dial: %v", stop, err)
				}
			}
		}},
		{"after disconnect", func(t *testing.T, c *azmq.Context) {
			pull := newSocket(t, c, azmq.Pull)
			ep := bindLocal(t, pull)
			push := newSocket(t, c, azmq.Push, azmq.WithReconnectStop(azmq.ReconnectStopAfterDisconnect),
				azmq.WithReconnectInterval(10*time.Millisecond, 0))
			mon := push.Monitor(timeoutCtx(t, time.Minute))
			if err := push.Dial(timeoutCtx(t, testTimeout), ep); err != nil {
				t.Fatal(err)
			}
			if err := pull.Unbind(ep); err != nil {
				t.Fatal(err)
			}
			nextEvent(t, mon, azmq.EventDisconnected)
			time.Sleep(100 * time.Millisecond)
			if n := push.Stats().Reconnects; n != 0 {
				t.Fatalf("%d reconnects after a disconnect", n)
			}
		}},
	})
}

func TestRoutingIDGetter(t *testing.T) {
	c := newContext(t, azmq.BackendStd)
	s := newSocket(t, c, azmq.Dealer, azmq.WithRoutingID([]byte("id")))
	id := s.RoutingID()
	id[0] = 'X'
	if got := s.RoutingID(); !bytes.Equal(got, []byte("id")) {
		t.Fatalf("RoutingID %q", got)
	}
	if got := newSocket(t, c, azmq.Dealer).RoutingID(); got != nil {
		t.Fatalf("no routing id: %q", got)
	}
}
