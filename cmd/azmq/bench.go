package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/azmq/azmq"
)

// runBench measures azmq on tcp loopback within this process: PUSH/PULL
// throughput and REQ/REP round-trip latency for each message size on each
// backend, printed as a Markdown table.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("azmq bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sizesFlag := fs.String("sizes", "16,256,4096,65536", "message sizes in bytes, comma-separated")
	msgs := fs.Int("msgs", 200000, "messages per throughput run (fewer for sizes of 4 KiB and up)")
	roundtrips := fs.Int("roundtrips", 20000, "round trips per latency run")
	backendsFlag := fs.String("backends", "epoll,std", "backends to measure, comma-separated")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: azmq bench [flags]\nMeasure PUSH/PULL throughput and REQ/REP latency on tcp loopback.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	var sizes []int
	for _, s := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			return fmt.Errorf("%w: bad size %q", errUsage, s)
		}
		sizes = append(sizes, n)
	}
	if *msgs < 2 || *roundtrips < 1 {
		return fmt.Errorf("%w: --msgs must be at least 2 and --roundtrips at least 1", errUsage)
	}
	var backends []azmq.Backend
	for _, name := range strings.Split(*backendsFlag, ",") {
		b, err := parseBackend(strings.TrimSpace(name))
		if err != nil {
			return err
		}
		backends = append(backends, b)
	}

	fmt.Fprintln(stdout, "| backend | size [B] | throughput [msg/s] | throughput [MB/s] | latency [µs] |")
	fmt.Fprintln(stdout, "|---|---:|---:|---:|---:|")
	for _, b := range backends {
		probe := azmq.NewContext(azmq.WithBackend(b))
		available := probe.Backend() == b
		probe.Close()
		if !available {
			fmt.Fprintf(stderr, "azmq bench: backend %v is not available here; skipped\n", b)
			continue
		}
		for _, size := range sizes {
			n := *msgs
			if size >= 4096 {
				n = max(n*4096/size, min(n, 2000))
			}
			rate, err := throughput(ctx, b, size, n)
			if err != nil {
				return fmt.Errorf("%v throughput, %d B: %w", b, size, err)
			}
			lat, err := latency(ctx, b, size, *roundtrips)
			if err != nil {
				return fmt.Errorf("%v latency, %d B: %w", b, size, err)
			}
			fmt.Fprintf(stdout, "| %s | %d | %.0f | %.1f | %.1f |\n", b, size, rate, rate*float64(size)/1e6, lat)
		}
	}
	return nil
}

// loopbackPair binds one socket and connects the other on tcp loopback.
func loopbackPair(b azmq.Backend, bindT, connT azmq.Type) (*azmq.Context, *azmq.Socket, *azmq.Socket, error) {
	c := azmq.NewContext(azmq.WithBackend(b))
	srv, err := c.NewSocket(bindT, azmq.WithLinger(0))
	if err == nil {
		err = srv.Bind("tcp://127.0.0.1:*")
	}
	var cli *azmq.Socket
	if err == nil {
		cli, err = c.NewSocket(connT, azmq.WithLinger(0))
	}
	if err == nil {
		err = cli.Connect(srv.Addr())
	}
	if err != nil {
		c.Close()
		return nil, nil, nil, err
	}
	return c, srv, cli, nil
}

// throughput returns the messages per second a PULL receives from a PUSH
// through the zero-copy calls, timed from the first message to the last as
// libzmq's local_thr times it.
func throughput(ctx context.Context, b azmq.Backend, size, n int) (float64, error) {
	c, pull, push, err := loopbackPair(b, azmq.Pull, azmq.Push)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	sent := make(chan error, 1)
	go func() {
		payload := make([]byte, size)
		var m azmq.Msg
		for range n {
			m.Append(payload)
			if err := push.SendMsg(ctx, &m); err != nil {
				m.Release()
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	var m azmq.Msg
	defer m.Release()
	if err := pull.RecvMsg(ctx, &m); err != nil {
		return 0, err
	}
	start := time.Now()
	for range n - 1 {
		if err := pull.RecvMsg(ctx, &m); err != nil {
			return 0, err
		}
		if m.Size() != size {
			return 0, fmt.Errorf("message of %d bytes, want %d", m.Size(), size)
		}
	}
	elapsed := time.Since(start)
	if err := <-sent; err != nil {
		return 0, err
	}
	return float64(n-1) / elapsed.Seconds(), nil
}

// latency returns the one-way latency in µs, half the REQ/REP round trip,
// as libzmq's remote_lat reports it.
func latency(ctx context.Context, b azmq.Backend, size, n int) (float64, error) {
	c, rep, req, err := loopbackPair(b, azmq.Rep, azmq.Req)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	go func() {
		var m azmq.Msg
		defer m.Release()
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
	for range n {
		if err := roundtrip(); err != nil {
			return 0, err
		}
		if m.Size() != size {
			return 0, fmt.Errorf("reply of %d bytes, want %d", m.Size(), size)
		}
	}
	return float64(time.Since(start).Nanoseconds()) / 1e3 / float64(2*n), nil
}
