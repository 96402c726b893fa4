package azmq

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/azmq/azmq/engine"
	"github.com/azmq/azmq/inproc"
)

// Context owns the I/O engine that a group of sockets share. Close it to
// end every socket made from it and wait for their lingering messages.
type Context struct {
	eng     *engine.Engine
	backend Backend
	inproc  *inproc.Registry
	log     *slog.Logger // nil: silent
	zap     zapState     // the ZAP handler: an Authenticator, else a socket at ZAPEndpoint

	mu      sync.Mutex
	sockets map[*Socket]struct{}
	closed  bool
}

// NewContext returns a context. If the requested backend is not available
// on this OS the context uses the portable one (see Backend).
func NewContext(opts ...ContextOption) *Context {
	var o contextOptions
	for _, opt := range opts {
		opt(&o)
	}
	eng, err := engine.New(o.backend)
	backend := o.backend
	if err != nil {
		eng, _ = engine.New(engine.BackendStd)
		backend = engine.BackendStd
	}
	return &Context{eng: eng, backend: backend, inproc: inproc.NewRegistry(), log: o.logger,
		sockets: map[*Socket]struct{}{}}
}

// Backend reports the backend the context runs on.
func (c *Context) Backend() Backend { return c.backend }

// NewSocket returns a socket of type t.
func (c *Context) NewSocket(t Type, opts ...Option) (*Socket, error) {
	s, err := newSocket(c, t, opts)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, fmt.Errorf("azmq: new socket: %w", ErrClosed)
	}
	c.sockets[s] = struct{}{}
	c.mu.Unlock()
	s.logEvent(slog.LevelDebug, "socket opened", "", nil)
	return s, nil
}

func (c *Context) forget(s *Socket) {
	c.mu.Lock()
	delete(c.sockets, s)
	c.mu.Unlock()
}

// Close closes every socket still open and waits until their queued
// messages have been sent or their linger has run out, like libzmq's
// zmq_ctx_term. Later calls return ErrClosed.
func (c *Context) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.closed = true
	socks := make([]*Socket, 0, len(c.sockets))
	for s := range c.sockets {
		socks = append(socks, s)
	}
	c.mu.Unlock()
	for _, s := range socks {
		s.Close()
		// A Close already under way in another goroutine must finish
		// with its listeners and dialers before the engine goes.
		<-s.finished
	}
	c.eng.Close()
	return nil
}

var (
	defaultOnce sync.Once
	defaultCtx  *Context
)

// DefaultContext returns the context behind the package-level NewSocket,
// made on first use. It is never closed for you.
func DefaultContext() *Context {
	defaultOnce.Do(func() { defaultCtx = NewContext() })
	return defaultCtx
}

// NewSocket returns a socket of type t on the default context.
func NewSocket(t Type, opts ...Option) (*Socket, error) {
	return DefaultContext().NewSocket(t, opts...)
}
