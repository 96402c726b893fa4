package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	rtpprof "runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/azmq/azmq/ring"
)

// stdBackend drives each connection with two goroutines over net.Conn, so
// the Go runtime poller does the waiting: the backend for every OS, and the
// reference the epoll backend is checked against.
type stdBackend struct {
	grp  *goGroup
	ctx  context.Context
	stop context.CancelFunc
}

func newStdBackend(wg *sync.WaitGroup) *stdBackend {
	ctx, cancel := context.WithCancel(context.Background())
	return &stdBackend{grp: &goGroup{wg: wg}, ctx: ctx, stop: cancel}
}

func (b *stdBackend) listen(ep Endpoint, o owner, hs time.Duration) (Endpoint, func() error, error) {
	cleanup := func() {}
	if ep.Transport == "ipc" {
		var err error
		if ep, cleanup, err = claimIPC(ep); err != nil {
			return Endpoint{}, nil, err
		}
	}
	lc := net.ListenConfig{KeepAlive: -1} // libzmq leaves keep-alives to the OS unless asked
	ln, err := lc.Listen(b.ctx, ep.Network(), ep.Addr())
	if err != nil {
		cleanup()
		return Endpoint{}, nil, bindError(err)
	}
	bound := ep
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		bound.Port = a.Port
	}
	if !b.grp.add(1) {
		ln.Close()
		cleanup()
		return Endpoint{}, nil, ErrClosed
	}
	go func() {
		defer b.grp.done()
		for {
			c, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				// Out of fds or similar: back off rather than spin, as
				// libzmq does, and keep the listener.
				o.options().emit(Event{Kind: EventAcceptFailed, Endpoint: bound.String(), Err: err})
				time.Sleep(10 * time.Millisecond)
				continue
			}
			b.run(c, o, hs)
		}
	}()
	return bound, func() error {
		err := ln.Close()
		cleanup()
		return err
	}, nil
}

func (b *stdBackend) dial(ep Endpoint, o owner, hs time.Duration, failed func(error)) {
	if b.ctx.Err() != nil || !b.grp.add(1) {
		return
	}
	go func() {
		defer b.grp.done()
		d := net.Dialer{KeepAlive: -1, Timeout: o.options().ConnectTimeout}
		c, err := d.DialContext(b.ctx, ep.Network(), ep.Addr())
		if err != nil {
			if b.ctx.Err() == nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					err = fmt.Errorf("%w: %w", ErrConnectTimeout, err)
				}
				failed(err)
			}
			return
		}
		b.run(c, o, hs)
	}()
}

func (b *stdBackend) after(d time.Duration, f func()) func() {
	t := time.AfterFunc(d, f)
	return func() { t.Stop() }
}

func (b *stdBackend) cancel() {
	b.grp.close()
	b.stop()
}

func (b *stdBackend) close() {}

// stdConn is one connection: the goroutine that called run reads, a second
// one writes. mu guards the session, which both touch.
type stdConn struct {
	nc      net.Conn
	o       owner
	s       *Session
	mu      sync.Mutex
	gone    bool         // the reader has ended; under mu
	wmu     sync.Mutex   // held by whoever writes: the writer goroutine or an inline sender
	replied atomic.Bool  // a read delivered something since the last inline write
	wake    *ring.Signal // output to write
	room    *ring.Signal // inbound queue has room again
	done    chan struct{}
	closing chan struct{}
	once    sync.Once
	linger  time.Duration
	awaitHS bool        // set before closing is closed
	wv      vecWriter   // used by the writer goroutine only
	rd      rawReader   // used by the reader goroutine only
	hb      *time.Timer // the session's next heartbeat deadline; under mu
	dead    error       // the heartbeat's verdict; under mu
	ended   bool        // the session is closed; under mu

	// The session's read side (its buffers, and ready and cleared below)
	// belongs to whoever holds the read token: the reader goroutine, or
	// an application goroutine in Pump (stdpump.go).
	tok     atomic.Int32
	want    atomic.Bool   // the application receives: a Pump found the token with the reader
	pumps   atomic.Uint32 // Pumps begun, for the reader's lease
	rwait   atomic.Bool   // the reader waits for a Pump to end
	reclaim *ring.Signal  // the token may be back for the reader
	lease   *time.Timer   // the reader's; see tokenLease
	derr    error         // a Pump's failed read, handed to the reader with the token
	ar      rawReader     // a Pump's reads
	ready   bool          // the handshake is done
	cleared bool          // the handshake's read deadline is cleared
}

func (b *stdBackend) run(nc net.Conn, o owner, hs time.Duration) {
	c := &stdConn{nc: nc, o: o, wake: ring.NewSignal(), room: ring.NewSignal(),
		reclaim: ring.NewSignal(), done: make(chan struct{}), closing: make(chan struct{})}
	peer := ""
	if a := nc.RemoteAddr(); a != nil {
		peer = a.String()
	}
	c.s = o.session(c, peer, inlineWaker{c}, c.room)
	if c.s == nil {
		nc.Close()
		return
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		if ka := o.options().KeepAlive; ka.Set {
			tc.SetKeepAliveConfig(keepAliveConfig(ka))
		}
	}
	c.rd.spin = o.options().BusyPoll
	if hs > 0 {
		nc.SetReadDeadline(time.Now().Add(hs))
	}
	labels := rtpprof.WithLabels(context.Background(), o.labels())
	b.grp.grow(2) // run is called on a counted accept or dial goroutine
	go func() {
		defer b.grp.done()
		rtpprof.SetGoroutineLabels(labels)
		c.write()
	}()
	go func() {
		defer b.grp.done()
		rtpprof.SetGoroutineLabels(labels)
		c.read()
	}()
}

func (c *stdConn) read() {
	c.wake.Wake() // the greeting
	err := c.readLoop()
	if p := c.s.Pipe(); p != nil {
		p.ClearPumper(c) // the reader holds the token for good now
	}
	c.mu.Lock()
	if err != nil {
		c.flushHandshakeLocked()
	}
	c.gone = true // nobody takes messages from the pipe for this connection now
	c.mu.Unlock()
	c.closeNC()
	close(c.done)
	c.mu.Lock()
	if f := c.s.Failed(); f != nil {
		err = f // the real cause, not how the socket ended after it
	}
	c.s.Close()
	c.ended = true
	if c.hb != nil {
		c.hb.Stop()
	}
	if c.dead != nil {
		err = c.dead
	}
	c.mu.Unlock()
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		err = nil
	}
	c.o.ended(c, err)
}

func (c *stdConn) readLoop() error {
	for {
		n, err := c.readSome()
		if n > 0 {
			held, aerr := c.advance(n)
			if stop, aerr := c.waitRoom(held, aerr); stop || aerr != nil {
				return aerr
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, errHandedOver):
			if stop, err := c.awaitToken(); stop || err != nil {
				return err
			}
		case errors.Is(err, os.ErrDeadlineExceeded) && c.ready:
			// Only Interrupt sets one after the handshake, meaning a
			// Pump that has ended since.
			c.nc.SetReadDeadline(time.Time{})
		case errors.Is(err, os.ErrDeadlineExceeded):
			return ErrHandshakeTimeout
		default:
			return err
		}
	}
}

// advance decodes n bytes just read; the caller holds the read token.
func (c *stdConn) advance(n int) (held bool, err error) {
	c.mu.Lock()
	err = c.s.Advance(n)
	ctl := c.s.HasControl()
	held = c.s.Held()
	if !c.ready && c.s.Ready() {
		c.ready = true
		ctl = true // the pipe may hold messages already
		c.s.Pipe().SetPumper(c)
	}
	if err == nil && c.s.NeedTick() {
		err = c.heartbeatLocked()
		ctl = ctl || c.s.HasControl()
	}
	c.mu.Unlock()
	if c.ready && !held {
		c.replied.Store(true)
	}
	if c.ready && !c.cleared {
		c.nc.SetReadDeadline(time.Time{}) // the handshake's
		c.cleared = true
	}
	if ctl {
		c.wake.Wake()
	}
	return held, err
}

// resume goes on decoding after the inbound queue had no room.
func (c *stdConn) resume() (held bool, err error) {
	c.mu.Lock()
	err = c.s.Resume()
	held = c.s.Held()
	c.mu.Unlock()
	return held, err
}

// waitRoom waits, while decoding is held for want of room in the inbound
// queue, for the room, and decodes on; stop reports that the connection is
// closing and the reader should read no more.
func (c *stdConn) waitRoom(held bool, err error) (stop bool, _ error) {
	for held && err == nil {
		select {
		case <-c.room.C():
		case <-c.closing:
			return true, nil
		}
		held, err = c.resume()
	}
	return false, err
}

func (c *stdConn) write() {
	closing := c.closing // nil once seen, so the select below cannot spin on it
	for {
		c.wmu.Lock()
		c.mu.Lock()
		if c.gone {
			c.mu.Unlock()
			c.wmu.Unlock()
			return
		}
		iov := c.s.Output()
		ready, more := c.s.Ready(), c.s.HasOutput()
		failed := c.s.Failed() != nil
		c.mu.Unlock()
		if iov == nil && failed {
			c.closeNC() // the ERROR owed to the peer is written
			return
		}
		if iov == nil {
			c.wmu.Unlock()
			if closing == nil {
				// Closing: done once the pipe is flushed, or at once when
				// there is nothing to wait for.
				if c.linger == 0 || (ready && !more) || (!ready && !c.awaitHS) {
					c.closeNC()
					return
				}
				if ready && more {
					continue
				}
			}
			select {
			case <-c.wake.C():
			case <-closing:
				closing = nil
			case <-c.done:
				return
			}
			continue
		}
		n, err := c.writeOut(iov)
		c.mu.Lock()
		c.s.Written(int(n))
		c.mu.Unlock()
		c.wmu.Unlock()
		if err != nil {
			c.closeNC()
			return
		}
	}
}

// inlineWaker is the pipe's "messages to send" Waker. It fires in the
// sending goroutine, on the queue's empty to non-empty transition.
type inlineWaker struct{ c *stdConn }

// Wake writes inline when the connection has just delivered a message and
// no write is under way: a request being answered or a reply being awaited,
// where waking the writer goroutine would put a hand-off (and often an OS
// thread wake-up) on the round trip. A stream of sends with nothing coming
// back goes to the writer goroutine, which batches it into few writevs.
func (w inlineWaker) Wake() {
	c := w.c
	if !c.replied.Load() || !c.wmu.TryLock() {
		c.wake.Wake()
		return
	}
	if !c.mu.TryLock() {
		// Our own reader (or one that holds this lock while it wakes us)
		// is in the session: never wait for it here.
		c.wmu.Unlock()
		c.wake.Wake()
		return
	}
	if c.gone {
		// The pipe outlives a dialer's connection: what it holds waits
		// for the next one.
		c.mu.Unlock()
		c.wmu.Unlock()
		return
	}
	c.replied.Store(false)
	iov := c.s.Output()
	c.mu.Unlock()
	n, blocked, err := 0, false, error(nil)
	if iov != nil {
		n, blocked, err = c.writeNow(iov)
	}
	c.mu.Lock()
	c.s.Written(n)
	more := c.s.HasOutput()
	c.mu.Unlock()
	c.wmu.Unlock()
	if err != nil || blocked || more {
		// The writer goroutine finishes the batch, or meets the error
		// again and closes the connection.
		c.wake.Wake()
	}
}

// closeNC closes the connection, first telling a reader busy polling it to
// stop: the close waits for the reader to leave the socket.
func (c *stdConn) closeNC() {
	c.rd.stop.Store(true)
	c.ar.stop.Store(true)
	c.nc.Close()
}

func (c *stdConn) shutdown(linger time.Duration, awaitHandshake bool) {
	c.once.Do(func() {
		c.linger, c.awaitHS = linger, awaitHandshake
		if linger == 0 {
			c.closeNC()
		} else if linger > 0 {
			// Bounds the flush and a handshake still under way alike.
			time.AfterFunc(linger, func() { c.closeNC() })
		}
		close(c.closing)
	})
}

// heartbeatLocked runs the session's heartbeat clock and sets the timer for
// its next deadline; the caller holds c.mu.
func (c *stdConn) heartbeatLocked() error {
	next, err := c.s.Tick(time.Now())
	if err != nil {
		return err
	}
	switch {
	case next.IsZero():
		if c.hb != nil {
			c.hb.Stop()
		}
	case c.hb == nil:
		c.hb = time.AfterFunc(time.Until(next), c.heartbeatDue)
	default:
		c.hb.Reset(time.Until(next))
	}
	return nil
}

// heartbeatDue is the heartbeat timer firing: a PING to write, or a silent
// peer whose connection is closed (the reader then reports why).
func (c *stdConn) heartbeatDue() {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	err := c.heartbeatLocked()
	if err != nil {
		c.dead = err
	}
	c.mu.Unlock()
	if err != nil {
		c.closeNC()
		return
	}
	c.wake.Wake()
}

// keepAliveConfig maps ka to the net package's form: negative leaves a
// setting to the OS.
func keepAliveConfig(ka KeepAlive) net.KeepAliveConfig {
	cfg := net.KeepAliveConfig{Enable: ka.On, Idle: -1, Interval: -1, Count: -1}
	if ka.Idle > 0 {
		cfg.Idle = time.Duration(keepAliveSecs(ka.Idle)) * time.Second
	}
	if ka.Interval > 0 {
		cfg.Interval = time.Duration(keepAliveSecs(ka.Interval)) * time.Second
	}
	if ka.Count > 0 {
		cfg.Count = ka.Count
	}
	return cfg
}

// flushHandshakeLocked writes, best effort and briefly, what a failed
// handshake still has queued (our READY), unless the writer goroutine is in
// the middle of a batch: a peer we refuse then learns our Socket-Type and
// can stop reconnecting. The caller holds c.mu, which keeps the writer out.
func (c *stdConn) flushHandshakeLocked() {
	if c.s.Ready() || c.s.Writing() {
		return
	}
	iov := c.s.Output()
	if iov == nil {
		return
	}
	c.nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	bufs := net.Buffers(slices.Clone(iov))
	n, _ := bufs.WriteTo(c.nc)
	c.s.Written(int(n))
}
