// Package sock implements ZeroMQ's socket patterns over ring.Pipes:
// load-balanced send, fair-queued receive, the REQ/REP alternation and
// ROUTER's routing by peer identity, with libzmq 4.3's semantics.
//
// A transport (TCP/IPC engine, inproc) turns each peer into a *ring.Pipe and
// hands it to Socket.Attach; when the peer is gone for good it calls Detach.
// The socket pops the pipe's In queue and pushes its Out queue and knows
// nothing of bytes on a wire, so every pattern is tested here over pipes
// that a test fills and drains by hand.
//
// # Wake-ups
//
// Every pipe's In queue wakes the socket's one receive Signal and every Out
// queue its one send Signal; queues wake only on empty→non-empty (or, for
// room, after half the high-water mark drained), so a waiter always re-checks
// every pipe before it parks, and a waiter that consumed a wake and left work
// behind passes the wake on, because a Signal releases one waiter only.
// ROUTER gives each peer its own send Signal instead: its senders wait for
// one particular pipe, and a wake for one peer taken by a sender waiting for
// another would be lost.
//
// # Locking
//
// A socket holds its own mutex while it pushes to and pops from pipe queues,
// so the queues may call the transport's Wakers with that mutex held. Those
// Wakers must therefore not block and must not call back into the Socket
// (marking a flag, writing an eventfd or a one-slot channel is fine).
// Lock order: the send-side mutex before the receive-side mutex, then a
// queue's own mutex.
package sock
