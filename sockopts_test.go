package azmq_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

// TestPatternOptions runs the pattern options of libzmq over tcp, ipc and
// inproc, on every backend.
func TestPatternOptions(t *testing.T) {
	for _, b := range backends {
		for _, tr := range []string{"tcp", "ipc", "inproc"} {
			t.Run(b.String()+"/"+tr, func(t *testing.T) {
				for _, tc := range optionCases {
					t.Run(tc.name, func(t *testing.T) {
						t.Parallel()
						tc.run(t, newContext(t, b), tr)
					})
				}
			})
		}
	}
	assertNoLeaks(t)
}

// pushMany sends "0".."n-1" from push.
func pushMany(t *testing.T, push *azmq.Socket, n int) {
	t.Helper()
	for i := range n {
		mustSend(t, push, strconv.Itoa(i), "tail")
	}
}

// drainConflated receives until "n-1" comes and checks that fewer than n
// messages came, in order, each whole.
func drainConflated(t *testing.T, pull *azmq.Socket, n int) int {
	t.Helper()
	count, last := 0, -1
	for last != n-1 {
		m := mustRecv(t, pull)
		if len(m) != 2 || string(m[1]) != "tail" {
			t.Fatalf("conflated message %s is not whole", show(m))
		}
		i, _ := strconv.Atoi(string(m[0]))
		if i <= last {
			t.Fatalf("received %d after %d", i, last)
		}
		last = i
		count++
	}
	if count >= n {
		t.Fatalf("received all %d messages: nothing was conflated", n)
	}
	return count
}

var optionCases = []patternCase{
	{"conflate-pull", func(t *testing.T, c *azmq.Context, tr string) {
		const n = 200
		pull := newSocket(t, c, azmq.Pull, azmq.WithConflate(true))
		push := newSocket(t, c, azmq.Push)
		link(t, tr, pull, push)
		pushMany(t, push, n)
		// Give the messages time to arrive before the first receive; the
		// check holds however many arrive in between.
		time.Sleep(100 * time.Millisecond)
		drainConflated(t, pull, n)
	}},
	{"conflate-ignored-by-pair", func(t *testing.T, c *azmq.Context, tr string) {
		a := newSocket(t, c, azmq.Pair, azmq.WithConflate(true))
		b := newSocket(t, c, azmq.Pair)
		link(t, tr, a, b)
		for i := range 3 {
			mustSend(t, b, strconv.Itoa(i))
		}
		time.Sleep(50 * time.Millisecond)
		for i := range 3 {
			recvWant(t, a, strconv.Itoa(i)) // libzmq: PAIR does not conflate
		}
	}},
	{"req-correlate-relaxed", func(t *testing.T, c *azmq.Context, tr string) {
		req := newSocket(t, c, azmq.Req, azmq.WithReqCorrelate(true), azmq.WithReqRelaxed(true))
		router := newSocket(t, c, azmq.Router)
		link(t, tr, router, req)
		mustSend(t, req, "a")
		a := mustRecv(t, router)
		mustSend(t, req, "b") // relaxed: no reply awaited
		b := mustRecv(t, router)
		if len(a) != 4 || len(a[1]) != 4 || len(a[2]) != 0 {
			t.Fatalf("request %s, want [routing id, request id, \"\", body]", show(a))
		}
		// The reply to a comes late; only the request id tells it apart.
		a[3], b[3] = []byte("reply a"), []byte("reply b")
		for _, m := range [][][]byte{a, b} {
			if err := router.Send(timeoutCtx(t, testTimeout), m...); err != nil {
				t.Fatal(err)
			}
		}
		recvWant(t, req, "reply b")
	}},
	{"router-handover", func(t *testing.T, c *azmq.Context, tr string) {
		router := newSocket(t, c, azmq.Router, azmq.WithRouterHandover(true))
		if err := router.Bind(endpointFor(t, tr)); err != nil {
			t.Fatal(err)
		}
		first := newSocket(t, c, azmq.Dealer, azmq.WithRoutingID([]byte("X")))
		mustConnect(t, first, router.Addr())
		mustSend(t, first, "one")
		recvWant(t, router, "X", "one")
		second := newSocket(t, c, azmq.Dealer, azmq.WithRoutingID([]byte("X")))
		mustConnect(t, second, router.Addr())
		mustSend(t, second, "two")
		recvWant(t, router, "X", "two")
		mustSend(t, router, "X", "to second")
		recvWant(t, second, "to second")
		wantNothing(t, first, 50*time.Millisecond)
	}},
	{"router-no-handover", func(t *testing.T, c *azmq.Context, tr string) {
		router := newSocket(t, c, azmq.Router)
		if err := router.Bind(endpointFor(t, tr)); err != nil {
			t.Fatal(err)
		}
		first := newSocket(t, c, azmq.Dealer, azmq.WithRoutingID([]byte("X")))
		mustConnect(t, first, router.Addr())
		mustSend(t, first, "one")
		recvWant(t, router, "X", "one")
		second := newSocket(t, c, azmq.Dealer, azmq.WithRoutingID([]byte("X")))
		if err := second.Connect(router.Addr()); err != nil {
			if tr != "inproc" {
				t.Fatal(err)
			}
		} else {
			mustSend(t, second, "two") // refused: never arrives
			wantNothing(t, router, 100*time.Millisecond)
		}
		mustSend(t, router, "X", "to first")
		recvWant(t, first, "to first")
	}},
	{"probe-router", func(t *testing.T, c *azmq.Context, tr string) {
		router := newSocket(t, c, azmq.Router)
		if err := router.Bind(endpointFor(t, tr)); err != nil {
			t.Fatal(err)
		}
		for _, typ := range []azmq.Type{azmq.Dealer, azmq.Req, azmq.Router} {
			id := []byte(typ.String())
			s := newSocket(t, c, typ, azmq.WithProbeRouter(true), azmq.WithRoutingID(id))
			mustConnect(t, s, router.Addr())
			recvWant(t, router, typ.String(), "")
		}
		plain := newSocket(t, c, azmq.Dealer, azmq.WithRoutingID([]byte("plain")))
		mustConnect(t, plain, router.Addr())
		mustSend(t, plain, "first")
		recvWant(t, router, "plain", "first") // no probe before it
	}},
	{"metadata", func(t *testing.T, c *azmq.Context, tr string) {
		router := newSocket(t, c, azmq.Router)
		dealer := newSocket(t, c, azmq.Dealer, azmq.WithRoutingID([]byte("me")))
		link(t, tr, router, dealer)
		mustSend(t, dealer, "hi")
		var m azmq.Msg
		if err := router.RecvMsg(timeoutCtx(t, testTimeout), &m); err != nil {
			t.Fatal(err)
		}
		defer m.Release()
		want := map[string]string{"Socket-Type": "DEALER", "identity": "me"}
		for name, v := range want {
			if got, ok := m.Property(name); !ok || got != v {
				t.Errorf("Property(%q) = %q, %v; want %q", name, got, ok, v)
			}
		}
		addr := m.PeerAddress()
		switch tr {
		case "tcp":
			if !strings.HasPrefix(addr, "127.0.0.1:") {
				t.Errorf("PeerAddress %q, want 127.0.0.1:port", addr)
			}
			if pa, _ := m.Property("Peer-Address"); pa != "127.0.0.1" {
				t.Errorf("Peer-Address %q, want 127.0.0.1 as libzmq", pa)
			}
		case "inproc":
			if addr != "" {
				t.Errorf("inproc PeerAddress %q, want none", addr)
			}
		}
		// And the other way: what the dealer receives tells of the router.
		mustSend(t, router, "me", "back")
		if err := dealer.RecvMsg(timeoutCtx(t, testTimeout), &m); err != nil {
			t.Fatal(err)
		}
		if st, _ := m.Property("Socket-Type"); st != "ROUTER" {
			t.Errorf("dealer sees Socket-Type %q, want ROUTER", st)
		}
	}},
}

// TestConflateSender checks conflation on the sending side, where the
// queue is the socket's own (inproc: the one shared queue).
func TestConflateSender(t *testing.T) {
	c := newContext(t, azmq.BackendDefault)
	push := newSocket(t, c, azmq.Push, azmq.WithConflate(true))
	pull := newSocket(t, c, azmq.Pull)
	if err := push.Bind(endpointFor(t, "inproc")); err != nil {
		t.Fatal(err)
	}
	mustConnect(t, pull, push.Addr())
	pushMany(t, push, 100) // the queue holds one: the newest
	recvWant(t, pull, "99", "tail")
	wantNothing(t, pull, 50*time.Millisecond)
}

func ExampleMsg_Property() {
	c := azmq.NewContext()
	defer c.Close()
	router, _ := c.NewSocket(azmq.Router)
	dealer, _ := c.NewSocket(azmq.Dealer, azmq.WithRoutingID([]byte("worker-1")))
	router.Bind("inproc://meta-example")
	dealer.Connect("inproc://meta-example")
	dealer.Send(context.Background(), []byte("ready"))
	var m azmq.Msg
	router.RecvMsg(context.Background(), &m)
	st, _ := m.Property("Socket-Type")
	id, _ := m.Property("Identity")
	fmt.Println(st, id)
	m.Release()
	router.Close()
	dealer.Close()
	// Output: DEALER worker-1
}
