package azmq_test

import (
	"net"
	"testing"
	"time"

	"github.com/azmq/azmq"
	"github.com/azmq/azmq/frame"
)

func TestStats(t *testing.T) {
	for _, b := range backends {
		t.Run(b.String(), func(t *testing.T) {
			c := newContext(t, b)
			pull := newSocket(t, c, azmq.Pull)
			push := newSocket(t, c, azmq.Push)
			link(t, "tcp", pull, push)
			for i := 0; i < 10; i++ {
				mustSend(t, push, "abc", "de")
			}
			for i := 0; i < 10; i++ {
				mustRecv(t, pull)
			}
			ps, ls := push.Stats(), pull.Stats()
			if ps.MsgsOut != 10 || ps.BytesOut != 50 || ls.MsgsIn != 10 || ls.BytesIn != 50 {
				t.Fatalf("push %+v / pull %+v", ps, ls)
			}
			if ps.Connected != 1 || ls.Accepted != 1 {
				t.Fatalf("connected %d, accepted %d", ps.Connected, ls.Accepted)
			}
			if len(ls.Pipes) != 1 || ls.Pipes[0].PeerType != "PUSH" {
				t.Fatalf("pull pipes %+v", ls.Pipes)
			}

			// Unroutable ROUTER messages are counted, not lost silently.
			router := newSocket(t, c, azmq.Router)
			mustSend(t, router, "nobody", "x")
			if got := router.Stats().Unroutable; got != 1 {
				t.Fatalf("unroutable = %d", got)
			}

			// A peer of the wrong type is a handshake failure by reason.
			if err := router.Bind("tcp://127.0.0.1:*"); err != nil {
				t.Fatal(err)
			}
			nc, err := net.Dial("tcp", hostPort(t, router.Addr()))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			out := frame.AppendGreeting(nil, "NULL", false)
			out = frame.AppendCommand(out, frame.NameReady, frame.AppendProperty(nil, "Socket-Type", []byte("PUSH")))
			nc.Write(out)
			deadline := time.Now().Add(testTimeout)
			for router.Stats().HandshakeFailures["socket-type"] != 1 {
				if time.Now().After(deadline) {
					t.Fatalf("stats %+v", router.Stats())
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	assertNoLeaks(t)
}
