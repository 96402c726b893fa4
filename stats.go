package azmq

import (
	"sync"
	"sync/atomic"

	"github.com/azmq/azmq/engine"
	"github.com/azmq/azmq/ring"
	"github.com/azmq/azmq/sock"
)

// Stats is a snapshot of a socket's counters. They are always on: atomic
// adds on the hot path, no locks.
type Stats struct {
	MsgsOut, BytesOut uint64 // messages and payload bytes accepted by Send/SendMsg
	MsgsIn, BytesIn   uint64 // messages and payload bytes returned by Recv/RecvMsg

	HWMDrops   uint64 // dropped because the peer's queue was full (ROUTER, REP)
	Unroutable uint64 // dropped because the peer was unknown or gone (ROUTER, REP)

	Accepted    uint64 // connections accepted
	Connected   uint64 // connections established by Connect
	Reconnects  uint64 // reconnection attempts scheduled
	Disconnects uint64 // connections lost after their handshake
	// HandshakeFailures counts connections that ended before their handshake
	// completed, by reason: "protocol", "socket-type", "refused" (the peer
	// sent ERROR), "auth" (we refused the peer), "timeout", "closed".
	HandshakeFailures map[string]uint64

	// MonitorDrops counts events that found a Monitor channel full.
	MonitorDrops uint64

	// Pipes has one entry per peer attached now.
	Pipes []PipeStats
}

// PipeStats describes the queues to one peer.
type PipeStats struct {
	PeerType  string // the Socket-Type the peer announced
	RoutingID []byte // the peer's routing id (copied)
	QueuedIn  int    // messages received and not yet read by the application
	QueuedOut int    // messages sent by the application and not yet written
}

var failureNames = [...]string{
	engine.FailProtocol:   "protocol",
	engine.FailSocketType: "socket-type",
	engine.FailRefused:    "refused",
	engine.FailTimeout:    "timeout",
	engine.FailClosed:     "closed",
	engine.FailAuth:       "auth",
}

// counters are what a socket counts itself, beside its pattern's and its
// engine's.
type counters struct {
	msgsOut, bytesOut atomic.Uint64
	_                 [64]byte // senders and receivers are different goroutines: no false sharing
	msgsIn, bytesIn   atomic.Uint64
	_                 [64]byte
	pattern           sock.Counters
	conns             engine.Counters
}

// pipeHost stands between the transports and the pattern to keep the set of
// attached pipes that Stats reports.
type pipeHost struct {
	pat   sock.Socket
	mu    sync.Mutex
	pipes map[*ring.Pipe]struct{}
}

// Attach records p once the pattern has taken it.
func (h *pipeHost) Attach(p *ring.Pipe) error {
	if err := h.pat.Attach(p); err != nil {
		return err
	}
	h.mu.Lock()
	h.pipes[p] = struct{}{}
	h.mu.Unlock()
	return nil
}

// Detach forgets p and hands it to the pattern.
func (h *pipeHost) Detach(p *ring.Pipe) {
	h.mu.Lock()
	delete(h.pipes, p)
	h.mu.Unlock()
	h.pat.Detach(p)
}

// Stats returns the socket's counters now.
func (s *Socket) Stats() Stats {
	c := &s.counters
	st := Stats{
		MsgsOut:           c.msgsOut.Load(),
		BytesOut:          c.bytesOut.Load(),
		MsgsIn:            c.msgsIn.Load(),
		BytesIn:           c.bytesIn.Load(),
		HWMDrops:          c.pattern.HWMDrops.Load(),
		Unroutable:        c.pattern.Unroutable.Load(),
		Accepted:          c.conns.Accepted.Load(),
		Connected:         c.conns.Connected.Load(),
		Reconnects:        c.conns.Reconnects.Load(),
		Disconnects:       c.conns.Disconnects.Load(),
		HandshakeFailures: map[string]uint64{},
		MonitorDrops:      s.mons.drops.Load(),
	}
	for i, name := range failureNames {
		if n := c.conns.HandshakeFailed[i].Load(); n > 0 {
			st.HandshakeFailures[name] = n
		}
	}
	s.host.mu.Lock()
	for p := range s.host.pipes {
		st.Pipes = append(st.Pipes, PipeStats{
			PeerType:  p.PeerType(),
			RoutingID: append([]byte(nil), p.RoutingID...),
			QueuedIn:  p.In.Len(),
			QueuedOut: p.Out.Len(),
		})
	}
	s.host.mu.Unlock()
	return st
}

// countOut and countIn are called once per message that crossed the API.
func (c *counters) countOut(n int) {
	c.msgsOut.Add(1)
	c.bytesOut.Add(uint64(n))
}

func (c *counters) countIn(n int) {
	c.msgsIn.Add(1)
	c.bytesIn.Add(uint64(n))
}
