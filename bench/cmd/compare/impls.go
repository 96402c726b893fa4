package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/azmq/azmq"
)

// The four tools, in libzmq's names.
const (
	localThr  = "local_thr"
	remoteThr = "remote_thr"
	localLat  = "local_lat"
	remoteLat = "remote_lat"
)

var toolNames = []string{localThr, remoteThr, localLat, remoteLat}

// An impl is one ZeroMQ implementation's set of the four tools.
type impl struct {
	name string
	// argv returns the command line of tool; args are libzmq's three.
	argv func(tool string, args ...string) []string
	// unavailable says why the tools could not be built or run ("": they can).
	unavailable string
	// noTransport says, per transport, why this implementation cannot use
	// it; a transport that is absent is supported.
	noTransport map[string]string
	// thr and lat are rough figures measured on tcp loopback on a 2-core
	// VM (msg/s; one-way µs), by message size. They only set message counts
	// so that a run lasts about -target; the results never use them.
	thr, lat map[int]float64
}

// implNames lists every implementation in report order. azmq runs on its
// default backend; azmq-epoll and azmq-std pin one, to decide the default;
// azmq-busypoll is the default with WithBusyPoll(busyPoll).
var implNames = []string{"azmq", "azmq-busypoll", "azmq-epoll", "azmq-std", "libzmq", "pyzmq", "pyzmq-asyncio", "zmq4"}

// busyPoll is azmq-busypoll's spin: longer than a small message's round
// trip, so that a reader waiting for a reply never parks.
const busyPoll = "100us"

// defaultImpls are measured unless -impls says otherwise.
var defaultImpls = []string{"azmq", "libzmq", "pyzmq", "pyzmq-asyncio", "zmq4"}

// azmqImpls are the names that run azmq's own tools.
var azmqImpls = []string{"azmq", "azmq-busypoll", "azmq-epoll", "azmq-std"}

// azmqTools runs azmq's tools with extra flags before libzmq's arguments.
func azmqTools(goBin string, flags ...string) func(tool string, args ...string) []string {
	return func(tool string, args ...string) []string {
		argv := append([]string{filepath.Join(goBin, tool)}, flags...)
		return append(argv, args...)
	}
}

// newImpls describes every implementation whose tools live in (or are built
// into) build; python is the interpreter that has pyzmq.
func newImpls(benchDir, build, python string) map[string]*impl {
	goBin := filepath.Join(build, "go")
	cBin := filepath.Join(build, "c")
	perfPy := filepath.Join(benchDir, "pyzmq", "perf.py")
	return map[string]*impl{
		"azmq": {
			name: "azmq",
			argv: azmqTools(goBin),
			thr:  sizeTable(8e6, 7e6, 5e6, 5e5, 3.3e4, 2800),
			lat:  sizeTable(40, 40, 35, 30, 80, 650),
		},
		"azmq-busypoll": {
			name: "azmq-busypoll",
			argv: azmqTools(goBin, "-busy-poll", busyPoll),
			thr:  sizeTable(8e6, 7e6, 5e6, 5e5, 3.3e4, 2800),
			lat:  sizeTable(10, 10, 10, 12, 80, 650),
		},
		"azmq-epoll": {
			name: "azmq-epoll",
			argv: azmqTools(goBin, "-backend", "epoll"),
			thr:  sizeTable(8e6, 7e6, 5e6, 5e5, 3.3e4, 2800),
			lat:  sizeTable(40, 40, 35, 30, 80, 650),
		},
		"azmq-std": {
			name: "azmq-std",
			argv: azmqTools(goBin, "-backend", "std"),
			thr:  sizeTable(8e6, 7e6, 5e6, 5e5, 3.3e4, 2800),
			lat:  sizeTable(25, 25, 25, 30, 80, 650),
		},
		"libzmq": {
			name: "libzmq",
			argv: func(tool string, args ...string) []string {
				return append([]string{filepath.Join(cBin, tool)}, args...)
			},
			thr: sizeTable(8e6, 6e6, 1.6e6, 1.8e5, 2.6e4, 1600),
			lat: sizeTable(45, 45, 45, 45, 45, 310),
		},
		"pyzmq": {
			name: "pyzmq",
			argv: func(tool string, args ...string) []string {
				return append([]string{python, perfPy, tool}, args...)
			},
			thr: sizeTable(1.1e6, 1.1e6, 8e5, 1.1e5, 1.8e4, 2200),
			lat: sizeTable(50, 50, 50, 55, 80, 200),
		},
		"pyzmq-asyncio": {
			name: "pyzmq-asyncio",
			argv: func(tool string, args ...string) []string {
				return append([]string{python, perfPy, "--asyncio", tool}, args...)
			},
			thr: sizeTable(6.3e4, 6.3e4, 6e4, 3.7e4, 1.2e4, 1400),
			lat: sizeTable(85, 85, 85, 90, 120, 290),
		},
		"zmq4": {
			name: "zmq4",
			argv: func(tool string, args ...string) []string {
				return append([]string{filepath.Join(goBin, "zmq4perf"), tool}, args...)
			},
			thr: sizeTable(8e4, 8e4, 8e4, 7.4e4, 1.3e4, 1400),
			lat: sizeTable(60, 60, 60, 65, 100, 800),
		},
	}
}

// The sizes the figures in sizeTable are given for.
var tableSizes = []int{1, 16, 256, 4096, 65536, 1048576}

func sizeTable(v ...float64) map[int]float64 {
	m := make(map[int]float64, len(v))
	for i, x := range v {
		m[tableSizes[i]] = x
	}
	return m
}

// estimate interpolates a size table linearly in log(size+1) and log(value),
// holding the end values beyond the table.
func estimate(t map[int]float64, size int) float64 {
	if v, ok := t[size]; ok {
		return v
	}
	if size <= tableSizes[0] {
		return t[tableSizes[0]]
	}
	last := tableSizes[len(tableSizes)-1]
	if size >= last {
		return t[last]
	}
	for i := 1; i < len(tableSizes); i++ {
		lo, hi := tableSizes[i-1], tableSizes[i]
		if size < hi {
			f := (math.Log(float64(size+1)) - math.Log(float64(lo+1))) /
				(math.Log(float64(hi+1)) - math.Log(float64(lo+1)))
			return math.Exp(math.Log(t[lo]) + f*(math.Log(t[hi])-math.Log(t[lo])))
		}
	}
	return t[last]
}

// buildAll builds every implementation's tools into build, marking the ones
// that failed unavailable with the reason; log receives progress lines.
func buildAll(impls map[string]*impl, benchDir, build, python string, log func(string, ...any)) {
	goBin := filepath.Join(build, "go")
	cBin := filepath.Join(build, "c")
	for _, d := range []string{goBin, cBin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			for _, im := range impls {
				im.unavailable = err.Error()
			}
			return
		}
	}
	var azmqs []*impl
	for _, n := range azmqImpls {
		if im := impls[n]; im != nil {
			azmqs = append(azmqs, im)
		}
	}
	if len(azmqs) > 0 {
		log("building azmq tools")
		pkgs := []string{"build", "-o", goBin + "/"}
		for _, t := range append(toolNames, "idle") {
			pkgs = append(pkgs, "./cmd/"+t)
		}
		if err := run(benchDir, "go", pkgs...); err != nil {
			for _, im := range azmqs {
				im.unavailable = "build failed: " + err.Error()
			}
		}
	}
	if im := impls["zmq4"]; im != nil {
		log("building zmq4 tools")
		if err := run(benchDir, "go", "build", "-o", goBin+"/", "./cmd/zmq4perf"); err != nil {
			im.unavailable = "build failed: " + err.Error()
		}
	}
	if im := impls["libzmq"]; im != nil {
		log("building libzmq tools")
		for _, t := range append(toolNames, "version", "idle") {
			src := filepath.Join(benchDir, "libzmq", t+".c")
			if t == "idle" {
				src = filepath.Join(benchDir, "libzmq", "idle_router.c")
			}
			if err := run(benchDir, "cc", "-O2", "-o", filepath.Join(cBin, t), src, "-lzmq"); err != nil {
				im.unavailable = "build failed: " + err.Error()
				break
			}
		}
	}
	for _, n := range []string{"pyzmq", "pyzmq-asyncio"} {
		if im := impls[n]; im != nil {
			if err := run(benchDir, python, "-c", "import zmq, zmq.asyncio"); err != nil {
				im.unavailable = python + " has no pyzmq: " + err.Error()
			}
		}
	}
}

// run runs a command in dir and returns an error that holds its output.
func run(dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// output runs a command in dir and returns its trimmed standard output.
func output(dir, name string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// probeAzmq asks azmq itself whether it can bind on transport, so that the
// harness starts measuring a transport on the day azmq implements it.
func probeAzmq(transport, dir string) error {
	var ep string
	switch transport {
	case "tcp":
		ep = "tcp://127.0.0.1:*"
	case "ipc":
		ep = "ipc://" + filepath.Join(dir, "probe.sock")
	default:
		return fmt.Errorf("transport %s is not measured between processes", transport)
	}
	c := azmq.NewContext()
	defer c.Close()
	s, err := c.NewSocket(azmq.Pull, azmq.WithLinger(0))
	if err != nil {
		return err
	}
	if err := s.Bind(ep); err != nil {
		if errors.Is(err, azmq.ErrTransport) {
			return fmt.Errorf("azmq has no %s transport yet (%v)", transport, err)
		}
		return err
	}
	return nil
}
