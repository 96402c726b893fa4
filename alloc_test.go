//go:build !race

package azmq_test

import (
	"context"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

// TestSteadyStateAllocs: SendMsg and RecvMsg allocate nothing once a
// connection is warm, over every transport and backend, for a stream
// (PUSH/PULL) and for round trips (REQ/REP, which takes the std backend's
// inline-write path). It fails if any per-message allocation creeps in: an
// average of 0.05 per operation is one allocation every twenty messages,
// far above what an occasional pool refill after a GC costs.
func TestSteadyStateAllocs(t *testing.T) {
	payload := make([]byte, 16)
	// A long-lived ctx that can end (a service's, passed to every call)
	// costs its watch once, not per receive, with a deadline or without.
	long, cancel := context.WithCancel(context.Background())
	defer cancel()
	until, cancelUntil := context.WithTimeout(context.Background(), time.Hour)
	defer cancelUntil()
	ctxs := []struct {
		name string
		ctx  context.Context
	}{{"background", context.Background()}, {"cancellable", long}, {"deadline", until}}
	for _, b := range backends {
		for _, tr := range []string{"tcp", "ipc", "inproc"} {
			for _, cx := range ctxs {
				t.Run(b.String()+"/"+tr+"/"+cx.name, func(t *testing.T) {
					steadyStateAllocs(t, b, tr, cx.ctx, payload)
				})
			}
		}
	}
}

// steadyStateAllocs is TestSteadyStateAllocs for one backend, transport
// and ctx.
func steadyStateAllocs(t *testing.T, b azmq.Backend, tr string, ctx context.Context, payload []byte) {
	c := newContext(t, b)
	pull, push := newSocket(t, c, azmq.Pull), newSocket(t, c, azmq.Push)
	ep := endpointFor(t, tr)
	if err := pull.Bind(ep); err != nil {
		t.Fatal(err)
	}
	mustConnect(t, push, pull.Addr())
	var out, in azmq.Msg
	// exchange sends payload on tx and receives on rx.
	exchange := func(tx, rx *azmq.Socket) func() {
		return func() {
			out.Append(payload)
			if err := tx.SendMsg(ctx, &out); err != nil {
				t.Fatal(err)
			}
			if err := rx.RecvMsg(ctx, &in); err != nil {
				t.Fatal(err)
			}
		}
	}
	stream := exchange(push, pull)
	for range 2000 {
		stream()
	}
	if n := testing.AllocsPerRun(2000, stream); n >= 0.05 {
		t.Errorf("PUSH/PULL: %.3f allocs per message", n)
	}

	rep, req := newSocket(t, c, azmq.Rep), newSocket(t, c, azmq.Req)
	if err := rep.Bind(endpointFor(t, tr)); err != nil {
		t.Fatal(err)
	}
	mustConnect(t, req, rep.Addr())
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m azmq.Msg
		defer m.Release()
		for rep.RecvMsg(ctx, &m) == nil && rep.SendMsg(ctx, &m) == nil {
		}
	}()
	roundTrip := exchange(req, req)
	for range 500 {
		roundTrip()
	}
	if n := testing.AllocsPerRun(1000, roundTrip); n >= 0.05 {
		t.Errorf("REQ/REP: %.3f allocs per round trip", n)
	}
	in.Release()
	rep.Close()
	<-done
}
