//go:build linux

package engine

import (
	"os"

	"golang.org/x/sys/unix"
)

// pollerName names the loop backend's poller on this OS.
const pollerName = "epoll"

// loopIsDefault: not on Linux either. Side by side (BENCHMARKS.md, "Which
// backend"), the portable backend has the lower latency at every size up
// to 64 KiB and the higher small-message throughput; the loop keeps the
// edge for 4 KiB+ throughput and memory per idle connection.
const loopIsDefault = false

// epollPoller is an edge-triggered epoll set with an eventfd in it for
// wake-ups; the epoll fd is itself pollable, which is what the loop parks on.
type epollPoller struct {
	epfd int
	evfd int
	f    *os.File
	raw  []unix.EpollEvent
}

func newPoller() (poller, error) {
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
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: int32(evfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(evfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return &epollPoller{epfd: epfd, evfd: evfd, f: os.NewFile(uintptr(epfd), "epoll")}, nil
}

func (p *epollPoller) add(fd int, interest uint32) error {
	ev := unix.EpollEvent{Events: unix.EPOLLET, Fd: int32(fd)}
	if interest&evRead != 0 {
		ev.Events |= unix.EPOLLIN | unix.EPOLLRDHUP
	}
	if interest&evWrite != 0 {
		ev.Events |= unix.EPOLLOUT
	}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

func (p *epollPoller) remove(fd int) { unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil) }

// wake writes the eventfd; the loop's atomic flag keeps it to one write per
// batch of posts.
func (p *epollPoller) wake() {
	var one = [8]byte{1}
	unix.Write(p.evfd, one[:])
}

func (p *epollPoller) wait(evs []pollEvent) (int, error) {
	if len(p.raw) < len(evs) {
		p.raw = make([]unix.EpollEvent, len(evs))
	}
	n, err := unix.EpollWait(p.epfd, p.raw[:len(evs)], 0)
	if err != nil {
		return 0, err
	}
	k := 0
	for i := range n {
		e := &p.raw[i]
		if e.Fd == int32(p.evfd) {
			var buf [8]byte
			unix.Read(p.evfd, buf[:])
			continue
		}
		var ev uint32
		if e.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			ev |= evRead
		}
		if e.Events&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			ev |= evWrite
		}
		evs[k] = pollEvent{fd: e.Fd, ev: ev}
		k++
	}
	return k, nil
}

func (p *epollPoller) file() *os.File { return p.f }

func (p *epollPoller) close() {
	p.f.Close() // and with it the epoll fd
	unix.Close(p.evfd)
}
