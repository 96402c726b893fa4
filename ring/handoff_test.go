package ring

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// The hand-off benchmarks measure what moving one message between two
// goroutines costs on the machine, with no socket around it: the floor
// under inproc's figure. Issue #4 asked inproc for 10x the tcp figure of
// the same go test -bench run; in-process tcp moves a 16 B message in
// 66-123 ns there, so that is 7-12 ns per message, under every variant
// here.

// handoffSlots is the ring's capacity; a power of two.
const handoffSlots = 1024

// spscRing is the barest hand-off: one producer, one consumer, a slot per
// message, one atomic store to publish each, and cached indices so that
// each side reads the other's index only when it must.
type spscRing struct {
	_     [64]byte
	tail  atomic.Uint64 // the producer's
	_     [56]byte
	head  atomic.Uint64 // the consumer's
	_     [56]byte
	slots [handoffSlots]Msg
}

func BenchmarkHandoff(b *testing.B) {
	payload := make([]byte, 16)
	b.Run("spsc", func(b *testing.B) {
		r := &spscRing{}
		done := make(chan struct{})
		go func() {
			defer close(done)
			var h uint64
			for h < uint64(b.N) {
				t := r.tail.Load()
				if t == h {
					runtime.Gosched()
					continue
				}
				for ; h < t; h++ {
					r.slots[h&(handoffSlots-1)].Release()
				}
				r.head.Store(h)
			}
		}()
		b.ReportAllocs()
		var t, seen uint64
		for range b.N {
			for t-seen >= handoffSlots {
				if seen = r.head.Load(); t-seen >= handoffSlots {
					runtime.Gosched()
				}
			}
			r.slots[t&(handoffSlots-1)].Append(payload)
			t++
			r.tail.Store(t)
		}
		<-done
	})
	b.Run("chan", func(b *testing.B) {
		c := make(chan Msg, handoffSlots)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range b.N {
				m := <-c
				m.Release()
			}
		}()
		b.ReportAllocs()
		var m Msg
		for range b.N {
			m.Append(payload)
			c <- m
			m = Msg{}
		}
		<-done
	})
	b.Run("queue", func(b *testing.B) {
		q := NewQueue(handoffSlots)
		sig := NewSignal()
		room := NewSignal()
		q.SetWakers(sig, room)
		done := make(chan struct{})
		go func() {
			defer close(done)
			batch := make([]Msg, 64)
			for got := 0; got < b.N; {
				k := q.PopBatch(batch)
				if k == 0 {
					<-sig.C()
					continue
				}
				for i := range k {
					batch[i].Release()
				}
				got += k
			}
		}()
		b.ReportAllocs()
		var m Msg
		for range b.N {
			m.Append(payload)
			for q.Push(&m) == ErrFull {
				<-room.C()
			}
		}
		<-done
	})
}
