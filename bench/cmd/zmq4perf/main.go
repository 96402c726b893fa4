// Command zmq4perf is libzmq's four perf tools written on
// github.com/go-zeromq/zmq4, the other pure-Go ZeroMQ library, for azmq's
// comparison harness. The first argument names the tool; the rest are
// libzmq's arguments, and each tool prints libzmq's lines.
//
//	zmq4perf local_thr  <bind-to>    <message-size> <message-count>
//	zmq4perf remote_thr <connect-to> <message-size> <message-count>
//	zmq4perf local_lat  <bind-to>    <message-size> <roundtrip-count>
//	zmq4perf remote_lat <connect-to> <message-size> <roundtrip-count>
//
// local_thr times from the first message to the last and divides
// message-count by that time; remote_lat times every round trip, the first
// included, and prints total / (2 * roundtrip-count), both as libzmq does.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/go-zeromq/zmq4"
)

type tool struct {
	run       func(endpoint string, size, count int) error
	countName string
}

var tools = map[string]tool{
	"local_thr":  {localThr, "message-count"},
	"remote_thr": {remoteThr, "message-count"},
	"local_lat":  {localLat, "roundtrip-count"},
	"remote_lat": {remoteLat, "roundtrip-count"},
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: zmq4perf local_thr|remote_thr|local_lat|remote_lat <endpoint> <message-size> <count>")
		os.Exit(1)
	}
	name := os.Args[1]
	t, ok := tools[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "zmq4perf: unknown tool %q\n", name)
		os.Exit(1)
	}
	word := "connect-to"
	if name == "local_thr" || name == "local_lat" {
		word = "bind-to"
	}
	args := os.Args[2:]
	var size, count int
	var err1, err2 error
	if len(args) == 3 {
		size, err1 = strconv.Atoi(args[1])
		count, err2 = strconv.Atoi(args[2])
	}
	if len(args) != 3 || err1 != nil || err2 != nil || size < 0 || count < 1 {
		fmt.Printf("usage: %s <%s> <message-size> <%s>\n", name, word, t.countName)
		os.Exit(1)
	}
	if err := t.run(args[0], size, count); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func checkSize(m zmq4.Msg, size int) error {
	if len(m.Frames) != 1 || len(m.Frames[0]) != size {
		return fmt.Errorf("message of incorrect size received: %d frames", len(m.Frames))
	}
	return nil
}

func localThr(endpoint string, size, count int) error {
	s := zmq4.NewPull(context.Background())
	defer s.Close()
	if err := s.Listen(endpoint); err != nil {
		return err
	}
	recv := func() error {
		m, err := s.Recv()
		if err != nil {
			return err
		}
		return checkSize(m, size)
	}
	if err := recv(); err != nil {
		return err
	}
	start := time.Now()
	for i := 1; i < count; i++ {
		if err := recv(); err != nil {
			return err
		}
	}
	us := max(time.Since(start).Microseconds(), 1)
	rate := uint64(float64(count) / float64(us) * 1e6)
	fmt.Printf("message size: %d [B]\n", size)
	fmt.Printf("message count: %d\n", count)
	fmt.Printf("mean throughput: %d [msg/s]\n", rate)
	fmt.Printf("mean throughput: %.3f [Mb/s]\n", float64(rate)*float64(size)*8/1e6)
	return nil
}

// remoteThr sends count messages. zmq4's Send writes to the connection
// before it returns, so nothing is left queued when Close runs.
func remoteThr(endpoint string, size, count int) error {
	s := zmq4.NewPush(context.Background())
	defer s.Close()
	if err := s.Dial(endpoint); err != nil {
		return err
	}
	payload := make([]byte, size)
	for i := 0; i < count; i++ {
		if err := s.Send(zmq4.NewMsg(payload)); err != nil {
			return err
		}
	}
	return nil
}

// replyDrain is how long local_lat waits before closing. zmq4 has no
// linger: its REP socket hands a reply to a writer goroutine and returns, so
// closing at once loses the last reply (seen here: remote_lat fails with EOF
// on its last round trip).
const replyDrain = 100 * time.Millisecond

func localLat(endpoint string, size, count int) error {
	s := zmq4.NewRep(context.Background())
	defer s.Close()
	if err := s.Listen(endpoint); err != nil {
		return err
	}
	for i := 0; i < count; i++ {
		m, err := s.Recv()
		if err != nil {
			return err
		}
		if err := checkSize(m, size); err != nil {
			return err
		}
		if err := s.Send(m); err != nil {
			return err
		}
	}
	time.Sleep(replyDrain)
	return nil
}

func remoteLat(endpoint string, size, count int) error {
	s := zmq4.NewReq(context.Background())
	defer s.Close()
	if err := s.Dial(endpoint); err != nil {
		return err
	}
	payload := make([]byte, size)
	start := time.Now()
	for i := 0; i < count; i++ {
		if err := s.Send(zmq4.NewMsg(payload)); err != nil {
			return err
		}
		m, err := s.Recv()
		if err != nil {
			return fmt.Errorf("round trip %d: %w", i, err)
		}
		if err := checkSize(m, size); err != nil {
			return err
		}
	}
	us := float64(time.Since(start).Microseconds())
	fmt.Printf("message size: %d [B]\n", size)
	fmt.Printf("roundtrip count: %d\n", count)
	fmt.Printf("average latency: %.3f [us]\n", us/float64(2*count))
	return nil
}
