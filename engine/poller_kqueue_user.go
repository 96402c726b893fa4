//go:build darwin || freebsd || dragonfly

package engine

import (
	"os"

	"golang.org/x/sys/unix"
)

// waker wakes a kqueue with an EVFILT_USER event: one kevent call, no fd.
type waker struct {
	trigger [1]unix.Kevent_t // written once by init, then only read, from any goroutine
}

// wakeIdent identifies the user event; user idents are not fds.
const wakeIdent = 0

func (w *waker) init(kq int) error {
	var add [1]unix.Kevent_t
	unix.SetKevent(&add[0], wakeIdent, unix.EVFILT_USER, unix.EV_ADD|unix.EV_CLEAR)
	if _, err := unix.Kevent(kq, add[:], nil, nil); err != nil {
		return os.NewSyscallError("kevent", err)
	}
	unix.SetKevent(&w.trigger[0], wakeIdent, unix.EVFILT_USER, 0)
	w.trigger[0].Fflags = unix.NOTE_TRIGGER
	return nil
}

func (w *waker) wake(kq int) { unix.Kevent(kq, w.trigger[:], nil, nil) }

// consume reports whether e is the wake-up; EV_CLEAR has reset it already.
func (w *waker) consume(e *unix.Kevent_t) bool { return e.Filter == unix.EVFILT_USER }

func (w *waker) close() {}
