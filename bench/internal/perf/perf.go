// Package perf holds what the four libzmq-style perf tools share: argument
// parsing with libzmq's exact command lines, and profiling flags.
package perf

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/azmq/azmq"
	"github.com/azmq/azmq/pprof"
)

// Args are the three positional arguments every perf tool takes.
type Args struct {
	Endpoint string
	Size     int
	Count    int
	Backend  azmq.Backend  // from -backend
	BusyPoll time.Duration // from -busy-poll
}

// Options are the socket options the flags ask for.
func (a Args) Options() []azmq.Option {
	if a.BusyPoll > 0 {
		return []azmq.Option{azmq.WithBusyPoll(a.BusyPoll)}
	}
	return nil
}

// Context returns a context on the backend the -backend flag chose.
func (a Args) Context() *azmq.Context { return azmq.NewContext(azmq.WithBackend(a.Backend)) }

// Backends maps the -backend flag's values to azmq's backends.
var Backends = map[string]azmq.Backend{
	"default": azmq.BackendDefault,
	"epoll":   azmq.BackendEpoll,
	"std":     azmq.BackendStd,
}

// Parse reads "<endpoint> <message-size> <count>" after the flags, printing
// libzmq's usage line for tool and exiting 1 on a mistake, as libzmq's tools
// do. It starts the profiles asked for; call the returned function before
// exiting.
func Parse(tool, countName string) (Args, func()) {
	cpu := flag.String("cpuprofile", "", "write a CPU profile to this file")
	mem := flag.String("memprofile", "", "write a heap profile to this file on exit")
	backend := flag.String("backend", "default", "I/O backend: default, epoll or std")
	busy := flag.Duration("busy-poll", 0, "read a dry connection again for this long before parking (azmq.WithBusyPoll)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s [-cpuprofile file] [-memprofile file] [-backend default|epoll|std] [-busy-poll duration] <%s> <message-size> <%s>\n",
			tool, endpointWord(tool), countName)
	}
	flag.Parse()
	if flag.NArg() != 3 {
		flag.Usage()
		os.Exit(1)
	}
	size, err1 := strconv.Atoi(flag.Arg(1))
	count, err2 := strconv.Atoi(flag.Arg(2))
	b, ok := Backends[*backend]
	if err1 != nil || err2 != nil || size < 0 || count < 1 || !ok {
		flag.Usage()
		os.Exit(1)
	}
	stopCPU := func() error { return nil }
	if *cpu != "" {
		s, err := pprof.StartCPU(*cpu)
		if err != nil {
			Fail(err)
		}
		stopCPU = s
	}
	return Args{Endpoint: flag.Arg(0), Size: size, Count: count, Backend: b, BusyPoll: *busy}, func() {
		if err := stopCPU(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		if *mem != "" {
			if err := pprof.Write("heap", *mem); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		}
	}
}

func endpointWord(tool string) string {
	if tool == "local_thr" || tool == "local_lat" {
		return "bind-to"
	}
	return "connect-to"
}

// Fail prints err and exits 1.
func Fail(err error) {
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(1)
}
