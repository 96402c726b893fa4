//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package engine

import (
	"os"

	"golang.org/x/sys/unix"
)

// pollerName names the loop backend's poller on this OS.
const pollerName = "kqueue"

// loopIsDefault: the kqueue poller has been compiled but never run by this
// project's CI (README, Platforms), so the portable backend stays the
// default here until it has; WithBackend(BackendEpoll) selects the loop.
const loopIsDefault = false

// zeroTimeout makes kevent return at once: the loop only ever blocks in the
// runtime poller.
var zeroTimeout unix.Timespec

// kqueuePoller is a kqueue whose registrations all carry EV_CLEAR, which
// makes them edge-triggered like the epoll set. A kqueue fd is readable while
// events are pending, which is what the loop parks on. Wake-ups come through
// an EVFILT_USER event or, where x/sys/unix has none, a pipe
// (poller_kqueue_*.go).
type kqueuePoller struct {
	kq      int
	f       *os.File
	raw     []unix.Kevent_t
	changes [2]unix.Kevent_t // add and remove scratch, loop goroutine only
	waker
}

func newPoller() (poller, error) {
	kq, err := unix.Kqueue()
	if err != nil {
		return nil, os.NewSyscallError("kqueue", err)
	}
	unix.CloseOnExec(kq)
	// Some kernels refuse FIONBIO on a kqueue yet keep the flag; newLoop
	// checks that the runtime poller took the fd, whatever this says.
	unix.SetNonblock(kq, true)
	p := &kqueuePoller{kq: kq}
	if err := p.waker.init(kq); err != nil {
		unix.Close(kq)
		return nil, err
	}
	p.f = os.NewFile(uintptr(kq), "kqueue")
	return p, nil
}

func (p *kqueuePoller) add(fd int, interest uint32) error {
	n := 0
	if interest&evRead != 0 {
		unix.SetKevent(&p.changes[n], fd, unix.EVFILT_READ, unix.EV_ADD|unix.EV_CLEAR)
		n++
	}
	if interest&evWrite != 0 {
		unix.SetKevent(&p.changes[n], fd, unix.EVFILT_WRITE, unix.EV_ADD|unix.EV_CLEAR)
		n++
	}
	if _, err := unix.Kevent(p.kq, p.changes[:n], nil, nil); err != nil {
		return os.NewSyscallError("kevent", err)
	}
	return nil
}

// remove deletes both filters, one call each: kevent stops at the first
// change that fails, and the filter fd was not registered for fails.
func (p *kqueuePoller) remove(fd int) {
	for _, filter := range [2]int{unix.EVFILT_READ, unix.EVFILT_WRITE} {
		unix.SetKevent(&p.changes[0], fd, filter, unix.EV_DELETE)
		unix.Kevent(p.kq, p.changes[:1], nil, nil)
	}
}

func (p *kqueuePoller) wait(evs []pollEvent) (int, error) {
	if len(p.raw) < len(evs) {
		p.raw = make([]unix.Kevent_t, len(evs))
	}
	n, err := unix.Kevent(p.kq, nil, p.raw[:len(evs)], &zeroTimeout)
	if err != nil {
		return 0, err
	}
	k := 0
	for i := range n {
		e := &p.raw[i]
		if p.waker.consume(e) {
			continue
		}
		var ev uint32
		switch e.Filter {
		case unix.EVFILT_READ:
			ev = evRead
		case unix.EVFILT_WRITE:
			ev = evWrite
		}
		if e.Flags&(unix.EV_EOF|unix.EV_ERROR) != 0 {
			ev = evRead | evWrite
		}
		evs[k] = pollEvent{fd: int32(e.Ident), ev: ev}
		k++
	}
	return k, nil
}

func (p *kqueuePoller) wake() { p.waker.wake(p.kq) }

func (p *kqueuePoller) file() *os.File { return p.f }

func (p *kqueuePoller) close() {
	p.f.Close() // and with it the kqueue
	p.waker.close()
}
