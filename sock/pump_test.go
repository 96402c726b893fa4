package sock

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azmq/azmq/ring"
)

// fakePumper plays a transport that a receive can read itself: each Pump
// delivers one message to the pipe's In, unless it declines (the
// transport's own reader has the connection) or blocks (a read waiting for
// bytes that do not come, until Interrupt).
type fakePumper struct {
	p          *ring.Pipe
	frames     []string
	decline    atomic.Bool
	block      atomic.Bool
	wake       chan struct{} // Interrupt's, kept until a blocked Pump takes it
	pumps      atomic.Int32
	interrupts atomic.Int32
}

func newFakePumper(p *ring.Pipe, frames ...string) *fakePumper {
	f := &fakePumper{p: p, frames: frames, wake: make(chan struct{}, 1)}
	p.SetPumper(f)
	return f
}

func (f *fakePumper) Pump() bool {
	f.pumps.Add(1)
	switch {
	case f.decline.Load():
		return false
	case f.block.Load():
		select {
		case <-f.wake:
		case <-time.After(finishIn):
			panic("a blocked Pump was never interrupted")
		}
		return true
	}
	if err := f.p.In.Push(mkMsg(f.frames...)); err != nil {
		panic(err)
	}
	return true
}

func (f *fakePumper) Interrupt() {
	f.interrupts.Add(1)
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// pumpSocket returns a socket of type typ with one pipe read through a
// fakePumper, and next, which readies the socket for its next receive
// (a REQ sends its request, a REP its reply to the last one).
func pumpSocket(t *testing.T, typ Type) (s Socket, f *fakePumper, next func()) {
	t.Helper()
	checkLeaks(t)
	s = newSocket(t, typ, Options{})
	p := attach(t, s, 0, 0, "peer")
	frames := []string{"pumped"}
	received := false
	next = func() {}
	switch typ {
	case Req:
		frames = []string{"", "pumped"}
		next = func() {
			send(t, s, "request")
			wantPeerRecv(t, p, "", "request")
		}
	case Rep:
		frames = []string{"", "pumped"}
		next = func() {
			if received {
				send(t, s, "reply")
			}
			received = true
		}
	case Sub:
		if err := s.(Subscriber).Subscribe(nil); err != nil {
			t.Fatal(err)
		}
	}
	return s, newFakePumper(p, frames...), next
}

// TestRecvPumps: a receive with one pipe whose transport it can read reads
// it, whatever its ctx; a ctx that ends interrupts the read; a receive
// that then waits without pumping hands the reading back.
func TestRecvPumps(t *testing.T) {
	for _, typ := range append(slices.Clone(receivers), Req, Sub) {
		t.Run(typ.String(), func(t *testing.T) {
			s, f, next := pumpSocket(t, typ)
			long, stop := context.WithCancel(context.Background())
			defer stop()
			for i, ctx := range []context.Context{context.Background(), long, long} {
				next()
				m := mkMsg()
				if err := s.Recv(ctx, m); err != nil {
					t.Fatal(err)
				}
				if got := strs(m); got[len(got)-1] != "pumped" || f.pumps.Load() != int32(i+1) {
					t.Fatalf("receive %d got %q after %d pumps, want the pumped message", i, got, f.pumps.Load())
				}
			}

			// A read waiting for bytes ends with its ctx, by deadline or
			// by cancel.
			f.block.Store(true)
			next()
			ctx, cancel := context.WithTimeout(context.Background(), blockedFor)
			err := s.Recv(ctx, mkMsg())
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("pumping Recv past its deadline: %v", err)
			}
			ctx, cancel = context.WithCancel(context.Background())
			time.AfterFunc(blockedFor, cancel)
			if err := s.Recv(ctx, mkMsg()); !errors.Is(err, context.Canceled) {
				t.Fatalf("pumping Recv cancelled: %v", err)
			}
			if f.interrupts.Load() < 2 {
				t.Fatalf("%d interrupts for two receives whose ctx ended", f.interrupts.Load())
			}
			f.block.Store(false)

			// A receive that waits without pumping (here: the transport
			// declines) hands the reading back, once: the transport would
			// otherwise leave the connection unread for its lease.
			f.decline.Store(true)
			before := f.interrupts.Load()
			for range 2 {
				ctx, cancel := context.WithTimeout(context.Background(), blockedFor)
				err := s.Recv(ctx, mkMsg())
				cancel()
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Recv with a deadline: %v", err)
				}
			}
			if n := f.interrupts.Load() - before; n != 1 {
				t.Fatalf("two receives waiting without pumping interrupted the pumped pipe %d times, want 1", n)
			}
		})
	}
}

// declinedPump returns a socket of type typ with one pipe whose Pumper
// declines: its transport's reader has the connection.
func declinedPump(t *testing.T, typ Type) (Socket, *ring.Pipe, *fakePumper) {
	t.Helper()
	checkLeaks(t)
	s := newSocket(t, typ, Options{})
	p := attach(t, s, 0, 0, "")
	f := newFakePumper(p)
	f.decline.Store(true)
	return s, p, f
}

func TestRecvPumpDeclined(t *testing.T) {
	s, p, f := declinedPump(t, Pull)
	m := mkMsg()
	done := async(func() error { return s.Recv(context.Background(), m) })
	wantPending(t, done)
	peerSend(t, p, "read by the transport")
	if err := wantDone(t, done); err != nil || show(strs(m)) != "read by the transport" || f.pumps.Load() == 0 {
		t.Fatalf("Recv = %v, %q after %d pumps", err, strs(m), f.pumps.Load())
	}
}

// TestPumpInterrupted checks that a receive reading one pipe is told to
// look again when a second pipe arrives (it must not stay on the first)
// and when the socket closes; with two pipes it waits as before.
func TestPumpInterrupted(t *testing.T) {
	s, _, f := declinedPump(t, Dealer)
	p2 := attach(t, s, 0, 0, "")
	if f.interrupts.Load() == 0 {
		t.Fatal("attaching a second pipe did not interrupt the first's Pump")
	}
	f.decline.Store(false)
	f2 := newFakePumper(p2)
	m := mkMsg()
	done := async(func() error { return s.Recv(context.Background(), m) })
	wantPending(t, done)
	if f.pumps.Load()+f2.pumps.Load() != 0 {
		t.Fatal("a receive with two pipes pumped one")
	}
	before := f.interrupts.Load()
	s.Close()
	if err := wantDone(t, done); !errors.Is(err, ErrClosed) {
		t.Fatalf("Recv after Close = %v", err)
	}
	if f.interrupts.Load() == before {
		t.Fatal("Close did not interrupt the pipes' Pumps")
	}
}
