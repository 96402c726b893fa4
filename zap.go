package azmq

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/azmq/azmq/crypto"
	"github.com/azmq/azmq/inproc"
	"github.com/azmq/azmq/ring"
)

// ZAP (RFC 27): a security server asks a handler in its own context whether
// a peer may connect. There are two ways to provide the handler:
//
//   - a Go Authenticator installed with Context.SetAuthenticator, or
//   - libzmq's way: a REP or ROUTER socket bound at inproc://zeromq.zap.01
//     in the same context, which receives the RFC 27 request frames and
//     answers with the reply frames.
//
// If both exist the Authenticator answers and the socket is not asked.
//
// Who asks, as in libzmq: PLAIN and CURVE servers ask about every client
// (with no handler PLAIN refuses everyone and CURVE accepts everyone who
// knows the server key); NULL sockets ask only when WithZAPDomain is set.
// The request's address is the peer's IP without port ("" over ipc, where
// libzmq sends "localhost:uid:gid:pid"); its routing id is the asking
// socket's own (libzmq's deviation from RFC 27).
//
// The handler is asked synchronously while the handshake runs: on the epoll
// backend a slow handler stalls every connection of that loop. A reply that
// does not come within the socket's handshake timeout (30 s if none), or
// that is malformed, refuses the peer.

// ZAPEndpoint is where libzmq (and azmq) look for a ZAP handler socket.
const ZAPEndpoint = "inproc://zeromq.zap.01"

// ZAPRequest is what the handler is asked: Domain, Address, RoutingID,
// Mechanism ("NULL", "PLAIN", "CURVE") and Credentials (PLAIN: username and
// password; CURVE: the client's 32-byte public key).
type ZAPRequest = crypto.ZAPRequest

// ZAPReply is a handler's answer: Status (ZAPOK, ZAPTemporary, ZAPDenied,
// ZAPFailure), Text (never sent to the peer), UserID and Metadata, which
// become properties of the connection on success.
type ZAPReply = crypto.ZAPReply

// ZAP status codes.
const (
	ZAPOK        = crypto.ZAPOK        // accept
	ZAPTemporary = crypto.ZAPTemporary // refuse without ERROR; the peer retries
	ZAPDenied    = crypto.ZAPDenied    // refuse: the peer gets ERROR "400" and stops
	ZAPFailure   = crypto.ZAPFailure   // handler failure: ERROR "500"
)

// Authenticator answers ZAP requests for a context's security servers.
// It may be called from several goroutines at once.
type Authenticator interface {
	// Authenticate decides about one peer.
	Authenticate(req *ZAPRequest) ZAPReply
}

// AuthenticatorFunc adapts a function to the Authenticator interface.
type AuthenticatorFunc func(req *ZAPRequest) ZAPReply

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(req *ZAPRequest) ZAPReply { return f(req) }

// SetAuthenticator installs a as the context's ZAP handler, ahead of any
// socket bound at ZAPEndpoint; nil removes it. Connections whose handshake
// has already asked are not affected.
func (c *Context) SetAuthenticator(a Authenticator) {
	if a == nil {
		c.zap.auth.Store(nil)
		return
	}
	c.zap.auth.Store(&a)
}

// zapState is a context's ZAP handler.
type zapState struct {
	auth atomic.Pointer[Authenticator]
}

// defaultZAPWait bounds a ZAP reply when the socket has no handshake timeout.
const defaultZAPWait = 30 * time.Second

// zapFunc returns what a socket's mechanisms call to consult ZAP; wait
// bounds a reply from a handler socket.
func (c *Context) zapFunc(wait time.Duration) crypto.ZAPFunc {
	if wait <= 0 {
		wait = defaultZAPWait
	}
	return func(req *crypto.ZAPRequest) (crypto.ZAPReply, error) {
		if a := c.zap.auth.Load(); a != nil {
			return (*a).Authenticate(req), nil
		}
		return askZAPSocket(c.inproc, req, wait)
	}
}

// zapHost receives the pipe of a private connection to the handler socket.
type zapHost struct {
	mu   sync.Mutex
	pipe *ring.Pipe
}

func (h *zapHost) Attach(p *ring.Pipe) error {
	h.mu.Lock()
	h.pipe = p
	h.mu.Unlock()
	return nil
}

func (h *zapHost) Detach(*ring.Pipe) {}

// askZAPSocket sends req over a private inproc connection to the socket
// bound at ZAPEndpoint, as a DEALER would (libzmq opens such a pipe per
// connection), and waits at most wait for the reply.
func askZAPSocket(reg *inproc.Registry, req *crypto.ZAPRequest, wait time.Duration) (crypto.ZAPReply, error) {
	const name = "zeromq.zap.01"
	h := &zapHost{}
	side := &inproc.Side{Host: h, SocketType: "DEALER"}
	if err := reg.Connect(name, side); err != nil {
		return crypto.ZAPReply{}, fmt.Errorf("%w: handler at %s: %w", crypto.ErrZAPReply, ZAPEndpoint, err)
	}
	defer reg.Disconnect(name, side)
	h.mu.Lock()
	p := h.pipe
	h.mu.Unlock()
	if p == nil {
		return crypto.ZAPReply{}, crypto.ErrNoZAPHandler
	}
	sig := ring.NewSignal()
	p.In.SetWakers(sig, nil)

	frames := crypto.AppendZAPRequest(nil, req)
	total := 0
	for _, f := range frames {
		total += len(f)
	}
	// One copy of the request: the handler may read it after we gave up.
	buf := ring.NewBuffer(total)
	var m ring.Msg
	m.Append(nil) // the delimiter
	off := 0
	for _, f := range frames {
		n := copy(buf.Bytes()[off:], f)
		m.AppendFrame(ring.NewFrame(buf, buf.Bytes()[off:off+n:off+n]))
		off += n
	}
	buf.Unref()
	if err := p.Out.Push(&m); err != nil {
		m.Release()
		return crypto.ZAPReply{}, fmt.Errorf("%w: handler at %s: %w", crypto.ErrZAPReply, ZAPEndpoint, err)
	}

	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		var r ring.Msg
		if p.In.Pop(&r) {
			reply, err := crypto.ParseZAPReply(r.Frames(nil))
			r.Release()
			return reply, err
		}
		if p.In.Closed() {
			return crypto.ZAPReply{}, fmt.Errorf("%w: handler at %s went away", crypto.ErrZAPReply, ZAPEndpoint)
		}
		select {
		case <-sig.C():
		case <-timer.C:
			return crypto.ZAPReply{}, fmt.Errorf("%w: no reply from %s within %v", crypto.ErrZAPReply, ZAPEndpoint, wait)
		}
	}
}
