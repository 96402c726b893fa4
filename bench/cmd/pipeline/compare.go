package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// peer is one implementation of the broker and the client.
type peer struct {
	name string
	argv func(args ...string) []string
}

var (
	reMedian  = regexp.MustCompile(`(?m)^median latency: ([0-9.]+) \[us\]$`)
	reRecvThr = regexp.MustCompile(`(?m)^receiving throughput: ([0-9.]+) \[msg/s\]$`)
)

// compare runs the pipeline for every implementation and size and prints
// the medians as a Markdown table.
func compare(args []string) error {
	fs := flag.NewFlagSet("compare", flag.ExitOnError)
	count := fs.Int("count", 20000, "messages per run")
	sizesFlag := fs.String("sizes", "1,16,256,1024,4096,65536", "payload sizes")
	reps := fs.Int("reps", 3, "runs per cell, interleaved")
	python := fs.String("python", "/usr/bin/python3", "the Python that has pyzmq")
	script := fs.String("script", "pyzmq/pipeline.py", "pipeline.py, relative to the bench module")
	fs.Parse(args)
	var sizes []int
	for _, f := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return fmt.Errorf("bad size %q", f)
		}
		sizes = append(sizes, n)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	py, err := filepath.Abs(*script)
	if err != nil {
		return err
	}
	peers := []peer{
		{"azmq", func(a ...string) []string { return append([]string{self}, a...) }},
		{"pyzmq", func(a ...string) []string { return append([]string{*python, py}, a...) }},
		{"pyzmq-asyncio", func(a ...string) []string { return append([]string{*python, py, "--asyncio"}, a...) }},
	}
	type cell struct{ lat, thr []float64 }
	cells := map[string]*cell{}
	key := func(p string, size int) string { return fmt.Sprintf("%s/%d", p, size) }
	for rep := 1; rep <= *reps; rep++ {
		for _, size := range sizes {
			for _, p := range peers {
				lat, thr, err := runOnce(p, *count, size)
				if err != nil {
					fmt.Fprintf(os.Stderr, "pipeline: [%d/%d] %s %d B: FAILED: %v\n", rep, *reps, p.name, size, err)
					continue
				}
				fmt.Fprintf(os.Stderr, "pipeline: [%d/%d] %s %d B: %.1f us, %.0f msg/s\n", rep, *reps, p.name, size, lat, thr)
				c := cells[key(p.name, size)]
				if c == nil {
					c = &cell{}
					cells[key(p.name, size)] = c
				}
				c.lat, c.thr = append(c.lat, lat), append(c.thr, thr)
			}
		}
	}
	fmt.Printf("AZMQ's benchmark shape: client PUSH → broker PULL/PUSH → client PULL, %d two-frame messages "+
		"(sequence number, payload) per run, median of %d runs; each implementation with itself.\n\n", *count, *reps)
	fmt.Print("| payload | azmq [msg/s] | pyzmq | pyzmq-asyncio | azmq ÷ pyzmq | azmq median latency [µs] | pyzmq | pyzmq-asyncio |\n")
	fmt.Print("|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, size := range sizes {
		med := func(p string, pick func(*cell) []float64) float64 {
			c := cells[key(p, size)]
			if c == nil || len(pick(c)) == 0 {
				return 0
			}
			v := slices.Clone(pick(c))
			slices.Sort(v)
			return v[len(v)/2]
		}
		thr := func(c *cell) []float64 { return c.thr }
		lat := func(c *cell) []float64 { return c.lat }
		ratio := "–"
		if a, p := med("azmq", thr), med("pyzmq", thr); a > 0 && p > 0 {
			ratio = fmt.Sprintf("%.1f×", a/p)
		}
		fmt.Printf("| %d B | %s | %s | %s | %s | %s | %s | %s |\n", size,
			num(med("azmq", thr)), num(med("pyzmq", thr)), num(med("pyzmq-asyncio", thr)), ratio,
			num(med("azmq", lat)), num(med("pyzmq", lat)), num(med("pyzmq-asyncio", lat)))
	}
	return nil
}

func num(v float64) string {
	if v == 0 {
		return "failed"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// runOnce starts p's broker, runs p's client through it and returns the
// client's median latency and receiving throughput.
func runOnce(p peer, count, size int) (float64, float64, error) {
	in, out, err := freePorts()
	if err != nil {
		return 0, 0, err
	}
	b := exec.Command(p.argv("broker", in, out)[0], p.argv("broker", in, out)[1:]...)
	b.Stderr = os.Stderr
	stdout, err := b.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	if err := b.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		b.Process.Kill()
		b.Wait()
	}()
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		ready <- sc.Scan() && sc.Text() == "ready"
		for sc.Scan() {
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			return 0, 0, errors.New("broker did not start")
		}
	case <-time.After(10 * time.Second):
		return 0, 0, errors.New("broker did not start in 10 s")
	}
	argv := p.argv("client", in, out, strconv.Itoa(count), strconv.Itoa(size))
	cl := exec.Command(argv[0], argv[1:]...)
	cl.Stderr = os.Stderr
	timer := time.AfterFunc(2*time.Minute, func() { cl.Process.Kill() })
	res, err := cl.Output()
	timer.Stop()
	if err != nil {
		return 0, 0, fmt.Errorf("client: %w", err)
	}
	m1, m2 := reMedian.FindSubmatch(res), reRecvThr.FindSubmatch(res)
	if m1 == nil || m2 == nil {
		return 0, 0, fmt.Errorf("client said %q", res)
	}
	lat, _ := strconv.ParseFloat(string(m1[1]), 64)
	thr, _ := strconv.ParseFloat(string(m2[1]), 64)
	return lat, thr, nil
}

// freePorts returns two tcp endpoints on 127.0.0.1 that were free a moment
// ago.
func freePorts() (string, string, error) {
	var eps []string
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", "", err
		}
		lns = append(lns, l)
		eps = append(eps, "tcp://"+l.Addr().String())
	}
	return eps[0], eps[1], nil
}
