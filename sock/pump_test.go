package sock

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/azmq/azmq/ring"
)

// fakePumper plays a transport that a receive can read itself: each Pump
// delivers one message to the pipe's In, unless it declines (the
// transport's own reader has the connection).
type fakePumper struct {
	p          *ring.Pipe
	frames     []string
	decline    bool
	pumps      atomic.Int32
	interrupts atomic.Int32
}

func (f *fakePumper) Pump() bool {
	f.pumps.Add(1)
	if f.decline {
		return false
	}
	if err := f.p.In.Push(mkMsg(f.frames...)); err != nil {
		panic(err)
	}
	return true
}

func (f *fakePumper) Interrupt() { f.interrupts.Add(1) }

func TestRecvPumps(t *testing.T) {
	for _, typ := range append(slices.Clone(receivers), Req, Sub) {
		t.Run(typ.String(), func(t *testing.T) {
			checkLeaks(t)
			s := newSocket(t, typ, Options{})
			p := attach(t, s, 0, 0, "peer")
			frames := []string{"pumped"}
			switch typ {
			case Req:
				send(t, s, "request")
				wantPeerRecv(t, p, "", "request")
				frames = []string{"", "pumped"}
			case Rep:
				frames = []string{"", "pumped"}
			case Sub:
				if err := s.(Subscriber).Subscribe(nil); err != nil {
					t.Fatal(err)
				}
			}
			f := &fakePumper{p: p, frames: frames}
			p.SetPumper(f)

			// A ctx that can end never pumps: it must stay free to
			// leave the wait.
			ctx, cancel := context.WithTimeout(context.Background(), blockedFor)
			defer cancel()
			if err := s.Recv(ctx, mkMsg()); !errors.Is(err, context.DeadlineExceeded) || f.pumps.Load() != 0 {
				t.Fatalf("Recv with a deadline: %v after %d pumps", err, f.pumps.Load())
			}

			m := mkMsg()
			if err := s.Recv(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if got := strs(m); got[len(got)-1] != "pumped" || f.pumps.Load() != 1 {
				t.Fatalf("got %q after %d pumps, want the pumped message after 1", got, f.pumps.Load())
			}

			// A receive that then waits without pumping hands the
			// reading back to the transport, once: it would otherwise
			// leave the connection unread for its lease.
			switch typ {
			case Req:
				send(t, s, "again")
				wantPeerRecv(t, p, "", "again")
			case Rep:
				send(t, s, "reply")
			}
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
	f := &fakePumper{p: p, decline: true}
	p.SetPumper(f)
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
	f.decline = false
	f2 := &fakePumper{p: p2}
	p2.SetPumper(f2)
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
