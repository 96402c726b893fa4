package engine

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/azmq/azmq/frame"
)

// heartbeatSession is a session past its handshake with heartbeats set;
// the test plays the clock.
func heartbeatSession(t *testing.T, ivl, ttl, timeout time.Duration) *testSession {
	t.Helper()
	ts := newTestSession(t, "DEALER", 0, 0, 0)
	ts.s.SetHeartbeat(ivl, ttl, timeout)
	ts.handshake("ROUTER")
	return ts
}

// tick calls Tick at t0+at and checks the next deadline (relative to t0;
// -1: none) and whether the peer is declared dead.
func tick(t *testing.T, ts *testSession, t0 time.Time, at, wantNext time.Duration, wantDead bool) {
	t.Helper()
	next, err := ts.s.Tick(t0.Add(at))
	if wantDead != errors.Is(err, ErrHeartbeatTimeout) || (!wantDead && err != nil) {
		t.Fatalf("at %v: error %v, want dead %v", at, err, wantDead)
	}
	if wantDead {
		return
	}
	if wantNext < 0 {
		if !next.IsZero() {
			t.Fatalf("at %v: next tick at +%v, want none", at, next.Sub(t0))
		}
		return
	}
	if got := next.Sub(t0); got != wantNext {
		t.Fatalf("at %v: next tick at +%v, want +%v", at, got, wantNext)
	}
}

func TestHeartbeatPings(t *testing.T) {
	const ivl = 100 * time.Millisecond
	t0 := time.Unix(1000, 0)
	ping := frame.AppendPing(nil, 12, nil) // ttl 1.29 s → 12 ds, no context (zmtp.md §11)

	t.Run("PING every interval, silent peer dropped after the timeout", func(t *testing.T) {
		ts := heartbeatSession(t, ivl, 1290*time.Millisecond, 250*time.Millisecond)
		if !ts.s.NeedTick() {
			t.Fatal("handshake done with heartbeats on, but NeedTick is false")
		}
		tick(t, ts, t0, 0, ivl, false) // starts the clock, sends nothing
		if out := ts.output(); out != nil {
			t.Fatalf("sent % x at the handshake", out)
		}
		tick(t, ts, t0, ivl, 2*ivl, false)
		if got := ts.output(); !bytes.Equal(got, ping) {
			t.Fatalf("PING\n got % x\nwant % x", got, ping)
		}
		// The timeout started with that PING runs to +350 ms; later PINGs
		// do not restart it while nothing arrives.
		tick(t, ts, t0, 2*ivl, 3*ivl, false)
		tick(t, ts, t0, 3*ivl, 350*time.Millisecond, false)
		if got := ts.output(); !bytes.Equal(got, slices.Concat(ping, ping)) {
			t.Fatalf("want two PINGs, got % x", got)
		}
		tick(t, ts, t0, 350*time.Millisecond, 0, true)
	})

	t.Run("any frame keeps the peer alive", func(t *testing.T) {
		ts := heartbeatSession(t, ivl, 0, 150*time.Millisecond)
		tick(t, ts, t0, 0, ivl, false)
		tick(t, ts, t0, ivl, 2*ivl, false) // PING; timeout to +250 ms
		ts.mustFeed(appendMsg(nil, []byte("data")), 0)
		// The message cancelled that timeout, so this PING starts another.
		tick(t, ts, t0, 2*ivl, 3*ivl, false)
		tick(t, ts, t0, 3*ivl, 350*time.Millisecond, false)
		ts.mustFeed(frame.AppendPong(nil, nil), 0)
		tick(t, ts, t0, 350*time.Millisecond, 4*ivl, false) // cancelled by the PONG
		tick(t, ts, t0, 4*ivl, 5*ivl, false)
		tick(t, ts, t0, 5*ivl, 550*time.Millisecond, false)
		tick(t, ts, t0, 550*time.Millisecond, 0, true)
		ts.pop()
	})

	t.Run("timeout defaults to the interval", func(t *testing.T) {
		ts := heartbeatSession(t, ivl, 0, 0)
		tick(t, ts, t0, 0, ivl, false)
		tick(t, ts, t0, ivl, 2*ivl, false)
		tick(t, ts, t0, 2*ivl, 3*ivl, true)
	})

	t.Run("off: no ticks", func(t *testing.T) {
		ts := heartbeatSession(t, 0, 0, 0)
		if ts.s.NeedTick() {
			t.Fatal("NeedTick without heartbeats")
		}
	})
}

func TestHeartbeatPeerTTL(t *testing.T) {
	t0 := time.Unix(1000, 0)
	t.Run("silence past the TTL drops the peer", func(t *testing.T) {
		ts := heartbeatSession(t, 0, 0, 0)
		ts.mustFeed(frame.AppendPing(nil, 5, nil), 0) // 500 ms
		if !ts.s.NeedTick() {
			t.Fatal("PING with a TTL, but NeedTick is false")
		}
		tick(t, ts, t0, 0, 500*time.Millisecond, false)
		if got, want := ts.output(), frame.AppendPong(nil, nil); !bytes.Equal(got, want) {
			t.Fatalf("PONG % x, want % x", got, want)
		}
		tick(t, ts, t0, 500*time.Millisecond, 0, true)
	})
	t.Run("a later frame cancels it", func(t *testing.T) {
		ts := heartbeatSession(t, 0, 0, 0)
		ts.mustFeed(slices.Concat(frame.AppendPing(nil, 5, nil), appendMsg(nil, []byte("x"))), 0)
		tick(t, ts, t0, 0, 500*time.Millisecond, false)
		tick(t, ts, t0, 500*time.Millisecond, -1, false)
		ts.pop()
	})
	t.Run("each PING restarts it", func(t *testing.T) {
		ts := heartbeatSession(t, 0, 0, 0)
		ts.mustFeed(frame.AppendPing(nil, 5, nil), 0)
		tick(t, ts, t0, 0, 500*time.Millisecond, false)
		ts.mustFeed(frame.AppendPing(nil, 5, nil), 0)
		tick(t, ts, t0, 400*time.Millisecond, 900*time.Millisecond, false)
		tick(t, ts, t0, 900*time.Millisecond, 0, true)
	})
	t.Run("TTL 0 asks for nothing", func(t *testing.T) {
		ts := heartbeatSession(t, 0, 0, 0)
		ts.mustFeed(frame.AppendPing(nil, 0, []byte("c")), 0)
		if ts.s.NeedTick() {
			t.Fatal("NeedTick after a PING without TTL")
		}
	})
}

func TestHeartbeatTTLEncoding(t *testing.T) {
	for _, tc := range []struct {
		ttl  time.Duration
		want uint16
	}{
		{12345 * time.Millisecond, 123}, // zmtp.md §11: rounded down
		{99 * time.Millisecond, 0},
		{time.Hour * 10, 0xffff},
		{-time.Second, 0},
	} {
		ts := heartbeatSession(t, time.Second, tc.ttl, 0)
		t0 := time.Unix(0, 0)
		ts.s.Tick(t0)
		ts.s.Tick(t0.Add(time.Second))
		got, _, err := frame.ParsePing(ts.output()[7:])
		if err != nil || got != tc.want {
			t.Fatalf("ttl %v: PING says %d (%v), want %d", tc.ttl, got, err, tc.want)
		}
	}
}

func TestHeartbeatBeforeHandshake(t *testing.T) {
	ts := newTestSession(t, "DEALER", 0, 0, 0)
	ts.s.SetHeartbeat(time.Millisecond, 0, 0)
	if next, err := ts.s.Tick(time.Now()); err != nil || !next.IsZero() {
		t.Fatalf("Tick before the handshake: %v, %v", next, err)
	}
}
