package engine

import (
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

// ErrClosed is an operation on a closed engine, listener or dialer.
var ErrClosed = errors.New("azmq: closed")

// Backend selects how connections are driven.
type Backend int

const (
	// BackendDefault is the best backend for the OS (see BENCHMARKS.md):
	// the loop on Linux, the portable one elsewhere.
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
	// Counters, if not nil, counts connection events.
	Counters *Counters
	// Label names the socket in profiles: the pprof label azmq.socket on the
	// goroutines that serve its connections (std backend; the epoll
	// backend's work is labelled by loop, azmq.loop).
	Label string
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
}

// backend is what the two I/O implementations provide.
type backend interface {
	// listen starts accepting on ep; it returns the bound endpoint and a
	// function that stops accepting.
	listen(ep Endpoint, o owner, hs time.Duration) (Endpoint, func(), error)
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
	stop func()

	mu     sync.Mutex
	conns  map[conn]*ring.Pipe
	closed bool
}

// Listen binds endpoint and accepts connections whose pipes attach to h.
func (e *Engine) Listen(endpoint string, opts *Options, h Host) (*Listener, error) {
	ep, err := ParseEndpoint(endpoint, true)
	if err != nil {
		return nil, err
	}
	l := &Listener{opts: opts, host: h, conns: map[conn]*ring.Pipe{}}
	bound, stop, err := e.be.listen(ep, l, opts.HandshakeTimeout)
	if err != nil {
		return nil, fmt.Errorf("azmq: bind %s: %w", endpoint, err)
	}
	l.ep, l.stop = bound, stop
	return l, nil
}

// Addr returns the bound endpoint with its port resolved.
func (l *Listener) Addr() string { return l.ep.String() }

func (l *Listener) session(c conn, peer string, out, room ring.Waker) *Session {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.conns[c] = nil
	if l.opts.Counters != nil {
		l.opts.Counters.Accepted.Add(1)
	}
	return NewSession(l.opts.NewMechanism(peer), l.opts.MaxMsgSize, func(md *crypto.Metadata, _ byte) (*ring.Pipe, error) {
		p := newPipe(l.opts, md)
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, ErrClosed
		}
		l.conns[c] = p
		l.mu.Unlock()
		if err := l.host.Attach(p); err != nil {
			l.mu.Lock()
			l.conns[c] = nil
			l.mu.Unlock()
			return nil, err
		}
		return p, nil
	}, out, room)
}

func (l *Listener) ended(c conn, err error) {
	l.mu.Lock()
	p := l.conns[c]
	delete(l.conns, c)
	l.mu.Unlock()
	l.opts.Counters.ended(p != nil, err)
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
	l.stop()
	for _, c := range conns {
		c.shutdown(linger, false)
	}
}

func newPipe(o *Options, peer *crypto.Metadata) *ring.Pipe {
	p := ring.NewPipe(o.SendHWM, o.RecvHWM)
	p.RoutingID = append([]byte(nil), peer.Identity...)
	p.PeerType = peer.SocketType
	return p
}

// Dialer connects to one endpoint and reconnects after a failure or a lost
// connection. Its pipe outlives connections.
type Dialer struct {
	e    *Engine
	opts *Options
	host Host
	ep   Endpoint

	mu        sync.Mutex
	pipe      *ring.Pipe
	cur       conn
	curReady  bool // cur finished its handshake
	connected bool // some connection finished its handshake before
	closed    bool
	// lingering: closed with messages queued and no connection to send them;
	// the dialer goes on connecting until a connection has flushed them or
	// the linger runs out, as libzmq does.
	lingering  bool
	linger     time.Duration
	stopLinger func()
	ivl        time.Duration
	stopWait   func()
}

// Dial starts connecting to endpoint in the background; pipes attach to h.
func (e *Engine) Dial(endpoint string, opts *Options, h Host) (*Dialer, error) {
	ep, err := ParseEndpoint(endpoint, false)
	if err != nil {
		return nil, err
	}
	d := &Dialer{e: e, opts: opts, host: h, ep: ep, ivl: opts.ReconnectIvl}
	if opts.EagerPipe {
		d.pipe = newPipe(opts, &crypto.Metadata{})
		if err := h.Attach(d.pipe); err != nil {
			return nil, err
		}
	}
	d.attempt()
	return d, nil
}

func (d *Dialer) attempt() {
	d.mu.Lock()
	d.stopWait = nil
	active := !d.closed || d.lingering
	d.mu.Unlock()
	if active {
		d.e.be.dial(d.ep, d, d.opts.HandshakeTimeout, d.retry)
	}
}

// retry schedules the next attempt after the reconnect interval plus a
// random jitter below it, doubling the interval up to the maximum.
func (d *Dialer) retry(error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if (d.closed && !d.lingering) || d.opts.ReconnectIvl < 0 {
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
	d.cur, d.curReady = c, false
	if d.opts.Counters != nil {
		d.opts.Counters.Connected.Add(1)
	}
	return NewSession(d.opts.NewMechanism(peer), d.opts.MaxMsgSize, func(md *crypto.Metadata, _ byte) (*ring.Pipe, error) {
		d.mu.Lock()
		d.ivl = d.opts.ReconnectIvl
		d.curReady = true
		p := d.pipe
		again := d.connected
		d.connected = true
		d.mu.Unlock()
		if p != nil {
			if p.PeerType == "" {
				p.PeerType = md.SocketType
			}
			if again {
				p.Hiccup() // a new peer knows nothing of what the last one was told
			}
			return p, nil
		}
		p = newPipe(d.opts, md)
		if err := d.host.Attach(p); err != nil {
			return nil, err
		}
		d.mu.Lock()
		d.pipe = p
		d.mu.Unlock()
		return p, nil
	}, out, room)
}

// ended reconnects unless the dialer is closed or the peer broke the
// protocol: like libzmq, a connecting side that detects a protocol error
// itself stops reconnecting to that endpoint (zmtp.md §15).
func (d *Dialer) ended(c conn, err error) {
	d.mu.Lock()
	ready := d.curReady
	if d.cur == c {
		d.cur, d.curReady = nil, false
	}
	d.opts.Counters.ended(ready, err)
	fatal := errors.Is(err, ErrProtocol) || errors.Is(err, crypto.ErrSocketType) ||
		errors.Is(err, crypto.ErrRefused) || errors.Is(err, crypto.ErrHandshake)
	if fatal {
		d.closed = true
	}
	if d.lingering && (ready || fatal) {
		d.endLingerLocked()
	}
	closed, lingering := d.closed, d.lingering
	d.mu.Unlock()
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
