package sock

import (
	"context"
	"errors"
	"sync"

	"github.com/azmq/azmq/ring"
)

// Subscriber is implemented by the sockets that take subscriptions from
// the application: SUB and XSUB (sent upstream) and XPUB in XPubManual mode
// (applied to the peer whose subscription message was received last).
type Subscriber interface {
	Subscribe(prefix []byte) error
	Unsubscribe(prefix []byte) error
}

var (
	_ Subscriber = (*subSocket)(nil)
	_ Subscriber = (*pubSocket)(nil)
)

// subMsg returns a one-frame message kind+prefix (kind 1: subscribe, 0:
// cancel); flagged marks it as the socket's own, which a transport sends as
// a SUBSCRIBE/CANCEL command to ZMTP 3.1 peers.
func subMsg(m *ring.Msg, frame []byte, flagged bool) {
	m.Append(frame)
	if flagged {
		m.SetFlags(ring.Subscription)
	}
}

// subFrame returns a new slice kind+prefix.
func subFrame(kind byte, prefix []byte) []byte {
	b := make([]byte, 1+len(prefix))
	b[0] = kind
	copy(b[1:], prefix)
	return b
}

// subSocket is SUB and XSUB (spec/sockets.md §4.3, §4.5, RFC 29): a counted
// subscription trie that is sent to every publisher and re-sent to each new
// or reconnected one, and a fair-queued receive, filtered by that trie on a
// SUB.
//
// The pipes live in base's lb (guarded by smu; used only as the list of
// peers to send subscriptions to) and fq (guarded by rmu).
type subSocket struct {
	base
	x      bool // XSUB: no filtering, Send forwards upstream
	invert bool

	// subs is written under smu and tmu, so either suffices to read it;
	// Recv reads it under tmu (lock order smu, rmu, tmu).
	tmu  sync.Mutex
	subs trie

	scratch ring.Msg // guarded by smu
	rmsg    ring.Msg // guarded by rmu
}

func newSub(t Type, opts Options) *subSocket {
	s := &subSocket{x: t == XSub, invert: opts.InvertMatching}
	s.init(t)
	return s
}

// Attach sends every current subscription to the new peer and makes its
// hiccup (a reconnection) send them again.
func (s *subSocket) Attach(p *ring.Pipe) error {
	s.lockBoth()
	if s.closed.Load() {
		s.unlockBoth()
		return ErrClosed
	}
	pe := &peer{p: p}
	s.out.add(pe)
	s.in.add(pe)
	s.sendAll(pe)
	s.unlockBoth()
	p.SetHiccup(func() { s.resend(pe) })
	s.installWakers(pe)
	return nil
}

// Detach forgets the peer (its queued messages are still received).
func (s *subSocket) Detach(p *ring.Pipe) {
	p.SetHiccup(nil)
	s.base.Detach(p)
}

// resend sends every subscription again to pe, whose connection is new.
func (s *subSocket) resend(pe *peer) {
	s.smu.Lock()
	if !pe.detached && !s.closed.Load() {
		s.sendAll(pe)
	}
	s.smu.Unlock()
}

// sendAll sends one subscribe per distinct prefix to pe; smu is held.
func (s *subSocket) sendAll(pe *peer) {
	s.subs.each(func(prefix []byte) {
		subMsg(&s.scratch, subFrame(1, prefix), true)
		s.force(pe)
	})
}

// force queues s.scratch to pe past the high-water mark: subscriptions must
// not be lost. smu is held.
func (s *subSocket) force(pe *peer) {
	if pe.p.Out.PushForce(&s.scratch) != nil {
		s.scratch.Release() // gone, Detach not seen yet
	}
}

// Subscribe counts prefix and sends a subscribe to every peer, duplicates
// included, as libzmq does.
func (s *subSocket) Subscribe(prefix []byte) error {
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.closed.Load() {
		return ErrClosed
	}
	s.tmu.Lock()
	s.subs.add(prefix)
	s.tmu.Unlock()
	s.sendToAll(subFrame(1, prefix))
	return nil
}

// Unsubscribe takes one count off prefix and sends a cancel to every peer
// once none is left; a prefix not subscribed is ignored.
func (s *subSocket) Unsubscribe(prefix []byte) error {
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.closed.Load() {
		return ErrClosed
	}
	s.tmu.Lock()
	gone := s.subs.remove(prefix)
	s.tmu.Unlock()
	if gone {
		s.sendToAll(subFrame(0, prefix))
	}
	return nil
}

// sendToAll sends the one-frame subscription frame, flagged, to every
// peer; smu is held. The peers' messages share the frame, read-only.
func (s *subSocket) sendToAll(frame []byte) {
	for _, pe := range s.out.peers {
		subMsg(&s.scratch, frame, true)
		s.force(pe)
	}
}

// Send is XSUB's: a message whose first frame starts with 0x01 (subscribe)
// or 0x00 (cancel) is counted in the subscriptions, as libzmq does, and
// forwarded as the application wrote it, unflagged (libzmq sends it as data
// even to ZMTP 3.1 peers); a cancel is forwarded only when the prefix's
// count reaches zero. Any other message goes to every peer as data. It
// never blocks: a full peer misses the message. SUB: ErrNotSupported.
func (s *subSocket) Send(ctx context.Context, m *ring.Msg) error {
	if !s.x {
		return ErrNotSupported
	}
	if m.Len() == 0 {
		return errNoFrames
	}
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.closed.Load() {
		return ErrClosed
	}
	f := m.Frame(0)
	isSub := len(f) > 0 && f[0] <= 1
	if isSub {
		s.tmu.Lock()
		forward := true
		if f[0] == 1 {
			s.subs.add(f[1:])
		} else {
			forward = s.subs.remove(f[1:])
		}
		s.tmu.Unlock()
		if !forward {
			m.Release()
			return nil
		}
	}
	for _, pe := range s.out.peers {
		m.Clone(&s.scratch)
		s.scratch.SetFlags(0)
		var err error
		if isSub {
			err = pe.p.Out.PushForce(&s.scratch)
		} else {
			err = pe.p.Out.Push(&s.scratch)
		}
		if err != nil {
			s.scratch.Release()
			if errors.Is(err, ring.ErrFull) {
				s.counters.drop(true)
			}
		}
	}
	m.Release()
	return nil
}

// Recv fair-queues the next message into m. A SUB delivers only messages
// whose first frame matches a subscription (or, with InvertMatching, matches
// none) and drops the others; an XSUB delivers everything.
func (s *subSocket) Recv(ctx context.Context, m *ring.Msg) error {
	if s.x {
		return s.recvFQ(ctx, m)
	}
	waited := false
	for {
		if s.closed.Load() {
			return ErrClosed
		}
		s.rmu.Lock()
		for {
			pe := s.in.pop(&s.rmsg)
			if pe == nil {
				break
			}
			if !s.wanted(&s.rmsg) {
				s.rmsg.Release()
				continue
			}
			s.rmsg.MoveTo(m)
			s.delivered(waited)
			return nil
		}
		s.rmu.Unlock()
		if err := s.waitRecv(ctx); err != nil {
			return err
		}
		waited = true
	}
}

// wanted applies SUB's local filter; rmu is held.
func (s *subSocket) wanted(m *ring.Msg) bool {
	if m.Flags()&ring.Subscription != 0 {
		return false // a SUBSCRIBE/CANCEL from a publisher: meaningless here
	}
	var data []byte
	if m.Len() > 0 {
		data = m.Frame(0)
	}
	s.tmu.Lock()
	ok := s.subs.match(data)
	s.tmu.Unlock()
	return ok != s.invert
}
