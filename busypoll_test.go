package azmq_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

// TestBusyPoll runs REQ/REP with busy-polling readers on both sides, with
// small and big frames, and closes them while their readers spin: the spin
// is far longer than the test, so a close that waited for it would show.
func TestBusyPoll(t *testing.T) {
	const spin = 30 * time.Second
	for _, b := range backends {
		for _, tr := range []string{"tcp", "ipc"} {
			t.Run(b.String()+"/"+tr, func(t *testing.T) {
				c := newContext(t, b)
				rep := newSocket(t, c, azmq.Rep, azmq.WithBusyPoll(spin))
				req := newSocket(t, c, azmq.Req, azmq.WithBusyPoll(spin))
				link(t, tr, rep, req)
				ctx := timeoutCtx(t, testTimeout)
				for i, size := range []int{1, 16, 4096, 200 << 10, 16, 1 << 20, 0} {
					body := bytes.Repeat([]byte{byte(i + 1)}, size)
					if err := req.Send(ctx, body); err != nil {
						t.Fatalf("request %d: %v", i, err)
					}
					got, err := rep.Recv(ctx)
					if err != nil || !bytes.Equal(got[0], body) {
						t.Fatalf("request %d of %d bytes: got %d bytes, %v", i, size, len(got[0]), err)
					}
					if err := rep.Send(ctx, got[0]); err != nil {
						t.Fatal(err)
					}
					if got, err = req.Recv(ctx); err != nil || !bytes.Equal(got[0], body) {
						t.Fatalf("reply %d: %v", i, err)
					}
				}
				start := time.Now()
				if err := c.Close(); err != nil {
					t.Fatal(err)
				}
				if d := time.Since(start); d > spin/3 {
					t.Fatalf("Close took %v: it waited for the readers' spin", d)
				}
			})
		}
	}
	assertNoLeaks(t)
}
