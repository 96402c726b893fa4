package azmq_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

// pairOpts is pair with options for the libzmq peer too.
func pairOpts(t *testing.T, c *azmq.Context, tr string, ours azmq.Type, theirs string, weBind bool, theirID []byte, theirOpts []peerOpt, opts ...azmq.Option) (*azmq.Socket, *pyPeer) {
	t.Helper()
	opts = append([]azmq.Option{azmq.WithLinger(time.Second)}, opts...)
	s, err := c.NewSocket(ours, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if weBind {
		if err := s.Bind(endpointFor(t, tr)); err != nil {
			t.Fatal(err)
		}
		return s, startPeerOpts(t, theirs, "connect", s.Addr(), theirID, theirOpts)
	}
	p := startPeerOpts(t, theirs, "bind", endpointFor(t, tr), theirID, theirOpts)
	if err := s.Connect(p.endpoint); err != nil {
		t.Fatal(err)
	}
	return s, p
}

func recvMsg(t *testing.T, s *azmq.Socket) [][]byte {
	t.Helper()
	got, err := s.Recv(tctx(t))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

var optionInteropCases = []interopCase{
	{"REQ-correlate-relaxed/ROUTER", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.Req, "ROUTER", weBind, nil, azmq.WithReqCorrelate(true), azmq.WithReqRelaxed(true))
		if err := s.Send(tctx(t), []byte("a")); err != nil {
			t.Fatal(err)
		}
		a := p.recv()
		if err := s.Send(tctx(t), []byte("b")); err != nil {
			t.Fatal(err)
		}
		b := p.recv()
		if len(a) != 4 || len(a[1]) != 4 || len(a[2]) != 0 || string(a[3]) != "a" {
			t.Fatalf("libzmq ROUTER got %s, want [rid, id(4), \"\", a]", short(a))
		}
		// libzmq sees our request id; the late reply to a is dropped.
		p.send(a[0], a[1], nil, []byte("reply a"))
		p.send(b[0], b[1], nil, []byte("reply b"))
		mustEqual(t, "reply", recvMsg(t, s), [][]byte{[]byte("reply b")})
	}},
	{"ROUTER/REQ-correlate", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pairOpts(t, c, tr, azmq.Router, "REQ", weBind, nil, []peerOpt{{"REQ_CORRELATE", 1}})
		p.send([]byte("q"))
		got := recvMsg(t, s)
		if len(got) != 4 || len(got[1]) != 4 || len(got[2]) != 0 {
			t.Fatalf("got %s, want [rid, id(4), \"\", q]", short(got))
		}
		wrong := append([]byte(nil), got[1]...)
		wrong[0]++
		for _, id := range [][]byte{wrong, got[1]} {
			if err := s.Send(tctx(t), got[0], id, nil, []byte("r"+strconv.Itoa(int(id[0])))); err != nil {
				t.Fatal(err)
			}
		}
		mustEqual(t, "libzmq REQ's reply", p.recv(), [][]byte{[]byte("r" + strconv.Itoa(int(got[1][0])))})
	}},
	{"ROUTER-handover/DEALER", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		id := []byte("X")
		if !weBind {
			// The reverse: libzmq's handover, our two DEALERs of one id.
			p := startPeerOpts(t, "ROUTER", "bind", endpointFor(t, tr), nil, []peerOpt{{"ROUTER_HANDOVER", 1}})
			first := newSocket(t, c, azmq.Dealer, azmq.WithRoutingID(id))
			mustConnect(t, first, p.endpoint)
			mustSend(t, first, "one")
			mustEqual(t, "first", p.recv(), bs("X", "one"))
			second := newSocket(t, c, azmq.Dealer, azmq.WithRoutingID(id))
			mustConnect(t, second, p.endpoint)
			mustSend(t, second, "two")
			mustEqual(t, "second", p.recv(), bs("X", "two"))
			p.send([]byte("X"), []byte("to second"))
			recvWant(t, second, "to second")
			return
		}
		router := newSocket(t, c, azmq.Router, azmq.WithRouterHandover(true))
		if err := router.Bind(endpointFor(t, tr)); err != nil {
			t.Fatal(err)
		}
		first := startPeer(t, "DEALER", "connect", router.Addr(), id)
		first.send([]byte("one"))
		recvWant(t, router, "X", "one")
		second := startPeer(t, "DEALER", "connect", router.Addr(), id)
		second.send([]byte("two"))
		recvWant(t, router, "X", "two")
		mustSend(t, router, "X", "to second")
		mustEqual(t, "second", second.recv(), bs("to second"))
		// The first one's connection was ended by us.
		if !eventually(testTimeout, func() bool { return router.Stats().Disconnects >= 1 }) {
			t.Fatalf("the replaced peer was not disconnected: %+v", router.Stats())
		}
	}},
	{"DEALER-probe/ROUTER", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		_, p := pair(t, c, tr, azmq.Dealer, "ROUTER", weBind, nil, azmq.WithProbeRouter(true))
		got := p.recv()
		if len(got) != 2 || len(got[1]) != 0 {
			t.Fatalf("libzmq ROUTER got %s, want [rid, \"\"]", short(got))
		}
	}},
	{"ROUTER/DEALER-probe", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pairOpts(t, c, tr, azmq.Router, "DEALER", weBind, []byte("d"), []peerOpt{{"PROBE_ROUTER", 1}})
		// A bound libzmq socket attaches a connection, and so probes it,
		// only while its application is inside a socket call.
		for i := 0; ; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			got, err := s.Recv(ctx)
			cancel()
			if err == nil {
				mustEqual(t, "probe", got, bs("d", ""))
				return
			}
			if i == 500 {
				t.Fatal("the probe never came")
			}
			p.do(map[string]any{"poll": 10})
		}
	}},
	{"ROUTER-metadata/DEALER", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.Router, "DEALER", weBind, []byte("abc"))
		p.send([]byte("hi"))
		var m azmq.Msg
		if err := s.RecvMsg(tctx(t), &m); err != nil {
			t.Fatal(err)
		}
		defer m.Release()
		want := map[string]string{"Socket-Type": "DEALER", "Identity": "abc"}
		if tr == "tcp" {
			want["Peer-Address"] = "127.0.0.1"
		}
		for name, v := range want {
			if got, ok := m.Property(name); !ok || got != v {
				t.Errorf("Property(%q) = %q, %v; want %q", name, got, ok, v)
			}
		}
	}},
	{"PULL-conflate/PUSH", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		const n = 50
		s, p := pair(t, c, tr, azmq.Pull, "PUSH", weBind, nil, azmq.WithConflate(true))
		for i := range n {
			p.send([]byte(strconv.Itoa(i)), []byte("tail"))
		}
		time.Sleep(100 * time.Millisecond)
		drainConflated(t, s, n)
	}},
}

func TestInteropOptions(t *testing.T) {
	runInterop(t, optionInteropCases, func(string) bool { return true })
}

// The metadata of a message lives as long as the Msg holds it; a message
// the application makes has none.
func TestMsgWithoutPeer(t *testing.T) {
	var m azmq.Msg
	m.Append([]byte("x"))
	if _, ok := m.Property("Socket-Type"); ok || m.PeerAddress() != "" {
		t.Fatal("an application's message claims a peer")
	}
}
