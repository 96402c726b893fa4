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

// readSome reads what the socket has into the session's read buffer. A
// read through net.Conn parks inside it, so it never hands the reading to
// the application (stdConn.Pump finds the token taken and says so).
func (c *stdConn) readSome() (int, error) { return c.nc.Read(c.s.ReadBuf()) }

// readDirect is readSome for the holder of the read token; the reader
// never hands it over here, so only the reader itself reads.
func (c *stdConn) readDirect() (int, error) { return c.nc.Read(c.s.ReadBuf()) }
