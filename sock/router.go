package sock

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	"github.com/azmq/azmq/ring"
)

// routerSocket is ROUTER (spec/sockets.md §3.4, RFC 28): fair-queued
// receive with the peer's routing id prepended, send routed by the first
// frame.
type routerSocket struct {
	base
	mandatory bool
	handover  bool
	probe     bool

	// Guarded by smu.
	byID   map[string]*peer
	nextID uint32 // the counter behind generated ids, from a random start as libzmq
}

func newRouter(opts Options) *routerSocket {
	s := &routerSocket{
		mandatory: opts.RouterMandatory,
		handover:  opts.RouterHandover,
		probe:     opts.ProbeRouter,
		byID:      make(map[string]*peer),
		nextID:    rand.Uint32(),
	}
	s.init(Router)
	return s
}

// Attach names the peer by its announced Identity, or by a generated id
// stored into p.RoutingID. A peer announcing an id in use is refused, as
// libzmq does without ROUTER_HANDOVER; with it, the newcomer takes the id
// and the old peer is dropped and kicked.
func (s *routerSocket) Attach(p *ring.Pipe) error {
	s.lockBoth()
	if s.closed.Load() {
		s.unlockBoth()
		return ErrClosed
	}
	var old *peer
	if len(p.RoutingID) == 0 {
		p.RoutingID = s.generateID()
	} else if old = s.byID[string(p.RoutingID)]; old != nil {
		if !s.handover {
			s.unlockBoth()
			return fmt.Errorf("azmq: ROUTER: routing id %x already in use", p.RoutingID)
		}
		// As libzmq: the old pipe gets a generated id, so that what it still
		// delivers is not taken for the newcomer's, and is ended.
		delete(s.byID, string(p.RoutingID))
		old.p.RoutingID = s.generateID()
		s.dropPeer(old)
	}
	// Its own room Signal: a mandatory sender waits for this peer only, and
	// a wake meant for it must not be taken by a sender waiting for another.
	pe := &peer{p: p, room: ring.NewSignal()}
	if s.probe {
		probe(p)
	}
	s.byID[string(p.RoutingID)] = pe
	s.in.add(pe)
	s.unlockBoth()
	s.installWakers(pe)
	if old != nil {
		old.room.Wake() // a sender parked on the old peer routes to the new one
		old.p.Kick()
	}
	return nil
}

// generateID returns 0x00 followed by the big-endian counter (libzmq's
// form), skipping any id a peer happens to have announced.
func (s *routerSocket) generateID() []byte {
	for {
		id := make([]byte, 5)
		binary.BigEndian.PutUint32(id[1:], s.nextID)
		s.nextID++
		if _, taken := s.byID[string(id)]; !taken {
			return id
		}
	}
}

// Detach makes the peer's id unroutable at once; its queued messages are
// still received.
func (s *routerSocket) Detach(p *ring.Pipe) {
	s.lockBoth()
	defer s.unlockBoth()
	pe := s.byID[string(p.RoutingID)]
	if pe == nil || pe.p != p {
		return // refused at Attach, or detached already
	}
	delete(s.byID, string(p.RoutingID))
	s.dropPeer(pe)
}

// Recv fair-queues the next message into m, with the sender's routing id as
// a new first frame; that frame views the pipe's RoutingID and must not be
// modified.
func (s *routerSocket) Recv(ctx context.Context, m *ring.Msg) error {
	waited := false
	for {
		if s.closed.Load() {
			return ErrClosed
		}
		s.rmu.Lock()
		if pe := s.in.pop(m); pe != nil {
			m.Prepend(pe.p.RoutingID)
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

// Send routes m by its first frame, which is released rather than sent. A
// message with nothing after the id, an unknown id or a full pipe are
// dropped silently (m emptied, nil returned), except that with
// RouterMandatory an unroutable message fails with ErrHostUnreachable and a
// full pipe blocks until it has room.
func (s *routerSocket) Send(ctx context.Context, m *ring.Msg) error {
	if m.Len() == 0 {
		return errNoFrames
	}
	waited := false
	for {
		if s.closed.Load() {
			return ErrClosed
		}
		if m.Len() < 2 {
			m.Release() // an id without a body: libzmq ignores it
			return nil
		}
		s.smu.Lock()
		pe := s.byID[string(m.Frame(0))]
		if pe == nil {
			s.smu.Unlock()
			return s.unroutable(m)
		}
		id := m.TakeFront()
		err := pe.p.Out.Push(m)
		if err != nil {
			m.PrependFrame(id)
		}
		s.smu.Unlock()
		switch err {
		case nil:
			id.Release()
			if waited {
				pe.room.Wake() // for the next sender parked on this peer
			}
			return nil
		case ring.ErrClosed: // gone, Detach not seen yet
			return s.unroutable(m)
		}
		if !s.mandatory {
			s.counters.drop(true)
			m.Release()
			return nil
		}
		if err := s.wait(ctx, pe.room, "send"); err != nil {
			return err
		}
		waited = true
	}
}

// unroutable drops m, or refuses it under RouterMandatory.
func (s *routerSocket) unroutable(m *ring.Msg) error {
	if s.mandatory {
		return fmt.Errorf("azmq: ROUTER send to %x: %w", m.Frame(0), ErrHostUnreachable)
	}
	s.counters.drop(false)
	m.Release()
	return nil
}
