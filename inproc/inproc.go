package inproc

import (
	"errors"
	"fmt"
	"sync"

	"github.com/azmq/azmq/crypto"
	"github.com/azmq/azmq/frame"
	"github.com/azmq/azmq/ring"
)

var (
	// ErrAddrInUse is a Bind of a name already bound in the context.
	ErrAddrInUse = ring.ErrAddrInUse
	// ErrNotBound is an Unbind or Disconnect of a name this socket did not
	// bind or connect.
	ErrNotBound = errors.New("azmq: endpoint not bound or connected")
)

// Host is the socket side of a connection, as engine.Host.
type Host interface {
	Attach(p *ring.Pipe) error
	Detach(p *ring.Pipe)
}

// Side describes one socket taking part in a connection.
type Side struct {
	Host       Host
	SocketType string // checked for compatibility, like a ZMTP Socket-Type
	RoutingID  []byte // names this socket at a ROUTER peer
	SendHWM    int
	RecvHWM    int
	// Eager attaches a connecting socket's pipe before the bind arrives, so
	// that its sends queue (libzmq's default). A ROUTER needs the peer's
	// routing id first and leaves it false.
	Eager bool
	// Conflate keeps only the newest message in both directions of this
	// socket's connections (ZMQ_CONFLATE); either side asking suffices.
	Conflate bool
}

// meta is what the other side's messages say of s: no address, and the
// properties a ZMTP handshake would have carried.
func (s *Side) meta() *ring.Meta {
	props := []frame.Property{{Name: []byte(frame.PropSocketType), Value: []byte(s.SocketType)}}
	if len(s.RoutingID) > 0 {
		props = append(props, frame.Property{Name: []byte(frame.PropIdentity), Value: s.RoutingID})
	}
	return ring.NewMeta("", props)
}

// link is one connection, or a connect waiting for its bind.
type link struct {
	conn, bind   *Side
	cpipe, bpipe *ring.Pipe // conn's end, bind's end
	attachedC    bool
	attachedB    bool
}

// Registry holds the inproc names of one context.
type Registry struct {
	mu    sync.Mutex
	bound map[string]*Side
	links map[string][]*link // per name: live connections and pending connects
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{bound: map[string]*Side{}, links: map[string][]*link{}}
}

// sumHWM is libzmq's inproc pipe size: sender's SNDHWM + receiver's RCVHWM,
// unlimited if either is unlimited.
func sumHWM(snd, rcv int) int {
	if snd == 0 || rcv == 0 {
		return 0
	}
	return snd + rcv
}

// Bind makes name reachable and completes every connect waiting for it.
func (r *Registry) Bind(name string, s *Side) error {
	r.mu.Lock()
	if _, ok := r.bound[name]; ok {
		r.mu.Unlock()
		return fmt.Errorf("%w: inproc://%s", ErrAddrInUse, name)
	}
	r.bound[name] = s
	var waiting []*link
	for _, l := range r.links[name] {
		if l.bind == nil {
			l.bind = s
			waiting = append(waiting, l)
		}
	}
	r.mu.Unlock()
	for _, l := range waiting {
		if err := r.complete(name, l); err != nil {
			r.drop(name, l)
		}
	}
	return nil
}

// Connect joins name: at once if it is bound, else when it is.
func (r *Registry) Connect(name string, s *Side) error {
	r.mu.Lock()
	b := r.bound[name]
	l := &link{conn: s, bind: b}
	if b == nil {
		// Until the bind, each direction holds what the connecting side
		// allows; complete adds the binder's share.
		l.cpipe, l.bpipe = ring.NewPipePair(s.SendHWM, s.RecvHWM)
		l.bpipe.RoutingID = s.RoutingID
		l.bpipe.SetPeerType(s.SocketType)
		l.bpipe.SetMeta(s.meta())
		l.cpipe.SetConflate(s.Conflate)
	}
	r.links[name] = append(r.links[name], l)
	r.mu.Unlock()
	if b == nil {
		if s.Eager {
			if err := s.Host.Attach(l.cpipe); err != nil {
				r.drop(name, l)
				return err
			}
			r.mu.Lock()
			l.attachedC = true
			r.mu.Unlock()
		}
		return nil
	}
	if err := r.complete(name, l); err != nil {
		r.drop(name, l)
		return err
	}
	return nil
}

// complete checks the two socket types and attaches whichever ends are not
// attached yet.
func (r *Registry) complete(name string, l *link) error {
	c, b := l.conn, l.bind
	if !crypto.Compatible(c.SocketType, b.SocketType) {
		return fmt.Errorf("azmq: inproc://%s: %w: %s cannot talk to %s", name, crypto.ErrSocketType, c.SocketType, b.SocketType)
	}
	r.mu.Lock()
	if l.cpipe == nil {
		l.cpipe, l.bpipe = ring.NewPipePair(sumHWM(c.SendHWM, b.RecvHWM), sumHWM(b.SendHWM, c.RecvHWM))
		l.bpipe.RoutingID = c.RoutingID
		l.bpipe.SetPeerType(c.SocketType)
		l.bpipe.SetMeta(c.meta())
	} else {
		l.cpipe.Out.SetHWM(sumHWM(c.SendHWM, b.RecvHWM))
		l.cpipe.In.SetHWM(sumHWM(b.SendHWM, c.RecvHWM))
	}
	if !l.attachedC {
		l.cpipe.RoutingID = b.RoutingID
	}
	l.cpipe.SetPeerType(b.SocketType)
	l.cpipe.SetMeta(b.meta())
	// Both queues of the pair are shared, so one SetConflate covers both.
	l.cpipe.SetConflate(c.Conflate || b.Conflate)
	kick := func() { r.drop(name, l) }
	l.cpipe.SetKick(kick)
	l.bpipe.SetKick(kick)
	needB, needC := !l.attachedB, !l.attachedC
	r.mu.Unlock()
	if needB {
		if err := b.Host.Attach(l.bpipe); err != nil {
			return err
		}
		r.mu.Lock()
		l.attachedB = true
		r.mu.Unlock()
	}
	if needC {
		if err := c.Host.Attach(l.cpipe); err != nil {
			return err
		}
		r.mu.Lock()
		l.attachedC = true
		r.mu.Unlock()
	}
	return nil
}

// drop ends a link: both pipes are gone, attached ends are detached.
// Messages already queued can still be read by the receiving socket.
func (r *Registry) drop(name string, l *link) {
	r.mu.Lock()
	ls := r.links[name]
	for i, x := range ls {
		if x == l {
			ls = append(ls[:i], ls[i+1:]...)
			break
		}
	}
	if len(ls) == 0 {
		delete(r.links, name)
	} else {
		r.links[name] = ls
	}
	attachedC, attachedB := l.attachedC, l.attachedB
	r.mu.Unlock()
	if l.cpipe == nil {
		return
	}
	l.cpipe.SetGone()
	l.bpipe.SetGone()
	if attachedC {
		l.conn.Host.Detach(l.cpipe)
	}
	if attachedB {
		l.bind.Host.Detach(l.bpipe)
	}
}

// Unbind removes name and ends the connections made through it.
func (r *Registry) Unbind(name string, s *Side) error {
	r.mu.Lock()
	if r.bound[name] != s {
		r.mu.Unlock()
		return fmt.Errorf("%w: inproc://%s", ErrNotBound, name)
	}
	delete(r.bound, name)
	var ended []*link
	for _, l := range r.links[name] {
		if l.bind == s {
			ended = append(ended, l)
		}
	}
	r.mu.Unlock()
	for _, l := range ended {
		r.drop(name, l)
	}
	return nil
}

// Disconnect ends s's connection (or pending connect) to name.
func (r *Registry) Disconnect(name string, s *Side) error {
	r.mu.Lock()
	var found *link
	for _, l := range r.links[name] {
		if l.conn == s {
			found = l
			break
		}
	}
	r.mu.Unlock()
	if found == nil {
		return fmt.Errorf("%w: inproc://%s", ErrNotBound, name)
	}
	r.drop(name, found)
	return nil
}
