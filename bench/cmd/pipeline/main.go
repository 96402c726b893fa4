// Command pipeline is AZMQ's own benchmark shape, in Go: a client PUSHes
// count two-frame messages (a sequence number and a payload of size bytes)
// to a broker, which PULLs each and PUSHes it on, back to the client's
// PULL; the client times every message from its send to its return and
// reports the latency distribution and both throughputs. The pyzmq version
// is bench/pyzmq/pipeline.py (sync and --asyncio), with the same arguments
// and output, so the brokers and clients of the two can be paired.
//
//	pipeline [-backend default|epoll|std] broker <in-bind> <out-bind>
//	pipeline [-backend default|epoll|std] client <to-broker> <from-broker> <count> <size>
//	pipeline compare [-counts 20000] [-sizes 1,16,256,1024,4096,65536] [-reps 3]
//
// compare runs every size with azmq (broker and client) and with pyzmq and
// pyzmq's asyncio, repetitions interleaved, and prints a Markdown table of
// medians.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/azmq/azmq"
	"github.com/azmq/azmq/bench/internal/perf"
)

func main() {
	backend := flag.String("backend", "default", "I/O backend: default, epoll or std")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: pipeline [-backend b] broker <in-bind> <out-bind>\n"+
			"       pipeline [-backend b] client <to-broker> <from-broker> <count> <size>\n"+
			"       pipeline compare [-count n] [-sizes list] [-reps n]")
	}
	flag.Parse()
	b, ok := perf.Backends[*backend]
	if !ok || flag.NArg() < 1 {
		flag.Usage()
		os.Exit(2)
	}
	var err error
	switch args := flag.Args(); {
	case args[0] == "broker" && len(args) == 3:
		err = broker(b, args[1], args[2])
	case args[0] == "client" && len(args) == 5:
		count, e1 := strconv.Atoi(args[3])
		size, e2 := strconv.Atoi(args[4])
		if e1 != nil || e2 != nil || count < 1 || size < 0 {
			flag.Usage()
			os.Exit(2)
		}
		err = client(b, args[1], args[2], count, size)
	case args[0] == "compare":
		err = compare(args[1:])
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// broker forwards every message from in to out until it is killed.
func broker(b azmq.Backend, inEP, outEP string) error {
	c := azmq.NewContext(azmq.WithBackend(b))
	defer c.Close()
	in, err := c.NewSocket(azmq.Pull, azmq.WithLinger(0))
	if err != nil {
		return err
	}
	out, err := c.NewSocket(azmq.Push, azmq.WithLinger(0))
	if err != nil {
		return err
	}
	if err := in.Bind(inEP); err != nil {
		return err
	}
	if err := out.Bind(outEP); err != nil {
		return err
	}
	fmt.Println("ready")
	ctx := context.Background()
	var m azmq.Msg
	for {
		if err := in.RecvMsg(ctx, &m); err != nil {
			return err
		}
		if err := out.SendMsg(ctx, &m); err != nil {
			return err
		}
	}
}

// client sends count messages through the broker and times each one's
// return, as AZMQ's benchmark client does.
func client(b azmq.Backend, toEP, fromEP string, count, size int) error {
	c := azmq.NewContext(azmq.WithBackend(b))
	defer c.Close()
	out, err := c.NewSocket(azmq.Push, azmq.WithLinger(0))
	if err != nil {
		return err
	}
	in, err := c.NewSocket(azmq.Pull, azmq.WithLinger(0))
	if err != nil {
		return err
	}
	if err := out.Connect(toEP); err != nil {
		return err
	}
	if err := in.Connect(fromEP); err != nil {
		return err
	}
	ctx := context.Background()
	sent := make([]time.Time, count)
	got := make([]time.Time, count)
	done := make(chan error, 1)
	go func() {
		var m azmq.Msg
		defer m.Release()
		for range count {
			if err := in.RecvMsg(ctx, &m); err != nil {
				done <- err
				return
			}
			now := time.Now()
			seq, err := strconv.Atoi(string(m.Frame(0)))
			if err != nil || seq < 0 || seq >= count || m.Len() != 2 || len(m.Frame(1)) != size {
				done <- fmt.Errorf("bad message: %d frames, seq %q", m.Len(), m.Frame(0))
				return
			}
			got[seq] = now
		}
		done <- nil
	}()
	payload := make([]byte, size)
	seq := make([]byte, 0, 20)
	for i := range count {
		seq = strconv.AppendInt(seq[:0], int64(i), 10)
		sent[i] = time.Now()
		if err := out.Send(ctx, seq, payload); err != nil {
			return err
		}
	}
	if err := <-done; err != nil {
		return err
	}
	report(sent, got, size)
	return nil
}

// report prints the results in the words pipeline.py uses.
func report(sent, got []time.Time, size int) {
	lat := make([]float64, len(sent))
	for i := range sent {
		lat[i] = float64(got[i].Sub(sent[i]).Nanoseconds()) / 1e3
	}
	slices.Sort(lat)
	n := len(sent)
	sendSpan := sent[n-1].Sub(sent[0]).Seconds()
	first, last := slices.MinFunc(got, func(a, b time.Time) int { return a.Compare(b) }),
		slices.MaxFunc(got, func(a, b time.Time) int { return a.Compare(b) })
	recvSpan := last.Sub(first).Seconds()
	fmt.Printf("count: %d\n", n)
	fmt.Printf("size: %d [B]\n", size)
	fmt.Printf("median latency: %.1f [us]\n", lat[n/2])
	fmt.Printf("95th percentile latency: %.1f [us]\n", lat[n*95/100])
	fmt.Printf("sending throughput: %.0f [msg/s]\n", float64(n-1)/max(sendSpan, 1e-9))
	fmt.Printf("receiving throughput: %.0f [msg/s]\n", float64(n-1)/max(recvSpan, 1e-9))
}
