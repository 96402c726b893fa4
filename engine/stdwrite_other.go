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
