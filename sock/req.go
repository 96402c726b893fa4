package sock

import (
	"context"

	"github.com/azmq/azmq/ring"
)

// reqSocket is REQ (spec/sockets.md §3.1, RFC 28): DEALER routing with a
// strict send/recv alternation and an empty delimiter frame in front of each
// request.
type reqSocket struct {
	plainSocket // for Attach and Detach, shared with DEALER

	// Guarded by rmu; Send takes it after smu.
	awaiting bool  // a request went out and its reply was not yet received
	reqPeer  *peer // the pipe the request went to; only it may reply
	scratch  ring.Msg
}

func newReq() *reqSocket {
	s := &reqSocket{}
	s.canSend, s.canRecv = true, true
	s.init(Req)
	return s
}

// Send prepends the delimiter and sends m as the next request; ErrState if
// the previous request has not been answered yet.
func (s *reqSocket) Send(ctx context.Context, m *ring.Msg) error {
	if m.Len() == 0 {
		return errNoFrames
	}
	m.Prepend(nil)
	waited := false
	for {
		if s.closed.Load() {
			return s.unsent(m, ErrClosed)
		}
		s.lockBoth()
		if s.awaiting {
			s.unlockBoth()
			return s.unsent(m, ErrState)
		}
		// Whatever waits now answers an older request (libzmq drops it too);
		// done before the push so that a fast reply cannot be taken for stale.
		s.in.discard()
		pe := s.out.push(m)
		if pe != nil {
			s.awaiting, s.reqPeer = true, pe
		}
		s.unlockBoth()
		if pe != nil {
			if waited {
				s.sendSig.Wake()
			}
			return nil
		}
		if err := s.wait(ctx, s.sendSig, "send"); err != nil {
			return s.unsent(m, err)
		}
		waited = true
	}
}

// unsent takes the delimiter off again so that m is returned as it came.
func (s *reqSocket) unsent(m *ring.Msg, err error) error {
	f := m.TakeFront()
	f.Release()
	return err
}

// Recv waits for the reply to the outstanding request; ErrState if there is
// none (also while the request's Send is still blocked). Messages from other pipes and replies without the delimiter are
// dropped. If the request's pipe is gone, Recv waits until ctx ends, as
// libzmq's REQ does.
func (s *reqSocket) Recv(ctx context.Context, m *ring.Msg) error {
	waited := false
	for {
		if s.closed.Load() {
			return ErrClosed
		}
		s.rmu.Lock()
		if !s.awaiting {
			s.rmu.Unlock()
			return ErrState
		}
		for {
			pe := s.in.pop(&s.scratch)
			if pe == nil {
				break
			}
			if pe != s.reqPeer || s.scratch.Len() < 2 || len(s.scratch.Frame(0)) != 0 {
				s.scratch.Release()
				continue
			}
			f := s.scratch.TakeFront()
			f.Release()
			s.scratch.MoveTo(m)
			s.awaiting, s.reqPeer = false, nil
			s.delivered(waited)
			return nil
		}
		s.rmu.Unlock()
		if err := s.wait(ctx, s.recvSig, "recv"); err != nil {
			return err
		}
		waited = true
	}
}
