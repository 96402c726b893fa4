// Command idle measures what idle connections cost a server: a ROUTER
// binds, N clients connect and each says hello once, and the server reports
// its resident memory per connection. The clients run in another process
// (idle -clients), so the server's figure is its own.
//
//	idle [-backend default|epoll|std] serve <bind-to> <connections>
//	idle clients <connect-to> <connections>
//
// clients holds its connections until it is interrupted or terminated.
//
// serve prints "ready <endpoint>" once bound, then, after every client has
// said hello, "connections: N", "rss per connection: X [B]" and "heap per
// connection: X [B]". The libzmq counterpart is bench/libzmq/idle_router.c,
// with the same arguments and output.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/azmq/azmq"
	"github.com/azmq/azmq/bench/internal/perf"
)

func main() {
	backend := flag.String("backend", "default", "I/O backend: default, epoll or std")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: idle [-backend default|epoll|std] serve|clients <endpoint> <connections>")
	}
	flag.Parse()
	b, ok := perf.Backends[*backend]
	n, err := strconv.Atoi(flag.Arg(2))
	if flag.NArg() != 3 || !ok || err != nil || n < 1 {
		flag.Usage()
		os.Exit(1)
	}
	c := azmq.NewContext(azmq.WithBackend(b))
	switch flag.Arg(0) {
	case "serve":
		err = serve(c, flag.Arg(1), n)
	case "clients":
		err = clients(c, flag.Arg(1), n)
	default:
		flag.Usage()
		os.Exit(1)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	c.Close()
}

func serve(c *azmq.Context, endpoint string, n int) error {
	// The baseline is taken before Bind: clients may connect as soon as
	// the port listens.
	settle()
	rss0, heap0 := rss(), heapInUse()
	s, err := c.NewSocket(azmq.Router, azmq.WithLinger(0))
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Bind(endpoint); err != nil {
		return err
	}
	fmt.Printf("ready %s\n", s.Addr())
	ctx := context.Background()
	var m azmq.Msg
	for i := 0; i < n; i++ {
		if err := s.RecvMsg(ctx, &m); err != nil {
			return err
		}
	}
	m.Release()
	settle()
	rss1, heap1 := rss(), heapInUse()
	fmt.Printf("connections: %d\n", n)
	fmt.Printf("rss per connection: %d [B]\n", (rss1-rss0)/int64(n))
	fmt.Printf("heap per connection: %d [B]\n", (heap1-heap0)/int64(n))
	return nil
}

// clients connects n DEALERs, each saying hello once, and holds them until
// the process is interrupted or terminated.
func clients(c *azmq.Context, endpoint string, n int) error {
	ctx := context.Background()
	socks := make([]*azmq.Socket, 0, n)
	for i := 0; i < n; i++ {
		s, err := c.NewSocket(azmq.Dealer, azmq.WithLinger(0))
		if err != nil {
			return err
		}
		socks = append(socks, s)
		if err := s.Connect(endpoint); err != nil {
			return err
		}
		if err := s.Send(ctx, []byte("hello")); err != nil {
			return err
		}
	}
	stop, cancel := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer cancel()
	<-stop.Done()
	for _, s := range socks {
		s.Close()
	}
	return nil
}

// settle lets the connections reach their resting state and returns freed
// memory to the OS, so RSS shows what is held, not what was once used.
func settle() {
	time.Sleep(500 * time.Millisecond)
	runtime.GC()
	debug.FreeOSMemory()
}

func heapInUse() int64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse + ms.StackInuse)
}

// rss reads VmRSS from /proc/self/status, in bytes (0 where there is none).
func rss() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
