//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package engine

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/azmq/azmq/frame"
	"github.com/azmq/azmq/ring"
	"golang.org/x/sys/unix"
)

// fakePoller is a poller the test drives: it reports exactly the events
// fired at it. Its file is a pipe holding one byte while something is
// pending, so the loop parks in the runtime poller as it does on epoll or
// kqueue, and wakes for its timers through the pipe's read deadline.
type fakePoller struct {
	f      *os.File
	rfd    int
	wfd    int
	mu     sync.Mutex
	fds    map[int]uint32 // registered interest
	queue  []pollEvent
	marked bool // the pipe holds its byte
	waits  int
	closed bool
}

func newFakePoller(t testing.TB) *fakePoller {
	t.Helper()
	var fds [2]int
	if err := unix.Pipe(fds[:]); err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	}
	return &fakePoller{f: os.NewFile(uintptr(fds[0]), "fake-poller"), rfd: fds[0], wfd: fds[1], fds: map[int]uint32{}}
}

func (p *fakePoller) add(fd int, interest uint32) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.fds[fd]; ok {
		return errors.New("fake poller: fd added twice")
	}
	p.fds[fd] = interest
	return nil
}

func (p *fakePoller) remove(fd int) {
	p.mu.Lock()
	delete(p.fds, fd)
	p.mu.Unlock()
}

func (p *fakePoller) wait(evs []pollEvent) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.waits++
	n := copy(evs, p.queue)
	p.queue = p.queue[n:]
	if len(p.queue) == 0 && p.marked {
		var b [1]byte
		unix.Read(p.rfd, b[:])
		p.marked = false
	}
	return n, nil
}

// markLocked makes the file readable; the caller holds p.mu.
func (p *fakePoller) markLocked() {
	if !p.marked {
		p.marked = true
		unix.Write(p.wfd, []byte{1})
	}
}

func (p *fakePoller) wake() {
	p.mu.Lock()
	p.markLocked()
	p.mu.Unlock()
}

// fire queues events for the loop's next wait.
func (p *fakePoller) fire(evs ...pollEvent) {
	p.mu.Lock()
	p.queue = append(p.queue, evs...)
	p.markLocked()
	p.mu.Unlock()
}

// registered returns the fds with their interest.
func (p *fakePoller) registered() map[int]uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := make(map[int]uint32, len(p.fds))
	for fd, in := range p.fds {
		m[fd] = in
	}
	return m
}

func (p *fakePoller) waitCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waits
}

func (p *fakePoller) file() *os.File { return p.f }

func (p *fakePoller) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.f.Close()
	unix.Close(p.wfd)
}

// startLoop runs a loop on p until the test ends.
func startLoop(t *testing.T, p poller) *loop {
	t.Helper()
	l, err := newLoop(p)
	if err != nil {
		t.Fatal(err)
	}
	go l.run()
	t.Cleanup(l.stop)
	return l
}

// recv takes one value from c within a generous deadline.
func recv[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// TestLoopTimers: timers fire in deadline order, ties in the order they were
// added, dead ones never, and the loop wakes for them with no poller event.
func TestLoopTimers(t *testing.T) {
	p := newFakePoller(t)
	l := startLoop(t, p)
	fired := make(chan int, 8)
	l.post(func() {
		l.addTimer(150*time.Millisecond, func() { fired <- 4 })
		l.addTimer(50*time.Millisecond, func() { fired <- 1 })
		l.addTimer(10*time.Millisecond, func() { fired <- -1 }).dead = true
		l.addTimer(100*time.Millisecond, func() { fired <- 2 })
		l.addTimer(100*time.Millisecond, func() { fired <- 3 })
	})
	var got []int
	for range 4 {
		got = append(got, recv(t, fired, "a timer"))
	}
	if want := []int{1, 2, 3, 4}; !slices.Equal(got, want) {
		t.Fatalf("timers fired as %v, want %v", got, want)
	}
	// A spinning loop would have polled hundreds of thousands of times.
	if n := p.waitCount(); n > 1000 {
		t.Fatalf("the loop polled %d times in 150 ms: it does not park", n)
	}
}

// TestLoopPostSerialises: posts from many goroutines all run, one at a time
// (the race detector checks the unguarded counter), however the wakes
// coalesce.
func TestLoopPostSerialises(t *testing.T) {
	l := startLoop(t, newFakePoller(t))
	const workers, each = 8, 500
	count := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				l.post(func() { count++ })
			}
		}()
	}
	wg.Wait()
	done := make(chan int, 1)
	l.post(func() { done <- count })
	if n := recv(t, done, "the last post"); n != workers*each {
		t.Fatalf("%d posts ran, want %d", n, workers*each)
	}
}

// recHandler records the events the loop hands it.
type recHandler chan uint32

func (h recHandler) event(ev uint32) { h <- ev }

// TestLoopDispatch: events go to the handler of their fd, split read and
// write reports of one fd (kqueue's form) arrive as two, and events for an
// fd nobody registered, or that was removed, are dropped.
func TestLoopDispatch(t *testing.T) {
	p := newFakePoller(t)
	l := startLoop(t, p)
	a, b := make(recHandler, 8), make(recHandler, 8)
	errc := make(chan error, 2)
	l.post(func() {
		errc <- l.add(1001, evRead|evWrite, a)
		errc <- l.add(1002, evWrite, b)
	})
	for range 2 {
		if err := recv(t, errc, "add"); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.registered(); got[1001] != evRead|evWrite || got[1002] != evWrite {
		t.Fatalf("registered interest %v", got)
	}
	p.fire(pollEvent{1001, evRead}, pollEvent{1003, evRead}, pollEvent{1001, evWrite}, pollEvent{1002, evRead | evWrite})
	if ev := recv(t, a, "1001's read"); ev != evRead {
		t.Fatalf("1001 got %b first", ev)
	}
	if ev := recv(t, a, "1001's write"); ev != evWrite {
		t.Fatalf("1001 got %b second", ev)
	}
	if ev := recv(t, b, "1002's event"); ev != evRead|evWrite {
		t.Fatalf("1002 got %b", ev)
	}
	removed := make(chan struct{})
	l.post(func() { l.remove(1001); close(removed) })
	recv(t, removed, "the removal")
	p.fire(pollEvent{1001, evRead}, pollEvent{1002, evWrite})
	if ev := recv(t, b, "1002's second event"); ev != evWrite {
		t.Fatalf("1002 got %b", ev)
	}
	if len(a) != 0 {
		t.Fatalf("removed fd 1001 still got %b", <-a)
	}
	if _, ok := p.registered()[1001]; ok {
		t.Fatal("fd 1001 still registered with the poller")
	}
}

// TestLoopStopClosesPoller: stop ends the loop and releases the poller.
func TestLoopStopClosesPoller(t *testing.T) {
	p := newFakePoller(t)
	l, err := newLoop(p)
	if err != nil {
		t.Fatal(err)
	}
	go l.run()
	l.stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		t.Fatal("poller not closed")
	}
}

// TestLoopRefusesUnpollableFile: a poller whose file the runtime poller did
// not take would leave the loop unable to park; newLoop says so.
func TestLoopRefusesUnpollableFile(t *testing.T) {
	var fds [2]int
	if err := unix.Pipe(fds[:]); err != nil { // blocking: os.NewFile leaves it out of the runtime poller
		t.Fatal(err)
	}
	p := &fakePoller{f: os.NewFile(uintptr(fds[0]), "blocking"), rfd: fds[0], wfd: fds[1], fds: map[int]uint32{}}
	if _, err := newLoop(p); err == nil {
		t.Fatal("newLoop accepted a file outside the runtime poller")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		t.Fatal("poller not closed after the refusal")
	}
}

// newEngineOn returns an engine whose loop runs on p, closed (and checked
// for leftover goroutines) when the test ends.
func newEngineOn(t *testing.T, p poller) *Engine {
	t.Helper()
	e := &Engine{}
	be, err := newLoopBackend(&e.wg, p)
	if err != nil {
		t.Fatal(err)
	}
	e.be = be
	t.Cleanup(func() { closeEngine(t, e) })
	return e
}

// TestLoopConnFollowsEdges drives a real connection with events fired by
// hand: it accepts only on a read event, reads only on one, and once a write
// hits EAGAIN it writes again only on a write event. That is the whole
// contract an edge-triggered poller (epoll with EPOLLET, kqueue with
// EV_CLEAR) gives the connection code.
func TestLoopConnFollowsEdges(t *testing.T) {
	p := newFakePoller(t)
	e := newEngineOn(t, p)
	lh := newFakeHost()
	l, err := e.Listen("tcp://127.0.0.1:0", testOptions("PUSH"), lh)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(0)
	var lfd int
	for fd, in := range p.registered() {
		if in != evRead {
			t.Fatalf("listener registered with interest %b", in)
		}
		lfd = fd
	}

	peer, err := net.Dial("tcp", l.ep.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	var cfd int
	waitFor(t, "the connection accepted on a read event", func() bool {
		for fd := range p.registered() {
			if fd != lfd {
				cfd = fd
				return true
			}
		}
		p.fire(pollEvent{int32(lfd), evRead})
		time.Sleep(5 * time.Millisecond)
		return false
	})
	if in := p.registered()[cfd]; in != evRead|evWrite {
		t.Fatalf("connection registered with interest %b", in)
	}

	// Our greeting went out at once (a new fd is writable); the peer's is
	// read only on a read event.
	greeting := make([]byte, frame.GreetingSize)
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(peer, greeting); err != nil {
		t.Fatal(err)
	}
	if _, err := peer.Write(append(peerGreeting("NULL", 3, 1), readyCmd("PULL", nil)...)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if a, _ := lh.counts(); a != 0 {
		t.Fatal("the handshake went on without a read event")
	}
	var lp *ring.Pipe
	waitFor(t, "the handshake done on read events", func() bool {
		select {
		case lp = <-lh.attachC:
			return true
		default:
		}
		p.fire(pollEvent{int32(cfd), evRead})
		time.Sleep(5 * time.Millisecond)
		return false
	})
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(peer, hdr); err != nil || hdr[0] != frame.FlagCommand {
		t.Fatalf("READY header % x, %v", hdr, err)
	}
	if _, err := io.ReadFull(peer, make([]byte, hdr[1])); err != nil {
		t.Fatal(err)
	}

	// More than loopback's socket buffers hold, so the writes hit EAGAIN;
	// from then on only write events move the rest.
	const n, size = 400, 64 << 10
	payload := bytes.Repeat([]byte{0xa5}, size)
	for range n {
		var m ring.Msg
		m.Append(payload)
		if err := lp.Out.Push(&m); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond) // let the writes fill the socket buffers before the peer reads
	want := n * (9 + size)             // long frame header + body
	got, stalls := 0, 0
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(30 * time.Second); got < want; {
		if time.Now().After(deadline) {
			t.Fatalf("read %d of %d bytes", got, want)
		}
		peer.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		k, err := peer.Read(buf)
		got += k
		if errors.Is(err, os.ErrDeadlineExceeded) {
			stalls++
			p.fire(pollEvent{int32(cfd), evWrite})
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if got != want {
		t.Fatalf("read %d bytes, want %d", got, want)
	}
	if stalls == 0 {
		t.Fatal("the writes never stalled: the test did not reach EAGAIN")
	}

	// A hang-up is seen on the next read event.
	peer.Close()
	waitFor(t, "the connection ended on a read event", func() bool {
		if lh.wasDetached(lp) {
			return true
		}
		p.fire(pollEvent{int32(cfd), evRead})
		time.Sleep(5 * time.Millisecond)
		return false
	})
	if _, ok := p.registered()[cfd]; ok {
		t.Fatal("the ended connection is still registered")
	}
}

// chaosPoller wraps the OS's poller and garbles what it reports within
// what an edge-triggered poller may do: read and write reported apart (as
// kqueue does), events repeated, reordered, and spurious events for other
// registered fds.
type chaosPoller struct {
	poller
	fds     []int
	rng     *rand.Rand
	scratch []pollEvent
}

func (c *chaosPoller) add(fd int, interest uint32) error {
	if err := c.poller.add(fd, interest); err != nil {
		return err
	}
	c.fds = append(c.fds, fd)
	return nil
}

func (c *chaosPoller) remove(fd int) {
	c.poller.remove(fd)
	c.fds = slices.DeleteFunc(c.fds, func(f int) bool { return f == fd })
}

func (c *chaosPoller) wait(evs []pollEvent) (int, error) {
	// Each real event may become four, plus one spurious: take few enough.
	real := (len(evs) - 1) / 4
	if len(c.scratch) < real {
		c.scratch = make([]pollEvent, real)
	}
	n, err := c.poller.wait(c.scratch[:real])
	if err != nil || n <= 0 {
		return n, err
	}
	out := evs[:0]
	for i := n - 1; i >= 0; i-- {
		e := c.scratch[i]
		for _, bit := range []uint32{evRead, evWrite} {
			if e.ev&bit == 0 {
				continue
			}
			out = append(out, pollEvent{e.fd, bit})
			if c.rng.IntN(4) == 0 {
				out = append(out, pollEvent{e.fd, bit})
			}
		}
	}
	if len(c.fds) > 0 && c.rng.IntN(2) == 0 {
		out = append(out, pollEvent{int32(c.fds[c.rng.IntN(len(c.fds))]), uint32(1 + c.rng.IntN(3))})
	}
	return len(out), nil
}

// TestLoopChaoticEvents runs the exchange of TestBackendExchange over tcp
// and ipc with every event garbled by chaosPoller: the connection code must
// not depend on how the poller groups, orders or repeats its reports.
func TestLoopChaoticEvents(t *testing.T) {
	for _, tr := range []string{"tcp://127.0.0.1:0", "ipc://*"} {
		t.Run(tr[:3], func(t *testing.T) {
			real, err := newPoller()
			if err != nil {
				t.Fatal(err)
			}
			e := newEngineOn(t, &chaosPoller{poller: real, rng: rand.New(rand.NewPCG(1, 2))})
			lh, dh := newFakeHost(), newFakeHost()
			l, err := e.Listen(tr, testOptions("PULL"), lh)
			if err != nil {
				t.Fatal(err)
			}
			d, err := e.Dial(l.Addr(), testOptions("PUSH"), dh)
			if err != nil {
				t.Fatal(err)
			}
			dp := dh.waitAttach(t, time.Second)
			lp := lh.waitAttach(t, 5*time.Second)
			const n = 5000
			errc := make(chan error, 1)
			go func() { errc <- sendN(dp, 0, n, 20*time.Second) }()
			if err := recvN(lp, 0, n, 20*time.Second); err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			d.Close(0)
			l.Close(0)
			waitFor(t, "pipes detached", func() bool { return lh.wasDetached(lp) && dh.wasDetached(dp) })
		})
	}
}
