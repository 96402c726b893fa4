package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	rtpprof "runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/azmq/azmq/crypto"
	"github.com/azmq/azmq/ring"
)

var (
	// ErrClosed is an operation on a closed engine, listener or dialer.
	ErrClosed = errors.New("azmq: closed")
	// ErrConnectTimeout is a TCP connect that did not complete within
	// Options.ConnectTimeout.
	ErrConnectTimeout = errors.New("azmq: connect timed out")
	// errHandshakeClosed is what a dialer remembers of a connection that
	// ended in its handshake without saying why.
	errHandshakeClosed = errors.New("azmq: connection closed during the handshake")
)

// Backend selects how connections are driven.
type Backend int

const (
	// BackendDefault is the best backend for the OS as measured (see
	// BENCHMARKS.md): the portable one, on Linux too.
	BackendDefault Backend = iota
	// BackendEpoll drives non-blocking fds from loop goroutines through the
	// OS's poller: epoll on Linux, kqueue on macOS and the BSDs.
	BackendEpoll
	// BackendStd uses the Go runtime poller per connection (net.Conn).
	BackendStd
)

// String names the backend.
func (b Backend) String() string {
	switch b {
	case BackendEpoll:
		return pollerName
	case BackendStd:
		return "std"
	}
	return "default"
}

// Host is the socket a listener or dialer attaches its pipes to.
type Host interface {
	// Attach adds a pipe whose handshake succeeded; an error refuses the
	// peer and closes its connection.
	Attach(p *ring.Pipe) error
	// Detach removes a pipe whose peer is gone for good.
	Detach(p *ring.Pipe)
}

// Options are the per-socket settings the engine applies to its connections.
type Options struct {
	// NewMechanism returns a fresh mechanism for each connection; peer is
	// the remote address ("ip:port" for tcp, the path or "" for ipc), which
	// ZAP requests carry.
	NewMechanism     func(peer string) crypto.Mechanism
	SendHWM, RecvHWM int
	MaxMsgSize       int64         // ≤ 0: unlimited
	HandshakeTimeout time.Duration // 0: none
	// ReconnectIvl is the base delay before a dialer retries (plus a random
	// jitter below it, as libzmq); < 0 disables reconnection.
	ReconnectIvl time.Duration
	// ReconnectIvlMax caps the exponential backoff; ≤ ReconnectIvl: none.
	ReconnectIvlMax time.Duration
	// EagerPipe makes a dialer attach its pipe at once, before any
	// connection exists, so sends queue while connecting (libzmq's default).
	// A ROUTER needs the peer's identity first and leaves it false.
	EagerPipe bool
	// Conflate keeps only the newest message in each direction of every
	// pipe (ZMQ_CONFLATE, ring.Queue.SetConflate).
	Conflate bool
	// Counters, if not nil, counts connection events.
	Counters *Counters
	// Label names the socket in profiles: the pprof label azmq.socket on the
	// goroutines that serve its connections (std backend; the epoll
	// backend's work is labelled by loop, azmq.loop).
	Label string
	// HeartbeatIvl, HeartbeatTTL and HeartbeatTimeout are libzmq's
	// ZMQ_HEARTBEAT_IVL, _TTL and _TIMEOUT (see Session.SetHeartbeat); an
	// interval of 0 sends no PINGs.
	HeartbeatIvl, HeartbeatTTL, HeartbeatTimeout time.Duration
	// Immediate (ZMQ_IMMEDIATE) gives a dialer a pipe only once a
	// connection has completed its handshake and takes it away when that
	// connection ends, so nothing queues for a peer that is not there. It
	// overrides EagerPipe.
	Immediate bool
	// BusyPoll is how long a connection's reader keeps reading a dry
	// socket before it parks (std backend on Linux; 0: parks at once).
	BusyPoll time.Duration
	// KeepAlive tunes TCP keep-alives on tcp connections.
	KeepAlive KeepAlive
	// ConnectTimeout bounds a TCP connect (ZMQ_CONNECT_TIMEOUT); 0: the OS's.
	ConnectTimeout time.Duration
	// ReconnectStop lists the failures after which a dialer gives up.
	ReconnectStop ReconnectStop
	// Events, if not nil, hears what happens to listeners, dialers and
	// connections (a socket monitor). It is called from engine goroutines,
	// sometimes under their locks: it must not block or call the engine.
	Events func(Event)
}

// KeepAlive is ZMQ_TCP_KEEPALIVE with its _IDLE, _INTVL and _CNT tunables.
// The zero value leaves every setting to the OS, as libzmq's default -1.
type KeepAlive struct {
	Set, On        bool          // Set: turn SO_KEEPALIVE on or off as On says
	Idle, Interval time.Duration // ≤ 0: the OS's; whole seconds, at least one
	Count          int           // ≤ 0: the OS's
}

// ReconnectStop is a set of failures after which a dialer stops
// reconnecting (ZMQ_RECONNECT_STOP); a protocol error stops it anyway.
type ReconnectStop uint8

// ReconnectStop flags, with libzmq's values.
const (
	ReconnectStopConnRefused     ReconnectStop = 1 << iota // the connect was refused (ECONNREFUSED)
	ReconnectStopHandshakeFailed                           // a connection ended before its handshake completed (closed, timed out)
	ReconnectStopAfterDisconnect                           // a connection that had completed its handshake ended
)

// newSession starts the session of a connection from peer.
func (o *Options) newSession(peer string, ready ReadyFunc, out, room ring.Waker) *Session {
	s := NewSession(o.NewMechanism(peer), o.MaxMsgSize, ready, out, room)
	s.SetHeartbeat(o.HeartbeatIvl, o.HeartbeatTTL, o.HeartbeatTimeout)
	return s
}

// eventID copies a peer's identity for events, only if someone listens.
func (o *Options) eventID(id []byte) []byte {
	if o.Events == nil {
		return nil
	}
	return append([]byte{}, id...)
}

func (o *Options) labels() rtpprof.LabelSet { return rtpprof.Labels("azmq.socket", o.Label) }

func (l *Listener) labels() rtpprof.LabelSet { return l.opts.labels() }

func (d *Dialer) labels() rtpprof.LabelSet { return d.opts.labels() }

// Failure reasons a handshake is counted under.
const (
	FailProtocol   = iota // malformed or unexpected bytes, wrong mechanism
	FailSocketType        // incompatible Socket-Type
	FailRefused           // the peer sent ERROR
	FailTimeout           // not finished within the handshake timeout
	FailClosed            // the peer closed, or an I/O error
	FailAuth              // we refused the peer's credentials (ZAP, CURVE keys)
	numFailures
)

// Counters are a socket's always-on connection statistics: atomics only.
type Counters struct {
	Accepted    atomic.Uint64 // connections accepted by listeners
	Connected   atomic.Uint64 // connections a dialer established
	Reconnects  atomic.Uint64 // reconnection attempts scheduled
	Disconnects atomic.Uint64 // connections lost after their handshake
	// HandshakeFailed counts connections that ended before their handshake
	// completed, by reason (Fail*).
	HandshakeFailed [numFailures]atomic.Uint64
}

// ended counts the end of a connection; c may be nil.
func (c *Counters) ended(ready bool, err error) {
	if c == nil {
		return
	}
	if ready {
		c.Disconnects.Add(1)
		return
	}
	reason := FailClosed
	switch {
	case errors.Is(err, crypto.ErrSocketType):
		reason = FailSocketType
	case errors.Is(err, crypto.ErrRefused):
		reason = FailRefused
	case errors.Is(err, crypto.ErrAuth):
		reason = FailAuth
	case errors.Is(err, ErrHandshakeTimeout):
		reason = FailTimeout
	case errors.Is(err, ErrProtocol), errors.Is(err, crypto.ErrHandshake), errors.Is(err, ErrMsgSize):
		reason = FailProtocol
	}
	c.HandshakeFailed[reason].Add(1)
}

// conn is a connection as its owner sees it, whatever backend runs it.
type conn interface {
	// shutdown flushes what the pipe still holds for at most linger (< 0:
	// without limit, 0: not at all), then closes the connection. With
	// awaitHandshake a connection still in its handshake finishes it first,
	// so that a dialer's queued messages are not lost.
	shutdown(linger time.Duration, awaitHandshake bool)
}

// owner is a Listener or Dialer: it gives each of its connections a session
// and hears when one ends.
type owner interface {
	// session returns the session for a new connection from the remote
	// address peer, or nil if the owner is closed and the connection must be
	// dropped.
	session(c conn, peer string, out, room ring.Waker) *Session
	// ended reports that c is closed; err says why (nil: we closed it).
	ended(c conn, err error)
	// labels are the pprof labels of goroutines working for this owner.
	labels() rtpprof.LabelSet
	// options are the settings of the owner's connections.
	options() *Options
}

// backend is what the two I/O implementations provide.
type backend interface {
	// listen starts accepting on ep; it returns the bound endpoint and a
	// function that stops accepting and reports closing the socket.
	listen(ep Endpoint, o owner, hs time.Duration) (Endpoint, func() error, error)
	// dial starts one connection attempt; failed is called if it fails
	// before a session starts.
	dial(ep Endpoint, o owner, hs time.Duration, failed func(error))
	// after runs f once after d unless stop is called first.
	after(d time.Duration, f func()) (stop func())
	// cancel aborts pending connection attempts and refuses new ones;
	// running connections go on until they end.
	cancel()
	// close frees the backend once every connection has ended.
	close()
}

// goGroup counts what a backend runs (goroutines, connections) in the
// engine's WaitGroup and refuses more once the engine has begun to close:
// a WaitGroup must not grow from zero while Close waits on it, and a
// dialer's retry timer may fire at that moment.
type goGroup struct {
	wg     *sync.WaitGroup
	mu     sync.Mutex
	closed bool
}

// add counts n more, or reports false once the group is closed.
func (g *goGroup) add(n int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.wg.Add(n)
	return true
}

// grow counts n more on behalf of something already counted, so the count
// is not zero and the group may not refuse.
func (g *goGroup) grow(n int) { g.wg.Add(n) }

// done uncounts one.
func (g *goGroup) done() { g.wg.Done() }

// close refuses every later add.
func (g *goGroup) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// Engine runs the connections of one context.
type Engine struct {
	be        backend
	wg        sync.WaitGroup // every goroutine the backend started
	lingering sync.WaitGroup // dialers closed with messages still to deliver
}

// New returns an engine on the given backend.
func New(b Backend) (*Engine, error) {
	e := &Engine{}
	switch b {
	case BackendStd:
		e.be = newStdBackend(&e.wg)
	case BackendEpoll:
		be, err := newEpollBackend(&e.wg)
		if err != nil {
			return nil, err
		}
		e.be = be
	case BackendDefault:
		if loopIsDefault {
			e.be, _ = newEpollBackend(&e.wg) // nil on failure: the portable one then
		}
		if e.be == nil {
			e.be = newStdBackend(&e.wg)
		}
	default:
		return nil, fmt.Errorf("azmq: unknown backend %d", b)
	}
	return e, nil
}

// Close stops the backend and waits until every connection and goroutine it
// ran has ended. Listeners and dialers must be closed first.
func (e *Engine) Close() {
	e.lingering.Wait()
	e.be.cancel()
	e.wg.Wait()
	e.be.close()
}

// Listener accepts connections on one bound endpoint.
type Listener struct {
	opts *Options
	host Host
	ep   Endpoint
	addr string // ep as events name it
	stop func() error

	mu     sync.Mutex
	conns  map[conn]*accepted
	closed bool
}

// accepted is what a listener knows of one of its connections.
type accepted struct {
	pipe *ring.Pipe // nil until the handshake has succeeded
	peer string
	id   []byte // the peer's identity, for events
}

// Listen binds endpoint and accepts connections whose pipes attach to h.
func (e *Engine) Listen(endpoint string, opts *Options, h Host) (*Listener, error) {
	ep, err := ParseEndpoint(endpoint, true)
	if err != nil {
		opts.emit(Event{Kind: EventBindFailed, Endpoint: endpoint, Err: err})
		return nil, err
	}
	l := &Listener{opts: opts, host: h, conns: map[conn]*accepted{}}
	// A connection accepted at once waits for Listening to be reported.
	l.mu.Lock()
	defer l.mu.Unlock()
	bound, stop, err := e.be.listen(ep, l, opts.HandshakeTimeout)
	if err != nil {
		opts.emit(Event{Kind: EventBindFailed, Endpoint: endpoint, Err: err})
		return nil, fmt.Errorf("azmq: bind %s: %w", endpoint, err)
	}
	l.ep, l.stop, l.addr = bound, stop, bound.String()
	opts.emit(Event{Kind: EventListening, Endpoint: l.addr})
	return l, nil
}

// Addr returns the bound endpoint with its port resolved.
func (l *Listener) Addr() string { return l.ep.String() }

func (l *Listener) options() *Options { return l.opts }

func (l *Listener) session(c conn, peer string, out, room ring.Waker) *Session {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	a := &accepted{peer: peer}
	l.conns[c] = a
	if l.opts.Counters != nil {
		l.opts.Counters.Accepted.Add(1)
	}
	l.opts.emit(Event{Kind: EventAccepted, Endpoint: l.addr, Peer: peer})
	return l.opts.newSession(peer, func(md *crypto.Metadata, _ byte) (*ring.Pipe, error) {
		p := newPipe(l.opts, peer, md)
		p.SetKick(func() { c.shutdown(0, false) })
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, ErrClosed
		}
		a.pipe, a.id = p, l.opts.eventID(md.Identity)
		l.mu.Unlock()
		if err := l.host.Attach(p); err != nil {
			l.mu.Lock()
			a.pipe = nil
			l.mu.Unlock()
			return nil, err
		}
		l.opts.emit(Event{Kind: EventHandshakeSucceeded, Endpoint: l.addr, Peer: peer, RoutingID: a.id})
		return p, nil
	}, out, room)
}

func (l *Listener) ended(c conn, err error) {
	l.mu.Lock()
	a := l.conns[c]
	delete(l.conns, c)
	l.mu.Unlock()
	if a == nil {
		return
	}
	p := a.pipe
	l.opts.Counters.ended(p != nil, err)
	l.opts.emitEnd(l.addr, a.peer, a.id, p != nil, err)
	if p != nil {
		p.SetGone()
		l.host.Detach(p)
	}
}

// Close stops accepting and shuts every accepted connection down, flushing
// for at most linger.
func (l *Listener) Close(linger time.Duration) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	conns := make([]conn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	if err := l.stop(); err != nil {
		l.opts.emit(Event{Kind: EventCloseFailed, Endpoint: l.addr, Err: err})
	} else {
		l.opts.emit(Event{Kind: EventClosed, Endpoint: l.addr})
	}
	for _, c := range conns {
		c.shutdown(linger, false)
	}
}

// newPipe makes the pipe of a connection to addr whose peer announced md
// (nil: not connected yet).
func newPipe(o *Options, addr string, md *crypto.Metadata) *ring.Pipe {
	p := ring.NewPipe(o.SendHWM, o.RecvHWM)
	p.SetConflate(o.Conflate)
	if md != nil {
		p.RoutingID = append([]byte(nil), md.Identity...)
		p.SetPeerType(md.SocketType)
		p.SetMeta(ring.NewMeta(addr, md.Props))
	}
	return p
}

// Dialer connects to one endpoint and reconnects after a failure or a lost
// connection. Its pipe outlives connections, unless Options.Immediate.
type Dialer struct {
	e        *Engine
	opts     *Options
	host     Host
	ep       Endpoint
	endpoint string // as given, for events

	mu        sync.Mutex
	pipe      *ring.Pipe
	cur       conn
	curReady  bool   // cur finished its handshake
	curPeer   string // cur's remote address
	curID     []byte // cur's peer identity, for events
	connected bool   // some connection finished its handshake before
	closed    bool
	// lingering: closed with messages queued and no connection to send them;
	// the dialer goes on connecting until a connection has flushed them or
	// the linger runs out, as libzmq does.
	lingering  bool
	linger     time.Duration
	stopLinger func()
	ivl        time.Duration
	stopWait   func()
	// up is closed once a connection has completed its handshake (upErr
	// nil) or the dialer has given up for good (upErr says why).
	up      chan struct{}
	settled bool
	upErr   error
	lastErr error // the last attempt's failure, for Wait
}

// Dial starts connecting to endpoint in the background; pipes attach to h.
func (e *Engine) Dial(endpoint string, opts *Options, h Host) (*Dialer, error) {
	ep, err := ParseEndpoint(endpoint, false)
	if err != nil {
		return nil, err
	}
	d := &Dialer{e: e, opts: opts, host: h, ep: ep, endpoint: endpoint, ivl: opts.ReconnectIvl,
		up: make(chan struct{})}
	if opts.EagerPipe && !opts.Immediate {
		d.pipe = newPipe(opts, "", nil)
		if err := h.Attach(d.pipe); err != nil {
			return nil, err
		}
	}
	d.attempt()
	return d, nil
}

// Wait returns nil once a connection has completed its handshake, or the
// error for which the dialer gave up (a protocol error, a ReconnectStop
// condition, reconnection disabled, Close). If ctx ends first it returns
// ctx's error joined with the last attempt's failure.
func (d *Dialer) Wait(ctx context.Context) error {
	select {
	case <-d.up:
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.upErr
	case <-ctx.Done():
		d.mu.Lock()
		last := d.lastErr
		d.mu.Unlock()
		if last != nil {
			return fmt.Errorf("%w; last attempt: %w", ctx.Err(), last)
		}
		return ctx.Err()
	}
}

// settleLocked ends Wait with err (nil: connected); the caller holds d.mu.
func (d *Dialer) settleLocked(err error) {
	if d.settled {
		return
	}
	d.settled, d.upErr = true, err
	close(d.up)
}

func (d *Dialer) options() *Options { return d.opts }

func (d *Dialer) attempt() {
	d.mu.Lock()
	d.stopWait = nil
	active := !d.closed || d.lingering
	d.mu.Unlock()
	if active {
		d.opts.emit(Event{Kind: EventConnectDelayed, Endpoint: d.endpoint})
		d.e.be.dial(d.ep, d, d.opts.HandshakeTimeout, d.dialFailed)
	}
}

// dialFailed is an attempt that failed before a connection existed.
func (d *Dialer) dialFailed(err error) {
	d.mu.Lock()
	d.lastErr = err
	if d.opts.ReconnectStop&ReconnectStopConnRefused != 0 && isConnRefused(err) && !d.closed {
		d.closed = true
		d.settleLocked(err)
		if d.lingering {
			d.endLingerLocked()
		}
		d.mu.Unlock()
		d.opts.emit(Event{Kind: EventClosed, Endpoint: d.endpoint, Err: err})
		d.release()
		return
	}
	d.mu.Unlock()
	d.retry(err)
}

// retry schedules the next attempt after the reconnect interval plus a
// random jitter below it, doubling the interval up to the maximum.
func (d *Dialer) retry(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed && !d.lingering {
		return
	}
	if d.opts.ReconnectIvl < 0 {
		if err == nil {
			err = errHandshakeClosed
		}
		d.settleLocked(err)
		return
	}
	wait := d.ivl
	if wait > 0 {
		wait += rand.N(wait)
	}
	if max := d.opts.ReconnectIvlMax; max > d.opts.ReconnectIvl {
		d.ivl = min(2*d.ivl, max)
	}
	if d.opts.Counters != nil {
		d.opts.Counters.Reconnects.Add(1)
	}
	d.opts.emit(Event{Kind: EventConnectRetried, Endpoint: d.endpoint, Err: err, Interval: wait})
	d.stopWait = d.e.be.after(wait, d.attempt)
}

func (d *Dialer) session(c conn, peer string, out, room ring.Waker) *Session {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed && !d.lingering {
		return nil
	}
	if d.lingering {
		// Closed already: this connection only delivers what is queued.
		c.shutdown(d.linger, true)
	}
	d.cur, d.curReady, d.curPeer, d.curID = c, false, peer, nil
	if d.opts.Counters != nil {
		d.opts.Counters.Connected.Add(1)
	}
	d.opts.emit(Event{Kind: EventConnected, Endpoint: d.endpoint, Peer: peer})
	return d.opts.newSession(peer, func(md *crypto.Metadata, _ byte) (*ring.Pipe, error) {
		id := d.opts.eventID(md.Identity)
		d.mu.Lock()
		d.ivl = d.opts.ReconnectIvl
		d.curReady, d.curID = true, id
		p := d.pipe
		again := d.connected
		d.connected = true
		d.mu.Unlock()
		if p != nil {
			if p.PeerType() == "" {
				p.SetPeerType(md.SocketType)
			}
			p.SetMeta(ring.NewMeta(peer, md.Props))
			if again {
				p.Hiccup() // a new peer knows nothing of what the last one was told
			}
		} else {
			p = newPipe(d.opts, peer, md)
			if err := d.host.Attach(p); err != nil {
				return nil, err
			}
			d.mu.Lock()
			d.pipe = p
			d.mu.Unlock()
		}
		d.mu.Lock()
		d.settleLocked(nil) // after the pipe is complete: Wait's caller may look at it
		d.mu.Unlock()
		d.opts.emit(Event{Kind: EventHandshakeSucceeded, Endpoint: d.endpoint, Peer: peer, RoutingID: id})
		return p, nil
	}, out, room)
}

// ended reconnects unless the dialer is closed, the peer broke the
// protocol (like libzmq, a connecting side that detects a protocol error
// itself stops reconnecting to that endpoint, zmtp.md §15), or a
// ReconnectStop condition holds.
func (d *Dialer) ended(c conn, err error) {
	d.mu.Lock()
	ready, peer, id := d.curReady, d.curPeer, d.curID
	if d.cur == c {
		d.cur, d.curReady = nil, false
	}
	d.opts.Counters.ended(ready, err)
	if !ready {
		d.lastErr = err
		if err == nil {
			d.lastErr = errHandshakeClosed
		}
	}
	fatal := errors.Is(err, ErrProtocol) || errors.Is(err, crypto.ErrSocketType) ||
		errors.Is(err, crypto.ErrRefused) || errors.Is(err, crypto.ErrHandshake)
	stop := fatal ||
		(!ready && d.opts.ReconnectStop&ReconnectStopHandshakeFailed != 0) ||
		(ready && d.opts.ReconnectStop&ReconnectStopAfterDisconnect != 0)
	if stop {
		d.closed = true
		d.settleLocked(d.lastErr)
	}
	var gone *ring.Pipe
	if ready && d.opts.Immediate {
		gone, d.pipe = d.pipe, nil // the next connection gets a fresh pipe
	}
	if d.lingering && (ready || stop) {
		d.endLingerLocked()
	}
	closed, lingering := d.closed, d.lingering
	d.mu.Unlock()
	d.opts.emitEnd(d.endpoint, peer, id, ready, err)
	if gone != nil {
		gone.SetGone()
		d.host.Detach(gone)
	}
	if closed && !lingering {
		d.release()
		return
	}
	d.retry(err)
}

// endLingerLocked stops lingering; the caller holds d.mu.
func (d *Dialer) endLingerLocked() {
	d.lingering = false
	if d.stopLinger != nil {
		d.stopLinger()
		d.stopLinger = nil
	}
	d.e.lingering.Done()
}

// lingerExpired gives up delivering what a closed dialer still holds.
func (d *Dialer) lingerExpired() {
	d.mu.Lock()
	if !d.lingering {
		d.mu.Unlock()
		return
	}
	d.stopLinger = nil
	d.endLingerLocked()
	stop, c := d.stopWait, d.cur
	d.mu.Unlock()
	if stop != nil {
		stop()
	}
	if c != nil {
		c.shutdown(0, false)
		return
	}
	d.release()
}

// release ends the dialer's pipe once no connection uses it.
func (d *Dialer) release() {
	d.mu.Lock()
	p := d.pipe
	if d.cur != nil || p == nil {
		d.mu.Unlock()
		return
	}
	d.pipe = nil
	d.mu.Unlock()
	p.SetGone()
	d.host.Detach(p)
}

// Close stops reconnecting and shuts the connection down, flushing for at
// most linger. If messages are queued and no connection has finished its
// handshake, the dialer goes on connecting until one has delivered them or
// linger runs out (< 0: no limit, as libzmq; Engine.Close waits for it).
func (d *Dialer) Close(linger time.Duration) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		if linger == 0 {
			d.lingerExpired()
		}
		return
	}
	d.closed = true
	d.settleLocked(ErrClosed)
	stop, c, p := d.stopWait, d.cur, d.pipe
	queued := linger != 0 && p != nil && p.Out.Len() > 0
	if queued && d.opts.ReconnectIvl >= 0 && (c == nil || !d.curReady) {
		// Nothing connected to take the queue: keep connecting, for at
		// most linger, so that "connect, send, close" loses nothing.
		d.lingering, d.linger = true, linger
		d.e.lingering.Add(1)
		if linger > 0 {
			d.stopLinger = d.e.be.after(linger, d.lingerExpired)
		}
		d.mu.Unlock()
		if c != nil {
			c.shutdown(linger, true)
		}
		return
	}
	d.mu.Unlock()
	if stop != nil {
		stop()
	}
	if c != nil {
		c.shutdown(linger, false)
		return
	}
	d.release()
}
