package sock

import (
	"context"
	"errors"

	"github.com/azmq/azmq/ring"
)

// repSocket is REP (spec/sockets.md §3.2, RFC 28): fair-queued requests
// whose envelope is kept and put back on the reply, which goes to the pipe
// the request came from and never blocks.
type repSocket struct {
	base

	// Guarded by rmu.
	replying bool     // a request was received and not yet answered
	replyTo  *peer    // where the request came from
	env      ring.Msg // the request's routing ids and delimiter
	scratch  ring.Msg
}

func newRep() *repSocket {
	s := &repSocket{}
	s.init(Rep)
	return s
}

// Attach adds the peer to fair-queuing; replies find it through the request.
func (s *repSocket) Attach(p *ring.Pipe) error {
	s.lockBoth()
	if s.closed.Load() {
		s.unlockBoth()
		return ErrClosed
	}
	pe := &peer{p: p}
	s.in.add(pe)
	s.unlockBoth()
	s.installWakers(pe)
	return nil
}

// Recv receives the next well-formed request, keeps its envelope and moves
// the body into m; ErrState while a reply is owed.
func (s *repSocket) Recv(ctx context.Context, m *ring.Msg) error {
	waited := false
	for {
		if s.closed.Load() {
			return ErrClosed
		}
		s.rmu.Lock()
		if s.replying {
			s.rmu.Unlock()
			return ErrState
		}
		for {
			pe := s.in.pop(&s.scratch)
			if pe == nil {
				break
			}
			k := delimiter(&s.scratch)
			if k < 0 {
				s.scratch.Release() // malformed traceback stack, as libzmq
				continue
			}
			s.scratch.MoveFront(k+1, &s.env)
			s.scratch.MoveTo(m)
			s.replying, s.replyTo = true, pe
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

// delimiter returns the index of the first empty frame if a body frame
// follows it, else -1.
func delimiter(m *ring.Msg) int {
	for i := 0; i < m.Len()-1; i++ {
		if len(m.Frame(i)) == 0 {
			return i
		}
	}
	return -1
}

// Send puts the envelope back in front of m and queues it to the requester
// without blocking; if that pipe is full or gone the reply is dropped, as
// libzmq does. ErrState if no request is being answered.
func (s *repSocket) Send(ctx context.Context, m *ring.Msg) error {
	if m.Len() == 0 {
		return errNoFrames
	}
	s.rmu.Lock()
	if s.closed.Load() {
		s.rmu.Unlock()
		return ErrClosed
	}
	if !s.replying {
		s.rmu.Unlock()
		return ErrState
	}
	pe := s.replyTo
	s.replying, s.replyTo = false, nil
	m.MoveFront(m.Len(), &s.env)
	if pe.detached {
		s.counters.drop(false)
	} else if err := pe.p.Out.Push(&s.env); err != nil {
		s.counters.drop(errors.Is(err, ring.ErrFull))
	}
	s.env.Release()
	s.rmu.Unlock()
	return nil
}

// Close wakes blocked calls and releases an envelope still kept.
func (s *repSocket) Close() {
	s.base.Close()
	s.rmu.Lock()
	s.env.Release()
	s.replying, s.replyTo = false, nil
	s.rmu.Unlock()
}
