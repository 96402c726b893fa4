//go:build race

package azmq_test

import (
	"bytes"
	"testing"

	"github.com/azmq/azmq"
	"github.com/azmq/azmq/ring"
)

// TestUseAfterReleasePoisoned: in race builds (go test -race), a buffer
// whose last view is released is filled with ring.PoisonByte before it goes
// back to its pool, so a frame view kept past Msg.Release reads garbage a
// test notices at once instead of data that looks right until the buffer
// is reused. It fails if a released view still shows the message (no
// poisoning), over inproc (the sender's buffer, passed by reference) and
// tcp (a frame larger than a read buffer gets a buffer of its own).
func TestUseAfterReleasePoisoned(t *testing.T) {
	for _, tr := range []string{"inproc", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			c := newContext(t, azmq.BackendDefault)
			pull := newSocket(t, c, azmq.Pull)
			push := newSocket(t, c, azmq.Push)
			ep := "inproc://poison"
			if tr == "tcp" {
				ep = bindLocal(t, pull)
			} else if err := pull.Bind(ep); err != nil {
				t.Fatal(err)
			}
			mustConnect(t, push, ep)
			body := bytes.Repeat([]byte("payload!"), 16<<10) // 128 KiB
			if err := push.Send(timeoutCtx(t, testTimeout), body); err != nil {
				t.Fatal(err)
			}
			var m azmq.Msg
			if err := pull.RecvMsg(timeoutCtx(t, testTimeout), &m); err != nil {
				t.Fatal(err)
			}
			view := m.Frame(0)
			if !bytes.Equal(view, body) {
				t.Fatal("received the wrong bytes")
			}
			m.Release()
			if !bytes.Equal(view, bytes.Repeat([]byte{ring.PoisonByte}, len(body))) {
				t.Fatalf("a view kept after Release still reads %q…, want poison 0x%x", view[:16], ring.PoisonByte)
			}
		})
	}
}
