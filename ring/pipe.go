package ring

import (
	"errors"
	"sync/atomic"
)

// ErrAddrInUse is a bind to an inproc name, ipc path or tcp port that is
// taken; defined here, below every transport that reports it.
var ErrAddrInUse = errors.New("azmq: address in use")

// Pipe joins one socket to one peer: In carries messages from the peer to
// the socket, Out from the socket to the peer. A TCP or IPC connection becomes
// a Pipe once its handshake succeeds (on the connecting side a Pipe outlives
// its connections, so queued messages survive a reconnect); an inproc
// connection is a Pipe from the start.
//
// The socket side pops In and pushes Out; the transport side does the
// reverse. Each side installs its Wakers on the queue it consumes and on the
// queue it produces into.
type Pipe struct {
	In  *Queue
	Out *Queue

	// RoutingID names the peer at a ROUTER: the Identity the peer announced,
	// set by the transport before the pipe is attached, or, when it announced
	// none, one the ROUTER generates while attaching it. Fixed from then on.
	RoutingID []byte
	peerType  atomic.Pointer[string]
	gone      atomic.Bool
	hiccup    atomic.Pointer[func()]
	kick      atomic.Pointer[func()]
	pump      atomic.Pointer[Pumper]
}

// Pumper is a transport that can read a pipe's connection on the goroutine
// that waits for its messages. A receiver parked on a queue is woken by the
// transport's own reader, a goroutine hand-off that on a round trip costs
// more than the read: one that reads the connection itself is woken by the
// kernel directly.
type Pumper interface {
	// Pump reads the connection once on the calling goroutine, parking
	// until bytes come or Interrupt, and delivers what it read to In. False
	// means the transport reads the connection itself at the moment: wait
	// for In as usual (the transport wakes In's consumer when it hands the
	// reading over).
	Pump() bool
	// Interrupt makes a Pump in progress return soon and has the
	// transport read the connection itself again, until the next Pump.
	// It is sticky: a Pump that begins while it runs returns at once,
	// so a caller that interrupts after deciding a receive must stop
	// cannot race that receive's Pump.
	Interrupt()
}

// SetPeerType records the Socket-Type the peer announced. A dialer's pipe
// learns it at the first handshake while the socket may be reading it.
func (p *Pipe) SetPeerType(t string) { p.peerType.Store(&t) }

// PeerType returns the Socket-Type the peer announced, "" if it said none
// or the pipe's first handshake is still to come.
func (p *Pipe) PeerType() string {
	if t := p.peerType.Load(); t != nil {
		return *t
	}
	return ""
}

// SetMeta makes the messages the peer sends from now on carry md (see
// Msg.Property); a transport calls it when a connection's handshake is done.
func (p *Pipe) SetMeta(md *Meta) { p.In.SetMeta(md) }

// Meta returns the peer's metadata as last set, nil if none.
func (p *Pipe) Meta() *Meta { return p.In.Meta() }

// SetConflate switches ZMQ_CONFLATE on or off for both directions (see
// Queue.SetConflate).
func (p *Pipe) SetConflate(on bool) {
	p.In.SetConflate(on)
	p.Out.SetConflate(on)
}

// SetKick installs how the transport ends the pipe's connection when the
// socket no longer wants the peer (a ROUTER handing its routing id to a
// newcomer). It must not call back into the socket synchronously with locks
// the socket holds; Kick is called with none held.
func (p *Pipe) SetKick(f func()) { p.kick.Store(&f) }

// Kick asks the transport to end the pipe's connection; the pipe is then
// detached as usual. Without a kick installed the peer is only ignored.
func (p *Pipe) Kick() {
	if f := p.kick.Load(); f != nil {
		(*f)()
	}
}

// SetHiccup installs what the socket does when the pipe is connected again
// after its connection was lost (libzmq's "hiccup"): a SUB re-sends its
// subscriptions. nil removes it.
func (p *Pipe) SetHiccup(f func()) {
	if f == nil {
		p.hiccup.Store(nil)
		return
	}
	p.hiccup.Store(&f)
}

// Hiccup is called by the transport when the pipe's peer is connected
// again; each new connection may be a peer that knows nothing of the past.
func (p *Pipe) Hiccup() {
	if f := p.hiccup.Load(); f != nil {
		(*f)()
	}
}

// SetPumper installs the transport that Pump reads through; a new
// connection of a dialer's pipe replaces the last one's.
func (p *Pipe) SetPumper(x Pumper) { p.pump.Store(&x) }

// ClearPumper removes x if it is the installed Pumper: a connection ending
// leaves its successor's alone.
func (p *Pipe) ClearPumper(x Pumper) {
	if cur := p.pump.Load(); cur != nil && *cur == x {
		p.pump.CompareAndSwap(cur, nil)
	}
}

// Pump reads the pipe's connection on the calling goroutine (see Pumper);
// false without a Pumper.
func (p *Pipe) Pump() bool {
	if x := p.pump.Load(); x != nil {
		return (*x).Pump()
	}
	return false
}

// Pumpable reports whether the pipe has a Pumper.
func (p *Pipe) Pumpable() bool { return p.pump.Load() != nil }

// Interrupt ends a Pump in progress, so that its caller looks at the
// socket again (another pipe arrived, or the socket is closing), and has
// the transport read the connection again: the socket waits for In the
// usual way now.
func (p *Pipe) Interrupt() {
	if x := p.pump.Load(); x != nil {
		(*x).Interrupt()
	}
}

// NewPipe returns a pipe whose Out queue holds sendHWM messages and whose In
// queue holds recvHWM (0: unbounded).
func NewPipe(sendHWM, recvHWM int) *Pipe {
	return &Pipe{In: NewQueue(recvHWM), Out: NewQueue(sendHWM)}
}

// NewPipePair returns the two ends of an in-process connection: what a
// pushes to its Out, b pops from its In, and the reverse, with no copy and
// no encoding. hwmAB bounds the queue from a to b, hwmBA the other one.
func NewPipePair(hwmAB, hwmBA int) (a, b *Pipe) {
	ab, ba := NewQueue(hwmAB), NewQueue(hwmBA)
	return &Pipe{In: ba, Out: ab}, &Pipe{In: ab, Out: ba}
}

// SetGone marks the peer gone for good: nothing more will arrive on In and
// nothing pushed to Out will be sent. Messages already in In may still be
// read.
func (p *Pipe) SetGone() {
	p.gone.Store(true)
	p.In.Close()
	p.Out.Close()
}

// Gone reports whether SetGone was called.
func (p *Pipe) Gone() bool { return p.gone.Load() }
