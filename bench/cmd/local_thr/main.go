// Command local_thr is azmq's version of libzmq's local_thr: a PULL socket
// binds, receives msg-count messages of msg-size bytes, and prints the
// throughput measured from the first message to the last, in libzmq's words.
//
//	local_thr <bind-to> <message-size> <message-count>
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/azmq/azmq"
	"github.com/azmq/azmq/bench/internal/perf"
)

func main() {
	a, done := perf.Parse("local_thr", "message-count")
	c := a.Context()
	s, err := c.NewSocket(azmq.Pull, a.Options()...)
	if err != nil {
		perf.Fail(err)
	}
	if err := s.Bind(a.Endpoint); err != nil {
		perf.Fail(err)
	}
	ctx := context.Background()
	var m azmq.Msg
	recv := func() {
		if err := s.RecvMsg(ctx, &m); err != nil {
			perf.Fail(err)
		}
		if m.Len() != 1 || m.Size() != a.Size {
			perf.Fail(fmt.Errorf("message of %d bytes in %d frames, expected %d bytes", m.Size(), m.Len(), a.Size))
		}
	}
	recv()
	start := time.Now()
	for i := 1; i < a.Count; i++ {
		recv()
	}
	elapsed := time.Since(start)
	m.Release()
	us := elapsed.Microseconds()
	if us == 0 {
		us = 1
	}
	thr := uint64(float64(a.Count) / float64(us) * 1e6)
	mbs := float64(thr) * float64(a.Size) * 8 / 1e6
	fmt.Printf("message size: %d [B]\n", a.Size)
	fmt.Printf("message count: %d\n", a.Count)
	fmt.Printf("mean throughput: %d [msg/s]\n", thr)
	fmt.Printf("mean throughput: %.3f [Mb/s]\n", mbs)
	s.Close()
	c.Close()
	done()
}
