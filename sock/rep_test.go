package sock

import (
	"context"
	"errors"
	"testing"

	"github.com/azmq/azmq/ring"
)

func TestRepAlternation(t *testing.T) {
	s := newSocket(t, Rep, Options{})
	p := attach(t, s, 0, 0, "")
	if err := s.Send(context.Background(), mkMsg("early")); !errors.Is(err, ErrState) {
		t.Fatalf("Send before Recv = %v, want ErrState", err)
	}
	peerSend(t, p, "", "q1")
	peerSend(t, p, "", "q2")
	wantRecv(t, s, "q1")
	var m ring.Msg
	if err := s.Recv(context.Background(), &m); !errors.Is(err, ErrState) {
		t.Fatalf("second Recv = %v, want ErrState", err)
	}
	send(t, s, "r1")
	wantPeerRecv(t, p, "", "r1")
	if err := s.Send(context.Background(), mkMsg("again")); !errors.Is(err, ErrState) {
		t.Fatalf("second Send = %v, want ErrState", err)
	}
	wantRecv(t, s, "q2")
	send(t, s, "r2")
	wantPeerRecv(t, p, "", "r2")
}

// TestRepEnvelope checks that every frame up to the first empty one is
// kept and put back in front of the reply; malformed requests are dropped.
func TestRepEnvelope(t *testing.T) {
	tests := []struct {
		name    string
		request [][]string // arriving in order; all but the last well-formed one are dropped
		body    []string
		reply   []string
		wire    []string
	}{
		{name: "REQ", request: [][]string{{"", "hello"}}, body: []string{"hello"}, reply: []string{"world"}, wire: []string{"", "world"}},
		{name: "one hop", request: [][]string{{"id1", "", "a", "b"}}, body: []string{"a", "b"}, reply: []string{"x", "y"}, wire: []string{"id1", "", "x", "y"}},
		{name: "three hops", request: [][]string{{"id1", "id2", "id3", "", "body"}}, body: []string{"body"},
			reply: []string{"r1", "r2", "r3"}, wire: []string{"id1", "id2", "id3", "", "r1", "r2", "r3"}},
		{name: "empty body", request: [][]string{{"id", "", ""}}, body: []string{""}, reply: []string{""}, wire: []string{"id", "", ""}},
		{name: "second empty frame is body", request: [][]string{{"", "", "x"}}, body: []string{"", "x"}, reply: []string{"r"}, wire: []string{"", "r"}},
		{name: "malformed dropped", request: [][]string{{"no-delimiter"}, {"a", "b"}, {"a", ""}, {""}, {"id", "", "ok"}},
			body: []string{"ok"}, reply: []string{"r"}, wire: []string{"id", "", "r"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSocket(t, Rep, Options{})
			p := attach(t, s, 0, 0, "")
			for _, f := range tt.request {
				peerSend(t, p, f...)
			}
			wantRecv(t, s, tt.body...)
			send(t, s, tt.reply...)
			wantPeerRecv(t, p, tt.wire...)
			wantRecvBlocks(t, s)
		})
	}
}

// TestRepRepliesToSender checks that each reply goes back to the pipe its
// request came from, with fair-queued requests.
func TestRepRepliesToSender(t *testing.T) {
	s := newSocket(t, Rep, Options{})
	a := attach(t, s, 0, 0, "")
	b := attach(t, s, 0, 0, "")
	peerSend(t, a, "", "from-a")
	peerSend(t, b, "", "from-b")
	peerSend(t, a, "", "from-a2")
	for _, want := range []struct {
		body string
		p    *ring.Pipe
	}{{"from-a", a}, {"from-b", b}, {"from-a2", a}} {
		wantRecv(t, s, want.body)
		send(t, s, "re-"+want.body)
		wantPeerRecv(t, want.p, "", "re-"+want.body)
	}
	wantNothing(t, a)
	wantNothing(t, b)
}

// TestRepDropsReply checks that a reply whose pipe is full or gone is
// dropped without blocking, and REP goes on.
func TestRepDropsReply(t *testing.T) {
	for _, gone := range []bool{false, true} {
		name := "full"
		if gone {
			name = "gone"
		}
		t.Run(name, func(t *testing.T) {
			s := newSocket(t, Rep, Options{})
			p := attach(t, s, 1, 0, "")
			other := attach(t, s, 0, 0, "")
			peerSend(t, p, "", "q")
			wantRecv(t, s, "q")
			if gone {
				detach(s, p)
			} else {
				p.Out.PushForce(mkMsg("filler"))
			}
			m := mkMsg("r")
			if err := s.Send(context.Background(), m); err != nil {
				t.Fatalf("Send = %v, want nil (dropped)", err)
			}
			if m.Len() != 0 {
				t.Fatalf("dropped reply left in m: %q", strs(m))
			}
			if !gone {
				wantPeerRecv(t, p, "filler")
				wantNothing(t, p)
			}
			peerSend(t, other, "", "next")
			wantRecv(t, s, "next")
			send(t, s, "r2")
			wantPeerRecv(t, other, "", "r2")
		})
	}
}

// TestRepPeerGoneQueued checks that requests queued before a peer left are
// still received.
func TestRepPeerGoneQueued(t *testing.T) {
	s := newSocket(t, Rep, Options{})
	p := attach(t, s, 0, 0, "")
	peerSend(t, p, "", "q")
	detach(s, p)
	wantRecv(t, s, "q")
	send(t, s, "r") // dropped
	wantRecvBlocks(t, s)
}
