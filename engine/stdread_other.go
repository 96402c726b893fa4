//go:build !linux

package engine

// rawReader has no state where reads go through net.Conn.
type rawReader struct{}

// readSome reads what the socket has into the session's read buffer.
func (c *stdConn) readSome() (int, error) { return c.nc.Read(c.s.ReadBuf()) }
