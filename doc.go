// Package azmq is ZeroMQ in pure Go: an implementation of ZMTP 3.1, the
// ZeroMQ wire protocol, byte-compatible with libzmq 4.x and without cgo.
// It is tested against libzmq 4.3 in both directions, and keeps libzmq's
// socket semantics and option defaults so that what you know of ZeroMQ
// carries over.
//
// # Sockets and patterns
//
// A Context owns the I/O engine; make sockets from it with NewSocket
// (or the package-level NewSocket, on DefaultContext). A socket's Type fixes
// its pattern, and each pattern pairs with its partners only:
//
//   - REQ/REP: request and reply in strict turns (Send, Recv, Send, ...).
//   - DEALER/ROUTER: the asynchronous forms. A ROUTER prefixes each message
//     with the routing id of the peer it came from and routes what it sends
//     by that first frame; a DEALER load-balances out and fair-queues in.
//     A DEALER also talks to REP, a ROUTER to REQ.
//   - PUB/SUB and XPUB/XSUB: a publisher sends to every subscriber whose
//     prefix filter (Subscribe) matches the first frame. XPUB and XSUB also
//     pass the subscriptions themselves, for proxies.
//   - PUSH/PULL: a pipeline; PUSH load-balances, PULL fair-queues.
//   - PAIR: exactly two sockets.
//
// Messages are multipart: one Send of several frames arrives as one Recv of
// the same frames, whole or not at all.
//
// # Transports
//
// A socket may Bind and Connect to several endpoints, in any order; Connect
// returns at once and the socket connects, and reconnects, in the
// background:
//
//   - tcp://127.0.0.1:5555, tcp://[::1]:5555, tcp://host:5555 (connect);
//     tcp://*:* binds any interface on an ephemeral port, which Addr reports.
//   - ipc:///tmp/feed.sock, and ipc://@name for Linux's abstract namespace.
//   - inproc://name between the sockets of one Context: messages move by
//     reference, without encoding or a system call.
//
// # Security
//
// Connections use the NULL mechanism unless a socket option picks another,
// as in libzmq: no authentication and no encryption, for trusted networks.
// WithPlainServer and WithPlainClient exchange a username and password in
// clear text; WithCurveServer and WithCurveClient (CurveZMQ, keys from
// NewCurveKeypair or ParsePublicKey/ParseSecretKey in Z85) encrypt every
// frame and authenticate the server to its clients. A server asks a ZAP
// handler about each client: a Go Authenticator given to
// Context.SetAuthenticator, or libzmq's REP socket at ZAPEndpoint. The
// User-Id it assigns, and any metadata, come with the client's messages
// (Msg.Property). A refused peer loses only its connection, which both
// sides' monitors report as EventHandshakeFailedAuth. Mechanisms run on tcp
// and ipc; inproc connections never use one.
//
// # Sending and receiving, and who owns a message
//
// Two tiers, which may be mixed on one socket:
//
//   - Send and Recv copy. Send copies the frames, so the caller may reuse
//     its slices when it returns; Recv returns fresh slices the caller owns.
//   - SendMsg and RecvMsg move a Msg without copying or allocating.
//     SendMsg takes over the Msg's frames and leaves it empty (on error it
//     leaves it untouched, still the caller's); do not modify a slice given
//     to Msg.Append afterwards. RecvMsg fills the Msg with views into pooled
//     read buffers, valid until Msg.Release or the next RecvMsg into the same
//     Msg: copy what must live longer, and never copy a Msg value.
//
// # Contexts, deadlines and cancellation
//
// No method takes a timeout and there is no poller. Every call that may
// block takes a context.Context: a deadline bounds it (libzmq's
// ZMQ_SNDTIMEO/ZMQ_RCVTIMEO), cancellation ends it, and a context that is
// already done makes the call non-blocking (ZMQ_DONTWAIT). To wait on
// several sockets at once, range over Socket.Messages in a goroutine, or
// select over the channels of Socket.Chan with timers and anything else;
// cancel the context, or close the socket, to stop them.
//
// Closing a socket wakes its blocked calls with ErrClosed and returns at
// once; its connections go on sending what is queued for up to its linger
// (WithLinger; for ever by default, as in libzmq). Context.Close closes every
// socket and waits for that.
//
// # Concurrency
//
// Sockets are safe for concurrent use, unlike libzmq's: one goroutine may
// Recv while others Send. Messages sent from several goroutines are
// interleaved whole, never frame by frame.
//
// # Errors
//
// Errors wrap sentinel values, tested with errors.Is: ErrClosed,
// ErrState (REQ/REP out of turn), ErrHostUnreachable, ErrNotSupported,
// ErrInvalidEndpoint, ErrTransport, ErrAddrInUse, and the context's own
// errors. A peer that breaks the protocol (ErrProtocol, ErrMsgSize,
// ErrSocketType) loses its own connection only; the socket and its other
// peers go on, and Socket.Stats counts what happened.
//
// # Observing
//
// Socket.Stats reports always-on counters: messages and bytes each way,
// drops at the high-water mark and to unknown peers, connections and
// handshake failures, and the queues to each peer. Socket.Monitor delivers
// libzmq's monitor events on a channel: a peer accepted or connected, its
// handshake done or failed, a connection lost, a retry. WithLogger gives a
// Context a log/slog logger for socket lifecycle and connection events
// (silent by default, never called per message). WithHeartbeat detects a
// peer that went silent without closing its connection. The pprof
// subpackage writes profiles, and azmq's goroutines carry pprof labels
// naming their socket. The azmq command (cmd/azmq) speaks to any ZeroMQ
// peer from a shell, and also monitors, proxies and makes CURVE keys.
//
// Proxy (and SteerableProxy) forwards between two sockets, libzmq's
// zmq_proxy: a ROUTER/DEALER broker or an XSUB/XPUB forwarder.
package azmq
