//go:build !linux

package engine

import (
	"sync/atomic"
	"time"
)

// rawReader has no state where reads go through net.Conn; spin (busy
// polling) is not honoured there.
type rawReader struct {
	spin time.Duration
	stop atomic.Bool
}

// readSome reads what the socket has into the session's read buffer.
func (c *stdConn) readSome() (int, error) { return c.nc.Read(c.s.ReadBuf()) }
