//go:build (linux || freebsd || netbsd || dragonfly) && !azmq_safe

package engine

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// readFd reads a non-blocking socket with a raw system call, without the
// runtime's entersyscall and exitsyscall. Those serve calls that may block:
// they mark the P as in a system call, and the first call after the whole
// program was idle wakes sysmon, which then ticks every 20 us until the
// program is idle again. A request/reply program goes idle between every
// two messages, so each message paid a futex wake on its way and sysmon's
// ticks, each a context switch that on a 2-vCPU machine can land on the
// peer's CPU: about one futex call and two nanosleeps per message per side
// (perf stat, 1 MiB REQ/REP). A socket call that cannot block is what raw
// calls are for, as long as it is short (see rawMax).
func readFd(fd int, b []byte) (int, error) {
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	// Both calls are written out here and in writev rather than wrapped: a
	// pointer turned into a uintptr keeps its memory alive only in the
	// argument list of the assembly call itself (unsafe.Pointer rule 4).
	var n uintptr
	var errno unix.Errno
	if len(b) <= rawMax {
		n, _, errno = unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(p), uintptr(len(b)))
	} else {
		n, _, errno = unix.Syscall(unix.SYS_READ, uintptr(fd), uintptr(p), uintptr(len(b)))
	}
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// rawMax is the most bytes a raw call may move. The runtime cannot preempt
// a goroutine in a raw call, so a stop-the-world waits for its copy: 1 MiB
// takes 50-100 us on the project's VM. A longer call goes through
// Syscall, whose cost is nothing beside its copy. 1 MiB keeps both calls
// of a 1 MiB message raw (its body is read after a 64 KiB first read, and
// written after an 8 KiB lead).
const rawMax = 1 << 20
