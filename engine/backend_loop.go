//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package engine

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	rtpprof "runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The loop backend (named epoll for its first poller): one loop goroutine
// owns an edge-triggered set of non-blocking fds in the OS's poller (epoll on
// Linux, kqueue on the BSDs and macOS; poller_*.go). The loop parks by
// waiting for the poller's own fd through the Go runtime poller, never in a
// blocking epoll_wait or kevent the scheduler cannot see: DESIGN.md measured
// the OS-thread wake that costs at ~25 µs a hop. Sockets hand it work through
// a mutex-guarded list and one poller wake per batch, guarded by an atomic
// flag. Everything here is OS-neutral; the few calls that differ between
// systems are in socket_*.go and accept_*.go.

// readBudget bounds the reads one connection gets per loop turn, so a busy
// peer cannot starve the others.
const readBudget = 16

type epollBackend struct {
	grp       *goGroup
	ctx       context.Context
	stopDials context.CancelFunc
	l         *loop
}

func newEpollBackend(wg *sync.WaitGroup) (backend, error) {
	p, err := newPoller()
	if err != nil {
		return nil, err
	}
	b, err := newLoopBackend(wg, p)
	if err != nil {
		return nil, err // not b: a nil *epollBackend is no nil backend
	}
	return b, nil
}

// newLoopBackend starts a loop on p, which it owns from then on; tests
// pass fake pollers.
func newLoopBackend(wg *sync.WaitGroup, p poller) (*epollBackend, error) {
	l, err := newLoop(p)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &epollBackend{grp: &goGroup{wg: wg}, ctx: ctx, stopDials: cancel, l: l}
	go rtpprof.Do(context.Background(), rtpprof.Labels("azmq.loop", "0"), func(context.Context) { l.run() })
	return b, nil
}

// handler is anything with an fd in the loop's poller.
type handler interface {
	event(ev uint32) // evRead, evWrite or both
}

// loop fields are owned by the loop goroutine, except those under mu and the
// atomics, which other goroutines use to hand it work.
type loop struct {
	p      poller
	file   *os.File // the poller's fd, pollable, so the loop parks in the runtime poller
	raw    syscall.RawConn
	events []pollEvent
	nready int
	fds    map[int32]handler
	timers timerHeap
	seq    uint64
	iovecs []unix.Iovec // writev scratch
	pollFn func(uintptr) bool

	mu      sync.Mutex
	tasks   []func()
	conns   []*epConn
	stopped bool
	halt    atomic.Bool // stopped, readable without mu by the parked loop
	woken   atomic.Bool
	done    chan struct{}

	// swap buffers the loop drains into, so posting never waits on the loop
	tasksB []func()
	connsB []*epConn
}

// newLoop returns a loop on p, which it owns from then on.
func newLoop(p poller) (*loop, error) {
	l := &loop{p: p, file: p.file(), events: make([]pollEvent, 128),
		fds: map[int32]handler{}, done: make(chan struct{})}
	l.pollFn = l.poll // one closure for the loop's life, not one per turn
	var err error
	if l.raw, err = l.file.SyscallConn(); err == nil {
		// A file the runtime poller refused takes no deadline: the loop
		// could neither park on it nor wake for its timers.
		err = l.file.SetReadDeadline(time.Time{})
	}
	if err != nil {
		p.close()
		return nil, fmt.Errorf("azmq: the loop cannot park on its poller: %w", err)
	}
	return l, nil
}

func (l *loop) add(fd int, ev uint32, h handler) error {
	if err := l.p.add(fd, ev); err != nil {
		return err
	}
	l.fds[int32(fd)] = h
	return nil
}

func (l *loop) remove(fd int) {
	l.p.remove(fd)
	delete(l.fds, int32(fd))
}

// wake makes the loop run its lists; one poller wake per batch of posts.
func (l *loop) wake() {
	if l.woken.CompareAndSwap(false, true) {
		l.p.wake()
	}
}

// poll collects ready events without blocking; returning false parks the
// loop in the runtime poller until the poller's fd is readable.
func (l *loop) poll(uintptr) bool {
	n, err := l.p.wait(l.events)
	if err != nil && err != unix.EINTR {
		l.nready = 0
		return true
	}
	l.nready = max(n, 0)
	return n > 0 || l.woken.Load() || l.halt.Load()
}

// post runs f on the loop goroutine and reports true, or false when the
// loop has stopped and f will never run. For control work only: it
// allocates.
func (l *loop) post(f func()) bool {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return false
	}
	l.tasks = append(l.tasks, f)
	l.mu.Unlock()
	l.wake()
	return true
}

// schedule queues c for service (flush, resume, shutdown) once per batch.
func (l *loop) schedule(c *epConn) {
	if !c.scheduled.CompareAndSwap(false, true) {
		return
	}
	l.mu.Lock()
	l.conns = append(l.conns, c)
	l.mu.Unlock()
	l.wake()
}

func (l *loop) run() {
	defer close(l.done)
	for {
		err := l.raw.Read(l.pollFn)
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return
		}
		for i := 0; i < l.nready; i++ {
			ev := &l.events[i]
			if h := l.fds[ev.fd]; h != nil {
				h.event(ev.ev)
			}
		}
		l.nready = 0
		if l.drain() {
			return
		}
		l.runTimers()
	}
}

// drain runs the posted tasks and scheduled connections once; what they
// post meanwhile waits for the next turn, after the fds have been polled
// again. It reports true when the loop has been stopped and is idle.
func (l *loop) drain() bool {
	l.woken.Store(false)
	l.mu.Lock()
	tasks, conns := l.tasks, l.conns
	if len(tasks) == 0 && len(conns) == 0 {
		stopped := l.stopped
		l.mu.Unlock()
		return stopped
	}
	l.tasks, l.conns = l.tasksB[:0], l.connsB[:0]
	l.mu.Unlock()
	for i, f := range tasks {
		f()
		tasks[i] = nil
	}
	for i, c := range conns {
		c.scheduled.Store(false)
		c.service()
		conns[i] = nil
	}
	l.tasksB, l.connsB = tasks[:0], conns[:0]
	return false
}

// timer is an entry of the loop's heap: one heap per loop rather than one
// runtime timer per event.
type timer struct {
	when time.Time
	seq  uint64
	f    func()
	dead bool
	idx  int
}

type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].when.Equal(h[j].when) {
		return h[i].seq < h[j].seq
	}
	return h[i].when.Before(h[j].when)
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].idx = i; h[j].idx = j }
func (h *timerHeap) Push(x any)   { t := x.(*timer); t.idx = len(*h); *h = append(*h, t) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return t
}

// addTimer must run on the loop goroutine.
func (l *loop) addTimer(d time.Duration, f func()) *timer {
	l.seq++
	t := &timer{when: time.Now().Add(d), seq: l.seq, f: f}
	heap.Push(&l.timers, t)
	l.armDeadline()
	return t
}

func (l *loop) runTimers() {
	now := time.Now()
	for len(l.timers) > 0 && !l.timers[0].when.After(now) {
		t := heap.Pop(&l.timers).(*timer)
		if !t.dead {
			t.f()
		}
	}
	l.armDeadline()
}

// armDeadline makes the parked loop wake for its next timer.
func (l *loop) armDeadline() {
	for len(l.timers) > 0 && l.timers[0].dead {
		heap.Pop(&l.timers)
	}
	var d time.Time
	if len(l.timers) > 0 {
		d = l.timers[0].when
	}
	l.file.SetReadDeadline(d)
}

func (l *loop) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
	l.halt.Store(true)
	l.wake()
	<-l.done
	l.p.close()
}

func (b *epollBackend) after(d time.Duration, f func()) func() {
	var t atomic.Pointer[timer]
	var cancelled atomic.Bool
	b.l.post(func() {
		if !cancelled.Load() {
			t.Store(b.l.addTimer(d, f))
		}
	})
	return func() {
		cancelled.Store(true)
		b.l.post(func() {
			if tt := t.Load(); tt != nil {
				tt.dead = true
			}
		})
	}
}

func (b *epollBackend) cancel() {
	b.grp.close()
	b.stopDials()
}

func (b *epollBackend) close() { b.l.stop() }

// sockaddr converts a numeric host (or "" for every interface) and port.
func sockaddr(ip net.IP, port int) (unix.Sockaddr, int) {
	if ip4 := ip.To4(); ip4 != nil || ip == nil {
		sa := &unix.SockaddrInet4{Port: port}
		if ip4 != nil {
			copy(sa.Addr[:], ip4)
		}
		return sa, unix.AF_INET
	}
	sa := &unix.SockaddrInet6{Port: port}
	copy(sa.Addr[:], ip.To16())
	return sa, unix.AF_INET6
}

type epListener struct {
	b    *epollBackend
	fd   int
	o    owner
	hs   time.Duration
	addr string // the bound endpoint, for events
}

func (b *epollBackend) listen(ep Endpoint, o owner, hs time.Duration) (Endpoint, func() error, error) {
	cleanup := func() {}
	if ep.Transport == "ipc" {
		var err error
		if ep, cleanup, err = claimIPC(ep); err != nil {
			return Endpoint{}, nil, err
		}
	}
	fd, err := listenFD(ep)
	if err != nil {
		cleanup()
		return Endpoint{}, nil, err
	}
	bound := ep
	if got, err := unix.Getsockname(fd); err == nil {
		switch a := got.(type) {
		case *unix.SockaddrInet4:
			bound.Port = a.Port
		case *unix.SockaddrInet6:
			bound.Port = a.Port
		}
	}
	ln := &epListener{b: b, fd: fd, o: o, hs: hs, addr: bound.String()}
	errc := make(chan error, 1)
	if !b.l.post(func() { errc <- b.l.add(fd, evRead, ln) }) {
		errc <- ErrClosed
	}
	if err := <-errc; err != nil {
		unix.Close(fd)
		cleanup()
		return Endpoint{}, nil, err
	}
	stopped := make(chan error, 1)
	stop := func() error {
		if !b.l.post(func() {
			b.l.remove(fd)
			stopped <- os.NewSyscallError("close", unix.Close(fd))
		}) {
			// The engine closed first (a socket closing while its context
			// does): no loop polls fd any more, so close it here.
			stopped <- os.NewSyscallError("close", unix.Close(fd))
		}
		err := <-stopped
		cleanup()
		return err
	}
	return bound, stop, nil
}

// listenFD opens a non-blocking listening socket for ep.
func listenFD(ep Endpoint) (int, error) {
	var sa unix.Sockaddr
	family := unix.AF_UNIX
	if ep.Transport == "ipc" {
		sa = &unix.SockaddrUnix{Name: ep.Path}
	} else {
		var ip net.IP
		if ep.Host != "" {
			ip = net.ParseIP(ep.Host)
		}
		sa, family = sockaddr(ip, ep.Port)
	}
	fd, err := socketFD(family)
	if err != nil {
		return -1, err
	}
	if family != unix.AF_UNIX {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, bindError(os.NewSyscallError("bind", err))
	}
	if err := unix.Listen(fd, 128); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("listen", err)
	}
	return fd, nil
}

func (ln *epListener) event(uint32) {
	for {
		nfd, err := acceptFD(ln.fd)
		if err != nil {
			// EAGAIN: drained. Anything else (EMFILE, ECONNABORTED): this
			// accept is lost, the listener goes on.
			if err == unix.EINTR || err == unix.ECONNABORTED {
				continue
			}
			if err != unix.EAGAIN {
				ln.o.options().emit(Event{Kind: EventAcceptFailed, Endpoint: ln.addr, Err: os.NewSyscallError("accept4", err)})
			}
			return
		}
		ln.b.start(nfd, ln.o, ln.hs)
	}
}

// epDial is a connection attempt in progress.
type epDial struct {
	b      *epollBackend
	fd     int
	o      owner
	hs     time.Duration
	failed func(error)
	timer  *timer // ConnectTimeout
}

func (b *epollBackend) dial(ep Endpoint, o owner, hs time.Duration, failed func(error)) {
	if b.ctx.Err() != nil {
		return
	}
	if ep.Transport == "ipc" {
		b.l.post(func() { b.connect(&unix.SockaddrUnix{Name: ep.Path}, unix.AF_UNIX, o, hs, failed) })
		return
	}
	ip := net.ParseIP(ep.Host)
	if ip == nil {
		// Host names are resolved off the loop: a DNS lookup may block.
		if !b.grp.add(1) {
			return
		}
		go func() {
			defer b.grp.done()
			ips, err := net.DefaultResolver.LookupIP(b.ctx, "ip", ep.Host)
			if err != nil || len(ips) == 0 {
				if b.ctx.Err() == nil {
					failed(fmt.Errorf("resolve %s: %w", ep.Host, err))
				}
				return
			}
			sa, family := sockaddr(ips[0], ep.Port)
			b.l.post(func() { b.connect(sa, family, o, hs, failed) })
		}()
		return
	}
	sa, family := sockaddr(ip, ep.Port)
	b.l.post(func() { b.connect(sa, family, o, hs, failed) })
}

// connect starts a non-blocking connect on the loop goroutine.
func (b *epollBackend) connect(sa unix.Sockaddr, family int, o owner, hs time.Duration, failed func(error)) {
	if b.ctx.Err() != nil {
		return
	}
	fd, err := socketFD(family)
	if err != nil {
		failed(err)
		return
	}
	err = unix.Connect(fd, sa)
	if err == nil {
		b.start(fd, o, hs)
		return
	}
	if err != unix.EINPROGRESS {
		unix.Close(fd)
		failed(os.NewSyscallError("connect", err))
		return
	}
	d := &epDial{b: b, fd: fd, o: o, hs: hs, failed: failed}
	if err := b.l.add(fd, evWrite, d); err != nil {
		unix.Close(fd)
		failed(err)
		return
	}
	if ct := o.options().ConnectTimeout; ct > 0 {
		d.timer = b.l.addTimer(ct, d.timedOut)
	}
}

func (d *epDial) event(uint32) {
	if d.timer != nil {
		d.timer.dead = true
	}
	d.b.l.remove(d.fd)
	soerr, err := unix.GetsockoptInt(d.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err == nil && soerr != 0 {
		err = syscall.Errno(soerr)
	}
	if err != nil {
		unix.Close(d.fd)
		d.failed(os.NewSyscallError("connect", err))
		return
	}
	d.b.start(d.fd, d.o, d.hs)
}

// peerAddr is the remote address of a connected fd as net.Addr.String
// would give it: "ip:port" for tcp, the path (often "") for ipc.
func peerAddr(fd int) string {
	sa, err := unix.Getpeername(fd)
	if err != nil {
		return ""
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)).String()
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port)).String()
	case *unix.SockaddrUnix:
		return a.Name
	}
	return ""
}

// epConn is one connection run by the loop. Everything but scheduled and
// the shutdown request is touched only on the loop goroutine.
type epConn struct {
	b  *epollBackend
	l  *loop
	fd int
	o  owner
	s  *Session

	scheduled atomic.Bool
	shutReq   atomic.Int64 // linger+2 in ns once shutdown was asked (linger ≥ -1); 0: not asked
	awaitHS   atomic.Bool  // shutdown waits for the handshake, to flush the pipe
	closing   bool
	canRead   bool // the last read did not hit EAGAIN
	canWrite  bool
	closed    bool
	hsTimer   *timer
	lgTimer   *timer
	hbTimer   *timer // the session's next heartbeat deadline
}

// connWaker schedules its connection: the pipe has output or room again.
type connWaker struct{ c *epConn }

func (w connWaker) Wake() { w.c.l.schedule(w.c) }

// start runs a connected fd as a session, on the loop goroutine.
func (b *epollBackend) start(fd int, o owner, hs time.Duration) {
	// libzmq always sets TCP_NODELAY; on a unix socket it fails harmlessly.
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	setKeepAlive(fd, o.options().KeepAlive)
	if !b.grp.add(1) {
		unix.Close(fd) // the engine is closing: a connection that comes now is dropped
		return
	}
	c := &epConn{b: b, l: b.l, fd: fd, o: o, canWrite: true}
	w := connWaker{c}
	c.s = o.session(c, peerAddr(fd), w, w)
	if c.s == nil {
		unix.Close(fd)
		b.grp.done()
		return
	}
	if err := b.l.add(fd, evRead|evWrite, c); err != nil {
		c.end(err)
		return
	}
	if hs > 0 {
		c.hsTimer = b.l.addTimer(hs, func() {
			if !c.closed && !c.s.Ready() {
				c.end(ErrHandshakeTimeout)
			}
		})
	}
	c.canRead = true
	c.service()
}

func (c *epConn) event(ev uint32) {
	if ev&evRead != 0 {
		c.canRead = true
	}
	if ev&evWrite != 0 {
		c.canWrite = true
	}
	c.service()
}

// service does whatever the connection can do now: shutdown requests,
// resuming a held message, reading, writing.
func (c *epConn) service() {
	if c.closed {
		return
	}
	if v := c.shutReq.Load(); v != 0 && !c.closing {
		c.closing = true
		linger := time.Duration(v - 2)
		if linger == 0 || (!c.s.Ready() && !c.awaitHS.Load()) {
			c.end(nil)
			return
		}
		if linger > 0 {
			c.lgTimer = c.l.addTimer(linger, func() { c.end(nil) })
		}
	}
	if c.s.Held() {
		if err := c.s.Resume(); err != nil {
			c.end(err)
			return
		}
	}
	if c.canRead && !c.s.Held() && (!c.closing || !c.s.Ready()) {
		if err := c.readSome(); err != nil {
			c.endFlushing(err)
			return
		}
		if c.canRead && !c.s.Held() {
			c.l.schedule(c) // budget spent: come back after the others
		}
	}
	if c.canWrite {
		if err := c.flush(); err != nil {
			c.end(err)
			return
		}
	}
	if err := c.s.Failed(); err != nil && !c.s.HasOutput() {
		c.end(err) // the ERROR owed to the peer is written
		return
	}
	if c.closing && c.s.Ready() && c.canWrite && !c.s.HasOutput() {
		c.end(nil)
	}
}

func (c *epConn) readSome() error {
	for i := 0; i < readBudget; i++ {
		n, err := readFd(c.fd, c.s.ReadBuf())
		if n > 0 {
			if err := c.s.Advance(n); err != nil {
				return err
			}
			if c.hsTimer != nil && c.s.Ready() {
				c.hsTimer.dead = true
				c.hsTimer = nil
			}
			if c.s.NeedTick() {
				if err := c.heartbeat(); err != nil {
					return err
				}
			}
			if c.s.Held() {
				return nil
			}
			continue
		}
		if n == 0 && err == nil {
			return errEOF
		}
		if err == unix.EAGAIN {
			c.canRead = false
			c.s.Idle()
			return nil
		}
		if err == unix.EINTR {
			continue
		}
		return os.NewSyscallError("read", err)
	}
	return nil
}

var errEOF = errors.New("azmq: connection closed by peer")

func (c *epConn) flush() error {
	for {
		iov := c.s.Output()
		if iov == nil {
			return nil
		}
		n, err := writev(c.fd, iov, &c.l.iovecs)
		if n > 0 {
			c.s.Written(n)
		}
		if err == unix.EAGAIN {
			c.canWrite = false
			return nil
		}
		if err != nil && err != unix.EINTR {
			return os.NewSyscallError("writev", err)
		}
	}
}

// end closes the connection on the loop goroutine and tells its owner.
func (c *epConn) end(err error) {
	if c.closed {
		return
	}
	c.closed = true
	for _, t := range []*timer{c.hsTimer, c.lgTimer, c.hbTimer} {
		if t != nil {
			t.dead = true
		}
	}
	c.l.remove(c.fd)
	unix.Close(c.fd)
	if f := c.s.Failed(); f != nil {
		err = f // the real cause, not how the socket ended after it
	}
	c.s.Close()
	if errors.Is(err, errEOF) {
		err = nil
	}
	c.o.ended(c, err)
	c.b.grp.done()
}

func (c *epConn) shutdown(linger time.Duration, awaitHandshake bool) {
	if linger < 0 {
		linger = -1
	}
	c.awaitHS.Store(awaitHandshake)
	if c.shutReq.CompareAndSwap(0, int64(linger)+2) {
		c.l.schedule(c)
	}
}
