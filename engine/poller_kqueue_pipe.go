//go:build netbsd || openbsd

package engine

import (
	"os"

	"golang.org/x/sys/unix"
)

// waker wakes a kqueue through a non-blocking pipe: x/sys/unix has no
// EVFILT_USER for these systems.
type waker struct {
	r, w int
}

var wakeByte = []byte{1}

func (w *waker) init(kq int) error {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return os.NewSyscallError("pipe2", err)
	}
	var add [1]unix.Kevent_t
	unix.SetKevent(&add[0], fds[0], unix.EVFILT_READ, unix.EV_ADD|unix.EV_CLEAR)
	if _, err := unix.Kevent(kq, add[:], nil, nil); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return os.NewSyscallError("kevent", err)
	}
	w.r, w.w = fds[0], fds[1]
	return nil
}

// wake writes one byte; a full pipe is as good, it is readable already.
func (w *waker) wake(int) { unix.Write(w.w, wakeByte) }

// consume reports whether e is the wake-up and empties the pipe, so that
// the next write is an edge again.
func (w *waker) consume(e *unix.Kevent_t) bool {
	if int(e.Ident) != w.r || e.Filter != unix.EVFILT_READ {
		return false
	}
	var buf [64]byte
	for {
		if n, _ := unix.Read(w.r, buf[:]); n <= 0 {
			return true
		}
	}
}

func (w *waker) close() {
	unix.Close(w.r)
	unix.Close(w.w)
}
