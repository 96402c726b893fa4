//go:build darwin || openbsd || (linux && azmq_safe)

package engine

import "golang.org/x/sys/unix"

// writev goes through x/sys, which allocates its iovec array for batches of
// more than eight buffers: in the build without unsafe, and on macOS and
// OpenBSD, where system calls must go through libc rather than a raw trap.
func writev(fd int, bufs [][]byte, _ *[]unix.Iovec) (int, error) { return unix.Writev(fd, bufs) }
