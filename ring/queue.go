package ring

import (
	"errors"
	"sync"
	"sync/atomic"
)

var (
	// ErrFull is returned by Push when the queue is at its high-water mark.
	ErrFull = errors.New("ring: queue full")
	// ErrClosed is returned by Push on a closed queue.
	ErrClosed = errors.New("ring: queue closed")
)

// Queue is a bounded FIFO of whole messages between one side that pushes and
// one that pops, each side possibly several goroutines. Its high-water mark
// counts messages, as libzmq's does.
//
// Wake-ups are batched: the consumer's Waker fires only when the queue goes
// from empty to non-empty, so a consumer drains everything before it parks;
// the producer's Waker fires only after a Push failed with ErrFull and the
// consumer has since brought the queue down to half its high-water mark.
type Queue struct {
	mu       sync.Mutex
	items    []Msg // circular; len is a power of two
	head     int
	n        int
	hwm      int // 0: unbounded
	blocked  bool
	closed   bool
	readable Waker
	writable Waker
	meta     *Meta // stamped on every message pushed: the producing peer's

	// conflate keeps one message pushed by Push, the newest, at items[cslot]
	// (-1: none queued); PushForce's messages are all kept (ZMQ_CONFLATE).
	conflate atomic.Bool
	cslot    int
}

// NewQueue returns an empty queue holding at most hwm messages (0: no limit).
func NewQueue(hwm int) *Queue {
	q := &Queue{}
	q.Init(hwm)
	return q
}

// initialSize is a new queue's capacity. A queue grows to what its traffic
// needs (at most its high-water mark, rounded up): sizing it for the mark up
// front cost each pipe ~340 KB of heap, 3.4 GB for 10 000 idle peers.
const initialSize = 16

// Init prepares a zero Queue for use with the given high-water mark.
func (q *Queue) Init(hwm int) {
	q.hwm = hwm
	q.cslot = -1
	q.items = make([]Msg, initialSize)
}

// SetHWM changes the high-water mark; a producer blocked on the old one is
// woken if the new one leaves room.
func (q *Queue) SetHWM(hwm int) {
	q.mu.Lock()
	q.hwm = hwm
	var w Waker
	if q.blocked && !q.atHWM() {
		q.blocked = false
		w = q.writable
	}
	q.mu.Unlock()
	if w != nil {
		w.Wake()
	}
}

// SetWakers installs the consumer's and the producer's Wakers (either may be
// nil to keep the current one). A readable queue wakes the new consumer at
// once, so nothing pushed before the call goes unnoticed.
func (q *Queue) SetWakers(readable, writable Waker) {
	q.mu.Lock()
	if readable != nil {
		q.readable = readable
	}
	if writable != nil {
		q.writable = writable
	}
	r, w := q.readable, q.writable
	wakeR := q.n > 0 && readable != nil
	wakeW := q.blocked && writable != nil && !q.atHWM()
	q.mu.Unlock()
	if wakeR {
		r.Wake()
	}
	if wakeW {
		w.Wake()
	}
}

func (q *Queue) atHWM() bool { return q.hwm > 0 && q.n >= q.hwm }

// SetConflate switches libzmq's ZMQ_CONFLATE on or off: while on, a Push
// replaces the message an earlier Push left queued (releasing it) instead of
// queuing behind it, and never fails with ErrFull. Whole messages are kept,
// where libzmq keeps only one frame of a multipart message. Messages pushed
// with PushForce (subscriptions) are never replaced.
func (q *Queue) SetConflate(on bool) {
	q.mu.Lock()
	if q.conflate.Load() != on {
		q.conflate.Store(on)
		q.cslot = -1
	}
	q.mu.Unlock()
}

// Conflating reports whether SetConflate(true) is in force; a consumer that
// takes messages in batches takes one at a time then, so that it always
// gets the newest.
func (q *Queue) Conflating() bool { return q.conflate.Load() }

// SetMeta makes every message pushed from now on carry md, the producing
// peer's metadata; a transport sets it before it delivers a connection's
// first message.
func (q *Queue) SetMeta(md *Meta) {
	q.mu.Lock()
	q.meta = md
	q.mu.Unlock()
}

// Meta returns what SetMeta set last.
func (q *Queue) Meta() *Meta {
	q.mu.Lock()
	md := q.meta
	q.mu.Unlock()
	return md
}

// Push moves m onto the queue, leaving m empty. It fails with ErrFull at the
// high-water mark (m untouched) and with ErrClosed once the queue is closed.
func (q *Queue) Push(m *Msg) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	if q.conflate.Load() {
		return q.pushConflateLocked(m)
	}
	if q.atHWM() {
		q.blocked = true
		q.mu.Unlock()
		return ErrFull
	}
	q.pushLocked(m)
	wake := q.n == 1
	r := q.readable
	q.mu.Unlock()
	if wake && r != nil {
		r.Wake()
	}
	return nil
}

// PushForce moves m onto the queue even past its high-water mark; for
// messages that must not be lost or blocked on, such as a reply already owed.
func (q *Queue) PushForce(m *Msg) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	q.pushLocked(m)
	wake := q.n == 1
	r := q.readable
	q.mu.Unlock()
	if wake && r != nil {
		r.Wake()
	}
	return nil
}

// pushConflateLocked replaces the queued conflatable message by m, or
// queues m as that message; it unlocks q.mu.
func (q *Queue) pushConflateLocked(m *Msg) error {
	if q.cslot >= 0 {
		slot := &q.items[q.cslot]
		m.MoveTo(slot) // releases the older message
		slot.meta = q.meta
		q.mu.Unlock()
		return nil // the queue was not empty: the consumer knows
	}
	q.pushLocked(m)
	q.cslot = (q.head + q.n - 1) & (len(q.items) - 1)
	wake := q.n == 1
	r := q.readable
	q.mu.Unlock()
	if wake && r != nil {
		r.Wake()
	}
	return nil
}

func (q *Queue) pushLocked(m *Msg) {
	if q.n == len(q.items) {
		q.grow()
	}
	slot := &q.items[(q.head+q.n)&(len(q.items)-1)]
	m.MoveTo(slot)
	slot.meta = q.meta
	q.n++
}

func (q *Queue) grow() {
	items := make([]Msg, 2*len(q.items))
	for i := 0; i < q.n; i++ {
		items[i] = q.items[(q.head+i)&(len(q.items)-1)]
	}
	if q.cslot >= 0 {
		q.cslot = (q.cslot - q.head) & (len(q.items) - 1)
	}
	q.items = items
	q.head = 0
}

// popped notes that the message at head leaves the queue.
func (q *Queue) popped() {
	if q.head == q.cslot {
		q.cslot = -1
	}
	q.head = (q.head + 1) & (len(q.items) - 1)
	q.n--
}

// Pop moves the oldest message into m (releasing what m held) and reports
// whether there was one.
func (q *Queue) Pop(m *Msg) bool {
	q.mu.Lock()
	if q.n == 0 {
		q.mu.Unlock()
		return false
	}
	q.items[q.head].MoveTo(m)
	q.popped()
	w := q.afterPopLocked()
	q.mu.Unlock()
	if w != nil {
		w.Wake()
	}
	return true
}

// PopBatch moves up to len(dst) messages into dst[0:k] and returns k; one
// lock and at most one wake for the whole batch.
func (q *Queue) PopBatch(dst []Msg) int {
	q.mu.Lock()
	k := 0
	for k < len(dst) && q.n > 0 {
		q.items[q.head].MoveTo(&dst[k])
		q.popped()
		k++
	}
	var w Waker
	if k > 0 {
		w = q.afterPopLocked()
	}
	q.mu.Unlock()
	if w != nil {
		w.Wake()
	}
	return k
}

// afterPopLocked returns the producer's Waker when a blocked producer may go
// on: libzmq signals room after half the high-water mark was read.
func (q *Queue) afterPopLocked() Waker {
	if q.blocked && q.n <= q.hwm/2 {
		q.blocked = false
		return q.writable
	}
	return nil
}

// Nudge fires the consumer's Waker, so that a consumer parked on it looks
// again although nothing was pushed: the transport stopped reading for it
// and left the reading to it (see Pumper).
func (q *Queue) Nudge() {
	q.mu.Lock()
	r := q.readable
	q.mu.Unlock()
	if r != nil {
		r.Wake()
	}
}

// Len returns the number of queued messages.
func (q *Queue) Len() int {
	q.mu.Lock()
	n := q.n
	q.mu.Unlock()
	return n
}

// Close refuses further pushes; queued messages can still be popped. Both
// Wakers fire so that nobody waits on a queue that will not change.
func (q *Queue) Close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	r, w := q.readable, q.writable
	q.mu.Unlock()
	if r != nil {
		r.Wake()
	}
	if w != nil {
		w.Wake()
	}
}

// Closed reports whether Close was called.
func (q *Queue) Closed() bool {
	q.mu.Lock()
	c := q.closed
	q.mu.Unlock()
	return c
}

// Discard releases every queued message.
func (q *Queue) Discard() {
	q.mu.Lock()
	for q.n > 0 {
		q.items[q.head].Release()
		q.popped()
	}
	w := q.afterPopLocked()
	q.mu.Unlock()
	if w != nil {
		w.Wake()
	}
}
