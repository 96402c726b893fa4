package inproc

import (
	"errors"
	"sync"
	"testing"

	"github.com/azmq/azmq/crypto"
	"github.com/azmq/azmq/ring"
)

// host records what a registry attaches and detaches.
type host struct {
	mu       sync.Mutex
	attached []*ring.Pipe
	detached []*ring.Pipe
	refuse   error
}

func (h *host) Attach(p *ring.Pipe) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.refuse != nil {
		return h.refuse
	}
	h.attached = append(h.attached, p)
	return nil
}

func (h *host) Detach(p *ring.Pipe) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.detached = append(h.detached, p)
}

func side(h *host, typ string, id string, snd, rcv int) *Side {
	return &Side{Host: h, SocketType: typ, RoutingID: []byte(id), SendHWM: snd, RecvHWM: rcv, Eager: typ != "ROUTER"}
}

func TestConnectThenBind(t *testing.T) {
	r := NewRegistry()
	ch, bh := &host{}, &host{}
	conn, bind := side(ch, "DEALER", "d", 3, 4), side(bh, "ROUTER", "r", 5, 6)
	if err := r.Connect("x", conn); err != nil {
		t.Fatal(err)
	}
	if len(ch.attached) != 1 || len(bh.attached) != 0 {
		t.Fatalf("before bind: conn %d, bind %d attached", len(ch.attached), len(bh.attached))
	}
	var m ring.Msg
	m.Append([]byte("early"))
	if err := ch.attached[0].Out.Push(&m); err != nil {
		t.Fatalf("send before bind: %v", err)
	}
	if err := r.Bind("x", bind); err != nil {
		t.Fatal(err)
	}
	if len(bh.attached) != 1 {
		t.Fatal("bind did not complete the waiting connect")
	}
	bp, cp := bh.attached[0], ch.attached[0]
	// The DEALER's pipe was attached before the bind, so it keeps no routing
	// id (a DEALER never routes by one); a ROUTER waits for the bind instead.
	if string(bp.RoutingID) != "d" || bp.PeerType() != "DEALER" || cp.PeerType() != "ROUTER" {
		t.Fatalf("ids/types: bind sees %q %s, conn sees %s", bp.RoutingID, bp.PeerType(), cp.PeerType())
	}
	if !bp.In.Pop(&m) || string(m.Frame(0)) != "early" {
		t.Fatal("message queued before the bind was lost")
	}
	m.Release()
	// libzmq's inproc pipe holds sender's SNDHWM + receiver's RCVHWM.
	for i := 0; i < 3+6; i++ {
		m.Append([]byte("x"))
		if err := cp.Out.Push(&m); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
	}
	m.Append([]byte("x"))
	if err := cp.Out.Push(&m); !errors.Is(err, ring.ErrFull) {
		t.Fatalf("push past SNDHWM+RCVHWM: %v", err)
	}
	m.Release()
}

func TestBindTwiceAndUnbind(t *testing.T) {
	r := NewRegistry()
	a, b, c := &host{}, &host{}, &host{}
	sa, sb := side(a, "PULL", "", 10, 10), side(b, "PULL", "", 10, 10)
	if err := r.Bind("n", sa); err != nil {
		t.Fatal(err)
	}
	if err := r.Bind("n", sb); !errors.Is(err, ErrAddrInUse) {
		t.Fatalf("second bind: %v", err)
	}
	sc := side(c, "PUSH", "", 10, 10)
	if err := r.Connect("n", sc); err != nil {
		t.Fatal(err)
	}
	if err := r.Unbind("n", sb); !errors.Is(err, ErrNotBound) {
		t.Fatalf("unbind by a stranger: %v", err)
	}
	if err := r.Unbind("n", sa); err != nil {
		t.Fatal(err)
	}
	if len(a.detached) != 1 || len(c.detached) != 1 || !a.detached[0].Gone() {
		t.Fatal("unbind did not end the connection on both sides")
	}
	if err := r.Bind("n", sb); err != nil {
		t.Fatalf("bind after unbind: %v", err)
	}
	if err := r.Disconnect("n", sc); !errors.Is(err, ErrNotBound) {
		t.Fatalf("disconnect of an ended link: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	r := NewRegistry()
	a, b := &host{}, &host{}
	if err := r.Bind("n", side(a, "PULL", "", 1, 1)); err != nil {
		t.Fatal(err)
	}
	if err := r.Connect("n", side(b, "DEALER", "", 1, 1)); !errors.Is(err, crypto.ErrSocketType) {
		t.Fatalf("DEALER to PULL: %v", err)
	}
	full := errors.New("taken")
	p1, p2 := &host{}, &host{refuse: full}
	if err := r.Bind("p", side(p1, "PAIR", "", 1, 1)); err != nil {
		t.Fatal(err)
	}
	if err := r.Connect("p", side(p2, "PAIR", "", 1, 1)); !errors.Is(err, full) {
		t.Fatalf("refused attach: %v", err)
	}
	if len(p1.attached) != 1 || len(p1.detached) != 1 {
		t.Fatal("the side that attached was not detached when the other refused")
	}
}
