//go:build linux && azmq_safe

package engine

import "golang.org/x/sys/unix"

// writev is the build without unsafe: x/sys allocates its iovec array for
// batches of more than eight buffers.
func writev(fd int, bufs [][]byte, _ *[]unix.Iovec) (int, error) { return unix.Writev(fd, bufs) }
