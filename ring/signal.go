package ring

// Waker is told that a queue changed state: a consumer that a queue became
// readable, a producer that it has room again. Wake may be called with the
// other side's locks held, so it must not block or call back into them.
type Waker interface{ Wake() }

// Signal is a Waker for goroutines: a one-slot channel, so a wake that comes
// before the wait is not lost and many wakes before one wait cost one slot.
type Signal struct{ c chan struct{} }

// NewSignal returns a Signal with nothing pending.
func NewSignal() *Signal { return &Signal{c: make(chan struct{}, 1)} }

// Wake marks the signal pending without blocking.
func (s *Signal) Wake() {
	select {
	case s.c <- struct{}{}:
	default:
	}
}

// C returns the channel to wait on; a receive consumes the pending wake.
func (s *Signal) C() <-chan struct{} { return s.c }

// WakeFunc adapts a function to the Waker interface.
type WakeFunc func()

// Wake calls f.
func (f WakeFunc) Wake() { f() }
