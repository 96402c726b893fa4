package sock

import (
	"context"
	"sync"
)

// ctxWatch lets a receive whose ctx can end read its connection itself
// (ring.Pumper): the ctx ending must interrupt that read. One registration
// with context.AfterFunc serves every receive whose ctx has the same Done
// channel, so an application that passes one long-lived ctx to every
// receive pays its allocations once, not per receive. A ctx with a
// deadline is taken for a per-call one and its registration ends with the
// wait (kept, the cancel that follows each call starts AfterFunc's
// goroutine), until the same ctx waits again: then it is long-lived and
// its registration is kept too (a service's ctx with a deadline: 3 allocs
// per waiting receive before). BenchmarkReqRepCtx, 16 B round trips over
// tcp: before reads under a ctx that can end, 23-26 us with a long-lived
// ctx or a fresh timeout each; now 15.5-16 us long-lived (0 allocs, as
// Background) and 17 us with fresh timeouts, against 30-32 us had their
// registrations been kept.
type ctxWatch struct {
	mu     sync.Mutex
	done   <-chan struct{} // Done of the ctx registered; nil: none
	stop   func() bool     // ends the registration
	keep   bool            // the registration outlives its receives
	last   <-chan struct{} // Done of the last registration that ended with its wait
	active int             // receives reading under the registration
}

// enter registers ctx if needed and counts a receive about to pump under
// it; false when another receive pumps under a different ctx, whose
// registration must stay (the caller then waits the usual way).
func (w *ctxWatch) enter(ctx context.Context, b *base) bool {
	done := ctx.Done()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done != done {
		if w.active > 0 {
			return false
		}
		if w.stop != nil {
			w.stop()
		}
		// AfterFunc runs fire at once when ctx has already ended, so a
		// receive that gets here after its ctx ended is interrupted too.
		_, deadline := ctx.Deadline()
		w.done, w.keep = done, !deadline || done == w.last
		w.stop = context.AfterFunc(ctx, func() { w.fire(done, b) })
	}
	w.active++
	return true
}

// leave ends what enter began.
func (w *ctxWatch) leave() {
	w.mu.Lock()
	w.active--
	if w.active == 0 && !w.keep && w.stop != nil {
		w.stop()
		w.last, w.done, w.stop = w.done, nil, nil
	}
	w.mu.Unlock()
}

// fire runs when a registered ctx ends: receives pumping under it are
// interrupted. Interrupt is sticky for a Pump about to start (see
// ring.Pumper), so one that has entered but not yet begun cannot miss it.
func (w *ctxWatch) fire(done <-chan struct{}, b *base) {
	w.mu.Lock()
	mine := w.done == done
	if mine {
		w.done, w.stop = nil, nil
	}
	active := mine && w.active > 0
	w.mu.Unlock()
	if active {
		b.interruptPumps()
	}
}

// release ends the registration, so that a closed socket is not kept
// reachable by a ctx that outlives it.
func (w *ctxWatch) release() {
	w.mu.Lock()
	if w.stop != nil {
		w.stop()
	}
	w.done, w.stop, w.last = nil, nil, nil
	w.mu.Unlock()
}
