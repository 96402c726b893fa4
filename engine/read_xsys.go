//go:build darwin || openbsd || ((linux || freebsd || netbsd || dragonfly) && azmq_safe)

package engine

import "golang.org/x/sys/unix"

// readFd goes through x/sys: in the build without unsafe, and on macOS and
// OpenBSD, where system calls must go through libc rather than a raw trap.
// It reports 0 bytes with an error, as the raw read does, not read(2)'s -1.
func readFd(fd int, b []byte) (int, error) {
	n, err := unix.Read(fd, b)
	if err != nil {
		return 0, err
	}
	return n, nil
}
