//go:build linux

package engine

import (
	"os"

	"golang.org/x/sys/unix"
)

func newLoop() (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		unix.Close(evfd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	l := &loop{epfd: epfd, evfd: evfd, events: make([]unix.EpollEvent, 128),
		fds: map[int32]handler{}, done: make(chan struct{})}
	if err := l.add(evfd, unix.EPOLLIN|unix.EPOLLET, nil); err != nil {
		unix.Close(epfd)
		unix.Close(evfd)
		return nil, err
	}
	l.pollFn = l.poll // one closure for the loop's life, not one per turn
	l.file = os.NewFile(uintptr(epfd), "epoll")
	l.raw, err = l.file.SyscallConn()
	if err != nil {
		l.file.Close()
		unix.Close(evfd)
		return nil, err
	}
	return l, nil
}

func (l *loop) add(fd int, events uint32, h handler) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	if h != nil {
		l.fds[int32(fd)] = h
	}
	return nil
}

func (l *loop) remove(fd int) {
	unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, fd, nil)
	delete(l.fds, int32(fd))
}

// wake makes the loop run its lists; one eventfd write per batch of posts.
func (l *loop) wake() {
	if l.woken.CompareAndSwap(false, true) {
		var one = [8]byte{1}
		unix.Write(l.evfd, one[:])
	}
}

// poll collects ready events without blocking; returning false parks the
// loop in the runtime poller until the epoll fd is readable.
func (l *loop) poll(uintptr) bool {
	n, err := unix.EpollWait(l.epfd, l.events, 0)
	if err != nil && err != unix.EINTR {
		l.nready = 0
		return true
	}
	l.nready = max(n, 0)
	return n > 0 || l.woken.Load() || l.halt.Load()
}
