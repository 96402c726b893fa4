package sock

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/azmq/azmq/ring"
)

// pubPeer is a PUB/XPUB peer with the subscriptions it holds.
type pubPeer struct {
	peer
	subs trie // applied: a set, every count is 1 (libzmq mtrie)
	req  trie // XPubManual: what the peer asked for, a set too
}

// pending is a message XPUB holds for its application: a subscription
// notification or data from an XSUB peer.
type pending struct {
	m    ring.Msg
	from *pubPeer // the peer of a subscription message; nil for data and detach notices
}

// pubSocket is PUB and XPUB (spec/sockets.md §4.2, §4.4, RFC 29): fan-out
// by reference to every peer whose subscriptions match the first frame,
// skipping full peers, never blocking.
//
// Subscription messages are taken from the peers' In queues under smu at
// the start of every Send and, on an XPUB, of every Recv; an In queue's
// Waker only marks that there is something to take and wakes a Recv. So a
// PUB that never sends applies subscriptions at its next Send, as libzmq
// applies them in its send path. Everything is guarded by smu; rmu is not
// used.
type pubSocket struct {
	base
	x        bool // XPUB
	verbose  bool // pass every subscribe up
	verboser bool // pass every subscribe and unsubscribe up
	manual   bool
	invert   bool
	welcome  []byte

	inbound atomic.Bool // some In queue became readable since the last drain
	inWaker ring.Waker  // sets inbound and wakes a Recv

	// Guarded by smu.
	peers   []*pubPeer
	all     trie      // per prefix, how many peers hold it
	pend    []pending // circular, len a power of two
	ph, pn  int
	last    *pubPeer // XPubManual: the peer of the last subscription received
	scratch ring.Msg
	in      ring.Msg
}

func newPub(t Type, opts Options) *pubSocket {
	s := &pubSocket{
		x:        t == XPub,
		verbose:  opts.XPubVerbose || opts.XPubVerboser,
		verboser: opts.XPubVerboser,
		manual:   opts.XPubManual && t == XPub,
		invert:   opts.InvertMatching,
	}
	if t == XPub && len(opts.XPubWelcome) > 0 {
		s.welcome = append([]byte(nil), opts.XPubWelcome...)
	}
	s.init(t)
	s.inWaker = ring.WakeFunc(func() {
		s.inbound.Store(true)
		s.recvSig.Wake()
	})
	return s
}

// Attach adds the peer, sends it the welcome message, if any, and takes
// its subscriptions from now on.
func (s *pubSocket) Attach(p *ring.Pipe) error {
	s.smu.Lock()
	if s.closed.Load() {
		s.smu.Unlock()
		return ErrClosed
	}
	pe := &pubPeer{peer: peer{p: p}}
	s.peers = append(s.peers, pe)
	if s.welcome != nil {
		s.scratch.Append(s.welcome)
		if p.Out.PushForce(&s.scratch) != nil {
			s.scratch.Release()
		}
	}
	s.smu.Unlock()
	p.In.SetWakers(s.inWaker, nil)
	return nil
}

// Detach takes what the peer had sent, then removes it and its
// subscriptions; an XPUB passes up a cancel for every prefix no peer holds
// any longer (every prefix of the peer with XPubVerboser, every prefix it
// asked for in XPubManual mode).
func (s *pubSocket) Detach(p *ring.Pipe) {
	s.smu.Lock()
	defer s.smu.Unlock()
	i := 0
	for i < len(s.peers) && s.peers[i].p != p {
		i++
	}
	if i == len(s.peers) {
		return
	}
	pe := s.peers[i]
	s.drainPeer(pe)
	pe.detached = true
	copy(s.peers[i:], s.peers[i+1:])
	s.peers[len(s.peers)-1] = nil
	s.peers = s.peers[:len(s.peers)-1]
	if s.last == pe {
		s.last = nil
	}
	before := s.pn
	if s.manual {
		pe.req.each(func(prefix []byte) { s.notify(0, prefix) })
	}
	pe.subs.each(func(prefix []byte) {
		last := s.all.remove(prefix)
		if !s.manual && (last || s.verboser) {
			s.notify(0, prefix)
		}
	})
	pe.subs, pe.req = trie{}, trie{}
	if s.pn > before {
		s.recvSig.Wake()
	}
}

// notify queues kind+prefix for an XPUB application; smu is held.
func (s *pubSocket) notify(kind byte, prefix []byte) {
	if !s.x {
		return
	}
	s.scratch.Append(subFrame(kind, prefix))
	s.queue(&s.scratch, nil)
}

// queue moves m to the end of the messages for the application.
func (s *pubSocket) queue(m *ring.Msg, from *pubPeer) {
	if s.pn == len(s.pend) {
		n := 2 * len(s.pend)
		if n == 0 {
			n = 16
		}
		grown := make([]pending, n)
		for i := 0; i < s.pn; i++ {
			e := &s.pend[(s.ph+i)&(len(s.pend)-1)]
			e.m.MoveTo(&grown[i].m)
			grown[i].from = e.from
		}
		s.pend, s.ph = grown, 0
	}
	e := &s.pend[(s.ph+s.pn)&(len(s.pend)-1)]
	m.MoveTo(&e.m)
	e.from = from
	s.pn++
}

// drain takes every message the peers sent, if any arrived; smu is held.
func (s *pubSocket) drain() {
	if !s.inbound.Swap(false) {
		return
	}
	for _, pe := range s.peers {
		s.drainPeer(pe)
	}
}

func (s *pubSocket) drainPeer(pe *pubPeer) {
	for pe.take(&s.in) {
		s.process(pe, &s.in)
	}
}

// process applies one message from pe, a subscription if its first frame
// starts with 0x01 or 0x00 (whether a SUBSCRIBE/CANCEL command or a data
// frame), and queues what an XPUB passes up; m is left empty.
func (s *pubSocket) process(pe *pubPeer, m *ring.Msg) {
	if m.Len() == 0 || len(m.Frame(0)) == 0 || m.Frame(0)[0] > 1 {
		if s.x && m.Len() > 0 {
			m.SetFlags(0)
			s.queue(m, nil) // data for the XPUB application
		} else {
			m.Release() // PUB drops data from subscribers
		}
		return
	}
	if m.Len() > 1 {
		// Only the first frame is a subscription.
		f := m.TakeFront()
		m.Release()
		m.AppendFrame(f)
	}
	f := m.Frame(0)
	subscribe, prefix := f[0] == 1, f[1:]
	var up bool
	switch {
	case s.manual:
		if subscribe {
			if !pe.req.has(prefix) {
				pe.req.add(prefix)
			}
		} else {
			pe.req.remove(prefix)
		}
		up = true
	case subscribe:
		first := false
		if !pe.subs.has(prefix) {
			pe.subs.add(prefix)
			first = s.all.add(prefix)
		}
		up = first || s.verbose
	default:
		var last bool
		if pe.subs.remove(prefix) {
			last = s.all.remove(prefix)
		} else {
			last = !s.all.has(prefix)
		}
		up = last || s.verboser
	}
	if !s.x || !up {
		m.Release()
		return
	}
	m.SetFlags(0)
	s.queue(m, pe)
}

// Send fans m out by reference to every peer whose subscriptions match its
// first frame (with InvertMatching: match none); a peer at its high-water
// mark misses it (Counters.HWMDrops). It never blocks and m is always taken.
func (s *pubSocket) Send(ctx context.Context, m *ring.Msg) error {
	if m.Len() == 0 {
		return errNoFrames
	}
	s.smu.Lock()
	if s.closed.Load() {
		s.smu.Unlock()
		return ErrClosed
	}
	s.drain()
	data := m.Frame(0)
	for _, pe := range s.peers {
		if pe.subs.match(data) == s.invert {
			continue
		}
		m.Clone(&s.scratch)
		if err := pe.p.Out.Push(&s.scratch); err != nil {
			s.scratch.Release()
			if errors.Is(err, ring.ErrFull) {
				s.counters.drop(true)
			}
		}
	}
	m.Release()
	wake := s.pn > 0
	s.smu.Unlock()
	if wake {
		s.recvSig.Wake() // a Recv may have missed what drain queued
	}
	return nil
}

// Recv is XPUB's: the next subscription notification ([0x01+prefix] or
// [0x00+prefix]) or data message from an XSUB peer, in arrival order. PUB:
// ErrNotSupported.
func (s *pubSocket) Recv(ctx context.Context, m *ring.Msg) error {
	if !s.x {
		return ErrNotSupported
	}
	for {
		if s.closed.Load() {
			return ErrClosed
		}
		s.smu.Lock()
		s.drain()
		if s.pn > 0 {
			e := &s.pend[s.ph]
			e.m.MoveTo(m)
			if e.from != nil {
				s.last = e.from
				if e.from.detached {
					s.last = nil
				}
			}
			e.from = nil
			s.ph = (s.ph + 1) & (len(s.pend) - 1)
			s.pn--
			more := s.pn > 0
			s.smu.Unlock()
			if more {
				s.recvSig.Wake() // for another Recv
			}
			return nil
		}
		s.smu.Unlock()
		if err := s.wait(ctx, s.recvSig, "recv"); err != nil {
			return err
		}
	}
}

// Subscribe applies prefix to the peer whose subscription message was
// received last; XPUB in XPubManual mode only.
func (s *pubSocket) Subscribe(prefix []byte) error {
	return s.manualApply(prefix, true)
}

// Unsubscribe removes prefix from the peer whose subscription message was
// received last; XPUB in XPubManual mode only.
func (s *pubSocket) Unsubscribe(prefix []byte) error {
	return s.manualApply(prefix, false)
}

func (s *pubSocket) manualApply(prefix []byte, subscribe bool) error {
	if !s.manual {
		return fmt.Errorf("azmq: %v (un)subscribe without XPubManual: %w", s.typ, ErrNotSupported)
	}
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.closed.Load() {
		return ErrClosed
	}
	pe := s.last
	if pe == nil || pe.detached {
		return nil // libzmq ignores it likewise
	}
	if subscribe {
		if !pe.subs.has(prefix) {
			pe.subs.add(prefix)
			s.all.add(prefix)
		}
	} else if pe.subs.remove(prefix) {
		s.all.remove(prefix)
	}
	return nil
}

// Close wakes blocked calls and releases the messages held for the
// application.
func (s *pubSocket) Close() {
	s.base.Close()
	s.smu.Lock()
	for ; s.pn > 0; s.pn-- {
		e := &s.pend[s.ph]
		e.m.Release()
		e.from = nil
		s.ph = (s.ph + 1) & (len(s.pend) - 1)
	}
	for _, pe := range s.peers {
		pe.dropCache()
	}
	s.smu.Unlock()
}
