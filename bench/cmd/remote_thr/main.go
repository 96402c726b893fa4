// Command remote_thr is azmq's version of libzmq's remote_thr: a PUSH socket
// connects and sends msg-count messages of msg-size bytes, then closes with
// linger so that nothing queued is lost.
//
//	remote_thr <connect-to> <message-size> <message-count>
package main

import (
	"context"

	"github.com/azmq/azmq"
	"github.com/azmq/azmq/bench/internal/perf"
)

func main() {
	a, done := perf.Parse("remote_thr", "message-count")
	c := a.Context()
	s, err := c.NewSocket(azmq.Push, a.Options()...)
	if err != nil {
		perf.Fail(err)
	}
	if err := s.Connect(a.Endpoint); err != nil {
		perf.Fail(err)
	}
	ctx := context.Background()
	payload := make([]byte, a.Size)
	var m azmq.Msg
	for i := 0; i < a.Count; i++ {
		m.Append(payload)
		if err := s.SendMsg(ctx, &m); err != nil {
			perf.Fail(err)
		}
	}
	s.Close()
	c.Close() // waits for the queue to drain: linger defaults to forever
	done()
}
