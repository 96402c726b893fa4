//go:build !race

package sock

import (
	"context"
	"testing"

	"github.com/azmq/azmq/ring"
)

// TestZeroAllocs checks that the steady state of every pattern's send and
// receive allocates nothing per message.
func TestZeroAllocs(t *testing.T) {
	payload := make([]byte, benchSize)
	var m, tmp ring.Msg
	tests := []struct {
		name string
		step func(t *testing.T) func() error
	}{
		{"PUSH send", func(t *testing.T) func() error {
			s := newSocket(t, Push, Options{})
			p := attach(t, s, 1000, 1000, "")
			return func() error { return pushStep(s, p, &m, &tmp, payload) }
		}},
		{"PULL recv", func(t *testing.T) func() error {
			s := newSocket(t, Pull, Options{})
			p := attach(t, s, 1000, 1000, "")
			return func() error { return pullStep(s, p, &m, &tmp, payload) }
		}},
		{"DEALER send over two peers", func(t *testing.T) func() error {
			s := newSocket(t, Dealer, Options{})
			p, q := attach(t, s, 1000, 1000, ""), attach(t, s, 1000, 1000, "")
			return func() error {
				m.Append(payload)
				if err := s.Send(context.Background(), &m); err != nil {
					return err
				}
				if !p.Out.Pop(&tmp) {
					q.Out.Pop(&tmp)
				}
				tmp.Release()
				return nil
			}
		}},
		{"ROUTER recv+send", func(t *testing.T) func() error {
			s := newSocket(t, Router, Options{RouterMandatory: true})
			p := attach(t, s, 1000, 1000, "peer")
			return func() error { return routerStep(s, p, &m, &tmp, payload) }
		}},
		{"REQ/REP round trip", func(t *testing.T) func() error {
			req := newSocket(t, Req, Options{})
			rep := newSocket(t, Rep, Options{})
			a := attach(t, req, 1000, 1000, "")
			b := attach(t, rep, 1000, 1000, "")
			return func() error { return reqRepStep(req, rep, a, b, &m, &tmp, payload) }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step := tt.step(t)
			var err error
			allocs := testing.AllocsPerRun(1000, func() {
				if e := step(); e != nil {
					err = e
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if allocs != 0 {
				t.Fatalf("%v allocs per message, want 0", allocs)
			}
		})
	}
}
