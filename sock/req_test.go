package sock

import (
	"context"
	"errors"
	"testing"

	"github.com/azmq/azmq/ring"
)

func TestReqAlternation(t *testing.T) {
	s := newSocket(t, Req, Options{})
	p := attach(t, s, 0, 0, "")
	var m ring.Msg
	if err := s.Recv(context.Background(), &m); !errors.Is(err, ErrState) {
		t.Fatalf("Recv before Send = %v, want ErrState", err)
	}
	send(t, s, "ping", "more")
	wantPeerRecv(t, p, "", "ping", "more")
	second := mkMsg("again")
	if err := s.Send(context.Background(), second); !errors.Is(err, ErrState) {
		t.Fatalf("second Send = %v, want ErrState", err)
	}
	if show(strs(second)) != "again" {
		t.Fatalf("refused Send left %q", strs(second))
	}
	peerSend(t, p, "", "pong")
	wantRecv(t, s, "pong")
	if err := s.Recv(context.Background(), &m); !errors.Is(err, ErrState) {
		t.Fatalf("second Recv = %v, want ErrState", err)
	}
	send(t, s, "ping2")
	wantPeerRecv(t, p, "", "ping2")
}

// TestReqReplies checks which messages REQ takes as the reply.
func TestReqReplies(t *testing.T) {
	tests := []struct {
		name   string
		other  [][]string // arriving on the pipe the request did not go to
		same   [][]string // arriving on the request's pipe, in order
		reply  []string   // the expected reply
		blocks bool       // no acceptable reply at all
	}{
		{name: "plain", same: [][]string{{"", "r"}}, reply: []string{"r"}},
		{name: "multipart", same: [][]string{{"", "r1", "r2", "r3", "r4"}}, reply: []string{"r1", "r2", "r3", "r4"}},
		{name: "empty body", same: [][]string{{"", ""}}, reply: []string{""}},
		{name: "wrong pipe", other: [][]string{{"", "wrong"}}, same: [][]string{{"", "right"}}, reply: []string{"right"}},
		{name: "only wrong pipe", other: [][]string{{"", "wrong"}}, blocks: true},
		{name: "no delimiter", same: [][]string{{"bad"}, {"x", "bad"}, {"", "good"}}, reply: []string{"good"}},
		{name: "delimiter alone", same: [][]string{{""}, {"", "good"}}, reply: []string{"good"}},
		{name: "malformed only", same: [][]string{{""}, {"a", "", "b"}}, blocks: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSocket(t, Req, Options{})
			a := attach(t, s, 0, 0, "")
			b := attach(t, s, 0, 0, "")
			send(t, s, "req")
			reqPipe, other := a, b
			if peerRecv(a) == nil {
				reqPipe, other = b, a
				wantPeerRecv(t, b, "", "req")
			}
			for _, f := range tt.other {
				peerSend(t, other, f...)
			}
			for _, f := range tt.same {
				peerSend(t, reqPipe, f...)
			}
			if tt.blocks {
				wantRecvBlocks(t, s)
				return
			}
			wantRecv(t, s, tt.reply...)
		})
	}
}

// TestReqDiscardsStale checks that messages waiting when a new request
// goes out are dropped, wherever they came from.
func TestReqDiscardsStale(t *testing.T) {
	s := newSocket(t, Req, Options{})
	a := attach(t, s, 0, 0, "")
	b := attach(t, s, 0, 0, "")
	peerSend(t, a, "", "stale-a") // nobody asked
	peerSend(t, b, "", "stale-b")
	send(t, s, "q1") // to a
	wantPeerRecv(t, a, "", "q1")
	wantRecvBlocks(t, s)
	peerSend(t, a, "", "r1")
	wantRecv(t, s, "r1")
	// A late duplicate from a, then a new request that goes to b.
	peerSend(t, a, "", "late")
	send(t, s, "q2")
	wantPeerRecv(t, b, "", "q2")
	if a.In.Len() != 0 {
		t.Fatalf("stale message kept: %d", a.In.Len())
	}
	peerSend(t, b, "", "r2")
	wantRecv(t, s, "r2")
}

// TestReqRoundRobin checks that requests rotate over the peers.
func TestReqRoundRobin(t *testing.T) {
	s := newSocket(t, Req, Options{})
	pipes := []*ring.Pipe{attach(t, s, 0, 0, ""), attach(t, s, 0, 0, ""), attach(t, s, 0, 0, "")}
	for i := range 6 {
		send(t, s, "q")
		p := pipes[i%3]
		wantPeerRecv(t, p, "", "q")
		peerSend(t, p, "", "r")
		wantRecv(t, s, "r")
	}
}

// TestReqPeerGone checks that a reply queued before the request's pipe went
// away is delivered, and that otherwise REQ waits (ctx bounds it).
func TestReqPeerGone(t *testing.T) {
	t.Run("reply queued", func(t *testing.T) {
		s := newSocket(t, Req, Options{})
		p := attach(t, s, 0, 0, "")
		send(t, s, "q")
		peerSend(t, p, "", "r")
		detach(s, p)
		wantRecv(t, s, "r")
	})
	t.Run("no reply", func(t *testing.T) {
		checkLeaks(t)
		s := newSocket(t, Req, Options{})
		p := attach(t, s, 0, 0, "")
		other := attach(t, s, 0, 0, "")
		send(t, s, "q")
		if peerRecv(p) == nil {
			p, other = other, p
		}
		detach(s, p)
		peerSend(t, other, "", "not yours")
		wantRecvBlocks(t, s)
		if err := s.Send(context.Background(), mkMsg("q2")); !errors.Is(err, ErrState) {
			t.Fatalf("Send while waiting = %v, want ErrState", err)
		}
	})
}
