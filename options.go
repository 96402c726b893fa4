package azmq

import (
	"time"

	"github.com/azmq/azmq/engine"
)

// Option configures a socket at creation.
type Option func(*options)

type options struct {
	sendHWM, recvHWM int
	linger           time.Duration
	routingID        []byte
	reconnectIvl     time.Duration
	reconnectIvlMax  time.Duration
	handshakeTimeout time.Duration
	routerMandatory  bool
	maxMsgSize       int64
	xpubVerbose      bool
	xpubVerboser     bool
	xpubManual       bool
	xpubWelcome      []byte
	invertMatching   bool
}

// defaults are libzmq 4.3's (sockets.md §7).
func defaultOptions(t Type) options {
	o := options{
		sendHWM:          1000,
		recvHWM:          1000,
		linger:           -1,
		reconnectIvl:     100 * time.Millisecond,
		handshakeTimeout: 30 * time.Second,
		maxMsgSize:       -1,
	}
	if t == Sub || t == XSub {
		o.linger = 0
	}
	return o
}

// WithSendHWM bounds each peer's outbound queue, in messages (libzmq's
// ZMQ_SNDHWM; default 1000, 0 = unlimited).
func WithSendHWM(n int) Option { return func(o *options) { o.sendHWM = max(n, 0) } }

// WithRecvHWM bounds each peer's inbound queue, in messages (ZMQ_RCVHWM;
// default 1000, 0 = unlimited).
func WithRecvHWM(n int) Option { return func(o *options) { o.recvHWM = max(n, 0) } }

// WithLinger sets how long closing the socket may spend sending what is
// still queued (ZMQ_LINGER): negative waits without limit (the default, as in
// libzmq; SUB and XSUB default to 0), 0 discards at once.
func WithLinger(d time.Duration) Option { return func(o *options) { o.linger = d } }

// WithRoutingID names this socket at a ROUTER peer (ZMQ_ROUTING_ID, 1–255
// bytes); the bytes are copied.
func WithRoutingID(id []byte) Option {
	return func(o *options) { o.routingID = append([]byte(nil), id...) }
}

// WithReconnectInterval sets the delay before a lost or failed connection is
// retried, plus a random jitter below it (ZMQ_RECONNECT_IVL, default 100 ms;
// negative disables reconnection), doubling up to max when max > min
// (ZMQ_RECONNECT_IVL_MAX, default 0: no backoff).
func WithReconnectInterval(min, max time.Duration) Option {
	return func(o *options) { o.reconnectIvl, o.reconnectIvlMax = min, max }
}

// WithHandshakeTimeout bounds the greeting and security handshake of each
// connection (ZMQ_HANDSHAKE_IVL, default 30 s, 0 = none).
func WithHandshakeTimeout(d time.Duration) Option {
	return func(o *options) { o.handshakeTimeout = d }
}

// WithRouterMandatory makes a ROUTER report ErrHostUnreachable for a message
// to an unknown peer and block on a full one, instead of dropping it
// (ZMQ_ROUTER_MANDATORY).
func WithRouterMandatory(on bool) Option { return func(o *options) { o.routerMandatory = on } }

// WithMaxMsgSize closes the connection of a peer that sends a frame larger
// than n bytes, before anything is allocated for it (ZMQ_MAXMSGSIZE;
// default -1, unlimited).
func WithMaxMsgSize(n int64) Option { return func(o *options) { o.maxMsgSize = n } }

// WithXPubVerbose makes an XPUB pass every subscription up, not only the
// first for each prefix (ZMQ_XPUB_VERBOSE).
func WithXPubVerbose(on bool) Option { return func(o *options) { o.xpubVerbose = on } }

// WithXPubVerboser makes an XPUB pass every subscription and unsubscription
// up (ZMQ_XPUB_VERBOSER).
func WithXPubVerboser(on bool) Option { return func(o *options) { o.xpubVerboser = on } }

// WithXPubManual leaves subscriptions to the XPUB application, which applies
// each one it receives with Subscribe/Unsubscribe (ZMQ_XPUB_MANUAL).
func WithXPubManual(on bool) Option { return func(o *options) { o.xpubManual = on } }

// WithXPubWelcomeMsg has an XPUB send msg to every new subscriber
// (ZMQ_XPUB_WELCOME_MSG); the bytes are copied.
func WithXPubWelcomeMsg(msg []byte) Option {
	return func(o *options) { o.xpubWelcome = append([]byte(nil), msg...) }
}

// WithInvertMatching makes PUB and XPUB send, and SUB deliver, only what
// does not match the subscriptions (ZMQ_INVERT_MATCHING).
func WithInvertMatching(on bool) Option { return func(o *options) { o.invertMatching = on } }

// ContextOption configures a Context.
type ContextOption func(*contextOptions)

type contextOptions struct {
	backend engine.Backend
}

// Backend selects how a context drives its connections.
type Backend = engine.Backend

// Backends for WithBackend.
const (
	// BackendDefault is the loop on Linux and the portable backend
	// elsewhere (README, Platforms).
	BackendDefault = engine.BackendDefault
	// BackendEpoll runs connections on loops over the OS's poller: epoll
	// on Linux, kqueue on macOS and the BSDs.
	BackendEpoll = engine.BackendEpoll
	// BackendStd runs each connection on the Go runtime poller (every OS).
	BackendStd = engine.BackendStd
)

// WithBackend picks the I/O backend of a context.
func WithBackend(b Backend) ContextOption { return func(o *contextOptions) { o.backend = b } }
