package sock

import (
	"context"

	"github.com/azmq/azmq/ring"
)

// plainSocket is every type that passes messages unmodified: PUSH (send
// only), PULL (receive only), DEALER (both) and PAIR (both, one peer).
type plainSocket struct {
	base
	canSend, canRecv bool
	single           bool // PAIR: refuse a second attached peer
	probe            bool // ProbeRouter (DEALER, REQ)
}

func newPlain(t Type, canSend, canRecv, single bool) *plainSocket {
	s := &plainSocket{canSend: canSend, canRecv: canRecv, single: single}
	s.init(t)
	return s
}

// Attach adds the peer to load-balancing and fair-queuing.
func (s *plainSocket) Attach(p *ring.Pipe) error {
	s.lockBoth()
	if s.closed.Load() {
		s.unlockBoth()
		return ErrClosed
	}
	if s.single && len(s.out.peers) > 0 {
		s.unlockBoth()
		return errPairTaken
	}
	pe := &peer{p: p}
	if s.probe {
		probe(p)
	}
	s.out.add(pe)
	s.in.add(pe)
	s.unlockBoth()
	s.installWakers(pe)
	return nil
}

// Send load-balances m; it blocks while no pipe can take it.
func (s *plainSocket) Send(ctx context.Context, m *ring.Msg) error {
	if !s.canSend {
		return ErrNotSupported
	}
	return s.sendLB(ctx, m)
}

// Recv fair-queues the next message into m.
func (s *plainSocket) Recv(ctx context.Context, m *ring.Msg) error {
	if !s.canRecv {
		return ErrNotSupported
	}
	return s.recvFQ(ctx, m)
}
