package azmq

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Proxy forwards messages between frontend and backend in both directions
// until ctx ends or a socket is closed, like libzmq's zmq_proxy: typically
// ROUTER/DEALER (a broker), XSUB/XPUB (a pub-sub forwarder, subscriptions
// flowing back) or PULL/PUSH (a streamer, one way). Multipart messages pass
// whole and without copying: each received Msg is handed on as it is. If
// capture is not nil it is sent every forwarded message too, sharing the
// frames' buffers; like libzmq's, a capture socket that blocks holds the
// proxy up.
//
// It returns the error that stopped it: one wrapping ctx.Err() when ctx
// ended, ErrClosed when a socket was closed.
func Proxy(ctx context.Context, frontend, backend, capture *Socket) error {
	return NewSteerableProxy(frontend, backend, capture).Run(ctx)
}

// ProxyCount counts what a proxy moved through one socket in one
// direction: whole messages (libzmq's STATISTICS counts frames) and their
// payload bytes.
type ProxyCount struct {
	Msgs, Bytes uint64
}

// ProxyStats are the eight counters of libzmq's zmq_proxy_steerable
// STATISTICS: what came in from and went out to each side.
type ProxyStats struct {
	FrontendIn, FrontendOut ProxyCount
	BackendIn, BackendOut   ProxyCount
}

// proxyCounter is a ProxyCount updated by one forwarding goroutine and read
// by Stats.
type proxyCounter struct{ msgs, bytes atomic.Uint64 }

func (c *proxyCounter) add(size int) {
	c.msgs.Add(1)
	c.bytes.Add(uint64(size))
}

func (c *proxyCounter) load() ProxyCount {
	return ProxyCount{Msgs: c.msgs.Load(), Bytes: c.bytes.Load()}
}

// SteerableProxy is a Proxy that can be paused, resumed, terminated and
// asked for statistics while it runs, from any goroutine (libzmq's
// zmq_proxy_steerable, as Go methods rather than a control socket).
type SteerableProxy struct {
	frontend, backend, capture *Socket

	paused   atomic.Pointer[chan struct{}] // closed by Resume; nil while running
	pauseMu  sync.Mutex                    // orders Pause and Resume
	term     chan struct{}
	termOnce sync.Once

	frontIn, frontOut, backIn, backOut proxyCounter
}

// NewSteerableProxy returns a proxy between frontend and backend (capture
// may be nil); Run starts it.
func NewSteerableProxy(frontend, backend, capture *Socket) *SteerableProxy {
	return &SteerableProxy{frontend: frontend, backend: backend, capture: capture, term: make(chan struct{})}
}

// Pause stops forwarding: messages wait in the sockets' queues, and a
// message already received waits in the proxy, until Resume.
func (p *SteerableProxy) Pause() {
	p.pauseMu.Lock()
	if p.paused.Load() == nil {
		ch := make(chan struct{})
		p.paused.Store(&ch)
	}
	p.pauseMu.Unlock()
}

// Resume forwards again after Pause.
func (p *SteerableProxy) Resume() {
	p.pauseMu.Lock()
	if ch := p.paused.Load(); ch != nil {
		p.paused.Store(nil)
		close(*ch)
	}
	p.pauseMu.Unlock()
}

// Terminate makes Run return nil; a message received and not yet sent is
// dropped. Calling it before Run makes Run return at once.
func (p *SteerableProxy) Terminate() { p.termOnce.Do(func() { close(p.term) }) }

// Stats returns the counters so far.
func (p *SteerableProxy) Stats() ProxyStats {
	return ProxyStats{
		FrontendIn: p.frontIn.load(), FrontendOut: p.frontOut.load(),
		BackendIn: p.backIn.load(), BackendOut: p.backOut.load(),
	}
}

// errTerminated ends the forwarding goroutines after Terminate.
var errTerminated = errors.New("azmq: proxy terminated")

// Run forwards until ctx ends, a socket is closed or Terminate is called
// (then it returns nil). It returns once both forwarding goroutines have
// ended, so none outlives it. A side that cannot receive (PUSH, PUB) only
// takes what the other side sends.
func (p *SteerableProxy) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-p.term:
			cancel(errTerminated)
		case <-ctx.Done():
		}
	}()
	errc := make(chan error, 2)
	go func() { errc <- p.pump(ctx, p.frontend, p.backend, &p.frontIn, &p.backOut) }()
	go func() { errc <- p.pump(ctx, p.backend, p.frontend, &p.backIn, &p.frontOut) }()
	var first error
	idle := 0
	for range 2 {
		err := <-errc
		switch {
		case err == nil:
			idle++ // that side cannot receive; the other goes on
		case first == nil:
			first = err
			cancel(err)
		}
	}
	if errors.Is(context.Cause(ctx), errTerminated) {
		return nil
	}
	if first == nil && idle == 2 {
		return fmt.Errorf("azmq: proxy between %v and %v: neither can receive: %w", p.frontend.Type(), p.backend.Type(), ErrNotSupported)
	}
	return first
}

// pump forwards from one socket to the other until an error; nil if from
// cannot receive at all.
func (p *SteerableProxy) pump(ctx context.Context, from, to *Socket, in, out *proxyCounter) error {
	var m, c Msg
	defer m.Release()
	defer c.Release()
	for {
		if err := p.gate(ctx); err != nil {
			return err
		}
		if err := from.RecvMsg(ctx, &m); err != nil {
			if errors.Is(err, ErrNotSupported) {
				return nil
			}
			return err
		}
		// Paused while this goroutine waited in RecvMsg: hold the message.
		if err := p.gate(ctx); err != nil {
			return err
		}
		size := m.Size()
		in.add(size)
		if p.capture != nil {
			m.Clone(&c)
			if err := p.capture.SendMsg(ctx, &c); err != nil {
				return fmt.Errorf("azmq: proxy capture: %w", err)
			}
		}
		if err := to.SendMsg(ctx, &m); err != nil {
			return err
		}
		out.add(size)
	}
}

// gate waits while the proxy is paused.
func (p *SteerableProxy) gate(ctx context.Context) error {
	ch := p.paused.Load()
	if ch == nil {
		return nil
	}
	select {
	case <-*ch:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
