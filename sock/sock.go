package sock

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/azmq/azmq/ring"
)

// Type is a socket type, numbered as libzmq's ZMQ_* constants (also the
// ZMTP/2.0 socket-type byte) so that users' knowledge and pyzmq parity tests
// carry over.
type Type int

// Socket types (spec/sockets.md §2).
const (
	Pair   Type = 0  // exclusive pair, RFC 31
	Pub    Type = 1  // publisher, RFC 29
	Sub    Type = 2  // subscriber, RFC 29
	Req    Type = 3  // requester, RFC 28
	Rep    Type = 4  // replier, RFC 28
	Dealer Type = 5  // asynchronous requester, RFC 28
	Router Type = 6  // routing replier, RFC 28
	Pull   Type = 7  // pipeline sink, RFC 30
	Push   Type = 8  // pipeline source, RFC 30
	XPub   Type = 9  // publisher that sees subscriptions, RFC 29
	XSub   Type = 10 // subscriber that sends raw subscriptions, RFC 29
)

var typeNames = [...]string{"PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB"}

// String returns the ZMTP Socket-Type name, such as "DEALER".
func (t Type) String() string {
	if t >= 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

var (
	// ErrClosed is returned by every call on a closed socket.
	ErrClosed = errors.New("azmq: socket closed")
	// ErrState reports a REQ/REP alternation violation (libzmq's EFSM).
	ErrState = errors.New("azmq: operation not valid in the current state")
	// ErrHostUnreachable reports an unroutable ROUTER message under RouterMandatory.
	ErrHostUnreachable = errors.New("azmq: host unreachable")
	// ErrNotSupported reports an operation the socket type does not have (libzmq's ENOTSUP).
	ErrNotSupported = errors.New("azmq: operation not supported by this socket type")
)

var (
	// errNoFrames refuses a message without frames: ZMTP cannot carry one.
	errNoFrames = errors.New("azmq: message has no frames")
	// errPairTaken refuses a second PAIR peer; libzmq ignores it, we let the
	// transport close it (spec/sockets.md §5).
	errPairTaken = errors.New("azmq: PAIR socket already has a peer")
)

// Options are the pattern options a socket needs at creation.
type Options struct {
	// RouterMandatory makes ROUTER report unroutable messages with
	// ErrHostUnreachable and block on a full peer instead of dropping.
	RouterMandatory bool
	// XPubVerbose makes XPUB pass every subscribe up, not only new ones.
	XPubVerbose bool
	// XPubVerboser makes XPUB pass every subscribe and unsubscribe up.
	XPubVerboser bool
	// XPubManual makes XPUB pass every (un)subscription up without applying
	// it; the application applies it with Subscribe/Unsubscribe.
	XPubManual bool
	// XPubWelcome, if not empty, is sent by XPUB to every new peer.
	XPubWelcome []byte
	// InvertMatching makes PUB/XPUB send to, and SUB deliver, only what
	// matches no subscription.
	InvertMatching bool
	// ReqCorrelate makes REQ put a 4-byte request id, in host byte order,
	// before the delimiter and accept only replies that echo it.
	ReqCorrelate bool
	// ReqRelaxed lets REQ send a new request before the reply to the last
	// one came; that reply is then dropped (with ReqCorrelate: whenever it
	// comes).
	ReqRelaxed bool
	// RouterHandover makes ROUTER give a routing id in use to a new peer
	// announcing it; the old peer's connection is ended.
	RouterHandover bool
	// ProbeRouter makes ROUTER, DEALER and REQ send an empty one-frame
	// message first on every new pipe.
	ProbeRouter bool
	// Counters, if not nil, counts the messages the pattern drops.
	Counters *Counters
}

// Counters are the pattern's always-on statistics: atomics, no locks.
type Counters struct {
	// HWMDrops counts messages dropped because the peer's queue was at its
	// high-water mark (ROUTER, REP replies, PUB/XPUB/XSUB fan-out).
	HWMDrops atomic.Uint64
	// Unroutable counts messages dropped because their peer was unknown or
	// gone (ROUTER without RouterMandatory, REP replies to a gone peer).
	Unroutable atomic.Uint64
}

// drop counts one dropped message; c may be nil.
func (c *Counters) drop(full bool) {
	if c == nil {
		return
	}
	if full {
		c.HWMDrops.Add(1)
	} else {
		c.Unroutable.Add(1)
	}
}

// Socket is one ZeroMQ socket pattern over the pipes of its peers.
type Socket interface {
	// Attach adds a pipe to a new peer. p.RoutingID is the peer's announced Identity (may be empty).
	// An error means the socket refuses the peer (e.g. PAIR already has one); the transport then closes it.
	Attach(p *ring.Pipe) error
	// Detach: the peer is gone for good (p.Gone() is true). Messages already in p.In are still delivered, then the pipe is dropped.
	Detach(p *ring.Pipe)
	// Send takes over m's frames on success (m is left empty); on error m is untouched and still the caller's.
	// Blocks (honouring ctx) where libzmq blocks; a cancelled/expired ctx returns an error wrapping ctx.Err().
	Send(ctx context.Context, m *ring.Msg) error
	// Recv moves the next message into m (releasing what m held); blocks honouring ctx.
	// On error m is untouched.
	Recv(ctx context.Context, m *ring.Msg) error
	// Close wakes every blocked Send/Recv with ErrClosed; later calls return ErrClosed. Pipes are not touched (the root closes transports).
	Close()
}

// New returns a socket of type t.
func New(t Type, opts Options) (Socket, error) {
	var s interface {
		Socket
		setCounters(*Counters)
	}
	switch t {
	case Pair:
		s = newPlain(t, true, true, true)
	case Push:
		s = newPlain(t, true, false, false)
	case Pull:
		s = newPlain(t, false, true, false)
	case Dealer:
		p := newPlain(t, true, true, false)
		p.probe = opts.ProbeRouter
		s = p
	case Req:
		s = newReq(opts)
	case Rep:
		s = newRep()
	case Router:
		s = newRouter(opts)
	case Pub, XPub:
		s = newPub(t, opts)
	case Sub, XSub:
		s = newSub(t, opts)
	default:
		return nil, fmt.Errorf("azmq: unknown socket type %v: %w", t, ErrNotSupported)
	}
	s.setCounters(opts.Counters)
	return s, nil
}

// peer is the socket's record of one attached pipe.
type peer struct {
	p *ring.Pipe
	// room is the peer's own send Signal where a sender waits for this pipe
	// and no other (ROUTER); nil where any pipe will do.
	room *ring.Signal
	// detached is set by Detach; guarded by both of base's mutexes, so either
	// one suffices to read it.
	detached bool
	// cache holds messages popped from p.In in one batch, cache[ch:ch+cn]
	// not yet delivered; guarded by the receive mutex.
	cache  []ring.Msg
	ch, cn int
}

// base holds what every pattern shares: the two balancers, the wake-up
// Signals and the closed state.
type base struct {
	typ      Type
	counters *Counters // nil: not counted

	closed atomic.Bool
	done   chan struct{} // closed by Close, so that every waiter leaves

	sendSig *ring.Signal // some Out queue has room again, or a peer arrived
	recvSig *ring.Signal // some In queue became readable

	smu sync.Mutex
	out lb // guarded by smu

	rmu sync.Mutex
	in  fq // guarded by rmu

	// pumped is the pipe a receive last read through (ring.Pumper): a
	// receive that waits without pumping hands its reading back.
	pumped atomic.Pointer[ring.Pipe]
	watch  ctxWatch
}

func (b *base) setCounters(c *Counters) { b.counters = c }

func (b *base) init(t Type) {
	b.typ = t
	b.done = make(chan struct{})
	b.sendSig = ring.NewSignal()
	b.recvSig = ring.NewSignal()
}

// Close wakes every blocked call, a receive reading a connection itself
// included; the pipes stay with their transports.
func (b *base) Close() {
	if b.closed.CompareAndSwap(false, true) {
		close(b.done)
		b.interruptPumps()
		b.watch.release()
	}
}

// probe queues ZMQ_PROBE_ROUTER's empty message to a new pipe, ahead of
// anything the application sends: the caller holds smu.
func probe(p *ring.Pipe) {
	var m ring.Msg
	m.Append(nil)
	if p.Out.PushForce(&m) != nil {
		m.Release()
	}
}

// lockBoth takes both mutexes in the package's lock order.
func (b *base) lockBoth() {
	b.smu.Lock()
	b.rmu.Lock()
}

func (b *base) unlockBoth() {
	b.rmu.Unlock()
	b.smu.Unlock()
}

// installWakers points the peer's socket-side wake-ups at the socket's
// Signals (or the peer's own room Signal). It runs after the peer is
// published under the mutexes, so that a waiter woken here finds the peer;
// SetWakers wakes at once for messages that arrived before.
func (b *base) installWakers(pe *peer) {
	pe.p.In.SetWakers(b.recvSig, nil)
	b.interruptPumps() // a receive reading the one other pipe must see this one
	if pe.room != nil {
		pe.p.Out.SetWakers(nil, pe.room)
		return
	}
	pe.p.Out.SetWakers(nil, b.sendSig)
	b.sendSig.Wake() // a sender parked for want of any pipe may go on
}

// Detach drops the peer from load-balancing now and from fair-queuing once
// its queued messages are read. A peer leaves the fair-queue only once
// detached, so an attached one is found there; a REP reply still owed to it
// is then dropped. ROUTER has its own, which also forgets the routing id.
func (b *base) Detach(p *ring.Pipe) {
	b.lockBoth()
	defer b.unlockBoth()
	for _, pe := range b.in.peers {
		if pe.p == p {
			b.dropPeer(pe)
			return
		}
	}
}

// dropPeer removes pe from routing at once and from fair-queuing once its
// queued messages are read; the caller holds both mutexes.
func (b *base) dropPeer(pe *peer) {
	pe.detached = true
	b.out.remove(pe)
	if !pe.pending() {
		b.in.remove(pe)
	}
}

// interruptPumps ends every receive that is reading a pipe's connection
// itself (ring.Pumper), so that it looks at the socket again.
func (b *base) interruptPumps() {
	b.rmu.Lock()
	for _, pe := range b.in.peers {
		pe.p.Interrupt()
	}
	b.rmu.Unlock()
}

// waitRecv parks a receive until a pipe may hold a message. With one pipe
// whose transport can be read on this goroutine it reads that connection
// here instead (ring.Pumper): the kernel then wakes this goroutine, not the
// transport's reader, which would have to wake this one in turn. A ctx
// that can end is watched meanwhile (ctxWatch), and interrupts the read.
func (b *base) waitRecv(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return b.ctxErr("recv", err)
	}
	if p := b.pumpable(); p != nil && b.pump(ctx, p) {
		if b.pumped.Load() != p {
			b.pumped.Store(p)
		}
		if err := ctx.Err(); err != nil {
			return b.ctxErr("recv", err)
		}
		return nil
	}
	if b.pumped.Load() != nil {
		// The transport would leave the connection unread until it took
		// the reading back by itself.
		if p := b.pumped.Swap(nil); p != nil {
			p.Interrupt()
		}
	}
	return b.wait(ctx, b.recvSig, "recv")
}

// pumpable returns the socket's only pipe if its transport can be read by
// a receive, else nil.
func (b *base) pumpable() *ring.Pipe {
	b.rmu.Lock()
	defer b.rmu.Unlock()
	if len(b.in.peers) != 1 || !b.in.peers[0].p.Pumpable() {
		return nil
	}
	return b.in.peers[0].p
}

// pump reads p's connection once on this goroutine (ring.Pipe.Pump), with
// ctx watched when it can end.
func (b *base) pump(ctx context.Context, p *ring.Pipe) bool {
	if ctx.Done() == nil {
		return p.Pump()
	}
	if !b.watch.enter(ctx, b) {
		return false
	}
	defer b.watch.leave()
	return p.Pump()
}

// wait parks until sig fires, ctx ends or the socket closes. It fails
// without parking when ctx is already done, so that an expired context
// cannot race a pending wake forever.
func (b *base) wait(ctx context.Context, sig *ring.Signal, op string) error {
	if err := ctx.Err(); err != nil {
		return b.ctxErr(op, err)
	}
	select {
	case <-sig.C():
		return nil
	case <-ctx.Done():
		return b.ctxErr(op, ctx.Err())
	case <-b.done:
		return ErrClosed
	}
}

func (b *base) ctxErr(op string, err error) error {
	return fmt.Errorf("azmq: %v %s: %w", b.typ, op, err)
}

// sendLB load-balances m over the attached pipes, parking while none can
// take it (spec/sockets.md §1, libzmq lb.cpp).
func (b *base) sendLB(ctx context.Context, m *ring.Msg) error {
	if m.Len() == 0 {
		return errNoFrames
	}
	waited := false
	for {
		if b.closed.Load() {
			return ErrClosed
		}
		b.smu.Lock()
		pe := b.out.push(m)
		b.smu.Unlock()
		if pe != nil {
			if waited {
				// The wake we consumed may have stood for room that other
				// parked senders could use too.
				b.sendSig.Wake()
			}
			return nil
		}
		if err := b.wait(ctx, b.sendSig, "send"); err != nil {
			return err
		}
		waited = true
	}
}

// recvFQ fair-queues one message into m, parking while no pipe has one.
// delivered ends a successful receive: it releases rmu and, when this
// receiver had parked and messages remain, passes the wake it consumed on to
// another parked receiver (a Signal wakes only one). The caller holds rmu.
func (b *base) delivered(waited bool) {
	more := waited && b.in.any()
	b.rmu.Unlock()
	if more {
		b.recvSig.Wake()
	}
}

func (b *base) recvFQ(ctx context.Context, m *ring.Msg) error {
	waited := false
	for {
		if b.closed.Load() {
			return ErrClosed
		}
		b.rmu.Lock()
		if b.in.pop(m) != nil {
			b.delivered(waited)
			return nil
		}
		b.rmu.Unlock()
		if err := b.waitRecv(ctx); err != nil {
			return err
		}
		waited = true
	}
}
