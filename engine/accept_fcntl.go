//go:build darwin || netbsd || openbsd

package engine

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// acceptFD takes a connection off a listening socket. Without accept4 (or
// without it in x/sys/unix) the flags are set afterwards, close-on-exec under
// the fork lock as package net does. Its errors are the raw errno: the caller
// tells EAGAIN and EINTR from real failures.
func acceptFD(fd int) (int, error) {
	syscall.ForkLock.RLock()
	nfd, _, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return -1, err
	}
	return nfd, nil
}
