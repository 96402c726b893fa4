package sock

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/azmq/azmq/ring"
)

// TestRouterGeneratedIDs checks libzmq's form 00 + big-endian counter,
// consecutive per peer and written back to the pipe.
func TestRouterGeneratedIDs(t *testing.T) {
	s := newSocket(t, Router, Options{})
	var ids [][]byte
	for range 3 {
		p := attach(t, s, 0, 0, "")
		if len(p.RoutingID) != 5 || p.RoutingID[0] != 0 {
			t.Fatalf("generated id %x", p.RoutingID)
		}
		ids = append(ids, p.RoutingID)
	}
	for i := 1; i < len(ids); i++ {
		prev := binary.BigEndian.Uint32(ids[i-1][1:])
		if got := binary.BigEndian.Uint32(ids[i][1:]); got != prev+1 {
			t.Fatalf("ids %x then %x: not consecutive", ids[i-1], ids[i])
		}
	}
	// An announced id equal to the next generated one is skipped over.
	next := make([]byte, 5)
	binary.BigEndian.PutUint32(next[1:], binary.BigEndian.Uint32(ids[2][1:])+1)
	attach(t, s, 0, 0, string(next))
	p := attach(t, s, 0, 0, "")
	if bytes.Equal(p.RoutingID, next) {
		t.Fatalf("generated id %x collides with an announced one", p.RoutingID)
	}
}

// TestRouterRandomStart checks that two sockets do not start their
// counters at the same place (libzmq randomises it).
func TestRouterRandomStart(t *testing.T) {
	seen := map[string]bool{}
	for range 4 {
		s := newSocket(t, Router, Options{})
		seen[string(attach(t, s, 0, 0, "").RoutingID)] = true
	}
	if len(seen) == 1 {
		t.Fatal("four ROUTERs generated the same first id")
	}
}

func TestRouterDuplicateID(t *testing.T) {
	s := newSocket(t, Router, Options{})
	first := attach(t, s, 0, 0, "dup")
	dup := ring.NewPipe(0, 0)
	dup.RoutingID = []byte("dup")
	if err := s.Attach(dup); err == nil {
		t.Fatal("duplicate routing id accepted")
	}
	detach(s, dup) // refused pipe closed by the transport: must not unroute the first
	send(t, s, "dup", "hello")
	wantPeerRecv(t, first, "hello")
	wantNothing(t, dup)
	detach(s, first)
	again := attach(t, s, 0, 0, "dup") // the id is free again
	send(t, s, "dup", "again")
	wantPeerRecv(t, again, "again")
}

func TestRouterRecv(t *testing.T) {
	s := newSocket(t, Router, Options{})
	a := attach(t, s, 0, 0, "A")
	b := attach(t, s, 0, 0, "")
	peerSend(t, a, "", "hi", "x", "y")
	peerSend(t, b, "one")
	peerSend(t, a, "two")
	wantRecv(t, s, "A", "", "hi", "x", "y")
	wantRecv(t, s, string(b.RoutingID), "one")
	wantRecv(t, s, "A", "two")
	wantRecvBlocks(t, s)
}

// TestRouterSend checks routing by the first frame and the cases dropped
// (or refused under RouterMandatory).
func TestRouterSend(t *testing.T) {
	tests := []struct {
		name      string
		mandatory bool
		msg       []string
		fill      bool  // the peer's pipe is at its HWM
		wantErr   error // nil: accepted (sent or dropped)
		wantA     []string
	}{
		{name: "routed", msg: []string{"A", "x", "y"}, wantA: []string{"x", "y"}},
		{name: "routed mandatory", mandatory: true, msg: []string{"A", "x"}, wantA: []string{"x"}},
		{name: "id only dropped", msg: []string{"A"}},
		{name: "id only mandatory dropped", mandatory: true, msg: []string{"A"}},
		{name: "unknown dropped", msg: []string{"B", "x"}},
		{name: "unknown mandatory", mandatory: true, msg: []string{"B", "x"}, wantErr: ErrHostUnreachable},
		{name: "full dropped", fill: true, msg: []string{"A", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSocket(t, Router, Options{RouterMandatory: tt.mandatory})
			a := attach(t, s, 1, 0, "A")
			if tt.fill {
				send(t, s, "A", "filler")
			}
			m := mkMsg(tt.msg...)
			err := s.Send(context.Background(), m)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("Send = %v, want %v", err, tt.wantErr)
			}
			if err == nil && m.Len() != 0 {
				t.Fatalf("accepted Send left %q", strs(m))
			}
			if err != nil && show(strs(m)) != show(tt.msg) {
				t.Fatalf("failed Send left %q", strs(m))
			}
			if tt.fill {
				wantPeerRecv(t, a, "filler")
			}
			if tt.wantA != nil {
				wantPeerRecv(t, a, tt.wantA...)
			}
			wantNothing(t, a)
		})
	}
}

// TestRouterMandatoryBlocks checks that a full peer blocks a mandatory
// send until it drains, and that its departure unblocks it with
// ErrHostUnreachable.
func TestRouterMandatoryBlocks(t *testing.T) {
	checkLeaks(t)
	s := newSocket(t, Router, Options{RouterMandatory: true})
	a := attach(t, s, 1, 0, "A")
	send(t, s, "A", "1")
	done := async(func() error { return s.Send(context.Background(), mkMsg("A", "2")) })
	wantPending(t, done)
	wantPeerRecv(t, a, "1")
	if err := wantDone(t, done); err != nil {
		t.Fatalf("Send: %v", err)
	}
	wantPeerRecv(t, a, "2")

	send(t, s, "A", "3")
	m := mkMsg("A", "4")
	done = async(func() error { return s.Send(context.Background(), m) })
	wantPending(t, done)
	detach(s, a)
	if err := wantDone(t, done); !errors.Is(err, ErrHostUnreachable) {
		t.Fatalf("Send to departed peer = %v, want ErrHostUnreachable", err)
	}
	if show(strs(m)) != "A|4" {
		t.Fatalf("failed Send left %q", strs(m))
	}
}

// TestRouterMandatoryTwoPeers checks that senders blocked on different
// full peers are each woken by their own peer's room.
func TestRouterMandatoryTwoPeers(t *testing.T) {
	for i := range 10 {
		checkLeaks(t)
		s := newSocket(t, Router, Options{RouterMandatory: true})
		a := attach(t, s, 1, 0, "A")
		b := attach(t, s, 1, 0, "B")
		send(t, s, "A", "a1")
		send(t, s, "B", "b1")
		toA := async(func() error { return s.Send(context.Background(), mkMsg("A", "a2")) })
		toB := async(func() error { return s.Send(context.Background(), mkMsg("B", "b2")) })
		wantPending(t, toA)
		wantPending(t, toB)
		first, second := b, a
		firstDone, secondDone := toB, toA
		if i%2 == 1 {
			first, second = a, b
			firstDone, secondDone = toA, toB
		}
		peerRecv(first)
		if err := wantDone(t, firstDone); err != nil {
			t.Fatal(err)
		}
		wantPending(t, secondDone)
		peerRecv(second)
		if err := wantDone(t, secondDone); err != nil {
			t.Fatal(err)
		}
		wantPeerRecv(t, a, "a2")
		wantPeerRecv(t, b, "b2")
	}
}

// TestRouterDetach checks that a detached peer is unroutable at once while
// its queued messages are still received.
func TestRouterDetach(t *testing.T) {
	s := newSocket(t, Router, Options{RouterMandatory: true})
	a := attach(t, s, 0, 0, "A")
	peerSend(t, a, "last words")
	detach(s, a)
	if err := s.Send(context.Background(), mkMsg("A", "x")); !errors.Is(err, ErrHostUnreachable) {
		t.Fatalf("Send to detached = %v, want ErrHostUnreachable", err)
	}
	wantRecv(t, s, "A", "last words")
	wantRecvBlocks(t, s)
}

// TestRouterGoneBeforeDetach checks a pipe closed by its transport before
// Detach reached the socket.
func TestRouterGoneBeforeDetach(t *testing.T) {
	for _, mandatory := range []bool{false, true} {
		s := newSocket(t, Router, Options{RouterMandatory: mandatory})
		a := attach(t, s, 0, 0, "A")
		a.SetGone()
		err := s.Send(context.Background(), mkMsg("A", "x"))
		if mandatory != errors.Is(err, ErrHostUnreachable) || (!mandatory && err != nil) {
			t.Fatalf("mandatory=%v: Send = %v", mandatory, err)
		}
		s.Detach(a)
	}
}

// TestRouterReply routes a reply back through ROUTER to the
// DEALER-style peer that asked.
func TestRouterReply(t *testing.T) {
	s := newSocket(t, Router, Options{})
	a := attach(t, s, 0, 0, "")
	b := attach(t, s, 0, 0, "")
	peerSend(t, b, "", "req-b")
	peerSend(t, a, "", "req-a")
	for range 2 {
		var m ring.Msg
		if err := s.Recv(ctxT(t), &m); err != nil {
			t.Fatal(err)
		}
		body := string(m.Frame(2))
		m.Append([]byte("re-" + body))
		if err := s.Send(ctxT(t), &m); err != nil {
			t.Fatal(err)
		}
	}
	wantPeerRecv(t, a, "", "req-a", "re-req-a")
	wantPeerRecv(t, b, "", "req-b", "re-req-b")
}
