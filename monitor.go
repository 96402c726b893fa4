package azmq

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/azmq/azmq/engine"
)

// Event is one thing that happened to a socket's tcp or ipc transports, as
// libzmq's zmq_socket_monitor reports them, with the peer's address and,
// once its handshake is done, its routing id: enough to tell which peer
// connected, timed out or dropped.
type Event = engine.Event

// EventKind says what an Event is about; the values are libzmq's
// ZMQ_EVENT_* bits.
type EventKind = engine.EventKind

// Event kinds (libzmq's ZMQ_EVENT_*).
const (
	EventConnected               = engine.EventConnected
	EventConnectDelayed          = engine.EventConnectDelayed
	EventConnectRetried          = engine.EventConnectRetried
	EventListening               = engine.EventListening
	EventBindFailed              = engine.EventBindFailed
	EventAccepted                = engine.EventAccepted
	EventAcceptFailed            = engine.EventAcceptFailed
	EventClosed                  = engine.EventClosed
	EventCloseFailed             = engine.EventCloseFailed
	EventDisconnected            = engine.EventDisconnected
	EventMonitorStopped          = engine.EventMonitorStopped
	EventHandshakeFailedNoDetail = engine.EventHandshakeFailedNoDetail
	EventHandshakeSucceeded      = engine.EventHandshakeSucceeded
	EventHandshakeFailedProtocol = engine.EventHandshakeFailedProtocol
	EventHandshakeFailedAuth     = engine.EventHandshakeFailedAuth
)

// monitorBuffer is how many events a monitor holds for its reader before
// it drops new ones.
const monitorBuffer = 1024

// Monitor returns a channel of the socket's transport events from now on.
// It is buffered: the engine never waits for a slow reader, and an event
// that finds the buffer full is dropped and counted in Stats.MonitorDrops.
// When ctx ends or the socket is closed, a last EventMonitorStopped is
// delivered (making room for it if need be) and the channel is closed.
//
// A socket may have several monitors; each sees every event. Events of
// connections that end after Close are not reported, nor is anything about
// inproc connections. libzmq's fd-valued fields have no equivalent here;
// Err and Interval carry what libzmq's value did for failures and retries.
func (s *Socket) Monitor(ctx context.Context) <-chan Event {
	m := &monitor{ch: make(chan Event, monitorBuffer)}
	ms := &s.mons
	ms.mu.Lock()
	if ms.closed {
		ms.mu.Unlock()
		m.ch <- Event{Kind: EventMonitorStopped}
		close(m.ch)
		return m.ch
	}
	if ms.set == nil {
		ms.set = map[*monitor]struct{}{}
	}
	ms.set[m] = struct{}{}
	ms.n.Add(1)
	ms.mu.Unlock()
	m.stop = context.AfterFunc(ctx, func() { ms.remove(m) })
	return m.ch
}

// monitors are a socket's event subscribers. Sends happen under mu, and a
// channel is closed under mu after its removal, so nothing sends on a
// closed channel.
type monitors struct {
	n      atomic.Int32 // len(set), read without mu: no monitor, no work
	drops  atomic.Uint64
	mu     sync.Mutex
	set    map[*monitor]struct{}
	closed bool
}

type monitor struct {
	ch   chan Event
	stop func() bool // unregisters the context's AfterFunc
}

// emit is the engine's Events callback: it must not block.
func (ms *monitors) emit(ev Event) {
	if ms.n.Load() == 0 {
		return
	}
	ms.mu.Lock()
	for m := range ms.set {
		select {
		case m.ch <- ev:
		default:
			ms.drops.Add(1)
		}
	}
	ms.mu.Unlock()
}

// remove ends one monitor whose context is done.
func (ms *monitors) remove(m *monitor) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if _, ok := ms.set[m]; !ok {
		return
	}
	delete(ms.set, m)
	ms.n.Add(-1)
	ms.finish(m)
}

// close ends every monitor, for good: the socket is closed.
func (ms *monitors) close() {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	ms.closed = true
	for m := range ms.set {
		m.stop()
		ms.finish(m)
	}
	ms.set = nil
	ms.n.Store(0)
}

// finish delivers MonitorStopped and closes the channel; the caller holds
// mu. A full buffer loses its oldest event rather than the last word.
func (ms *monitors) finish(m *monitor) {
	stopped := Event{Kind: EventMonitorStopped}
	select {
	case m.ch <- stopped:
	default:
		select {
		case <-m.ch:
			ms.drops.Add(1)
		default:
		}
		select {
		case m.ch <- stopped:
		default:
		}
	}
	close(m.ch)
}
