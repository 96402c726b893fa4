//go:build (freebsd || netbsd || dragonfly) && azmq_safe

package engine

import "golang.org/x/sys/unix"

// writev writes the first non-empty buffer only: x/sys/unix has no Writev
// here, and the build without unsafe cannot make the raw call. Callers
// handle short writes, so this costs system calls, not correctness.
func writev(fd int, bufs [][]byte, _ *[]unix.Iovec) (int, error) {
	for _, b := range bufs {
		if len(b) > 0 {
			return unix.Write(fd, b)
		}
	}
	return 0, nil
}
