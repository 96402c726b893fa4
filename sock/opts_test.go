package sock

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/azmq/azmq/ring"
)

// takeRequest pops what a correlating REQ sent and checks its envelope.
func takeRequest(t *testing.T, p *ring.Pipe) []string {
	t.Helper()
	got := peerRecv(p)
	if len(got) != 3 || len(got[0]) != 4 || got[1] != "" {
		t.Fatalf("request on the wire %q, want [id(4) \"\" body]", got)
	}
	return got
}

func otherID(id string) string {
	b := []byte(id)
	binary.NativeEndian.PutUint32(b, binary.NativeEndian.Uint32(b)+1000)
	return string(b)
}

func TestReqCorrelate(t *testing.T) {
	s := newSocket(t, Req, Options{ReqCorrelate: true})
	p := attach(t, s, 0, 0, "")
	if err := s.Send(context.Background(), mkMsg("a")); err != nil {
		t.Fatal(err)
	}
	req := takeRequest(t, p)
	// A reply without the id, or with another, is dropped.
	peerSend(t, p, "", "no id")
	peerSend(t, p, otherID(req[0]), "", "stale")
	recvWithin(t, s, false)
	peerSend(t, p, req[0], "", "reply")
	if got := recvWithin(t, s, true); !slices.Equal(got, []string{"reply"}) {
		t.Fatalf("got %q", got)
	}
	// The next request carries the next id.
	if err := s.Send(context.Background(), mkMsg("b")); err != nil {
		t.Fatal(err)
	}
	next := takeRequest(t, p)
	if binary.NativeEndian.Uint32([]byte(next[0])) != binary.NativeEndian.Uint32([]byte(req[0]))+1 {
		t.Fatalf("request ids %x then %x, want consecutive", req[0], next[0])
	}
}

// recvWithin receives within blockedFor and reports what came; ok says
// whether a message must come.
func recvWithin(t *testing.T, s Socket, ok bool) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), blockedFor)
	if ok {
		ctx, cancel = context.WithTimeout(context.Background(), finishIn)
	}
	defer cancel()
	var m ring.Msg
	err := s.Recv(ctx, &m)
	if ok && err != nil {
		t.Fatalf("Recv: %v", err)
	}
	if !ok && err == nil {
		t.Fatalf("received %q, want nothing", strs(&m))
	}
	defer m.Release()
	return strs(&m)
}

func TestReqRelaxed(t *testing.T) {
	t.Run("strict", func(t *testing.T) {
		s := newSocket(t, Req, Options{})
		attach(t, s, 0, 0, "")
		if err := s.Send(context.Background(), mkMsg("a")); err != nil {
			t.Fatal(err)
		}
		if err := s.Send(context.Background(), mkMsg("b")); !errors.Is(err, ErrState) {
			t.Fatalf("second Send: %v, want ErrState", err)
		}
	})
	t.Run("relaxed", func(t *testing.T) {
		s := newSocket(t, Req, Options{ReqRelaxed: true})
		p := attach(t, s, 0, 0, "")
		if err := s.Send(context.Background(), mkMsg("a")); err != nil {
			t.Fatal(err)
		}
		wantPeerRecv(t, p, "", "a")
		peerSend(t, p, "", "reply a") // waiting when b goes out: dropped
		if err := s.Send(context.Background(), mkMsg("b")); err != nil {
			t.Fatalf("second Send: %v", err)
		}
		wantPeerRecv(t, p, "", "b")
		peerSend(t, p, "", "reply b")
		if got := recvWithin(t, s, true); !slices.Equal(got, []string{"reply b"}) {
			t.Fatalf("got %q, want the reply to b", got)
		}
	})
	t.Run("relaxed+correlate", func(t *testing.T) {
		s := newSocket(t, Req, Options{ReqRelaxed: true, ReqCorrelate: true})
		p := attach(t, s, 0, 0, "")
		for _, body := range []string{"a", "b"} {
			if err := s.Send(context.Background(), mkMsg(body)); err != nil {
				t.Fatal(err)
			}
		}
		a, b := takeRequest(t, p), takeRequest(t, p)
		// The reply to a comes after b went out: only the id tells.
		peerSend(t, p, a[0], "", "reply a")
		peerSend(t, p, b[0], "", "reply b")
		if got := recvWithin(t, s, true); !slices.Equal(got, []string{"reply b"}) {
			t.Fatalf("got %q, want the reply to b", got)
		}
	})
}

func TestRouterHandover(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		s := newSocket(t, Router, Options{})
		attach(t, s, 0, 0, "x")
		p := ring.NewPipe(0, 0)
		p.RoutingID = []byte("x")
		if err := s.Attach(p); err == nil {
			t.Fatal("a second peer announcing the same id was attached")
		}
	})
	t.Run("handover", func(t *testing.T) {
		s := newSocket(t, Router, Options{RouterHandover: true})
		old := attach(t, s, 0, 0, "x")
		kicked := false
		old.SetKick(func() { kicked = true })
		peerSend(t, old, "from old")
		p := attach(t, s, 0, 0, "x")
		if !kicked {
			t.Fatal("the old peer's connection was not ended")
		}
		if err := s.Send(context.Background(), mkMsg("x", "to new")); err != nil {
			t.Fatal(err)
		}
		wantPeerRecv(t, p, "to new")
		wantNothing(t, old)
		// What the old peer had sent is still received, under another id.
		got := recvWithin(t, s, true)
		if got[1] != "from old" || got[0] == "x" {
			t.Fatalf("got %q, want the old peer's message under a new id", got)
		}
		detach(s, old) // the transport reports the kicked connection's end
		if err := s.Send(context.Background(), mkMsg("x", "again")); err != nil {
			t.Fatal(err)
		}
		wantPeerRecv(t, p, "again")
	})
}

func TestProbeRouter(t *testing.T) {
	for _, typ := range []Type{Router, Dealer, Req} {
		t.Run(typ.String(), func(t *testing.T) {
			off := newSocket(t, typ, Options{})
			wantNothing(t, attach(t, off, 0, 0, "p"))
			s := newSocket(t, typ, Options{ProbeRouter: true})
			wantPeerRecv(t, attach(t, s, 0, 0, "p"), "")
		})
	}
}

func TestConflatePeerTakesNewest(t *testing.T) {
	s := newSocket(t, Pull, Options{})
	p := ring.NewPipe(0, 0)
	p.SetConflate(true)
	if err := s.Attach(p); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"1", "2", "3"} {
		peerSend(t, p, body)
	}
	if got := recvWithin(t, s, true); !slices.Equal(got, []string{"3"}) {
		t.Fatalf("got %q, want only the newest", got)
	}
	peerSend(t, p, "4")
	peerSend(t, p, "5")
	if got := recvWithin(t, s, true); !slices.Equal(got, []string{"5"}) {
		t.Fatalf("got %q, want only the newest", got)
	}
	recvWithin(t, s, false)
}

func TestMetaStamped(t *testing.T) {
	for _, typ := range []Type{Pull, Router, Dealer, Pair, XSub} {
		t.Run(typ.String(), func(t *testing.T) {
			s := newSocket(t, typ, Options{})
			p := attach(t, s, 0, 0, "id")
			md := ring.NewMeta("10.0.0.1:5555", nil)
			p.SetMeta(md)
			peerSend(t, p, "m")
			var m ring.Msg
			ctx, cancel := context.WithTimeout(context.Background(), finishIn)
			defer cancel()
			if err := s.Recv(ctx, &m); err != nil {
				t.Fatal(err)
			}
			if m.Meta() != md || m.PeerAddress() != "10.0.0.1:5555" {
				t.Fatalf("meta %p %q, want %p", m.Meta(), m.PeerAddress(), md)
			}
			m.Release()
			if m.Meta() != nil {
				t.Fatal("Release kept the meta")
			}
		})
	}
}
