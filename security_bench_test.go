package azmq_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

// BenchmarkCurvePushPull measures one-way CURVE throughput of 1 KiB
// messages over tcp loopback, beside NULL in the same run: the cost of
// encryption, and 0 allocs/op on the per-message path.
func BenchmarkCurvePushPull(b *testing.B) {
	k := testCurveKeys(b)
	for _, backend := range backends {
		for _, mech := range []string{"NULL", "CURVE"} {
			b.Run(fmt.Sprintf("backend=%s/mechanism=%s/size=1024", backend, mech), func(b *testing.B) {
				var srvOpt, cliOpt []azmq.Option
				if mech == "CURVE" {
					srvOpt = []azmq.Option{azmq.WithCurveServer(k.ss)}
					cliOpt = []azmq.Option{azmq.WithCurveClient(k.sp, k.cp, k.cs)}
				}
				benchSecure(b, backend, 1024, srvOpt, cliOpt)
			})
		}
	}
}

func benchSecure(b *testing.B, backend azmq.Backend, size int, srvOpt, cliOpt []azmq.Option) {
	c := azmq.NewContext(azmq.WithBackend(backend))
	b.Cleanup(func() { c.Close() })
	pull, err := c.NewSocket(azmq.Pull, append(srvOpt, azmq.WithLinger(0))...)
	if err != nil {
		b.Fatal(err)
	}
	push, err := c.NewSocket(azmq.Push, append(cliOpt, azmq.WithLinger(0))...)
	if err != nil {
		b.Fatal(err)
	}
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
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
