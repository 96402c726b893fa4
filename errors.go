package azmq

import (
	"github.com/azmq/azmq/crypto"
	"github.com/azmq/azmq/engine"
	"github.com/azmq/azmq/inproc"
	"github.com/azmq/azmq/sock"
)

// Errors returned by sockets; test them with errors.Is. They are defined in
// the layer that detects them and re-exported here.
var (
	// ErrClosed is an operation on a closed socket or context.
	ErrClosed = sock.ErrClosed
	// ErrState is a REQ or REP call out of the send/receive alternation
	// (libzmq's EFSM).
	ErrState = sock.ErrState
	// ErrHostUnreachable is a ROUTER message to an unknown peer with
	// WithRouterMandatory.
	ErrHostUnreachable = sock.ErrHostUnreachable
	// ErrNotSupported is an operation the socket type does not have, such as
	// Send on a PULL.
	ErrNotSupported = sock.ErrNotSupported
	// ErrInvalidEndpoint is a malformed endpoint string.
	ErrInvalidEndpoint = engine.ErrEndpoint
	// ErrTransport is an unknown or unavailable transport.
	ErrTransport = engine.ErrTransport
	// ErrProtocol is a peer that broke ZMTP; only its connection is closed.
	ErrProtocol = engine.ErrProtocol
	// ErrMsgSize is an inbound frame above WithMaxMsgSize.
	ErrMsgSize = engine.ErrMsgSize
	// ErrAddrInUse is a Bind to an inproc name, ipc path or tcp port that is
	// taken.
	ErrAddrInUse = inproc.ErrAddrInUse
	// ErrSocketType is a peer whose socket type cannot talk to ours.
	ErrSocketType = crypto.ErrSocketType
	// ErrConnectTimeout is a TCP connect that outlasted WithConnectTimeout.
	ErrConnectTimeout = engine.ErrConnectTimeout
	// ErrHeartbeatTimeout is a peer that fell silent past the heartbeat
	// timeout or its own PING's TTL (WithHeartbeat); its connection was
	// closed.
	ErrHeartbeatTimeout = engine.ErrHeartbeatTimeout
)
