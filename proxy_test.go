package azmq_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

// runProxy runs p until the test ends and returns the channel of its result.
func runProxy(t *testing.T, ctx context.Context, p *azmq.SteerableProxy) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	stopped := make(chan struct{})
	go func() {
		done <- p.Run(ctx)
		close(stopped)
	}()
	t.Cleanup(func() {
		p.Terminate()
		select {
		case <-stopped:
		case <-time.After(testTimeout):
			t.Error("proxy did not stop")
		}
	})
	return done
}

// streamer returns src → [front proxy back] → dst over inproc.
func streamer(t *testing.T, c *azmq.Context) (src, front, back, dst *azmq.Socket) {
	t.Helper()
	src, front = newSocket(t, c, azmq.Push), newSocket(t, c, azmq.Pull)
	back, dst = newSocket(t, c, azmq.Push), newSocket(t, c, azmq.Pull)
	link(t, "inproc", front, src)
	link(t, "inproc", back, dst)
	return
}

func waitProxy(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(testTimeout):
		t.Fatal("proxy did not return")
		return nil
	}
}

func TestProxySteerable(t *testing.T) {
	c := newContext(t, azmq.BackendDefault)
	src, front, back, dst := streamer(t, c)
	p := azmq.NewSteerableProxy(front, back, nil)
	done := runProxy(t, context.Background(), p)
	mustSend(t, src, "one", "", "3")
	recvWant(t, dst, "one", "", "3")
	p.Pause()
	mustSend(t, src, "two")
	wantNothing(t, dst, 100*time.Millisecond)
	p.Resume()
	recvWant(t, dst, "two")
	want := azmq.ProxyStats{
		FrontendIn: azmq.ProxyCount{Msgs: 2, Bytes: 7},
		BackendOut: azmq.ProxyCount{Msgs: 2, Bytes: 7},
	}
	// The proxy counts a message once SendMsg has returned, which may be
	// just after the receiver already has it.
	var got azmq.ProxyStats
	if !eventually(testTimeout, func() bool { got = p.Stats(); return got == want }) {
		t.Fatalf("Stats %+v, want %+v", got, want)
	}
	p.Terminate()
	if err := waitProxy(t, done); err != nil {
		t.Fatalf("Run after Terminate: %v", err)
	}
}

func TestProxyStops(t *testing.T) {
	c := newContext(t, azmq.BackendDefault)
	t.Run("context", func(t *testing.T) {
		_, front, back, _ := streamer(t, c)
		ctx, cancel := context.WithCancel(context.Background())
		done := runProxy(t, ctx, azmq.NewSteerableProxy(front, back, nil))
		cancel()
		if err := waitProxy(t, done); !errors.Is(err, context.Canceled) {
			t.Fatalf("Run: %v, want context.Canceled", err)
		}
	})
	t.Run("close", func(t *testing.T) {
		_, front, back, _ := streamer(t, c)
		done := runProxy(t, context.Background(), azmq.NewSteerableProxy(front, back, nil))
		front.Close()
		if err := waitProxy(t, done); !errors.Is(err, azmq.ErrClosed) {
			t.Fatalf("Run: %v, want ErrClosed", err)
		}
	})
	t.Run("paused", func(t *testing.T) {
		_, front, back, _ := streamer(t, c)
		p := azmq.NewSteerableProxy(front, back, nil)
		p.Pause()
		done := runProxy(t, context.Background(), p)
		p.Terminate()
		if err := waitProxy(t, done); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
	t.Run("terminated-first", func(t *testing.T) {
		_, front, back, _ := streamer(t, c)
		p := azmq.NewSteerableProxy(front, back, nil)
		p.Terminate()
		if err := p.Run(context.Background()); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
	t.Run("neither-receives", func(t *testing.T) {
		a, b := newSocket(t, c, azmq.Push), newSocket(t, c, azmq.Pub)
		if err := azmq.Proxy(context.Background(), a, b, nil); !errors.Is(err, azmq.ErrNotSupported) {
			t.Fatalf("Proxy: %v, want ErrNotSupported", err)
		}
	})
}

// TestProxyBroker is a ROUTER/DEALER broker between REQ clients and REP
// workers, with a capture socket that sees both directions.
func TestProxyBroker(t *testing.T) {
	runOnBackends(t, []backendCase{{"tcp", func(t *testing.T, c *azmq.Context) {
		front, back := newSocket(t, c, azmq.Router), newSocket(t, c, azmq.Dealer)
		capture, tap := newSocket(t, c, azmq.Push), newSocket(t, c, azmq.Pull)
		req, rep := newSocket(t, c, azmq.Req), newSocket(t, c, azmq.Rep)
		link(t, "tcp", front, req)
		link(t, "tcp", back, rep)
		link(t, "inproc", tap, capture)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- azmq.Proxy(ctx, front, back, capture) }()
		mustSend(t, req, "hello", "world")
		got := recvWant(t, rep, "hello", "world")
		if err := rep.Send(timeoutCtx(t, testTimeout), got...); err != nil {
			t.Fatal(err)
		}
		recvWant(t, req, "hello", "world")
		for range 2 {
			m := mustRecv(t, tap)
			if len(m) != 4 || len(m[1]) != 0 || string(m[2]) != "hello" {
				t.Fatalf("captured %s, want [id, \"\", hello, world]", show(m))
			}
		}
		cancel()
		if err := waitProxy(t, done); !errors.Is(err, context.Canceled) {
			t.Fatalf("Proxy: %v", err)
		}
	}}})
}

var proxyInteropCases = []interopCase{
	// libzmq publishers and subscribers on either side of our XSUB/XPUB
	// forwarder; with weBind the proxy binds both, else libzmq does.
	{"XSUB-XPUB", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		xsub, xpub := newSocket(t, c, azmq.XSub), newSocket(t, c, azmq.XPub)
		var pub, sub *pyPeer
		if weBind {
			if err := xsub.Bind(endpointFor(t, tr)); err != nil {
				t.Fatal(err)
			}
			if err := xpub.Bind(endpointFor(t, tr)); err != nil {
				t.Fatal(err)
			}
			pub = startPeer(t, "PUB", "connect", xsub.Addr(), nil)
			sub = startPeer(t, "SUB", "connect", xpub.Addr(), nil)
		} else {
			pub = startPeer(t, "PUB", "bind", endpointFor(t, tr), nil)
			sub = startPeer(t, "SUB", "bind", endpointFor(t, tr), nil)
			mustConnect(t, xsub, pub.endpoint)
			mustConnect(t, xpub, sub.endpoint)
		}
		ctx, cancel := context.WithCancel(context.Background())
		p := azmq.NewSteerableProxy(xsub, xpub, nil)
		done := runProxy(t, ctx, p)
		sub.subscribe([]byte("A"))
		got := make(chan [][]byte, 1)
		wait := sub.recvAsync()
		go func() { got <- wait() }()
		// The libzmq PUB sends only once our XSUB passed the subscription
		// on; until then it drops everything.
		var m [][]byte
	publish:
		for i := 0; ; i++ {
			pub.send([]byte("B-no"), []byte("x"))
			pub.send([]byte("A-yes"), []byte("part 2"))
			select {
			case m = <-got:
				break publish
			case <-time.After(10 * time.Millisecond):
			}
			if i == 1000 {
				t.Fatal("the libzmq subscriber never received")
			}
		}
		mustEqual(t, "through the proxy", m, bs("A-yes", "part 2"))
		if st := p.Stats(); st.BackendIn.Msgs == 0 || st.FrontendIn.Msgs == 0 {
			t.Fatalf("stats %+v: the subscription or the data did not pass", st)
		}
		cancel()
		if err := waitProxy(t, done); !errors.Is(err, context.Canceled) {
			t.Fatalf("Run: %v", err)
		}
	}},
	// A broker between our REQ and a libzmq REP.
	{"ROUTER-DEALER-broker", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		front := newSocket(t, c, azmq.Router)
		back, rep := pair(t, c, tr, azmq.Dealer, "REP", weBind, nil)
		req := newSocket(t, c, azmq.Req)
		link(t, tr, front, req)
		runProxy(t, context.Background(), azmq.NewSteerableProxy(front, back, nil))
		for _, m := range testMessages() {
			echoed := rep.echoAsync(1)
			if err := req.Send(tctx(t), m...); err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "reply", recvMsg(t, req), m)
			echoed()
		}
	}},
}

func TestInteropProxy(t *testing.T) {
	runInterop(t, proxyInteropCases, func(string) bool { return true })
}

// BenchmarkProxy measures forwarding through a proxy over inproc: PUSH →
// [PULL proxy PUSH] → PULL, 16 B messages.
func BenchmarkProxy(b *testing.B) {
	b.Run("transport=inproc/size=16", func(b *testing.B) {
		c := azmq.NewContext()
		b.Cleanup(func() { c.Close() })
		src, front := newSocket(b, c, azmq.Push), newSocket(b, c, azmq.Pull)
		back, dst := newSocket(b, c, azmq.Push), newSocket(b, c, azmq.Pull)
		for i, pr := range [][2]*azmq.Socket{{front, src}, {back, dst}} {
			ep := "inproc://bench-proxy-" + string(rune('a'+i))
			if err := pr[0].Bind(ep); err != nil {
				b.Fatal(err)
			}
			if err := pr[1].Connect(ep); err != nil {
				b.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- azmq.Proxy(ctx, front, back, nil) }()
		n := b.N
		recvd := make(chan error, 1)
		go func() {
			var m azmq.Msg
			for range n {
				if err := dst.RecvMsg(ctx, &m); err != nil {
					recvd <- err
					return
				}
			}
			m.Release()
			recvd <- nil
		}()
		payload := make([]byte, 16)
		var m azmq.Msg
		b.SetBytes(16)
		b.ReportAllocs()
		b.ResetTimer()
		for range n {
			m.Append(payload)
			if err := src.SendMsg(ctx, &m); err != nil {
				b.Fatal(err)
			}
		}
		if err := <-recvd; err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cancel()
		<-done
	})
}
