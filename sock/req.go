package sock

import (
	"context"
	"encoding/binary"
	"math/rand/v2"

	"github.com/azmq/azmq/ring"
)

// reqSocket is REQ (spec/sockets.md §3.1, RFC 28): DEALER routing with a
// strict send/recv alternation and an empty delimiter frame in front of each
// request; with ReqCorrelate a request id frame before that, with ReqRelaxed
// no strict alternation.
type reqSocket struct {
	plainSocket // for Attach and Detach, shared with DEALER
	correlate   bool
	relaxed     bool

	// Guarded by rmu; Send takes it after smu.
	awaiting bool   // a request went out and its reply was not yet received
	reqPeer  *peer  // the pipe the request went to; only it may reply
	reqID    uint32 // the last request's id (ReqCorrelate), from a random start as libzmq
	scratch  ring.Msg
}

func newReq(opts Options) *reqSocket {
	s := &reqSocket{correlate: opts.ReqCorrelate, relaxed: opts.ReqRelaxed, reqID: rand.Uint32()}
	s.canSend, s.canRecv = true, true
	s.probe = opts.ProbeRouter
	s.init(Req)
	return s
}

// Send prepends the envelope (the request id under ReqCorrelate, then the
// delimiter) and sends m as the next request; ErrState if the previous
// request has not been answered yet, unless ReqRelaxed.
func (s *reqSocket) Send(ctx context.Context, m *ring.Msg) error {
	if m.Len() == 0 {
		return errNoFrames
	}
	m.Prepend(nil)
	envelope := 1
	waited := false
	for {
		if s.closed.Load() {
			return s.unsent(m, envelope, ErrClosed)
		}
		s.lockBoth()
		if s.awaiting {
			if !s.relaxed {
				s.unlockBoth()
				return s.unsent(m, envelope, ErrState)
			}
			// The old reply is now stale: it is dropped when it comes.
			s.awaiting, s.reqPeer = false, nil
		}
		if s.correlate && envelope == 1 {
			s.reqID++
			b := ring.NewBuffer(4)
			binary.NativeEndian.PutUint32(b.Bytes(), s.reqID) // host order, as libzmq
			m.PrependFrame(ring.OwnedFrame(b, b.Bytes()))
			envelope = 2
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
			return s.unsent(m, envelope, err)
		}
		waited = true
	}
}

// unsent takes the envelope's k frames off again so that m is returned as
// it came.
func (s *reqSocket) unsent(m *ring.Msg, k int, err error) error {
	for range k {
		f := m.TakeFront()
		f.Release()
	}
	return err
}

// Recv waits for the reply to the outstanding request; ErrState if there is
// none (also while the request's Send is still blocked). Messages from other
// pipes, replies without the delimiter and, under ReqCorrelate, replies
// without the request's id are dropped. If the request's pipe is gone, Recv
// waits until ctx ends, as libzmq's REQ does.
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
			k := s.envelope(&s.scratch)
			if pe != s.reqPeer || k == 0 {
				s.scratch.Release()
				continue
			}
			for range k {
				f := s.scratch.TakeFront()
				f.Release()
			}
			s.scratch.MoveTo(m)
			s.awaiting, s.reqPeer = false, nil
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

// envelope returns how many frames of reply m are envelope, 0 if m is not a
// reply to the current request: [id] [] body... under ReqCorrelate, else
// [] body...; rmu is held.
func (s *reqSocket) envelope(m *ring.Msg) int {
	k := 0
	if s.correlate {
		if m.Len() < 3 || len(m.Frame(0)) != 4 || binary.NativeEndian.Uint32(m.Frame(0)) != s.reqID {
			return 0
		}
		k = 1
	}
	if m.Len() < k+2 || len(m.Frame(k)) != 0 {
		return 0
	}
	return k + 1
}
