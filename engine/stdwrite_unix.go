//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package engine

import (
	"net"
	"syscall"

	"github.com/azmq/azmq/ring"
	"golang.org/x/sys/unix"
)

// vecWriter writes a batch with writev through the runtime poller without
// allocating: net.Buffers escapes to the heap on every WriteTo.
type vecWriter struct {
	raw     syscall.RawConn
	fn      func(uintptr) bool // bound once, so no closure per write
	bufs    [][]byte           // a copy of the batch, trimmed as it goes: Written counts from the original
	store   [][]byte           // bufs' backing array, kept whole: trimming bufs from the front shrinks its capacity
	scratch []unix.Iovec
	lead    [][]byte       // the first bytes of a big batch, written on their own
	copies  []*ring.Buffer // re-placed copies of big buffers, for one inline write
	n       int
	err     error
	nowait  bool // stop at EAGAIN instead of waiting for the socket
	blocked bool // a nowait write stopped at EAGAIN
}

func (c *stdConn) writeOut(iov [][]byte) (int, error) {
	w := &c.wv
	if w.fn == nil {
		sc, ok := c.nc.(syscall.Conn)
		if !ok {
			bufs := net.Buffers(iov)
			n, err := bufs.WriteTo(c.nc)
			return int(n), err
		}
		raw, err := sc.SyscallConn()
		if err != nil {
			return 0, err
		}
		w.raw, w.fn = raw, w.write
	}
	w.store = append(w.store[:0], iov...)
	w.bufs, w.n, w.err, w.nowait = w.store, 0, nil, false
	if err := w.raw.Write(w.fn); err != nil {
		return w.n, err
	}
	return w.n, w.err
}

// writeNow writes what the socket takes without waiting; blocked reports
// that it stopped with bytes left. The caller holds c.wmu, so it has the
// vecWriter to itself.
func (c *stdConn) writeNow(iov [][]byte) (n int, blocked bool, err error) {
	w := &c.wv
	if w.fn == nil {
		return 0, true, nil // the writer goroutine sets the raw conn up
	}
	w.store = append(w.store[:0], iov...)
	w.bufs, w.n, w.err, w.nowait, w.blocked = w.store, 0, nil, true, false
	w.unalias()
	err = w.raw.Write(w.fn)
	for i, c := range w.copies {
		c.Unref()
		w.copies[i] = nil
	}
	w.copies = w.copies[:0]
	if err != nil {
		return w.n, false, err
	}
	return w.n, w.blocked, w.err
}

// unaliasMin is the smallest buffer worth re-placing: a page-aligned 64
// KiB body went from 66-75 to 58-63 us one way re-placed; smaller ones
// save less while the copy still costs.
const unaliasMin = 64 << 10

// unalias replaces each big buffer of an inline write whose bytes would
// meet the kernel's copy in its slow case (ring.Aliased) by a copy placed
// where they do not. An inline write answers something just received, so
// the peer has read what this connection sent before and the kernel starts
// the write at the top of a free socket-buffer page: a buffer's bytes go
// to the page offsets of their position in the batch. A page-aligned 1 MiB
// body after an 11-byte header, written as is, took 330 us one way over
// tcp loopback on the project's VM; re-placed, 170 us (the copy is ~40 us).
func (w *vecWriter) unalias() {
	pos := 0
	for i, b := range w.bufs {
		if len(b) >= unaliasMin {
			at, ok := addrOf(b)
			if ok && ring.Aliased(uintptr(ring.PageOffset(pos)), at) {
				c := ring.NewBufferAt(len(b), ring.PageOffset(pos))
				copy(c.Bytes(), b)
				w.bufs[i] = c.Bytes()
				w.copies = append(w.copies, c)
			}
		}
		pos += len(b)
	}
}

// write is called by the runtime poller; false means "wait until writable".
func (w *vecWriter) write(fd uintptr) bool {
	for len(w.bufs) > 0 {
		bufs := w.bufs
		if w.n == 0 {
			bufs = leadOf(bufs, &w.lead)
		}
		n, err := writev(int(fd), bufs, &w.scratch)
		if err == unix.EAGAIN {
			w.blocked = w.nowait
			return w.nowait
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			w.err = err
			return true
		}
		w.n += n
		for n > 0 && len(w.bufs) > 0 {
			if n < len(w.bufs[0]) {
				w.bufs[0] = w.bufs[0][n:]
				n = 0
				break
			}
			n -= len(w.bufs[0])
			w.bufs = w.bufs[1:]
		}
		for len(w.bufs) > 0 && len(w.bufs[0]) == 0 {
			w.bufs = w.bufs[1:]
		}
	}
	return true
}

// A batch of at least bigBatch bytes is written as its first leadBytes,
// then the rest, as libzmq's encoder happens to (its 8 KiB buffer, then
// the body). Measured on the project's VM, tcp loopback, one way: 1 MiB
// round trips 290-310 us written whole, 165-170 us split; 256 KiB and 512
// KiB got slower split (79 -> 96 us, 106 -> 118 us), hence the threshold.
const (
	bigBatch  = 1 << 20
	leadBytes = 8 << 10
)

// leadOf returns bufs, or, when they add up to bigBatch bytes or more, a
// view of their first leadBytes built in *lead.
func leadOf(bufs [][]byte, lead *[][]byte) [][]byte {
	total := 0
	for _, b := range bufs {
		if total += len(b); total >= bigBatch {
			break
		}
	}
	if total < bigBatch {
		return bufs
	}
	out, left := (*lead)[:0], leadBytes
	for _, b := range bufs {
		if len(b) >= left {
			out = append(out, b[:left])
			break
		}
		out = append(out, b)
		left -= len(b)
	}
	*lead = out
	return out
}
