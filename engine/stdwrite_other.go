//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package engine

import "net"

// vecWriter has no state where the runtime's own writev path is used.
type vecWriter struct{}

func (c *stdConn) writeOut(iov [][]byte) (int, error) {
	bufs := net.Buffers(iov)
	n, err := bufs.WriteTo(c.nc)
	return int(n), err
}

// writeNow leaves every write to the writer goroutine: the runtime's writev
// path has no "stop at EAGAIN" form.
func (c *stdConn) writeNow([][]byte) (int, bool, error) { return 0, true, nil }
