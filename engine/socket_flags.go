//go:build linux || freebsd || netbsd || openbsd || dragonfly

package engine

import (
	"os"

	"golang.org/x/sys/unix"
)

// socketFD opens a non-blocking, close-on-exec stream socket in one call.
func socketFD(family int) (int, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	return fd, nil
}
