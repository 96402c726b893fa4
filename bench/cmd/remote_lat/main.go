// Command remote_lat is azmq's version of libzmq's remote_lat: a REQ socket
// connects, sends roundtrip-count messages of msg-size bytes one at a time,
// waits for each echo, and prints the average one-way latency (total time /
// 2 / round trips timed) in libzmq's words. The first round trip waits for
// the connection and its handshake and is not timed, so that connection
// setup does not count as latency; the peer still sees roundtrip-count.
//
//	remote_lat <connect-to> <message-size> <roundtrip-count>
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/azmq/azmq"
	"github.com/azmq/azmq/bench/internal/perf"
)

func main() {
	a, done := perf.Parse("remote_lat", "roundtrip-count")
	c := a.Context()
	s, err := c.NewSocket(azmq.Req, a.Options()...)
	if err != nil {
		perf.Fail(err)
	}
	if err := s.Connect(a.Endpoint); err != nil {
		perf.Fail(err)
	}
	ctx := context.Background()
	// As libzmq's remote_lat, each request is the reply just received.
	var m azmq.Msg
	m.Append(make([]byte, a.Size))
	var start time.Time
	for i := 0; i < a.Count; i++ {
		if i == 1 {
			// The first round trip waited for the connection and its
			// handshake; the clock starts after it.
			start = time.Now()
		}
		if err := s.SendMsg(ctx, &m); err != nil {
			perf.Fail(err)
		}
		if err := s.RecvMsg(ctx, &m); err != nil {
			perf.Fail(err)
		}
		if m.Len() != 1 || m.Size() != a.Size {
			perf.Fail(fmt.Errorf("message of %d bytes in %d frames, expected %d bytes", m.Size(), m.Len(), a.Size))
		}
	}
	elapsed := time.Since(start)
	m.Release()
	latency := float64(elapsed.Microseconds()) / float64(2*max(a.Count-1, 1))
	fmt.Printf("message size: %d [B]\n", a.Size)
	fmt.Printf("roundtrip count: %d\n", a.Count)
	fmt.Printf("average latency: %.3f [us]\n", latency)
	s.Close()
	c.Close()
	done()
}
