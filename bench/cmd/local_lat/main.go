// Command local_lat is azmq's version of libzmq's local_lat: a REP socket
// binds and echoes roundtrip-count messages of msg-size bytes.
//
//	local_lat <bind-to> <message-size> <roundtrip-count>
package main

import (
	"context"
	"fmt"

	"github.com/azmq/azmq"
	"github.com/azmq/azmq/bench/internal/perf"
)

func main() {
	a, done := perf.Parse("local_lat", "roundtrip-count")
	c := a.Context()
	s, err := c.NewSocket(azmq.Rep, a.Options()...)
	if err != nil {
		perf.Fail(err)
	}
	if err := s.Bind(a.Endpoint); err != nil {
		perf.Fail(err)
	}
	ctx := context.Background()
	var m azmq.Msg
	for i := 0; i < a.Count; i++ {
		if err := s.RecvMsg(ctx, &m); err != nil {
			perf.Fail(err)
		}
		if m.Len() != 1 || m.Size() != a.Size {
			perf.Fail(fmt.Errorf("message of %d bytes in %d frames, expected %d bytes", m.Size(), m.Len(), a.Size))
		}
		if err := s.SendMsg(ctx, &m); err != nil {
			perf.Fail(err)
		}
	}
	s.Close()
	c.Close()
	done()
}
