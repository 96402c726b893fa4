//go:build linux

package engine

import (
	"io"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// rawReader reads through the runtime poller without holding a read buffer
// while it waits: the session's buffer is taken when the socket is readable
// and given back when a read would block, so an idle connection, or one
// still waiting for its peer's greeting, holds no 64 KiB buffer.
type rawReader struct {
	raw syscall.RawConn
	fn  func(uintptr) bool // bound once, so no closure per read
	s   *Session
	n   int
	err error
	// spin is how long a dry socket is read again before parking (busy
	// polling, Options.BusyPoll); until is when the current spin ends.
	spin  time.Duration
	until time.Time
	stop  atomic.Bool // the connection is being closed: spin no more
	// release, set on the connection's own reader, is asked at a dry read
	// whether to hand the reading to the application (stdConn.Pump)
	// instead of parking; handed records that it did.
	release func() bool
	handed  bool
}

// readSome reads what the socket has into the session's read buffer on the
// connection's reader goroutine; errHandedOver: the socket was dry and the
// application reads it now.
func (c *stdConn) readSome() (int, error) {
	r := &c.rd
	if r.fn == nil {
		sc, ok := c.nc.(syscall.Conn)
		if !ok {
			return c.nc.Read(c.s.ReadBuf())
		}
		raw, err := sc.SyscallConn()
		if err != nil {
			return c.nc.Read(c.s.ReadBuf())
		}
		r.raw, r.fn, r.s, r.release = raw, r.read, c.s, c.release
	}
	return r.readOnce()
}

// readDirect reads what the socket has, parking until it has something, on
// the application's goroutine, which holds the read token. The reader
// hands the token over only from a raw read, so c.rd is set up by then.
func (c *stdConn) readDirect() (int, error) {
	r := &c.ar
	if r.fn == nil {
		r.raw, r.fn, r.s, r.spin = c.rd.raw, r.read, c.s, c.rd.spin
	}
	return r.readOnce()
}

func (r *rawReader) readOnce() (int, error) {
	r.n, r.err, r.handed = 0, nil, false
	if err := r.raw.Read(r.fn); err != nil {
		return 0, err
	}
	if r.handed {
		return 0, errHandedOver
	}
	return r.n, r.err
}

// read is called by the runtime poller; false means "wait until readable".
func (r *rawReader) read(fd uintptr) bool {
	for {
		n, err := readFd(int(fd), r.s.ReadBuf())
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			if r.keepSpinning() {
				continue
			}
			r.s.Idle()
			if r.release != nil && r.release() {
				r.handed = true // the session's read side is the application's now
				return true
			}
			return false
		case err != nil:
			r.err = err
		case n == 0:
			r.err = io.EOF
		default:
			r.n = n
			r.until = time.Time{}
		}
		return true
	}
}

// keepSpinning reports whether a reader that found the socket dry should
// read it again rather than park: while busy polling, until the spin that
// began at the first dry read runs out. It yields first, so that the
// goroutine a read just woke (the application's, waiting for a reply) runs
// on this thread at once instead of on a CPU that must be woken for it.
func (r *rawReader) keepSpinning() bool {
	if r.spin <= 0 || r.stop.Load() {
		return false
	}
	now := time.Now()
	if r.until.IsZero() {
		r.until = now.Add(r.spin)
	} else if now.After(r.until) {
		r.until = time.Time{}
		return false
	}
	runtime.Gosched()
	return true
}
