// Package ring holds azmq's memory and queues: pooled read buffers with
// reference counts, message views that point into them, bounded queues with a
// high-water mark whose consumer parks and is woken only when the queue goes
// from empty to non-empty, and the Pipe that joins one socket to one peer.
//
// Nothing here knows about the wire or about socket patterns; the engine fills
// Pipes from connections, sock/ routes among them.
package ring
