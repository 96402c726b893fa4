//go:build (linux || freebsd || netbsd || dragonfly) && !azmq_safe

package engine

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// writev writes bufs with one system call, raw up to rawMax bytes (see
// readFd), and no allocation, building the iovec array in scratch; x/sys's
// Writev allocates one on every call past eight buffers.
func writev(fd int, bufs [][]byte, scratch *[]unix.Iovec) (int, error) {
	iov, total := (*scratch)[:0], 0
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		v := unix.Iovec{Base: &b[0]}
		v.SetLen(len(b))
		iov = append(iov, v)
		total += len(b)
	}
	*scratch = iov
	if len(iov) == 0 {
		return 0, nil
	}
	var n uintptr
	var errno unix.Errno
	if total <= rawMax {
		n, _, errno = unix.RawSyscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
	} else {
		n, _, errno = unix.Syscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
	}
	clear(iov)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
