package engine

import (
	"errors"
	"strconv"
	"time"

	"github.com/azmq/azmq/crypto"
)

// EventKind says what happened to a listener, dialer or connection. The
// values are libzmq's ZMQ_EVENT_* bits, so a mask of kinds reads the same.
type EventKind uint32

// Event kinds, libzmq's set (zmq_socket_monitor).
const (
	EventConnected               EventKind = 1 << iota // a dialer's TCP/IPC connection is up; the handshake follows
	EventConnectDelayed                                // a connection attempt has started and not completed yet
	EventConnectRetried                                // an attempt failed or a connection was lost; Interval says when the next starts
	EventListening                                     // Bind succeeded
	EventBindFailed                                    // Bind failed; Err says why
	EventAccepted                                      // a listener accepted a connection; the handshake follows
	EventAcceptFailed                                  // accept failed (out of fds, …); the listener goes on
	EventClosed                                        // a listener stopped (Unbind, Close)
	EventCloseFailed                                   // closing a listener's socket failed
	EventDisconnected                                  // a connection whose handshake had succeeded ended
	EventMonitorStopped                                // the monitor ends; nothing follows
	EventHandshakeFailedNoDetail                       // a connection ended during its handshake: closed, timed out
	EventHandshakeSucceeded                            // the peer is attached and messages flow
	EventHandshakeFailedProtocol                       // the peer broke ZMTP or has an incompatible socket type
	EventHandshakeFailedAuth                           // the peer failed authentication or refused ours
)

var eventNames = [...]string{
	"Connected", "ConnectDelayed", "ConnectRetried", "Listening", "BindFailed",
	"Accepted", "AcceptFailed", "Closed", "CloseFailed", "Disconnected",
	"MonitorStopped", "HandshakeFailedNoDetail", "HandshakeSucceeded",
	"HandshakeFailedProtocol", "HandshakeFailedAuth",
}

// String names the kind as libzmq's constant does, without its prefix.
func (k EventKind) String() string {
	for i, name := range eventNames {
		if k == 1<<i {
			return name
		}
	}
	return "EventKind(" + strconv.FormatUint(uint64(k), 10) + ")"
}

// Event is one thing that happened to a socket's transports.
type Event struct {
	Kind EventKind
	// Endpoint is the endpoint bound (with its port resolved) or the one
	// given to Connect.
	Endpoint string
	// Peer is the connection's remote address ("ip:port", an ipc path or
	// ""); empty for events not about one connection.
	Peer string
	// RoutingID is the Identity the peer sent in its handshake, once it has
	// completed (nil before). Shared: do not modify it.
	RoutingID []byte
	// Err says why, for failures, ConnectRetried and Disconnected (nil: the
	// peer closed, or we did).
	Err error
	// Interval is how long a dialer waits before its next attempt
	// (ConnectRetried).
	Interval time.Duration
}

// emit hands ev to the Events callback, if any.
func (o *Options) emit(ev Event) {
	if o.Events != nil {
		o.Events(ev)
	}
}

// emitEnd reports the end of a connection: Disconnected after a handshake,
// else the HandshakeFailed kind its error maps to, as libzmq classes them.
func (o *Options) emitEnd(endpoint, peer string, id []byte, ready bool, err error) {
	if o.Events == nil {
		return
	}
	kind := EventDisconnected
	if !ready {
		kind = handshakeFailure(err)
	}
	o.Events(Event{Kind: kind, Endpoint: endpoint, Peer: peer, RoutingID: id, Err: err})
}

// handshakeFailure classes an error that ended a handshake: libzmq reports
// an incompatible socket type as a protocol failure and an ERROR from the
// peer (its ZAP refusal) as an authentication failure.
func handshakeFailure(err error) EventKind {
	switch {
	case errors.Is(err, crypto.ErrAuth), errors.Is(err, crypto.ErrRefused):
		return EventHandshakeFailedAuth
	case errors.Is(err, ErrProtocol), errors.Is(err, crypto.ErrHandshake),
		errors.Is(err, crypto.ErrSocketType), errors.Is(err, ErrMsgSize):
		return EventHandshakeFailedProtocol
	}
	return EventHandshakeFailedNoDetail
}

// keepAliveSecs converts a keep-alive tunable to the whole seconds the
// socket options take, at least one.
func keepAliveSecs(d time.Duration) int { return max(int(d/time.Second), 1) }
