// Package azmq is a pure-Go implementation of ZMTP 3.1, the ZeroMQ wire
// protocol, byte-compatible with libzmq 4.x and without cgo.
//
// A Context owns the I/O engine; sockets made from it Bind and Connect to
// endpoints ("tcp://127.0.0.1:5555", "ipc:///tmp/feed", "inproc://name") and
// exchange multipart messages with libzmq's semantics for each socket type:
// PAIR, PUSH, PULL, REQ, REP, DEALER, ROUTER, PUB, SUB, XPUB, XSUB.
//
// Two ways to send and receive:
//
//   - Send and Recv copy: the caller may reuse its slices when Send returns,
//     and Recv returns fresh slices.
//   - SendMsg and RecvMsg move a Msg without copying: SendMsg takes over the
//     Msg's frames, RecvMsg hands out views into pooled read buffers that stay
//     valid until Msg.Release or the next RecvMsg into the same Msg.
//
// Blocking calls take a context.Context for deadlines and cancellation; no
// method takes a timeout. Sockets are safe for concurrent use by several
// goroutines.
package azmq
