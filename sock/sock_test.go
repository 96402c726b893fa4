package sock

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/azmq/azmq/ring"
)

func TestTypeString(t *testing.T) {
	tests := []struct {
		typ  Type
		want string
	}{
		{Pair, "PAIR"}, {Pub, "PUB"}, {Sub, "SUB"}, {Req, "REQ"}, {Rep, "REP"},
		{Dealer, "DEALER"}, {Router, "ROUTER"}, {Pull, "PULL"}, {Push, "PUSH"},
		{XPub, "XPUB"}, {XSub, "XSUB"}, {Type(42), "Type(42)"}, {Type(-1), "Type(-1)"},
	}
	for _, tt := range tests {
		if got := tt.typ.String(); got != tt.want {
			t.Errorf("Type(%d).String() = %q, want %q", int(tt.typ), got, tt.want)
		}
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		typ     Type
		wantErr error
	}{
		{Pair, nil}, {Req, nil}, {Rep, nil}, {Dealer, nil}, {Router, nil}, {Pull, nil}, {Push, nil},
		{Pub, nil}, {Sub, nil}, {XPub, nil}, {XSub, nil},
		{Type(11), ErrNotSupported}, {Type(-3), ErrNotSupported},
	}
	for _, tt := range tests {
		s, err := New(tt.typ, Options{})
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("New(%v) error = %v, want %v", tt.typ, err, tt.wantErr)
		}
		if (s == nil) != (tt.wantErr != nil) {
			t.Errorf("New(%v) socket = %v with error %v", tt.typ, s, err)
		}
		if s != nil {
			s.Close()
		}
	}
}

func TestNotSupported(t *testing.T) {
	push := newSocket(t, Push, Options{})
	attach(t, push, 0, 0, "")
	var m ring.Msg
	if err := push.Recv(context.Background(), &m); !errors.Is(err, ErrNotSupported) {
		t.Errorf("PUSH Recv = %v, want ErrNotSupported", err)
	}
	pull := newSocket(t, Pull, Options{})
	p := attach(t, pull, 0, 0, "")
	m2 := mkMsg("x")
	if err := pull.Send(context.Background(), m2); !errors.Is(err, ErrNotSupported) {
		t.Errorf("PULL Send = %v, want ErrNotSupported", err)
	}
	if m2.Len() != 1 {
		t.Errorf("refused Send took the message")
	}
	wantNothing(t, p)
}

func TestSendNoFrames(t *testing.T) {
	for _, typ := range []Type{Pair, Push, Dealer, Req, Rep, Router} {
		s := newSocket(t, typ, Options{})
		attach(t, s, 0, 0, "")
		if err := s.Send(context.Background(), &ring.Msg{}); err == nil {
			t.Errorf("%v: Send of an empty Msg succeeded", typ)
		}
	}
}

// TestLoadBalance checks round-robin of whole messages over the pipes.
func TestLoadBalance(t *testing.T) {
	for _, typ := range []Type{Push, Dealer} {
		t.Run(typ.String(), func(t *testing.T) {
			s := newSocket(t, typ, Options{})
			pipes := []*ring.Pipe{attach(t, s, 0, 0, ""), attach(t, s, 0, 0, ""), attach(t, s, 0, 0, "")}
			for i := range 6 {
				send(t, s, fmt.Sprint("m", i), "tail")
			}
			for i := range 6 {
				wantPeerRecv(t, pipes[i%3], fmt.Sprint("m", i), "tail")
			}
			for _, p := range pipes {
				wantNothing(t, p)
			}
		})
	}
}

// TestLoadBalanceSkipsFull checks that a pipe at its HWM loses its turn.
func TestLoadBalanceSkipsFull(t *testing.T) {
	s := newSocket(t, Push, Options{})
	a := attach(t, s, 1, 0, "")
	b := attach(t, s, 0, 0, "")
	send(t, s, "1") // a, now full
	send(t, s, "2") // b
	send(t, s, "3") // a full: b
	send(t, s, "4") // a full: b
	wantPeerRecv(t, a, "1")
	wantNothing(t, a)
	for _, w := range []string{"2", "3", "4"} {
		wantPeerRecv(t, b, w)
	}
}

// blockingSenders are the types whose Send blocks while no pipe has room.
var blockingSenders = []Type{Push, Dealer, Pair, Req}

// TestSendBlocksAtHWM checks that Send parks at the HWM and resumes once
// the peer drained the pipe.
func TestSendBlocksAtHWM(t *testing.T) {
	for _, typ := range blockingSenders {
		t.Run(typ.String(), func(t *testing.T) {
			checkLeaks(t)
			s := newSocket(t, typ, Options{})
			p := attach(t, s, 1, 0, "")
			if typ == Req {
				p.Out.PushForce(mkMsg("filler")) // REQ may send only once
			} else {
				send(t, s, "first")
			}
			m := mkMsg("second")
			done := async(func() error { return s.Send(context.Background(), m) })
			wantPending(t, done)
			if peerRecv(p) == nil {
				t.Fatal("nothing queued")
			}
			if err := wantDone(t, done); err != nil {
				t.Fatalf("Send: %v", err)
			}
			want := []string{"second"}
			if typ == Req {
				want = []string{"", "second"}
			}
			wantPeerRecv(t, p, want...)
			if m.Len() != 0 {
				t.Errorf("sent Msg still holds %d frames", m.Len())
			}
		})
	}
}

// TestSendBlocksWithoutPeer checks that Send waits for the first pipe.
func TestSendBlocksWithoutPeer(t *testing.T) {
	for _, typ := range blockingSenders {
		t.Run(typ.String(), func(t *testing.T) {
			checkLeaks(t)
			s := newSocket(t, typ, Options{})
			done := async(func() error { return s.Send(context.Background(), mkMsg("hello")) })
			wantPending(t, done)
			p := attach(t, s, 0, 0, "")
			if err := wantDone(t, done); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got := peerRecv(p); show(got) != "hello" && show(got) != "|hello" {
				t.Fatalf("peer got %q", got)
			}
		})
	}
}

// TestSendContext checks that a blocked Send honours its context and
// leaves the message with the caller.
func TestSendContext(t *testing.T) {
	senders := append(slices.Clone(blockingSenders), Router)
	for _, typ := range senders {
		for _, cancelled := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/cancel=%v", typ, cancelled), func(t *testing.T) {
				checkLeaks(t)
				s := newSocket(t, typ, Options{RouterMandatory: true})
				frames := []string{"a", "b"}
				if typ == Router {
					attach(t, s, 1, 0, "peer")
					send(t, s, "peer", "fill") // mandatory: the next one blocks
					frames = []string{"peer", "b"}
				}
				var (
					ctx    context.Context
					cancel context.CancelFunc
					want   error
				)
				if cancelled {
					ctx, cancel = context.WithCancel(context.Background())
					want = context.Canceled
				} else {
					ctx, cancel = context.WithTimeout(context.Background(), blockedFor)
					want = context.DeadlineExceeded
				}
				defer cancel()
				m := mkMsg(frames...)
				done := async(func() error { return s.Send(ctx, m) })
				if cancelled {
					wantPending(t, done)
					cancel()
				}
				if err := wantDone(t, done); !errors.Is(err, want) {
					t.Fatalf("Send = %v, want %v", err, want)
				}
				if got := strs(m); !slices.Equal(got, frames) {
					t.Fatalf("failed Send left %q, want %q", got, frames)
				}
			})
		}
	}
}

// receivers are every implemented type that can Recv without a prior Send.
var receivers = []Type{Pull, Dealer, Pair, Rep, Router}

func TestRecvContext(t *testing.T) {
	for _, typ := range append(slices.Clone(receivers), Req) {
		for _, cancelled := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/cancel=%v", typ, cancelled), func(t *testing.T) {
				checkLeaks(t)
				s := newSocket(t, typ, Options{})
				attach(t, s, 0, 0, "")
				if typ == Req {
					send(t, s, "request")
				}
				var (
					ctx    context.Context
					cancel context.CancelFunc
					want   error
				)
				if cancelled {
					ctx, cancel = context.WithCancel(context.Background())
					want = context.Canceled
				} else {
					ctx, cancel = context.WithTimeout(context.Background(), blockedFor)
					want = context.DeadlineExceeded
				}
				defer cancel()
				m := mkMsg("mine")
				done := async(func() error { return s.Recv(ctx, m) })
				if cancelled {
					wantPending(t, done)
					cancel()
				}
				if err := wantDone(t, done); !errors.Is(err, want) {
					t.Fatalf("Recv = %v, want %v", err, want)
				}
				if got := show(strs(m)); got != "mine" {
					t.Fatalf("failed Recv changed m to %q", got)
				}
			})
		}
	}
}

// TestClose checks that Close wakes blocked calls and refuses later ones.
func TestClose(t *testing.T) {
	for _, typ := range []Type{Pair, Push, Pull, Dealer, Req, Rep, Router} {
		t.Run(typ.String(), func(t *testing.T) {
			checkLeaks(t)
			s, err := New(typ, Options{RouterMandatory: true})
			if err != nil {
				t.Fatal(err)
			}
			p := attach(t, s, 1, 0, "peer")
			var calls []<-chan error
			switch typ {
			case Push, Dealer, Pair, Router:
				send(t, s, "peer", "fill")
				calls = append(calls, async(func() error { return s.Send(context.Background(), mkMsg("peer", "x")) }))
			case Req:
				send(t, s, "request")
			}
			switch typ {
			case Pull, Dealer, Pair, Router, Req, Rep:
				for range 3 {
					calls = append(calls, async(func() error { return s.Recv(context.Background(), &ring.Msg{}) }))
				}
			}
			for _, c := range calls {
				wantPending(t, c)
			}
			s.Close()
			for _, c := range calls {
				if err := wantDone(t, c); !errors.Is(err, ErrClosed) {
					t.Errorf("blocked call = %v, want ErrClosed", err)
				}
			}
			s.Close() // idempotent
			if typ != Pull {
				if err := s.Send(context.Background(), mkMsg("peer", "x")); !errors.Is(err, ErrClosed) && !errors.Is(err, ErrState) {
					t.Errorf("Send after Close = %v", err)
				}
			}
			if typ != Push {
				if err := s.Recv(context.Background(), &ring.Msg{}); !errors.Is(err, ErrClosed) {
					t.Errorf("Recv after Close = %v", err)
				}
			}
			if err := s.Attach(ring.NewPipe(0, 0)); !errors.Is(err, ErrClosed) {
				t.Errorf("Attach after Close = %v", err)
			}
			detach(s, p) // still allowed: the transport cleans up
		})
	}
}

// TestFairQueue checks round-robin of whole messages over pipes that have
// one.
func TestFairQueue(t *testing.T) {
	for _, typ := range []Type{Pull, Dealer} {
		t.Run(typ.String(), func(t *testing.T) {
			s := newSocket(t, typ, Options{})
			a := attach(t, s, 0, 0, "")
			b := attach(t, s, 0, 0, "")
			c := attach(t, s, 0, 0, "")
			peerSend(t, a, "a1", "x")
			peerSend(t, a, "a2")
			peerSend(t, a, "a3")
			peerSend(t, b, "b1")
			peerSend(t, c, "c1")
			peerSend(t, c, "c2", "y", "z")
			for _, want := range [][]string{{"a1", "x"}, {"b1"}, {"c1"}, {"a2"}, {"c2", "y", "z"}, {"a3"}} {
				wantRecv(t, s, want...)
			}
			wantRecvBlocks(t, s)
		})
	}
}

// TestRecvWakes checks that a parked Recv wakes for a message pushed later
// and for a pipe attached later with messages already queued.
func TestRecvWakes(t *testing.T) {
	for _, typ := range []Type{Pull, Dealer, Pair} {
		t.Run(typ.String(), func(t *testing.T) {
			checkLeaks(t)
			s := newSocket(t, typ, Options{})
			var m ring.Msg
			done := async(func() error { return s.Recv(context.Background(), &m) })
			wantPending(t, done)
			p := ring.NewPipe(0, 0)
			peerSend(t, p, "early")
			if err := s.Attach(p); err != nil {
				t.Fatal(err)
			}
			if err := wantDone(t, done); err != nil || show(strs(&m)) != "early" {
				t.Fatalf("Recv = %v %q", err, strs(&m))
			}
			done = async(func() error { return s.Recv(context.Background(), &m) })
			wantPending(t, done)
			peerSend(t, p, "late")
			if err := wantDone(t, done); err != nil || show(strs(&m)) != "late" {
				t.Fatalf("Recv = %v %q", err, strs(&m))
			}
			m.Release()
		})
	}
}

// TestDetach checks that a detached pipe leaves routing at once and its
// queued messages are still delivered.
func TestDetach(t *testing.T) {
	for _, typ := range []Type{Dealer, Pair} {
		t.Run(typ.String(), func(t *testing.T) {
			s := newSocket(t, typ, Options{})
			a := attach(t, s, 0, 0, "")
			peerSend(t, a, "q1")
			peerSend(t, a, "q2")
			detach(s, a)
			b := attach(t, s, 0, 0, "") // PAIR takes a new peer once the old one is gone
			peerSend(t, b, "b1")
			send(t, s, "out1")
			send(t, s, "out2")
			wantPeerRecv(t, b, "out1")
			wantPeerRecv(t, b, "out2")
			wantNothing(t, a)
			got := map[string]bool{}
			for range 3 {
				got[show(recv(t, s))] = true
			}
			if !got["q1"] || !got["q2"] || !got["b1"] {
				t.Fatalf("received %v", got)
			}
			wantRecvBlocks(t, s)
			detach(s, a) // twice: harmless
		})
	}
}

func TestPairSinglePeer(t *testing.T) {
	s := newSocket(t, Pair, Options{})
	a := attach(t, s, 0, 0, "")
	second := ring.NewPipe(0, 0)
	if err := s.Attach(second); err == nil {
		t.Fatal("PAIR accepted a second peer")
	}
	detach(s, second) // the transport closes the refused pipe; harmless
	send(t, s, "to-a")
	wantPeerRecv(t, a, "to-a")
	detach(s, a)
	b := attach(t, s, 0, 0, "")
	send(t, s, "to-b")
	wantPeerRecv(t, b, "to-b")
}
