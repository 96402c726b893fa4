package engine

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	rtpprof "runtime/pprof"
	"sync"
	"time"

	"github.com/azmq/azmq/ring"
)

// stdBackend drives each connection with two goroutines over net.Conn, so
// the Go runtime poller does the waiting: the backend for every OS, and the
// reference the epoll backend is checked against.
type stdBackend struct {
	wg   *sync.WaitGroup
	ctx  context.Context
	stop context.CancelFunc
}

func newStdBackend(wg *sync.WaitGroup) *stdBackend {
	ctx, cancel := context.WithCancel(context.Background())
	return &stdBackend{wg: wg, ctx: ctx, stop: cancel}
}

func (b *stdBackend) listen(ep Endpoint, o owner, hs time.Duration) (Endpoint, func(), error) {
	cleanup := func() {}
	if ep.Transport == "ipc" {
		var err error
		if ep, cleanup, err = claimIPC(ep); err != nil {
			return Endpoint{}, nil, err
		}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(b.ctx, ep.Network(), ep.Addr())
	if err != nil {
		cleanup()
		return Endpoint{}, nil, bindError(err)
	}
	bound := ep
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		bound.Port = a.Port
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				// Out of fds or similar: back off rather than spin, as
				// libzmq does, and keep the listener.
				time.Sleep(10 * time.Millisecond)
				continue
			}
			b.run(c, o, hs)
		}
	}()
	return bound, func() {
		ln.Close()
		cleanup()
	}, nil
}

func (b *stdBackend) dial(ep Endpoint, o owner, hs time.Duration, failed func(error)) {
	if b.ctx.Err() != nil {
		return
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		var d net.Dialer
		c, err := d.DialContext(b.ctx, ep.Network(), ep.Addr())
		if err != nil {
			if b.ctx.Err() == nil {
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

func (b *stdBackend) cancel() { b.stop() }

func (b *stdBackend) close() {}

// stdConn is one connection: the goroutine that called run reads, a second
// one writes. mu guards the session, which both touch.
type stdConn struct {
	nc      net.Conn
	o       owner
	s       *Session
	mu      sync.Mutex
	wake    *ring.Signal // output to write
	room    *ring.Signal // inbound queue has room again
	done    chan struct{}
	closing chan struct{}
	once    sync.Once
	linger  time.Duration
	awaitHS bool      // set before closing is closed
	wv      vecWriter // used by the writer goroutine only
}

func (b *stdBackend) run(nc net.Conn, o owner, hs time.Duration) {
	c := &stdConn{nc: nc, o: o, wake: ring.NewSignal(), room: ring.NewSignal(),
		done: make(chan struct{}), closing: make(chan struct{})}
	peer := ""
	if a := nc.RemoteAddr(); a != nil {
		peer = a.String()
	}
	c.s = o.session(c, peer, c.wake, c.room)
	if c.s == nil {
		nc.Close()
		return
	}
	if hs > 0 {
		nc.SetReadDeadline(time.Now().Add(hs))
	}
	labels := rtpprof.WithLabels(context.Background(), o.labels())
	b.wg.Add(2)
	go func() {
		defer b.wg.Done()
		rtpprof.SetGoroutineLabels(labels)
		c.write()
	}()
	go func() {
		defer b.wg.Done()
		rtpprof.SetGoroutineLabels(labels)
		c.read()
	}()
}

func (c *stdConn) read() {
	c.wake.Wake() // the greeting
	err := c.readLoop()
	c.nc.Close()
	close(c.done)
	c.mu.Lock()
	if f := c.s.Failed(); f != nil {
		err = f // the real cause, not how the socket ended after it
	}
	c.s.Close()
	c.mu.Unlock()
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		err = nil
	}
	c.o.ended(c, err)
}

func (c *stdConn) readLoop() error {
	ready := false
	for {
		n, err := c.nc.Read(c.s.ReadBuf())
		if n > 0 {
			c.mu.Lock()
			aerr := c.s.Advance(n)
			ctl, held := c.s.HasControl(), c.s.Held()
			if !ready && c.s.Ready() {
				ready = true
				ctl = true // the pipe may hold messages already
			}
			c.mu.Unlock()
			if ready && !held {
				c.nc.SetReadDeadline(time.Time{})
			}
			if ctl {
				c.wake.Wake()
			}
			if aerr != nil {
				return aerr
			}
			for held {
				select {
				case <-c.room.C():
				case <-c.closing:
					return nil
				}
				c.mu.Lock()
				aerr = c.s.Resume()
				held = c.s.Held()
				c.mu.Unlock()
				if aerr != nil {
					return aerr
				}
			}
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && !ready {
				return ErrHandshakeTimeout
			}
			return err
		}
	}
}

func (c *stdConn) write() {
	closing := c.closing // nil once seen, so the select below cannot spin on it
	for {
		c.mu.Lock()
		iov := c.s.Output()
		ready, more := c.s.Ready(), c.s.HasOutput()
		failed := c.s.Failed() != nil
		c.mu.Unlock()
		if iov == nil && failed {
			c.nc.Close() // the ERROR owed to the peer is written
			return
		}
		if iov == nil {
			if closing == nil {
				// Closing: done once the pipe is flushed, or at once when
				// there is nothing to wait for.
				if c.linger == 0 || (ready && !more) || (!ready && !c.awaitHS) {
					c.nc.Close()
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
		if err != nil {
			c.nc.Close()
			return
		}
	}
}

func (c *stdConn) shutdown(linger time.Duration, awaitHandshake bool) {
	c.once.Do(func() {
		c.linger, c.awaitHS = linger, awaitHandshake
		if linger == 0 {
			c.nc.Close()
		} else if linger > 0 {
			// Bounds the flush and a handshake still under way alike.
			time.AfterFunc(linger, func() { c.nc.Close() })
		}
		close(c.closing)
	})
}
