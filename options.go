package azmq

import (
	"log/slog"
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
	conflate         bool
	reqCorrelate     bool
	reqRelaxed       bool
	routerHandover   bool
	probeRouter      bool
	heartbeatIvl     time.Duration
	heartbeatTTL     time.Duration
	heartbeatTimeout time.Duration
	immediate        bool
	busyPoll         time.Duration
	keepAlive        engine.KeepAlive
	connectTimeout   time.Duration
	reconnectStop    ReconnectStop
	sec              securityOptions
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
	logger  *slog.Logger
}

// Backend selects how a context drives its connections.
type Backend = engine.Backend

// Backends for WithBackend.
const (
	// BackendDefault is the portable backend on every OS: on Linux it
	// measured faster than the epoll loop for latency and small messages
	// (BENCHMARKS.md); the loop stays one option away.
	BackendDefault = engine.BackendDefault
	// BackendEpoll runs connections on loops over the OS's poller: epoll
	// on Linux, kqueue on macOS and the BSDs.
	BackendEpoll = engine.BackendEpoll
	// BackendStd runs each connection on the Go runtime poller (every OS).
	BackendStd = engine.BackendStd
)

// WithBackend picks the I/O backend of a context.
func WithBackend(b Backend) ContextOption { return func(o *contextOptions) { o.backend = b } }

// WithConflate keeps only the newest message in each peer's inbound and
// outbound queue, replacing the older one and ignoring the high-water marks
// (ZMQ_CONFLATE, default off). Like libzmq it applies to PUSH, PULL, PUB,
// SUB and DEALER and is ignored by other types; unlike libzmq, which keeps
// one frame of a multipart message, it keeps the whole message.
func WithConflate(on bool) Option { return func(o *options) { o.conflate = on } }

// WithReqCorrelate makes a REQ put a request id frame (4 bytes, host byte
// order, as libzmq) before the delimiter of each request and accept only
// the reply that echoes the latest one (ZMQ_REQ_CORRELATE, default off).
func WithReqCorrelate(on bool) Option { return func(o *options) { o.reqCorrelate = on } }

// WithReqRelaxed lets a REQ send a new request without waiting for the
// reply to the last one, which is then dropped; pair it with
// WithReqCorrelate so that a late reply is told apart (ZMQ_REQ_RELAXED,
// default off).
func WithReqRelaxed(on bool) Option { return func(o *options) { o.reqRelaxed = on } }

// WithRouterHandover makes a ROUTER give a routing id already in use to
// the new peer that announces it and end the old peer's connection, instead
// of refusing the newcomer (ZMQ_ROUTER_HANDOVER, default off). A peer the
// ROUTER connected to itself is only dropped, not disconnected.
func WithRouterHandover(on bool) Option { return func(o *options) { o.routerHandover = on } }

// WithProbeRouter makes a ROUTER, DEALER or REQ send an empty one-frame
// message first on each new pipe, so that a ROUTER peer learns its routing
// id at once (ZMQ_PROBE_ROUTER, default off).
func WithProbeRouter(on bool) Option { return func(o *options) { o.probeRouter = on } }

// WithLogger has the context's sockets log their lifecycle to l: opened,
// bound, connected, unbound, disconnected and closed at Debug level, a
// failed Bind or Connect at Warn level, each with the attributes "socket"
// and "endpoint". Each tcp and ipc connection is logged too, with the
// attribute "peer": accepted or connected and its handshake done at Debug
// level, lost at Info, a failed handshake (refused, timed out, wrong
// protocol) at Warn. Nothing is logged per message. Connection records are
// written from the engine's goroutines, so a handler that blocks delays
// connections. A nil l, the default, logs nothing.
func WithLogger(l *slog.Logger) ContextOption { return func(o *contextOptions) { o.logger = l } }

// WithHeartbeat makes every tcp and ipc connection send a ZMTP PING each ivl
// once its handshake is done (ZMQ_HEARTBEAT_IVL; default 0, none), asking
// the peer to drop the connection if it hears nothing from us for ttl
// (ZMQ_HEARTBEAT_TTL, whole tenths of a second, at most 6553.5 s; 0: no
// TTL), and close a connection whose peer sends nothing at all within
// timeout of a PING (ZMQ_HEARTBEAT_TIMEOUT; ≤ 0 means ivl, libzmq's
// default). Any frame counts as a sign of life; a lost connection counts as
// a disconnect and a connecting socket reconnects. Whatever is set here,
// every PING is answered and a peer's TTL is honoured; peers that never
// send PINGs work as before.
func WithHeartbeat(ivl, ttl, timeout time.Duration) Option {
	return func(o *options) { o.heartbeatIvl, o.heartbeatTTL, o.heartbeatTimeout = ivl, ttl, timeout }
}

// WithImmediate makes a connecting socket queue messages only to
// connections that have completed their handshake (ZMQ_IMMEDIATE; default
// false): until then a Send blocks or picks another peer as when no peer is
// there, and what is queued to a connection is dropped when it is lost.
func WithImmediate(on bool) Option { return func(o *options) { o.immediate = on } }

// WithBusyPoll makes whoever reads a connection (its reader goroutine, or a
// receive reading it itself; see Socket.RecvMsg) keep trying to read for up
// to d after the socket runs dry before it parks in the runtime poller,
// yielding to other goroutines in between (0, the default: park at once).
// It buys latency with CPU: a round trip no longer waits for a sleeping
// CPU and a parked goroutine to wake, at the price of a busy core for d
// after every burst of traffic, as Linux's SO_BUSY_POLL does for the
// kernel. It has no libzmq counterpart. It applies to tcp and ipc on Linux
// with the default backend; elsewhere it is accepted and has no effect.
func WithBusyPoll(d time.Duration) Option { return func(o *options) { o.busyPoll = max(d, 0) } }

// WithTCPKeepAlive turns TCP keep-alive probes on or off on every tcp
// connection (ZMQ_TCP_KEEPALIVE; by default the OS decides) and, when on,
// sets the idle time before the first probe, the time between probes and
// how many unanswered probes drop the connection (ZMQ_TCP_KEEPALIVE_IDLE,
// _INTVL, _CNT; zero or negative leaves one to the OS). Times are whole
// seconds, at least one.
func WithTCPKeepAlive(on bool, idle, interval time.Duration, count int) Option {
	return func(o *options) {
		o.keepAlive = engine.KeepAlive{Set: true, On: on, Idle: idle, Interval: interval, Count: count}
	}
}

// WithConnectTimeout bounds each TCP connect attempt (ZMQ_CONNECT_TIMEOUT;
// default 0, the OS's own limit, minutes on Linux); an attempt that times
// out is retried like a refused one.
func WithConnectTimeout(d time.Duration) Option { return func(o *options) { o.connectTimeout = d } }

// ReconnectStop is a set of failures after which a connecting socket stops
// reconnecting to that endpoint (ZMQ_RECONNECT_STOP).
type ReconnectStop = engine.ReconnectStop

// ReconnectStop flags, with libzmq's values.
const (
	// ReconnectStopConnRefused stops after a refused connect
	// (ZMQ_RECONNECT_STOP_CONN_REFUSED).
	ReconnectStopConnRefused = engine.ReconnectStopConnRefused
	// ReconnectStopHandshakeFailed stops after a connection ended during its
	// handshake, closed or timed out (ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED);
	// a protocol error stops reconnection anyway, as in libzmq.
	ReconnectStopHandshakeFailed = engine.ReconnectStopHandshakeFailed
	// ReconnectStopAfterDisconnect stops once an established connection is
	// lost (ZMQ_RECONNECT_STOP_AFTER_DISCONNECT).
	ReconnectStopAfterDisconnect = engine.ReconnectStopAfterDisconnect
)

// WithReconnectStop sets when a connecting socket gives up on an endpoint
// (default none: it reconnects forever). Disconnect and Connect again to
// start over.
func WithReconnectStop(flags ReconnectStop) Option {
	return func(o *options) { o.reconnectStop = flags }
}
