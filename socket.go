package azmq

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/azmq/azmq/crypto"
	"github.com/azmq/azmq/engine"
	"github.com/azmq/azmq/inproc"
	"github.com/azmq/azmq/ring"
	"github.com/azmq/azmq/sock"
)

// Socket is a ZeroMQ socket. It is safe for concurrent use: one goroutine
// may Recv while others Send.
type Socket struct {
	ctx  *Context
	typ  Type
	opts options
	eo   engine.Options
	pat  sock.Socket
	host pipeHost    // what the transports attach pipes to
	side inproc.Side // this socket as an inproc peer

	counters counters
	mons     monitors

	mu        sync.Mutex
	listeners map[string]*engine.Listener
	dialers   map[string]*engine.Dialer
	inBound   map[string]bool // inproc names bound
	inConn    map[string]bool // inproc names connected
	last      string
	closed    bool
	done      chan struct{} // closed by Close, for the goroutines of Chan
	finished  chan struct{} // closed when Close has closed everything
}

func newSocket(c *Context, t Type, opts []Option) (*Socket, error) {
	o := defaultOptions(t)
	for _, opt := range opts {
		opt(&o)
	}
	if len(o.routingID) > 255 {
		return nil, fmt.Errorf("azmq: routing id of %d bytes, at most 255", len(o.routingID))
	}
	if o.sec.err != nil {
		return nil, o.sec.err
	}
	s := &Socket{ctx: c, typ: t, opts: o,
		listeners: map[string]*engine.Listener{}, dialers: map[string]*engine.Dialer{},
		inBound: map[string]bool{}, inConn: map[string]bool{}, done: make(chan struct{}),
		finished: make(chan struct{})}
	pat, err := sock.New(t, sock.Options{
		RouterMandatory: o.routerMandatory,
		Counters:        &s.counters.pattern,
		XPubVerbose:     o.xpubVerbose,
		XPubVerboser:    o.xpubVerboser,
		XPubManual:      o.xpubManual,
		XPubWelcome:     o.xpubWelcome,
		InvertMatching:  o.invertMatching,
		ReqCorrelate:    o.reqCorrelate,
		ReqRelaxed:      o.reqRelaxed,
		RouterHandover:  o.routerHandover,
		ProbeRouter:     o.probeRouter,
	})
	if err != nil {
		return nil, err
	}
	s.pat = pat
	s.host = pipeHost{pat: pat, pipes: map[*ring.Pipe]struct{}{}}
	s.side = inproc.Side{Host: &s.host, SocketType: t.String(), RoutingID: o.routingID,
		SendHWM: o.sendHWM, RecvHWM: o.recvHWM, Eager: t != Router && !o.immediate, Conflate: conflates(t, o)}
	cfg := crypto.Config{SocketType: t.String(), Identity: o.routingID}
	s.eo = engine.Options{
		SendHWM:          o.sendHWM,
		RecvHWM:          o.recvHWM,
		MaxMsgSize:       o.maxMsgSize,
		HandshakeTimeout: o.handshakeTimeout,
		ReconnectIvl:     o.reconnectIvl,
		ReconnectIvlMax:  o.reconnectIvlMax,
		EagerPipe:        t != Router,
		Conflate:         conflates(t, o),
		Counters:         &s.counters.conns,
		Label:            fmt.Sprintf("%v#%d", t, socketSeq.Add(1)),
		HeartbeatIvl:     o.heartbeatIvl,
		HeartbeatTTL:     o.heartbeatTTL,
		HeartbeatTimeout: o.heartbeatTimeout,
		Immediate:        o.immediate,
		BusyPoll:         o.busyPoll,
		KeepAlive:        o.keepAlive,
		ConnectTimeout:   o.connectTimeout,
		ReconnectStop:    o.reconnectStop,
		Events:           s.eventSink(),
	}
	s.eo.NewMechanism = s.newMechanism(cfg)
	if o.reconnectIvl == 0 {
		s.eo.ReconnectIvl = -1 // libzmq: an interval of 0 means no reconnection
	}
	return s, nil
}

// conflates reports whether WithConflate takes effect on type t: libzmq
// applies it to these types only (get_effective_conflate_option).
func conflates(t Type, o options) bool {
	switch t {
	case Push, Pull, Pub, Sub, Dealer:
		return o.conflate
	}
	return false
}

// Type returns the socket's type.
func (s *Socket) Type() Type { return s.typ }

// RoutingID returns the routing id the socket announces to its peers
// (WithRoutingID; ZMQ_ROUTING_ID), a copy, or nil if it has none.
func (s *Socket) RoutingID() []byte {
	if len(s.opts.routingID) == 0 {
		return nil
	}
	return append([]byte(nil), s.opts.routingID...)
}

// Bind accepts connections on endpoint, such as "tcp://127.0.0.1:5555",
// "tcp://*:0" (any interface, an ephemeral port) or "tcp://[::1]:*".
func (s *Socket) Bind(endpoint string) error {
	bound, err := s.bind(endpoint)
	s.logResult("bind", bound, err)
	return err
}

// bind returns the endpoint as bound, with a wildcard port resolved.
func (s *Socket) bind(endpoint string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return endpoint, fmt.Errorf("azmq: bind %s: %w", endpoint, ErrClosed)
	}
	if name, ok, err := inprocName(endpoint); ok || err != nil {
		if err != nil {
			return endpoint, err
		}
		if err := s.ctx.inproc.Bind(name, &s.side); err != nil {
			return endpoint, err
		}
		s.inBound[name] = true
		s.last = endpoint
		return endpoint, nil
	}
	l, err := s.ctx.eng.Listen(endpoint, &s.eo, &s.host)
	if err != nil {
		return endpoint, err
	}
	s.listeners[l.Addr()] = l
	if l.Addr() != endpoint {
		s.listeners[endpoint] = l
	}
	s.last = l.Addr()
	return s.last, nil
}

// Connect starts connecting to endpoint in the background and returns at
// once; the socket reconnects after a failure or a lost connection, as
// libzmq does. Messages sent meanwhile are queued for the peer.
func (s *Socket) Connect(endpoint string) error {
	err := s.connect(endpoint)
	s.logResult("connect", endpoint, err)
	return err
}

func (s *Socket) connect(endpoint string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("azmq: connect %s: %w", endpoint, ErrClosed)
	}
	if name, ok, err := inprocName(endpoint); ok || err != nil {
		if err != nil {
			return err
		}
		if s.inConn[name] {
			return nil
		}
		if err := s.ctx.inproc.Connect(name, &s.side); err != nil {
			return err
		}
		s.inConn[name] = true
		s.last = endpoint
		return nil
	}
	if _, ok := s.dialers[endpoint]; ok {
		return nil
	}
	d, err := s.ctx.eng.Dial(endpoint, &s.eo, &s.host)
	if err != nil {
		return fmt.Errorf("azmq: connect %s: %w", endpoint, err)
	}
	s.dialers[endpoint] = d
	s.last = endpoint
	return nil
}

// Unbind stops accepting on an endpoint given to Bind (or the address Addr
// reported for it) and closes the connections it accepted.
func (s *Socket) Unbind(endpoint string) error {
	err := s.unbind(endpoint)
	s.logResult("unbind", endpoint, err)
	return err
}

func (s *Socket) unbind(endpoint string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("azmq: unbind %s: %w", endpoint, ErrClosed)
	}
	if name, ok, _ := inprocName(endpoint); ok && s.inBound[name] {
		delete(s.inBound, name)
		s.mu.Unlock()
		return s.ctx.inproc.Unbind(name, &s.side)
	}
	l, ok := s.listeners[endpoint]
	if ok {
		for k, v := range s.listeners {
			if v == l {
				delete(s.listeners, k)
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("azmq: unbind %s: %w: not bound", endpoint, ErrInvalidEndpoint)
	}
	l.Close(s.opts.linger)
	return nil
}

// Disconnect stops connecting to an endpoint given to Connect and closes
// its connection.
func (s *Socket) Disconnect(endpoint string) error {
	err := s.disconnect(endpoint)
	s.logResult("disconnect", endpoint, err)
	return err
}

func (s *Socket) disconnect(endpoint string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("azmq: disconnect %s: %w", endpoint, ErrClosed)
	}
	if name, ok, _ := inprocName(endpoint); ok && s.inConn[name] {
		delete(s.inConn, name)
		s.mu.Unlock()
		return s.ctx.inproc.Disconnect(name, &s.side)
	}
	d, ok := s.dialers[endpoint]
	delete(s.dialers, endpoint)
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("azmq: disconnect %s: %w: not connected", endpoint, ErrInvalidEndpoint)
	}
	d.Close(s.opts.linger)
	return nil
}

// Addr returns the last endpoint bound or connected, with a wildcard port
// resolved: "tcp://127.0.0.1:41235" after Bind("tcp://127.0.0.1:*").
func (s *Socket) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Close closes the socket at once; its connections go on sending what is
// queued for at most the linger time, in the background (Context.Close waits
// for them). Blocked calls return ErrClosed.
func (s *Socket) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	close(s.done)
	ls, ds := s.listeners, s.dialers
	ib, ic := s.inBound, s.inConn
	s.listeners, s.dialers, s.inBound, s.inConn = nil, nil, nil, nil
	s.mu.Unlock()
	s.pat.Close()
	for name := range ib {
		s.ctx.inproc.Unbind(name, &s.side)
	}
	for name := range ic {
		s.ctx.inproc.Disconnect(name, &s.side)
	}
	done := map[*engine.Listener]bool{}
	for _, l := range ls {
		if !done[l] {
			done[l] = true
			l.Close(s.opts.linger)
		}
	}
	for _, d := range ds {
		d.Close(s.opts.linger)
	}
	s.mons.close()
	s.ctx.forget(s)
	s.logEvent(slog.LevelDebug, "socket closed", "", nil)
	close(s.finished)
	return nil
}

// socketSeq numbers sockets for their profile labels.
var socketSeq atomic.Uint64

var msgPool = sync.Pool{New: func() any { return new(ring.Msg) }}

// Send sends one message made of frames, copying them: the caller may reuse
// the slices once Send returns. It blocks while libzmq would (no peer, or
// every peer at its high-water mark, for PUSH, DEALER, REQ and PAIR) until ctx
// ends.
func (s *Socket) Send(ctx context.Context, frames ...[]byte) error {
	total := 0
	for _, f := range frames {
		total += len(f)
	}
	m := msgPool.Get().(*ring.Msg)
	defer msgPool.Put(m)
	buf := ring.NewBuffer(total)
	b := buf.Bytes()
	off := 0
	for _, f := range frames {
		n := copy(b[off:], f)
		m.AppendFrame(ring.NewFrame(buf, b[off:off+n:off+n]))
		off += n
	}
	buf.Unref()
	if len(frames) == 0 {
		m.Append(nil)
	}
	err := s.pat.Send(ctx, m)
	m.Release()
	if err == nil {
		s.counters.countOut(total)
	}
	return err
}

// Recv receives the next message, as fresh slices the caller owns.
func (s *Socket) Recv(ctx context.Context) ([][]byte, error) {
	m := msgPool.Get().(*ring.Msg)
	defer msgPool.Put(m)
	if err := s.pat.Recv(ctx, m); err != nil {
		return nil, err
	}
	size := m.Size()
	s.counters.countIn(size)
	b := make([]byte, size)
	out := make([][]byte, m.Len())
	off := 0
	for i := range out {
		n := copy(b[off:], m.Frame(i))
		out[i] = b[off : off+n : off+n]
		off += n
	}
	m.Release()
	return out, nil
}

// SendMsg sends m without copying. On success the socket owns m's frames and
// m is left empty for reuse; on error m is unchanged and still the caller's.
func (s *Socket) SendMsg(ctx context.Context, m *Msg) error {
	size := m.Size()
	if err := s.pat.Send(ctx, m); err != nil {
		return err
	}
	s.counters.countOut(size)
	return nil
}

// RecvMsg receives the next message into m, releasing what m held. Its
// frames view pooled buffers until m.Release or the next RecvMsg into m.
//
// A receive that waits, on a socket with one connection, reads that
// connection on the caller's goroutine on the default backend (Linux), so
// a request/reply round trip has no hand-off between goroutines: 16 B one
// way over tcp went from 35-43 to 20-25 us on the project's VM. A ctx that
// can end is watched while it reads (context.AfterFunc): once for a ctx
// without a deadline that every receive shares (no allocation per
// receive), per waiting receive for one with a deadline. While the
// application is between such receives nobody reads the connection; after
// a lease without one (2 ms, growing to 32 ms while receives go on), the
// connection's own reader takes it back, and a receive that waits for the
// reader (the socket has several connections) gives it back at once.
func (s *Socket) RecvMsg(ctx context.Context, m *Msg) error {
	if err := s.pat.Recv(ctx, m); err != nil {
		return err
	}
	s.counters.countIn(m.Size())
	return nil
}

// inprocName splits "inproc://name"; ok is false for other transports.
func inprocName(endpoint string) (name string, ok bool, err error) {
	name, ok = strings.CutPrefix(endpoint, "inproc://")
	if ok && name == "" {
		return "", true, fmt.Errorf("%w %q: empty inproc name", ErrInvalidEndpoint, endpoint)
	}
	return name, ok, nil
}

// Subscribe adds a prefix filter: a SUB receives the messages whose first
// frame starts with one of its prefixes (the empty prefix matches all).
// Subscriptions are counted, as in libzmq: each Subscribe needs its own
// Unsubscribe. On an XSUB it sends a subscription upstream; on an XPUB with
// WithXPubManual it applies one to the peer that asked last.
func (s *Socket) Subscribe(prefix []byte) error {
	sub, ok := s.pat.(sock.Subscriber)
	if !ok {
		return fmt.Errorf("azmq: subscribe on %v: %w", s.typ, ErrNotSupported)
	}
	return sub.Subscribe(prefix)
}

// Unsubscribe removes one Subscribe of prefix.
func (s *Socket) Unsubscribe(prefix []byte) error {
	sub, ok := s.pat.(sock.Subscriber)
	if !ok {
		return fmt.Errorf("azmq: unsubscribe on %v: %w", s.typ, ErrNotSupported)
	}
	return sub.Unsubscribe(prefix)
}
