package ring

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// Size classes are powers of two from minClassShift to maxClassShift. A read
// buffer of a connection is usually one of the middle classes; a frame larger
// than that gets a buffer of its own from the class that fits it, so the
// kernel copies it straight into its final place.
const (
	minClassShift = 8  // 256 B
	maxClassShift = 22 // 4 MiB; larger buffers are allocated and left to the GC
	numClasses    = maxClassShift - minClassShift + 1
)

// ReadBufferSize is the size of the buffer a connection reads into: large
// enough that one read syscall carries many small frames.
const ReadBufferSize = 64 << 10

var pools [numClasses]sync.Pool

// Buffer is a pooled byte slice with a reference count. Each message frame
// that views a Buffer holds one reference; the Buffer returns to its pool when
// the last one is dropped.
type Buffer struct {
	b     []byte // what Bytes returns: full[off:off+size]
	full  []byte // the whole allocation, as pooled
	refs  atomic.Int32
	class int8 // -1 for a buffer too large to pool
}

func classOf(size int) int {
	if size <= 1<<minClassShift {
		return 0
	}
	c := bits.Len(uint(size-1)) - minClassShift
	if c >= numClasses {
		return -1
	}
	return c
}

// NewBuffer returns a buffer of exactly size bytes (its capacity may be
// larger) holding one reference, owned by the caller.
func NewBuffer(size int) *Buffer { return NewBufferAt(size, 0) }

// NewBufferAt is NewBuffer with the bytes starting off bytes into the
// allocation (which is page-aligned for large sizes), for callers that care
// where in a page their data lies.
func NewBufferAt(size, off int) *Buffer {
	c := classOf(size + off)
	if c < 0 {
		full := make([]byte, size+off)
		buf := &Buffer{b: full[off:], full: full, class: -1}
		buf.refs.Store(1)
		return buf
	}
	buf, _ := pools[c].Get().(*Buffer)
	if buf == nil {
		buf = &Buffer{full: make([]byte, 1<<(c+minClassShift)), class: int8(c)}
	}
	buf.b = buf.full[off : off+size]
	buf.refs.Store(1)
	return buf
}

// Bytes returns the buffer's contents; valid while the caller holds a
// reference.
func (b *Buffer) Bytes() []byte { return b.b }

// Cap returns how many bytes the buffer can hold.
func (b *Buffer) Cap() int { return cap(b.b) }

// Ref adds one reference.
func (b *Buffer) Ref() {
	if b.refs.Add(1) <= 1 {
		panic("ring: Ref on a released buffer")
	}
}

// Refs reports the current number of references, for tests and assertions.
func (b *Buffer) Refs() int32 { return b.refs.Load() }

// Unref drops one reference; the last one returns the buffer to its pool.
func (b *Buffer) Unref() {
	n := b.refs.Add(-1)
	if n > 0 {
		return
	}
	if n < 0 {
		panic("ring: buffer released twice")
	}
	if b.class < 0 {
		return
	}
	b.b = nil
	poison(b.full)
	pools[b.class].Put(b)
}

// PageOffset returns where position pos falls within a 4 KiB page. The
// kernel copies socket data with rep movsb, which on AMD CPUs runs several
// times slower when destination and source are a few bytes apart modulo
// 4 KiB (4K aliasing): measured on the project's VM, a 1 MiB tcp round trip
// took 430-610 us one way with the two 1-11 bytes apart and 130-160 us with
// them 0 or 16-64 apart. Buffers placed by PageOffset keep the two equal.
func PageOffset(pos int) int { return pos & 4095 }

// Aliased reports whether copying between dst and src addresses is in
// PageOffset's slow case: 1-15 bytes apart modulo 4 KiB, either way.
func Aliased(dst, src uintptr) bool {
	d := (dst - src) & 4095
	return d != 0 && (d < 16 || d > 4096-16)
}
