// Command loopback measures azmq on tcp loopback: PUSH/PULL throughput and
// REQ/REP round-trip latency for a few message sizes on each engine
// backend, and prints a Markdown table.
//
//	go run ./cmd/loopback [-sizes 16,256,4096,65536] [-msgs 200000] [-roundtrips 20000]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/azmq/azmq"
)

func main() {
	sizesFlag := flag.String("sizes", "16,256,4096,65536", "message sizes in bytes, comma-separated")
	msgs := flag.Int("msgs", 200000, "messages per throughput run (scaled down for large sizes)")
	roundtrips := flag.Int("roundtrips", 20000, "round trips per latency run")
	flag.Parse()
	var sizes []int
	for _, s := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "loopback: bad size %q\n", s)
			os.Exit(2)
		}
		sizes = append(sizes, n)
	}
	fmt.Println("| backend | size [B] | throughput [msg/s] | throughput [MB/s] | latency [µs] |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, b := range []azmq.Backend{azmq.BackendEpoll, azmq.BackendStd} {
		for _, size := range sizes {
			n := *msgs
			if size >= 4096 {
				n = max(n*4096/size, 2000)
			}
			rate, err := throughput(b, size, n)
			if err != nil {
				fmt.Fprintln(os.Stderr, "loopback:", err)
				os.Exit(1)
			}
			lat, err := latency(b, size, *roundtrips)
			if err != nil {
				fmt.Fprintln(os.Stderr, "loopback:", err)
				os.Exit(1)
			}
			fmt.Printf("| %s | %d | %.0f | %.1f | %.1f |\n", b, size, rate, rate*float64(size)/1e6, lat)
		}
	}
}

// pair binds one socket and connects the other on tcp loopback.
func pair(b azmq.Backend, bindT, connT azmq.Type) (*azmq.Context, *azmq.Socket, *azmq.Socket, error) {
	c := azmq.NewContext(azmq.WithBackend(b))
	srv, err := c.NewSocket(bindT, azmq.WithLinger(0))
	if err != nil {
		return nil, nil, nil, err
	}
	cli, err := c.NewSocket(connT, azmq.WithLinger(0))
	if err != nil {
		return nil, nil, nil, err
	}
	if err := srv.Bind("tcp://127.0.0.1:*"); err != nil {
		return nil, nil, nil, err
	}
	if err := cli.Connect(srv.Addr()); err != nil {
		return nil, nil, nil, err
	}
	return c, srv, cli, nil
}

// throughput returns messages per second received by a PULL, timed from the
// first message to the last as libzmq's local_thr does.
func throughput(b azmq.Backend, size, n int) (float64, error) {
	c, pull, push, err := pair(b, azmq.Pull, azmq.Push)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		payload := make([]byte, size)
		var m azmq.Msg
		for i := 0; i < n; i++ {
			m.Append(payload)
			if err := push.SendMsg(ctx, &m); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	var m azmq.Msg
	defer m.Release()
	if err := pull.RecvMsg(ctx, &m); err != nil {
		return 0, err
	}
	start := time.Now()
	for i := 1; i < n; i++ {
		if err := pull.RecvMsg(ctx, &m); err != nil {
			return 0, err
		}
		if m.Size() != size {
			return 0, fmt.Errorf("message of %d bytes, want %d", m.Size(), size)
		}
	}
	el := time.Since(start)
	if err := <-errc; err != nil {
		return 0, err
	}
	return float64(n-1) / el.Seconds(), nil
}

// latency returns the one-way latency in µs: the round-trip time / 2, as
// libzmq's remote_lat reports it.
func latency(b azmq.Backend, size, n int) (float64, error) {
	c, rep, req, err := pair(b, azmq.Rep, azmq.Req)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	go func() {
		var m azmq.Msg
		for rep.RecvMsg(ctx, &m) == nil {
			if rep.SendMsg(ctx, &m) != nil {
				return
			}
		}
	}()
	payload := make([]byte, size)
	var m azmq.Msg
	defer m.Release()
	roundtrip := func() error {
		m.Release()
		m.Append(payload)
		if err := req.SendMsg(ctx, &m); err != nil {
			return err
		}
		return req.RecvMsg(ctx, &m)
	}
	if err := roundtrip(); err != nil { // the connection is up after this one
		return 0, err
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		if err := roundtrip(); err != nil {
			return 0, err
		}
		if m.Size() != size {
			return 0, fmt.Errorf("reply of %d bytes, want %d", m.Size(), size)
		}
	}
	return float64(time.Since(start).Microseconds()) / float64(2*n), nil
}
