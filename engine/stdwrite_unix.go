//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package engine

import (
	"net"
	"syscall"

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
	if err := w.raw.Write(w.fn); err != nil {
		return w.n, false, err
	}
	return w.n, w.blocked, w.err
}

// write is called by the runtime poller; false means "wait until writable".
func (w *vecWriter) write(fd uintptr) bool {
	for len(w.bufs) > 0 {
		n, err := writev(int(fd), w.bufs, &w.scratch)
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
