// Command compare runs azmq's perf tools beside the same four tools on
// libzmq (C, Debian's libzmq), pyzmq (sync and zmq.asyncio) and zmq4 (the
// other pure-Go library), and reports throughput and latency against
// message size.
//
//	cd bench && go run ./cmd/compare [-quick] [-reps 3] [-out results] [-impls azmq,libzmq]
//
// It builds every tool into bench/.build, then runs each pair of tools as
// two processes on 127.0.0.1 (a fresh free port per run) or on a socket in
// a private temporary directory (ipc): each implementation with itself,
// and azmq against libzmq both ways. A run is killed after -timeout and
// recorded as failed; the others go on. Repetitions are interleaved (run 1
// of every cell, then run 2, …) so that a slow minute of the machine hurts
// every cell alike. The report gives median and min–max per cell, and
// azmq/libzmq ratios; -out receives results.md (also printed),
// results.csv, throughput.svg, latency.svg and raw.log, the tools' own
// output of every run.
//
// Message counts are chosen per cell so that a run lasts about -target:
// count = target × (estimated rate of the slower side), from rough figures
// per implementation and size measured on a 2-core VM (impls.go). So 16 B
// throughput runs use about 10^6 messages between azmq and libzmq, but
// ~5×10^4 for pyzmq-asyncio and zmq4, which move 60–80 k msg/s. A
// throughput run sends at least 2000 messages: azmq (so far) drops the
// messages still queued at Close when its connection has not finished its
// handshake, so a sender must outlast its send high-water mark (1000) to
// be sure its peer is connected. A latency run makes at least 200 round
// trips.
//
// Transports: tcp and ipc. Whether azmq can take part on a transport is
// asked of azmq itself (a Bind on that transport), so azmq's ipc cells run
// on the day azmq accepts ipc:// endpoints and are skipped, with a note,
// until then. inproc cannot join two processes; measuring it needs an
// in-process runner for azmq alone (not built yet).
//
// Over ipc, a receiver on libzmq 4.3.4 (libzmq's and pyzmq's local_thr)
// can lose the last messages of a stream whose sender closes right after
// sending, and then waits for them until the timeout; such runs are
// recorded as failed and explained in the notes.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// defaultPairs is every pair the harness measures, in report order.
var defaultPairs = []pair{
	{"azmq", "azmq"},
	{"azmq-busypoll", "azmq-busypoll"},
	{"azmq-epoll", "azmq-epoll"},
	{"azmq-std", "azmq-std"},
	{"libzmq", "libzmq"},
	{"pyzmq", "pyzmq"},
	{"pyzmq-asyncio", "pyzmq-asyncio"},
	{"zmq4", "zmq4"},
	{"azmq", "libzmq"},
	{"libzmq", "azmq"},
}

var (
	fullSizes  = []int{1, 16, 256, 4096, 65536, 1048576}
	quickSizes = []int{16, 65536}
)

// Bounds on the counts of a run.
const (
	minMessages   = 2000
	maxMessages   = 20_000_000
	minRoundtrips = 200
	maxRoundtrips = 1_000_000
)

func main() {
	quick := flag.Bool("quick", false, "sizes 16 and 65536 only, shorter runs (a few minutes in all)")
	reps := flag.Int("reps", 3, "runs of every cell")
	out := flag.String("out", "results", "directory for results.md, results.csv, throughput.svg, latency.svg, raw.log")
	implsFlag := flag.String("impls", strings.Join(defaultImpls, ","), "implementations to measure (pairs need both sides; "+strings.Join(implNames, ",")+")")
	sizesFlag := flag.String("sizes", "", "message sizes, comma-separated (default 1,16,256,4096,65536,1048576; -quick: 16,65536)")
	transFlag := flag.String("transports", "tcp,ipc", "transports, comma-separated")
	metricsFlag := flag.String("metrics", "throughput,latency", "what to measure")
	target := flag.Duration("target", 0, "aimed duration of one run (default 1s; -quick: 250ms)")
	timeout := flag.Duration("timeout", 0, "a run still going after this is killed and counted as failed (default 4s + 10 × target)")
	python := flag.String("python", "/usr/bin/python3", "the Python that has pyzmq")
	idleN := flag.Int("idle", -1, "idle connections each server holds for the memory table (default 10000; -quick: 1000; 0 skips)")
	flag.Parse()
	if *reps < 1 {
		fatal(errors.New("-reps must be at least 1"))
	}

	sizes := fullSizes
	if *quick {
		sizes = quickSizes
	}
	if *sizesFlag != "" {
		sizes = nil
		for _, f := range splitList(*sizesFlag) {
			n, err := strconv.Atoi(f)
			if err != nil || n < 0 {
				fatal(fmt.Errorf("bad size %q", f))
			}
			sizes = append(sizes, n)
		}
	}
	if *target == 0 {
		*target = time.Second
		if *quick {
			*target = 250 * time.Millisecond
		}
	}
	if *timeout == 0 {
		*timeout = 4*time.Second + 10**target
	}
	transports := splitList(*transFlag)
	for _, t := range transports {
		if t != "tcp" && t != "ipc" {
			fatal(fmt.Errorf("transport %q: only tcp and ipc join two processes", t))
		}
	}
	metrics := splitList(*metricsFlag)
	for _, m := range metrics {
		if m != throughput && m != latency {
			fatal(fmt.Errorf("metric %q: want throughput or latency", m))
		}
	}
	wanted := splitList(*implsFlag)
	for _, n := range wanted {
		if !slices.Contains(implNames, n) {
			fatal(fmt.Errorf("unknown implementation %q (have %s)", n, strings.Join(implNames, ", ")))
		}
	}

	benchDir, err := findBenchDir()
	if err != nil {
		fatal(err)
	}
	build := filepath.Join(benchDir, ".build")
	began := time.Now()
	all := newImpls(benchDir, build, *python)
	impls := map[string]*impl{}
	for _, n := range wanted {
		impls[n] = all[n]
	}
	buildAll(impls, benchDir, build, *python, logf)

	eps, err := newEndpoints()
	if err != nil {
		fatal(err)
	}
	defer eps.cleanup()
	stopOnSignal(eps.cleanup)
	// die is fatal for what follows: it removes the ipc directory first.
	die := func(err error) {
		eps.cleanup()
		fatal(err)
	}

	rp := &report{sizes: sizes, transports: transports, reps: *reps}
	for _, p := range defaultPairs {
		if impls[p.local] != nil && impls[p.remote] != nil {
			rp.pairs = append(rp.pairs, p)
		}
	}
	if len(rp.pairs) == 0 {
		die(errors.New("no pair has both sides among -impls"))
	}
	for _, n := range implNames {
		if im := impls[n]; im != nil && im.unavailable != "" {
			rp.notes = append(rp.notes, fmt.Sprintf("%s not measured: %s", n, im.unavailable))
		}
	}
	for _, n := range azmqImpls {
		im := impls[n]
		if im == nil || im.unavailable != "" {
			continue
		}
		im.noTransport = map[string]string{}
		for _, t := range transports {
			if err := probeAzmq(t, eps.dir); err != nil {
				im.noTransport[t] = err.Error()
				rp.notes = append(rp.notes, fmt.Sprintf("%s cells with %s skipped: %v", t, n, err))
			}
		}
	}
	rp.header = header(benchDir, build, *python, *reps, *target, impls)

	for _, m := range metrics {
		for _, t := range transports {
			for _, p := range rp.pairs {
				for _, s := range sizes {
					c := cell{metric: m, transport: t, pair: p, size: s}
					c.count = runCount(m, impls[p.local], impls[p.remote], s, *target)
					c.skip = skipReason(t, impls[p.local], impls[p.remote])
					rp.results = append(rp.results, &result{cell: c})
				}
			}
		}
	}

	if err := os.MkdirAll(*out, 0o755); err != nil {
		die(err)
	}
	var raw bytes.Buffer
	for rep := 1; rep <= *reps; rep++ {
		for _, r := range rp.results {
			if r.skip != "" {
				continue
			}
			s := measure(r, impls, eps, *timeout, &raw, rep)
			r.samples = append(r.samples, s)
			if s.err != nil {
				logf("[%d/%d] %s %s %s %d B: FAILED: %v", rep, *reps, r.metric, r.transport, r.pair, r.size, s.err)
			} else {
				logf("[%d/%d] %s %s %s %d B: %s %s", rep, *reps, r.metric, r.transport, r.pair, r.size,
					trimFloat(s.value), unit(r.metric))
			}
		}
	}
	if *idleN < 0 {
		*idleN = 10000
		if *quick {
			*idleN = 1000
		}
	}
	if *idleN > 0 {
		rp.idle = measureIdle(impls, eps, *idleN, *timeout+time.Minute)
	}
	tailDrop := false
	for _, r := range rp.results {
		if err := r.firstError(); err != nil {
			_, _, _, ok := r.stats()
			rp.notes = append(rp.notes, fmt.Sprintf("%s %s %s %d B: %d of %d runs failed; first: %v",
				r.metric, r.transport, r.pair, r.size, len(r.samples)-ok, len(r.samples), err))
			if r.metric == throughput && r.transport == "ipc" && r.pair.local != "azmq" && r.pair.local != "zmq4" &&
				errors.Is(err, errTimeout) {
				tailDrop = true
			}
		}
	}
	if tailDrop {
		rp.notes = append(rp.notes, "A libzmq-based receiver (libzmq, pyzmq) that times out in an ipc throughput run has "+
			"most likely lost the tail of the stream: libzmq 4.3.4 acts on the ipc hang-up of a sender that closes "+
			"right after sending before it has read what the kernel still holds, so local_thr waits forever for the "+
			"last messages. It shows when the receiver lags the sender (a fast sender, or a slow receiver such as "+
			"pyzmq-asyncio).")
	}
	rp.header = append(rp.header, fmt.Sprintf("wall time: %s (build included)", time.Since(began).Round(time.Second)))

	var md bytes.Buffer
	if err := rp.writeMarkdown(&md); err != nil {
		die(err)
	}
	os.Stdout.Write(md.Bytes())
	var csvBuf, thrSVG, latSVG bytes.Buffer
	if err := rp.writeCSV(&csvBuf); err != nil {
		die(err)
	}
	if err := rp.buildChart(throughput).writeSVG(&thrSVG); err != nil {
		die(err)
	}
	if err := rp.buildChart(latency).writeSVG(&latSVG); err != nil {
		die(err)
	}
	for name, b := range map[string][]byte{
		"results.md": md.Bytes(), "results.csv": csvBuf.Bytes(),
		"throughput.svg": thrSVG.Bytes(), "latency.svg": latSVG.Bytes(), "raw.log": raw.Bytes(),
	} {
		if err := os.WriteFile(filepath.Join(*out, name), b, 0o644); err != nil {
			die(err)
		}
	}
	logf("wrote %s/{results.md,results.csv,throughput.svg,latency.svg,raw.log}", *out)
}

// runCount is the message or round-trip count of a cell: about target long
// at the rate estimated for the slower side, within bounds.
func runCount(metric string, local, remote *impl, size int, target time.Duration) int {
	if metric == throughput {
		rate := math.Min(estimate(local.thr, size), estimate(remote.thr, size))
		return clampRound(target.Seconds()*rate, minMessages, maxMessages)
	}
	oneWay := math.Max(estimate(local.lat, size), estimate(remote.lat, size))
	return clampRound(target.Seconds()*1e6/(2*oneWay), minRoundtrips, maxRoundtrips)
}

// clampRound bounds v and rounds it to two significant digits.
func clampRound(v float64, lo, hi int) int {
	v = math.Max(float64(lo), math.Min(float64(hi), v))
	p := math.Pow(10, math.Floor(math.Log10(v))-1)
	return max(lo, int(math.Round(v/p)*p))
}

// skipReason says why a pair cannot run on a transport ("": it can).
func skipReason(transport string, sides ...*impl) string {
	for _, im := range sides {
		if im.unavailable != "" {
			return im.name + " unavailable"
		}
		if why := im.noTransport[transport]; why != "" {
			return why
		}
	}
	return ""
}

// measure runs a cell once and appends both tools' output to raw.
func measure(r *result, impls map[string]*impl, eps *endpoints, timeout time.Duration, raw *bytes.Buffer, rep int) sample {
	ep, bound, err := eps.next(r.transport)
	if err != nil {
		return sample{err: err}
	}
	lt, rt := localThr, remoteThr
	if r.metric == latency {
		lt, rt = localLat, remoteLat
	}
	args := []string{ep, strconv.Itoa(r.size), strconv.Itoa(r.count)}
	local := impls[r.pair.local].argv(lt, args...)
	remote := impls[r.pair.remote].argv(rt, args...)
	lout, rout, err := runPair(local, remote, bound, timeout)
	fmt.Fprintf(raw, "### rep %d: %s %s %s %d B\n$ %s\n%s$ %s\n%s", rep, r.metric, r.transport, r.pair, r.size,
		strings.Join(local, " "), lout, strings.Join(remote, " "), rout)
	if err != nil {
		fmt.Fprintf(raw, "FAILED: %v\n", err)
	}
	raw.WriteString("\n")
	if err != nil {
		return sample{err: err}
	}
	if r.metric == throughput {
		t, err := parseThr(lout)
		if err == nil && (t.Size != r.size || t.Count != r.count) {
			err = fmt.Errorf("local_thr reported %d B × %d, want %d B × %d", t.Size, t.Count, r.size, r.count)
		}
		return sample{value: t.MsgPerSec, err: err}
	}
	l, err := parseLat(rout)
	if err == nil && (l.Size != r.size || l.Count != r.count) {
		err = fmt.Errorf("remote_lat reported %d B × %d, want %d B × %d", l.Size, l.Count, r.size, r.count)
	}
	return sample{value: l.LatencyUS, err: err}
}

// header describes the machine, the versions and the settings of the run.
func header(benchDir, build, python string, reps int, target time.Duration, impls map[string]*impl) []string {
	cpu := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	h := []string{
		"command: `" + strings.Join(append([]string{"go run ./cmd/compare"}, os.Args[1:]...), " ") + "`",
		fmt.Sprintf("date: %s", time.Now().UTC().Format("2006-01-02 15:04 MST")),
		fmt.Sprintf("machine: %s, %d CPUs, %s/%s; each tool is its own process (Go tools: default GOMAXPROCS)",
			cpu, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH),
		fmt.Sprintf("runs: %d per cell, aimed at %v each", reps, target),
		"go: " + runtime.Version(),
		"azmq: " + output(benchDir, "git", "describe", "--always", "--dirty"),
	}
	if im := impls["libzmq"]; im != nil && im.unavailable == "" {
		h = append(h, "libzmq (C tools, cc -O2): "+output(benchDir, filepath.Join(build, "c", "version")))
	}
	if im := impls["pyzmq"]; im != nil && im.unavailable == "" {
		h = append(h, "pyzmq: "+output(benchDir, python, "-c",
			"import sys, zmq; print(zmq.pyzmq_version(), 'on libzmq', zmq.zmq_version(), '- Python', sys.version.split()[0])"))
	}
	if im := impls["zmq4"]; im != nil && im.unavailable == "" {
		h = append(h, "zmq4: "+output(benchDir, "go", "list", "-m", "-f", "{{.Version}}", "github.com/go-zeromq/zmq4"))
	}
	return h
}

// findBenchDir walks up from the working directory to the bench module.
func findBenchDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/azmq/azmq/bench\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run compare inside azmq's bench module (cd bench)")
		}
		dir = parent
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "compare: "+format+"\n", args...)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "compare:", err)
	os.Exit(1)
}
