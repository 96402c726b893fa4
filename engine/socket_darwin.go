package engine

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// socketFD opens a non-blocking, close-on-exec stream socket. macOS has no
// SOCK_NONBLOCK or SOCK_CLOEXEC: the flags are set afterwards, under the
// fork lock so that no child started meanwhile inherits the fd (as package
// net does).
func socketFD(family int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("fcntl", err)
	}
	return fd, nil
}
