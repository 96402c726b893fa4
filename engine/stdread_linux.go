//go:build linux

package engine

import (
	"io"
	"syscall"

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
}

// readSome reads what the socket has into the session's read buffer.
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
		r.raw, r.fn, r.s = raw, r.read, c.s
	}
	r.n, r.err = 0, nil
	if err := r.raw.Read(r.fn); err != nil {
		return 0, err
	}
	return r.n, r.err
}

// read is called by the runtime poller; false means "wait until readable".
func (r *rawReader) read(fd uintptr) bool {
	for {
		n, err := unix.Read(int(fd), r.s.ReadBuf())
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			r.s.Idle()
			return false
		case err != nil:
			r.err = err
		case n == 0:
			r.err = io.EOF
		default:
			r.n = n
		}
		return true
	}
}
