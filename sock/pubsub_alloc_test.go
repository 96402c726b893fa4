//go:build !race

package sock

import (
	"context"
	"testing"

	"github.com/azmq/azmq/ring"
)

// TestPubSubZeroAllocs checks that the steady state of PUB fan-out and SUB
// filtered receive allocates nothing per message.
func TestPubSubZeroAllocs(t *testing.T) {
	payload := make([]byte, benchSize)
	topic, other := []byte("topic"), []byte("other")
	var m, tmp ring.Msg
	ctx := context.Background()
	tests := []struct {
		name string
		step func(t *testing.T) func() error
	}{
		{"PUB send to two subscribers", func(t *testing.T) func() error {
			s := newSocket(t, Pub, Options{})
			p, q := attach(t, s, 1000, 1000, ""), attach(t, s, 1000, 1000, "")
			peerSub(t, p, "\x01top", true)
			peerSub(t, q, "\x01", false)
			o := attach(t, s, 1000, 1000, "") // subscribed to nothing
			peerSub(t, o, "\x01x", true)
			return func() error {
				m.Append(topic)
				m.Append(payload)
				if err := s.Send(ctx, &m); err != nil {
					return err
				}
				p.Out.Pop(&tmp)
				q.Out.Pop(&tmp)
				tmp.Release()
				return nil
			}
		}},
		{"SUB recv", func(t *testing.T) func() error {
			s := newSocket(t, Sub, Options{})
			subscriber(t, s).Subscribe(topic)
			p := attach(t, s, 1000, 1000, "")
			peerRecvAll(p)
			return func() error {
				tmp.Append(other)
				if err := p.In.Push(&tmp); err != nil {
					return err
				}
				tmp.Append(topic)
				tmp.Append(payload)
				if err := p.In.Push(&tmp); err != nil {
					return err
				}
				if err := s.Recv(ctx, &m); err != nil {
					return err
				}
				m.Release()
				return nil
			}
		}},
		{"XSUB send", func(t *testing.T) func() error {
			s := newSocket(t, XSub, Options{})
			p := attach(t, s, 1000, 1000, "")
			return func() error {
				m.Append(payload)
				if err := s.Send(ctx, &m); err != nil {
					return err
				}
				p.Out.Pop(&tmp)
				tmp.Release()
				return nil
			}
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
