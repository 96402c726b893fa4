package azmq_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

// benchPair returns two connected sockets of the given types on a context
// with backend b and options opts, over tcp loopback, and closes everything
// at the end.
func benchPair(b *testing.B, backend azmq.Backend, bindT, connT azmq.Type, opts ...azmq.Option) (*azmq.Socket, *azmq.Socket) {
	b.Helper()
	c := azmq.NewContext(azmq.WithBackend(backend))
	opts = append(opts, azmq.WithLinger(0))
	srv, err := c.NewSocket(bindT, opts...)
	if err != nil {
		b.Fatal(err)
	}
	cli, err := c.NewSocket(connT, opts...)
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Bind("tcp://127.0.0.1:*"); err != nil {
		b.Fatal(err)
	}
	if err := cli.Connect(srv.Addr()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return srv, cli
}

// BenchmarkReqRepTCP measures one REQ/REP round trip over tcp loopback on
// each backend, side by side, with and without busy polling (which only
// the std backend honours, on Linux).
func BenchmarkReqRepTCP(b *testing.B) {
	for _, backend := range backends {
		for _, busy := range []time.Duration{0, 100 * time.Microsecond} {
			for _, size := range []int{16, 4096} {
				b.Run(fmt.Sprintf("backend=%s/busypoll=%v/size=%d", backend, busy, size), func(b *testing.B) {
					benchReqRep(b, backend, size, background, azmq.WithBusyPoll(busy))
				})
			}
		}
	}
}

// BenchmarkReqRepCtx measures REQ/REP round trips of 16 bytes over tcp on
// the default backend with the requester's calls under a ctx that cannot
// end, one long-lived ctx that can (a service's), and a fresh timeout per
// round trip.
func BenchmarkReqRepCtx(b *testing.B) {
	long, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, c := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"background", background},
		{"long", func() (context.Context, context.CancelFunc) { return long, func() {} }},
		{"timeout", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Minute)
		}},
	} {
		b.Run("ctx="+c.name, func(b *testing.B) { benchReqRep(b, azmq.BackendStd, 16, c.ctx) })
	}
}

func background() (context.Context, context.CancelFunc) { return context.Background(), func() {} }

// benchReqRep times REQ/REP round trips of size bytes between two sockets
// with opts, each of the requester's round trips under a ctx from reqCtx.
func benchReqRep(b *testing.B, backend azmq.Backend, size int, reqCtx func() (context.Context, context.CancelFunc), opts ...azmq.Option) {
	rep, req := benchPair(b, backend, azmq.Rep, azmq.Req, opts...)
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		var m azmq.Msg
		for {
			if err := rep.RecvMsg(ctx, &m); err != nil {
				done <- nil
				return
			}
			if err := rep.SendMsg(ctx, &m); err != nil {
				done <- err
				return
			}
		}
	}()
	payload := make([]byte, size)
	var m azmq.Msg
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		ctx, cancel := reqCtx()
		m.Append(payload)
		if err := req.SendMsg(ctx, &m); err != nil {
			b.Fatal(err)
		}
		if err := req.RecvMsg(ctx, &m); err != nil {
			b.Fatal(err)
		}
		m.Release()
		cancel()
	}
	b.StopTimer()
	rep.Close()
	<-done
}

// BenchmarkPushPull measures one-way throughput of SendMsg/RecvMsg over
// each transport and backend, side by side in one run.
func BenchmarkPushPull(b *testing.B) {
	for _, backend := range backends {
		for _, tr := range []string{"tcp", "ipc", "inproc"} {
			for _, size := range []int{16, 256, 65536} {
				b.Run(fmt.Sprintf("backend=%s/transport=%s/size=%d", backend, tr, size), func(b *testing.B) {
					benchPushPull(b, backend, tr, size, nil, nil)
				})
			}
		}
	}
}

// benchPushPull streams b.N messages of size bytes from a PUSH (with
// pushOpt) to a PULL (with pullOpt) that binds on transport tr.
func benchPushPull(b *testing.B, backend azmq.Backend, tr string, size int, pullOpt, pushOpt []azmq.Option) {
	c := azmq.NewContext(azmq.WithBackend(backend))
	b.Cleanup(func() { c.Close() })
	pull, err := c.NewSocket(azmq.Pull, append(pullOpt, azmq.WithLinger(0))...)
	if err != nil {
		b.Fatal(err)
	}
	push, err := c.NewSocket(azmq.Push, append(pushOpt, azmq.WithLinger(0))...)
	if err != nil {
		b.Fatal(err)
	}
	if err := pull.Bind(endpointFor(b, tr)); err != nil {
		b.Fatal(err)
	}
	if err := push.Connect(pull.Addr()); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// One message through first, so the handshake is not measured.
	var m azmq.Msg
	m.Append(make([]byte, size))
	if err := push.SendMsg(ctx, &m); err != nil {
		b.Fatal(err)
	}
	if err := pull.RecvMsg(ctx, &m); err != nil {
		b.Fatal(err)
	}
	m.Release()
	n := b.N
	done := make(chan error, 1)
	go func() {
		var m azmq.Msg
		for i := 0; i < n; i++ {
			if err := pull.RecvMsg(ctx, &m); err != nil {
				done <- err
				return
			}
		}
		m.Release()
		done <- nil
	}()
	payload := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < n; i++ {
		m.Append(payload)
		if err := push.SendMsg(ctx, &m); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msg/s")
}

// BenchmarkPubSubFanout measures one PUB publishing to ten SUBs over tcp
// loopback: an op is one message published and delivered to all ten. The
// message is shared by reference among the ten pipes; each connection
// encodes its own frame headers. Queues are unbounded so that nothing is
// dropped and every subscriber counts every message.
func BenchmarkPubSubFanout(b *testing.B) {
	const subscribers = 10
	for _, backend := range backends {
		for _, size := range []int{16, 1024} {
			b.Run(fmt.Sprintf("backend=%s/size=%d", backend, size), func(b *testing.B) {
				benchFanout(b, backend, subscribers, size)
			})
		}
	}
}

func benchFanout(b *testing.B, backend azmq.Backend, subscribers, size int) {
	c := azmq.NewContext(azmq.WithBackend(backend))
	b.Cleanup(func() { c.Close() })
	pub, err := c.NewSocket(azmq.Pub, azmq.WithLinger(0), azmq.WithSendHWM(0))
	if err != nil {
		b.Fatal(err)
	}
	if err := pub.Bind("tcp://127.0.0.1:*"); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	subs := make([]*azmq.Socket, subscribers)
	for i := range subs {
		s, err := c.NewSocket(azmq.Sub, azmq.WithRecvHWM(0))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Subscribe(nil); err != nil {
			b.Fatal(err)
		}
		if err := s.Connect(pub.Addr()); err != nil {
			b.Fatal(err)
		}
		subs[i] = s
	}
	// Publish probes until every subscriber has one: then every
	// subscription has reached the PUB.
	for _, s := range subs {
		for {
			if err := pub.Send(ctx, []byte("p")); err != nil {
				b.Fatal(err)
			}
			probe, stop := context.WithTimeout(ctx, 10*time.Millisecond)
			_, err := s.Recv(probe)
			stop()
			if err == nil {
				break
			}
		}
	}
	n := b.N
	done := make(chan error, subscribers)
	for _, s := range subs {
		go func() {
			var m azmq.Msg
			defer m.Release()
			for got := 0; got < n; {
				if err := s.RecvMsg(ctx, &m); err != nil {
					done <- err
					return
				}
				if m.Size() == size { // not a leftover probe
					got++
				}
			}
			done <- nil
		}()
	}
	payload := make([]byte, size)
	var m azmq.Msg
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < n; i++ {
		m.Append(payload)
		if err := pub.SendMsg(ctx, &m); err != nil {
			b.Fatal(err)
		}
	}
	for range subs {
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*subscribers)/b.Elapsed().Seconds(), "deliveries/s")
}
