package sock

import (
	"context"
	"testing"

	"github.com/azmq/azmq/ring"
)

const benchSize = 16

// pushStep sends one message on a PUSH and pops it as the transport would.
func pushStep(s Socket, p *ring.Pipe, m, out *ring.Msg, payload []byte) error {
	m.Append(payload)
	if err := s.Send(context.Background(), m); err != nil {
		return err
	}
	p.Out.Pop(out)
	out.Release()
	return nil
}

// pullStep queues one message as the transport would and receives it.
func pullStep(s Socket, p *ring.Pipe, m, in *ring.Msg, payload []byte) error {
	in.Append(payload)
	if err := p.In.Push(in); err != nil {
		return err
	}
	if err := s.Recv(context.Background(), m); err != nil {
		return err
	}
	m.Release()
	return nil
}

// routerStep receives a request on a ROUTER and routes a reply back.
func routerStep(s Socket, p *ring.Pipe, m, tmp *ring.Msg, payload []byte) error {
	tmp.Append(payload)
	if err := p.In.Push(tmp); err != nil {
		return err
	}
	if err := s.Recv(context.Background(), m); err != nil {
		return err
	}
	if err := s.Send(context.Background(), m); err != nil {
		return err
	}
	p.Out.Pop(tmp)
	tmp.Release()
	return nil
}

// reqRepStep goes once round a REQ and a REP joined by the test.
func reqRepStep(req, rep Socket, a, b *ring.Pipe, m, tmp *ring.Msg, payload []byte) error {
	m.Append(payload)
	if err := req.Send(context.Background(), m); err != nil {
		return err
	}
	a.Out.Pop(tmp)
	if err := b.In.Push(tmp); err != nil {
		return err
	}
	if err := rep.Recv(context.Background(), m); err != nil {
		return err
	}
	if err := rep.Send(context.Background(), m); err != nil {
		return err
	}
	b.Out.Pop(tmp)
	if err := a.In.Push(tmp); err != nil {
		return err
	}
	if err := req.Recv(context.Background(), m); err != nil {
		return err
	}
	m.Release()
	return nil
}

func BenchmarkPushSend(b *testing.B) {
	b.Run("size=16", func(b *testing.B) {
		s := newSocket(b, Push, Options{})
		p := attach(b, s, 1000, 1000, "")
		payload := make([]byte, benchSize)
		var m, out ring.Msg
		b.SetBytes(benchSize)
		b.ReportAllocs()
		for b.Loop() {
			if err := pushStep(s, p, &m, &out, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPullRecv(b *testing.B) {
	b.Run("size=16", func(b *testing.B) {
		s := newSocket(b, Pull, Options{})
		p := attach(b, s, 1000, 1000, "")
		payload := make([]byte, benchSize)
		var m, in ring.Msg
		b.SetBytes(benchSize)
		b.ReportAllocs()
		for b.Loop() {
			if err := pullStep(s, p, &m, &in, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkRouterRecvSend(b *testing.B) {
	b.Run("size=16", func(b *testing.B) {
		s := newSocket(b, Router, Options{})
		p := attach(b, s, 1000, 1000, "peer")
		payload := make([]byte, benchSize)
		var m, tmp ring.Msg
		b.SetBytes(benchSize)
		b.ReportAllocs()
		for b.Loop() {
			if err := routerStep(s, p, &m, &tmp, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkReqRep(b *testing.B) {
	b.Run("size=16", func(b *testing.B) {
		req := newSocket(b, Req, Options{})
		rep := newSocket(b, Rep, Options{})
		pa := attach(b, req, 1000, 1000, "")
		pb := attach(b, rep, 1000, 1000, "")
		payload := make([]byte, benchSize)
		var m, tmp ring.Msg
		b.SetBytes(benchSize)
		b.ReportAllocs()
		for b.Loop() {
			if err := reqRepStep(req, rep, pa, pb, &m, &tmp, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDealerParallel measures a DEALER whose one peer echoes back,
// sending on the benchmark goroutine while another goroutine receives.
func BenchmarkDealerParallel(b *testing.B) {
	b.Run("size=16", func(b *testing.B) {
		s := newSocket(b, Dealer, Options{})
		p := attach(b, s, 1000, 1000, "")
		payload := make([]byte, benchSize)
		b.SetBytes(benchSize)
		b.ReportAllocs()
		done := make(chan struct{})
		n := b.N
		go func() {
			defer close(done)
			var m ring.Msg
			for range n {
				if err := s.Recv(context.Background(), &m); err != nil {
					b.Error(err)
					return
				}
				m.Release()
			}
		}()
		var m, tmp ring.Msg
		outSig := ring.NewSignal()
		p.Out.SetWakers(outSig, nil)
		inSig := ring.NewSignal()
		p.In.SetWakers(nil, inSig)
		b.ResetTimer()
		for range n {
			m.Append(payload)
			if err := s.Send(context.Background(), &m); err != nil {
				b.Fatal(err)
			}
			p.Out.Pop(&tmp)
			for p.In.Push(&tmp) != nil {
				<-inSig.C()
			}
		}
		<-done
	})
}
