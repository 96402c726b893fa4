//go:build linux || freebsd || dragonfly

package engine

import "golang.org/x/sys/unix"

// acceptFD takes a connection off a listening socket, non-blocking and
// close-on-exec in one call. Its errors are the raw errno: the caller tells
// EAGAIN and EINTR from real failures.
func acceptFD(fd int) (int, error) {
	nfd, _, err := unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	return nfd, err
}
