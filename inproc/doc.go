// Package inproc is the in-process transport: inproc://name endpoints shared
// by the sockets of one context. A connection is a pair of ring.Pipes that
// share their queues, so a message moves from one socket to the other by
// reference, without encoding, copying or a system call.
//
// As in libzmq 4, a socket may connect before the name is bound: its pipe
// exists at once (sends queue on it) and the connection completes when the
// bind arrives. Each direction holds the sender's SNDHWM plus the receiver's
// RCVHWM messages (unlimited if either is 0).
package inproc
