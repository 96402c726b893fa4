package azmq_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

// nextEvent returns the next event of one of the kinds wanted, skipping
// others, or fails after testTimeout.
func nextEvent(t *testing.T, ch <-chan azmq.Event, kinds ...azmq.EventKind) azmq.Event {
	t.Helper()
	deadline := time.After(testTimeout)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("monitor closed while waiting for %v", kinds)
			}
			if slices.Contains(kinds, ev.Kind) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %v event within %v", kinds, testTimeout)
		}
	}
}

// expectEvents reads events until it has seen each of want in order (any
// other event in between is ignored) and returns them.
func expectEvents(t *testing.T, ch <-chan azmq.Event, want ...azmq.EventKind) []azmq.Event {
	t.Helper()
	var got []azmq.Event
	for _, k := range want {
		got = append(got, nextEvent(t, ch, k))
	}
	return got
}

// TestMonitorInterop follows real connections to libzmq peers: we bind and
// they connect, then the reverse, each ended by the peer's process exiting;
// and a peer of a wrong socket type.
func TestMonitorInterop(t *testing.T) {
	requirePyzmq(t)
	runOnBackends(t, []backendCase{
		{"we bind", func(t *testing.T, c *azmq.Context) {
			s := newSocket(t, c, azmq.Router)
			mon := s.Monitor(timeoutCtx(t, time.Minute))
			ep := bindLocal(t, s)
			p := startPeer(t, "DEALER", "connect", ep, []byte("lz"))
			evs := expectEvents(t, mon, azmq.EventListening, azmq.EventAccepted, azmq.EventHandshakeSucceeded)
			if evs[0].Endpoint != ep || evs[1].Endpoint != ep || evs[1].Peer == "" {
				t.Fatalf("events %+v", evs)
			}
			if id := string(evs[2].RoutingID); id != "lz" || evs[2].Peer != evs[1].Peer {
				t.Fatalf("handshake event %+v", evs[2])
			}
			p.cmd.Process.Kill()
			ev := nextEvent(t, mon, azmq.EventDisconnected)
			if ev.Peer != evs[1].Peer || string(ev.RoutingID) != "lz" {
				t.Fatalf("disconnect event %+v", ev)
			}
		}},
		{"they bind", func(t *testing.T, c *azmq.Context) {
			p := startPeer(t, "ROUTER", "bind", "tcp://127.0.0.1:*", nil)
			s := newSocket(t, c, azmq.Dealer)
			mon := s.Monitor(timeoutCtx(t, time.Minute))
			if err := s.Dial(timeoutCtx(t, testTimeout), p.endpoint); err != nil {
				t.Fatal(err)
			}
			evs := expectEvents(t, mon, azmq.EventConnectDelayed, azmq.EventConnected, azmq.EventHandshakeSucceeded)
			if evs[1].Endpoint != p.endpoint || evs[1].Peer != hostPort(t, p.endpoint) {
				t.Fatalf("events %+v", evs)
			}
			p.cmd.Process.Kill()
			expectEvents(t, mon, azmq.EventDisconnected, azmq.EventConnectRetried)
		}},
		{"wrong type connects", func(t *testing.T, c *azmq.Context) {
			s := newSocket(t, c, azmq.Push)
			mon := s.Monitor(timeoutCtx(t, time.Minute))
			startPeer(t, "PUB", "connect", bindLocal(t, s), nil)
			ev := nextEvent(t, mon, azmq.EventHandshakeSucceeded, azmq.EventHandshakeFailedProtocol)
			if ev.Kind != azmq.EventHandshakeFailedProtocol || !errors.Is(ev.Err, azmq.ErrSocketType) || ev.Peer == "" {
				t.Fatalf("event %+v", ev)
			}
		}},
		{"wrong type binds", func(t *testing.T, c *azmq.Context) {
			p := startPeer(t, "SUB", "bind", "tcp://127.0.0.1:*", nil)
			s := newSocket(t, c, azmq.Push)
			mon := s.Monitor(timeoutCtx(t, time.Minute))
			err := s.Dial(timeoutCtx(t, testTimeout), p.endpoint)
			if !errors.Is(err, azmq.ErrSocketType) || errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Dial: %v", err)
			}
			nextEvent(t, mon, azmq.EventHandshakeFailedProtocol)
		}},
	})
}

// TestMonitorLifecycle: the channel ends with MonitorStopped when its
// context ends or the socket closes; a reader that does not read loses
// events, counted, but never blocks the socket.
func TestMonitorLifecycle(t *testing.T) {
	runOnBackends(t, []backendCase{
		{"ctx ends", func(t *testing.T, c *azmq.Context) {
			s := newSocket(t, c, azmq.Pull)
			ctx, cancel := context.WithCancel(context.Background())
			mon := s.Monitor(ctx)
			other := s.Monitor(timeoutCtx(t, time.Minute))
			bindLocal(t, s)
			cancel()
			expectEvents(t, mon, azmq.EventListening, azmq.EventMonitorStopped)
			if _, ok := <-mon; ok {
				t.Fatal("channel open after MonitorStopped")
			}
			bindLocal(t, s)
			expectEvents(t, other, azmq.EventListening, azmq.EventListening) // the other goes on
		}},
		{"socket closes", func(t *testing.T, c *azmq.Context) {
			s := newSocket(t, c, azmq.Pull)
			mon := s.Monitor(context.Background())
			ep := bindLocal(t, s)
			s.Close()
			evs := expectEvents(t, mon, azmq.EventListening, azmq.EventClosed, azmq.EventMonitorStopped)
			if evs[1].Endpoint != ep {
				t.Fatalf("closed %+v", evs[1])
			}
			if _, ok := <-mon; ok {
				t.Fatal("channel open after MonitorStopped")
			}
			late := s.Monitor(context.Background())
			if ev := <-late; ev.Kind != azmq.EventMonitorStopped {
				t.Fatalf("monitor of a closed socket: %v", ev.Kind)
			}
		}},
		{"slow reader", func(t *testing.T, c *azmq.Context) {
			s := newSocket(t, c, azmq.Push, azmq.WithReconnectInterval(time.Millisecond, 0))
			mon := s.Monitor(timeoutCtx(t, time.Minute))
			mustConnect(t, s, "tcp://127.0.0.1:"+strconv.Itoa(freePort(t)))
			if !eventually(30*time.Second, func() bool { return s.Stats().MonitorDrops > 0 }) {
				t.Fatal("no drops counted")
			}
			mustSend(t, s, "still works") // queued: nothing waits for the monitor
			s.Close()
			n := 0
			var last azmq.Event
			for ev := range mon {
				n, last = n+1, ev
			}
			if last.Kind != azmq.EventMonitorStopped || n > 1024 {
				t.Fatalf("%d events, last %v", n, last.Kind)
			}
		}},
	})
}

// TestHeartbeatInterop runs heartbeats against a libzmq peer that has
// ZMQ_HEARTBEAT_IVL set, both ways: the connection survives idle periods
// longer than both timeouts (so our PONGs satisfy libzmq and its PINGs and
// PONGs satisfy us), and a peer stopped with SIGSTOP — its TCP connection
// up but silent — is detected by our PING timeout.
func TestHeartbeatInterop(t *testing.T) {
	requirePyzmq(t)
	peerOpts := []peerOpt{{"HEARTBEAT_IVL", 100}, {"HEARTBEAT_TIMEOUT", 1000}}
	run := func(t *testing.T, c *azmq.Context, b azmq.Backend, weBind, direct bool) {
		s := newSocket(t, c, azmq.Pair, azmq.WithHeartbeat(100*time.Millisecond, time.Second, 500*time.Millisecond))
		mon := s.Monitor(timeoutCtx(t, time.Minute))
		var p *pyPeer
		if weBind {
			p = startPeerOpts(t, "PAIR", "connect", bindLocal(t, s), nil, peerOpts)
		} else {
			p = startPeerOpts(t, "PAIR", "bind", "tcp://127.0.0.1:*", nil, peerOpts)
			if err := s.Dial(timeoutCtx(t, testTimeout), p.endpoint); err != nil {
				t.Fatal(err)
			}
		}
		nextEvent(t, mon, azmq.EventHandshakeSucceeded)
		// libzmq answers PINGs only while its application is in a socket
		// call (zmqpeer.py's poll); its I/O thread sends its own PINGs.
		p.do(map[string]any{"poll": 1500})
		done := p.echoAsync(1)
		mustSend(t, s, "after idle")
		recvWant(t, s, "after idle")
		done()
		if st := s.Stats(); st.Disconnects != 0 {
			t.Fatalf("%d disconnects while idle", st.Disconnects)
		}
		select {
		case ev := <-mon:
			t.Fatalf("event while idle: %v %v", ev.Kind, ev.Err)
		default:
		}

		var pending <-chan recvResult
		if direct {
			// The silence begins while a receive reads the connection
			// itself: the heartbeat must end that read too.
			pending = pumpingRecv(t, b, s, func() func() {
				done := p.echoAsync(1)
				mustSend(t, s, "prime")
				return done
			})
		}
		pause(t, p.cmd.Process)
		stopped := time.Now()
		ev := nextEvent(t, mon, azmq.EventDisconnected)
		if !errors.Is(ev.Err, azmq.ErrHeartbeatTimeout) {
			t.Fatalf("disconnected: %v", ev.Err)
		}
		// PING every 100 ms, timeout 500 ms: well under 5 s even loaded.
		if d := time.Since(stopped); d > 5*time.Second {
			t.Fatalf("silent peer detected after %v", d)
		}
		if pending != nil {
			s.Close()
			if r := await(t, pending); !errors.Is(r.err, azmq.ErrClosed) {
				t.Fatalf("receive after the peer fell silent: %s, %v", show(r.msg), r.err)
			}
		}
	}
	for _, b := range backends {
		t.Run(b.String(), func(t *testing.T) {
			for _, weBind := range []bool{true, false} {
				for _, direct := range []bool{false, true} {
					t.Run(fmt.Sprintf("we_bind=%v/direct=%v", weBind, direct), func(t *testing.T) {
						t.Parallel()
						run(t, newContext(t, b), b, weBind, direct)
					})
				}
			}
		})
	}
	assertNoLeaks(t)
}
