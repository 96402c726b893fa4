package azmq

import (
	"context"
	"fmt"
	"iter"
)

// Messages returns the messages s receives as a range-over-func sequence:
// Recv in a loop, in the goroutine that ranges, with no goroutine of its own.
//
// Each message comes with a nil error. The sequence ends after yielding
// exactly one non-nil error, the one Recv returned: ErrClosed once the
// socket closes, an error wrapping ctx.Err() once ctx ends, or any other
// (ErrState on a REQ that has no request outstanding). So a loop body checks
// err first:
//
//	for msg, err := range s.Messages(ctx) {
//		if err != nil {
//			return err // or: stop quietly on ErrClosed / ctx.Err() != nil
//		}
//		handle(msg)
//	}
//
// Breaking out of the loop early is fine: nothing is left running and no
// message is lost. The slices belong to the caller, as with Recv. A REP may
// Send its reply inside the loop body, since the next Recv waits for the
// body to return.
func (s *Socket) Messages(ctx context.Context) iter.Seq2[[][]byte, error] {
	return func(yield func([][]byte, error) bool) {
		for {
			msg, err := s.Recv(ctx)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(msg, nil) {
				return
			}
		}
	}
}

// Receiver delivers a socket's messages on a channel, to select on several
// sockets, timers and other channels at once: the Go form of zmq_poll. Make
// one with Socket.Chan.
type Receiver struct {
	// C carries every message the socket receives, as fresh slices the
	// receiver of the channel owns. It is closed when the Receiver stops;
	// Err then tells why.
	C <-chan [][]byte

	done chan struct{}
	err  error // written once, before done is closed
}

// Chan starts a goroutine that receives from s and delivers each message on
// the returned Receiver's C, until ctx ends or the socket closes; then C is
// closed and Err reports which. Cancel ctx (or close the socket) when you
// stop reading C: that is what ends the goroutine. A message that was
// received but not yet taken from C when ctx ends or the socket closes is
// dropped. A typical loop:
//
//	in := s.Chan(ctx)
//	for {
//		select {
//		case msg, ok := <-in.C:
//			if !ok {
//				return in.Err()
//			}
//			handle(msg)
//		case <-ticker.C:
//			...
//		}
//	}
//
// REQ and REP receive in step with their sends, which a goroutine that is
// always receiving cannot keep: on them C is closed at once and Err wraps
// ErrNotSupported. Use Recv with a context deadline (the lazy-pirate
// pattern) or Messages there.
func (s *Socket) Chan(ctx context.Context) *Receiver {
	c := make(chan [][]byte)
	r := &Receiver{C: c, done: make(chan struct{})}
	if s.typ == Req || s.typ == Rep {
		r.finish(c, fmt.Errorf("azmq: Chan on %v: %w: its receives alternate with sends; use Recv or Messages", s.typ, ErrNotSupported))
		return r
	}
	go r.run(ctx, s, c)
	return r
}

// run is the Receiver's goroutine. Recv wakes up on ctx or on the socket's
// close; a blocked delivery is woken by the same two.
func (r *Receiver) run(ctx context.Context, s *Socket, c chan<- [][]byte) {
	for {
		msg, err := s.Recv(ctx)
		if err != nil {
			r.finish(c, err)
			return
		}
		select {
		case c <- msg:
		case <-ctx.Done():
			r.finish(c, fmt.Errorf("azmq: %v recv: %w", s.typ, ctx.Err()))
			return
		case <-s.done:
			r.finish(c, ErrClosed)
			return
		}
	}
}

// finish records why the Receiver stopped, then closes C, so that Err is
// set for anyone who saw C closed. It runs once per Receiver.
func (r *Receiver) finish(c chan<- [][]byte, err error) {
	r.err = err
	close(r.done)
	close(c)
}

// Err returns why C was closed: ErrClosed when the socket closed, an error
// wrapping ctx.Err() when the context ended, or another error from Recv.
// It returns nil while C is open.
func (r *Receiver) Err() error {
	select {
	case <-r.done:
		return r.err
	default:
		return nil
	}
}

// Done is closed when the Receiver has stopped, before C is closed: a
// caller that no longer reads C can wait on it after cancelling ctx to know
// that the goroutine is gone.
func (r *Receiver) Done() <-chan struct{} { return r.done }
