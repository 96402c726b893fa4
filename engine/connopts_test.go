package engine

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/azmq/azmq/crypto"
	"github.com/azmq/azmq/frame"
)

// eventLog records the events of Options.Events.
type eventLog struct {
	mu  sync.Mutex
	evs []Event
}

func (l *eventLog) add(ev Event) {
	l.mu.Lock()
	l.evs = append(l.evs, ev)
	l.mu.Unlock()
}

func (l *eventLog) all() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.evs)
}

func (l *eventLog) count(k EventKind) int {
	n := 0
	for _, ev := range l.all() {
		if ev.Kind == k {
			n++
		}
	}
	return n
}

// first returns the first event of kind k, waiting for it.
func (l *eventLog) first(t *testing.T, k EventKind) Event {
	t.Helper()
	var got Event
	waitFor(t, "event "+k.String(), func() bool {
		for _, ev := range l.all() {
			if ev.Kind == k {
				got = ev
				return true
			}
		}
		return false
	})
	return got
}

func logged(o *Options) (*Options, *eventLog) {
	l := &eventLog{}
	o.Events = l.add
	return o, l
}

// rawPeer is a hand-driven ZMTP peer over a plain TCP connection: it
// completes the NULL handshake as a ROUTER and then does only what the
// test says.
func rawPeer(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.Write(frame.AppendGreeting(nil, "NULL", false))
	c.Write(readyCmd("ROUTER", nil))
	return c
}

// TestBackendHeartbeatDropsSilentPeer: a peer that completed its handshake
// and then went silent (not even answering PINGs) is dropped after the
// heartbeat timeout; a dead peer counts as a disconnect.
func TestBackendHeartbeatDropsSilentPeer(t *testing.T) {
	forBackends(t, func(t *testing.T, e *Engine) {
		opts, log := logged(testOptions("DEALER"))
		opts.HeartbeatIvl, opts.HeartbeatTimeout = 50*time.Millisecond, 200*time.Millisecond
		opts.Counters = &Counters{}
		lh := newFakeHost()
		l, err := e.Listen("tcp://127.0.0.1:0", opts, lh)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close(0)
		c := rawPeer(t, l.Addr()[len("tcp://"):])
		lh.waitAttach(t, 5*time.Second)
		start := time.Now()
		ev := log.first(t, EventDisconnected)
		if !errors.Is(ev.Err, ErrHeartbeatTimeout) {
			t.Fatalf("disconnected with %v", ev.Err)
		}
		if d := time.Since(start); d < 150*time.Millisecond {
			t.Fatalf("dropped after %v, before the 200 ms timeout", d)
		}
		if ev.Peer != c.LocalAddr().String() {
			t.Fatalf("event peer %q, want %q", ev.Peer, c.LocalAddr())
		}
		if n := opts.Counters.Disconnects.Load(); n != 1 {
			t.Fatalf("%d disconnects counted", n)
		}
		// What the silent peer was sent: greeting, READY, then PINGs.
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var got []byte
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		ping := frame.AppendPing(nil, 0, nil)
		if !slicesContains(got, ping) {
			t.Fatalf("no PING among % x", got)
		}
	})
}

func slicesContains(b, sub []byte) bool {
	for i := 0; i+len(sub) <= len(b); i++ {
		if string(b[i:i+len(sub)]) == string(sub) {
			return true
		}
	}
	return false
}

// TestBackendHeartbeatIdleSurvives: two engines heartbeating each other stay
// connected through idle periods several timeouts long, and messages flow
// after them.
func TestBackendHeartbeatIdleSurvives(t *testing.T) {
	forBackends(t, func(t *testing.T, e *Engine) {
		lo, llog := logged(testOptions("PULL"))
		do, dlog := logged(testOptions("PUSH"))
		for _, o := range []*Options{lo, do} {
			o.HeartbeatIvl, o.HeartbeatTTL, o.HeartbeatTimeout = 30*time.Millisecond, 300*time.Millisecond, 100*time.Millisecond
		}
		lh, dh := newFakeHost(), newFakeHost()
		l, err := e.Listen("tcp://127.0.0.1:0", lo, lh)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close(0)
		d, err := e.Dial(l.Addr(), do, dh)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close(0)
		dp := dh.waitAttach(t, time.Second)
		lp := lh.waitAttach(t, 5*time.Second)
		time.Sleep(600 * time.Millisecond)
		if err := sendN(dp, 0, 10, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := recvN(lp, 0, 10, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if n := llog.count(EventDisconnected) + dlog.count(EventDisconnected); n != 0 {
			t.Fatalf("%d disconnects while idle: %v %v", n, llog.all(), dlog.all())
		}
	})
}

// TestBackendPeerTTL: a peer whose PING asks for a TTL and then goes silent
// is dropped after the TTL, although we send no heartbeats ourselves.
func TestBackendPeerTTL(t *testing.T) {
	forBackends(t, func(t *testing.T, e *Engine) {
		opts, log := logged(testOptions("DEALER"))
		lh := newFakeHost()
		l, err := e.Listen("tcp://127.0.0.1:0", opts, lh)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close(0)
		c := rawPeer(t, l.Addr()[len("tcp://"):])
		lh.waitAttach(t, 5*time.Second)
		c.Write(frame.AppendPing(nil, 2, nil)) // 200 ms
		ev := log.first(t, EventDisconnected)
		if !errors.Is(ev.Err, ErrHeartbeatTimeout) {
			t.Fatalf("disconnected with %v", ev.Err)
		}
	})
}

// TestBackendImmediate: with Immediate a dialer has no pipe until a
// handshake completes and loses it with the connection; without it the
// one eager pipe lives across reconnections.
func TestBackendImmediate(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		forBackends(t, func(t *testing.T, e *Engine) {
			lh, dh := newFakeHost(), newFakeHost()
			l, err := e.Listen("tcp://127.0.0.1:0", testOptions("PULL"), lh)
			if err != nil {
				t.Fatal(err)
			}
			addr := l.Addr()
			do := testOptions("PUSH")
			do.Immediate = immediate
			d, err := e.Dial(addr, do, dh)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close(0)
			dp := dh.waitAttach(t, 5*time.Second)
			if immediate && dp.PeerType() != "PULL" {
				t.Fatalf("immediate: pipe attached before the handshake (peer type %q)", dp.PeerType())
			}
			lh.waitAttach(t, 5*time.Second)
			l.Close(0) // drops the connection; the dialer retries in vain
			if immediate {
				waitFor(t, "pipe detached with its connection", func() bool { return dh.wasDetached(dp) })
			} else {
				time.Sleep(100 * time.Millisecond)
				if dh.wasDetached(dp) {
					t.Fatal("eager pipe detached when its connection ended")
				}
			}
		})
	}
}

// TestBackendConnectTimeout: a connect to a listener whose backlog is full
// hangs in SYN retries; ConnectTimeout abandons it and the dialer retries.
func TestBackendConnectTimeout(t *testing.T) {
	addr := fullBacklog(t)
	forBackends(t, func(t *testing.T, e *Engine) {
		opts, log := logged(testOptions("PUSH"))
		opts.ConnectTimeout = 100 * time.Millisecond
		opts.ReconnectIvl = 50 * time.Millisecond
		d, err := e.Dial("tcp://"+addr, opts, newFakeHost())
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close(0)
		ev := log.first(t, EventConnectRetried)
		if !errors.Is(ev.Err, ErrConnectTimeout) {
			t.Fatalf("retried after %v", ev.Err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		if err := d.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrConnectTimeout) {
			t.Fatalf("Wait: %v", err)
		}
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

// TestBackendReconnectStop covers each ZMQ_RECONNECT_STOP flag, and that
// without it the dialer goes on.
func TestBackendReconnectStop(t *testing.T) {
	t.Run("conn refused", func(t *testing.T) {
		addr := freeAddr(t)
		forBackends(t, func(t *testing.T, e *Engine) {
			for _, stop := range []bool{false, true} {
				opts, log := logged(testOptions("PUSH"))
				if stop {
					opts.ReconnectStop = ReconnectStopConnRefused
				}
				d, err := e.Dial("tcp://"+addr, opts, newFakeHost())
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				err = d.Wait(ctx)
				cancel()
				d.Close(0)
				if !errors.Is(err, syscall.ECONNREFUSED) {
					t.Fatalf("stop %v: Wait: %v", stop, err)
				}
				if got := errors.Is(err, context.DeadlineExceeded); got == stop {
					t.Fatalf("stop %v: Wait waited for the deadline: %v", stop, got)
				}
				if n := log.count(EventConnectRetried); stop != (n == 0) {
					t.Fatalf("stop %v: %d retries", stop, n)
				}
			}
		})
	})
	t.Run("handshake failed", func(t *testing.T) {
		// A listener that hangs up on every connection.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		forBackends(t, func(t *testing.T, e *Engine) {
			for _, stop := range []bool{false, true} {
				opts, log := logged(testOptions("PUSH"))
				if stop {
					opts.ReconnectStop = ReconnectStopHandshakeFailed
				}
				d, err := e.Dial("tcp://"+ln.Addr().String(), opts, newFakeHost())
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				err = d.Wait(ctx)
				cancel()
				d.Close(0)
				if got := errors.Is(err, context.DeadlineExceeded); got == stop || err == nil {
					t.Fatalf("stop %v: Wait: %v", stop, err)
				}
				log.first(t, EventHandshakeFailedNoDetail)
				time.Sleep(50 * time.Millisecond)
				if n := log.count(EventHandshakeFailedNoDetail); stop && n != 1 {
					t.Fatalf("stop %v: %d handshake failures", stop, n)
				}
			}
		})
	})
	t.Run("after disconnect", func(t *testing.T) {
		forBackends(t, func(t *testing.T, e *Engine) {
			l, err := e.Listen("tcp://127.0.0.1:0", testOptions("PULL"), newFakeHost())
			if err != nil {
				t.Fatal(err)
			}
			opts, log := logged(testOptions("PUSH"))
			opts.ReconnectStop = ReconnectStopAfterDisconnect
			d, err := e.Dial(l.Addr(), opts, newFakeHost())
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close(0)
			if err := d.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			l.Close(0)
			log.first(t, EventDisconnected)
			time.Sleep(100 * time.Millisecond)
			if n := log.count(EventConnectRetried) + log.count(EventConnectDelayed); n != 1 {
				t.Fatalf("went on connecting after the disconnect: %v", log.all())
			}
		})
	})
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestBackendEvents checks the events of one connection's life on both
// sides, in order, with the peer's address and routing id.
func TestBackendEvents(t *testing.T) {
	forBackends(t, func(t *testing.T, e *Engine) {
		lo, llog := logged(testOptions("ROUTER"))
		do, dlog := logged(testOptions("DEALER"))
		do.NewMechanism = func(string) crypto.Mechanism {
			return crypto.NewNull(crypto.Config{SocketType: "DEALER", Identity: []byte("me")})
		}
		l, err := e.Listen("tcp://127.0.0.1:0", lo, newFakeHost())
		if err != nil {
			t.Fatal(err)
		}
		d, err := e.Dial(l.Addr(), do, newFakeHost())
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		llog.first(t, EventHandshakeSucceeded)
		d.Close(0)
		llog.first(t, EventDisconnected)
		l.Close(0)
		want := []EventKind{EventListening, EventAccepted, EventHandshakeSucceeded, EventDisconnected, EventClosed}
		evs := llog.all()
		if got := kindsOf(evs); !slices.Equal(got, want) {
			t.Fatalf("listener events %v, want %v", got, want)
		}
		if string(evs[2].RoutingID) != "me" || string(evs[3].RoutingID) != "me" || evs[1].Peer == "" || evs[1].Peer != evs[3].Peer {
			t.Fatalf("listener events %+v", evs)
		}
		// Closed by us: a disconnect without error, and no retry.
		dlog.first(t, EventDisconnected)
		want = []EventKind{EventConnectDelayed, EventConnected, EventHandshakeSucceeded, EventDisconnected}
		if got := kindsOf(dlog.all()); !slices.Equal(got, want) || dlog.all()[3].Err != nil {
			t.Fatalf("dialer events %v, want %v", got, want)
		}
		if got := dlog.all()[1].Peer; got != l.Addr()[len("tcp://"):] {
			t.Fatalf("dialer's peer %q", got)
		}
	})
}

func kindsOf(evs []Event) []EventKind {
	out := make([]EventKind, len(evs))
	for i, ev := range evs {
		out[i] = ev.Kind
	}
	return out
}

func TestHandshakeFailureKinds(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want EventKind
	}{
		{nil, EventHandshakeFailedNoDetail},
		{ErrHandshakeTimeout, EventHandshakeFailedNoDetail},
		{ErrProtocol, EventHandshakeFailedProtocol},
		{ErrMsgSize, EventHandshakeFailedProtocol},
		{crypto.ErrSocketType, EventHandshakeFailedProtocol},
		{crypto.ErrHandshake, EventHandshakeFailedProtocol},
		{crypto.ErrAuth, EventHandshakeFailedAuth},
		{crypto.ErrRefused, EventHandshakeFailedAuth},
	} {
		if got := handshakeFailure(tc.err); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.err, got, tc.want)
		}
	}
	if s := EventHandshakeFailedAuth.String(); s != "HandshakeFailedAuth" {
		t.Errorf("String %q", s)
	}
	if s := EventKind(3).String(); s != "EventKind(3)" {
		t.Errorf("String %q", s)
	}
}
