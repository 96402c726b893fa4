package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Metrics.
const (
	throughput = "throughput" // msg/s from local_thr
	latency    = "latency"    // one-way µs from remote_lat
)

// unit returns the unit a metric's values are in.
func unit(metric string) string {
	if metric == throughput {
		return "msg/s"
	}
	return "us"
}

// A pair is a local (binding, receiving or echoing) implementation and a
// remote (connecting, sending or asking) one.
type pair struct{ local, remote string }

func (p pair) String() string {
	if p.local == p.remote {
		return p.local
	}
	return p.local + " ← " + p.remote
}

// A cell is one measurement the harness repeats.
type cell struct {
	metric    string
	transport string
	pair      pair
	size      int
	count     int    // messages or round trips per run
	skip      string // why the cell is not measured ("": it is)
}

// A sample is one run of a cell.
type sample struct {
	value float64 // msg/s or µs
	err   error
}

// A result is a cell and its runs.
type result struct {
	cell
	samples []sample
}

// stats returns the median, minimum and maximum of the successful runs and
// how many there were.
func (r *result) stats() (med, lo, hi float64, ok int) {
	var v []float64
	for _, s := range r.samples {
		if s.err == nil {
			v = append(v, s.value)
		}
	}
	if len(v) == 0 {
		return math.NaN(), math.NaN(), math.NaN(), 0
	}
	slices.Sort(v)
	n := len(v)
	med = v[n/2]
	if n%2 == 0 {
		med = (v[n/2-1] + v[n/2]) / 2
	}
	return med, v[0], v[n-1], n
}

// firstError returns the first failed run's error, or nil.
func (r *result) firstError() error {
	for _, s := range r.samples {
		if s.err != nil {
			return s.err
		}
	}
	return nil
}

// report holds everything the writers need.
type report struct {
	results    []*result
	sizes      []int
	transports []string
	pairs      []pair
	reps       int
	header     []string // "key: value" lines describing the run
	notes      []string
	idle       []idleResult
}

// find returns the result of a cell, or nil.
func (rp *report) find(metric, transport string, p pair, size int) *result {
	for _, r := range rp.results {
		if r.metric == metric && r.transport == transport && r.pair == p && r.size == size {
			return r
		}
	}
	return nil
}

// ratioImpls are the azmq variants given a ratio row against libzmq: the
// default, and busy polling, which is opt-in.
var ratioImpls = []string{"azmq", "azmq-busypoll"}

// ratio returns the median of impl with itself over that of libzmq with
// itself for one metric, transport and size, or NaN without both.
func (rp *report) ratio(impl, metric, transport string, size int) float64 {
	a := rp.find(metric, transport, pair{impl, impl}, size)
	l := rp.find(metric, transport, pair{"libzmq", "libzmq"}, size)
	if a == nil || l == nil {
		return math.NaN()
	}
	am, _, _, an := a.stats()
	lm, _, _, ln := l.stats()
	if an == 0 || ln == 0 || lm == 0 {
		return math.NaN()
	}
	return am / lm
}

// measured reports whether impl took part in some pair.
func (rp *report) measured(impl string) bool {
	for _, p := range rp.pairs {
		if p.local == impl || p.remote == impl {
			return true
		}
	}
	return false
}

// si formats v with three significant digits and a k/M/G suffix.
func si(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v >= 1e9:
		return sig3(v/1e9) + "G"
	case v >= 1e6:
		return sig3(v/1e6) + "M"
	case v >= 1e3:
		return sig3(v/1e3) + "k"
	}
	return sig3(v)
}

// sig3 formats v with three significant digits (no exponent).
func sig3(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func sizeLabel(n int) string { return strconv.Itoa(n) + " B" }

// cellText is a table cell: "median (min–max)", a failure or a skip mark;
// a run that failed beside successful ones adds "†k/N failed".
func (rp *report) cellText(r *result, format func(float64) string) string {
	if r == nil {
		return ""
	}
	if r.skip != "" {
		return "skipped"
	}
	med, lo, hi, ok := r.stats()
	if ok == 0 {
		return "failed"
	}
	s := fmt.Sprintf("%s (%s–%s)", format(med), format(lo), format(hi))
	if ok < len(r.samples) {
		s += fmt.Sprintf(" †%d/%d failed", len(r.samples)-ok, len(r.samples))
	}
	return s
}

// writeMarkdown writes the header, one table per metric and the notes.
func (rp *report) writeMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# azmq beside libzmq, pyzmq and zmq4\n\n")
	for _, h := range rp.header {
		fmt.Fprintf(&b, "- %s\n", h)
	}
	b.WriteString("\nEach cell: median (min–max) of the runs; repetitions interleaved (run 1 of every cell, then run 2, …). " +
		"\"local ← remote\": the local tool binds and receives (or echoes), the remote one connects and sends (or asks). " +
		"The azmq/libzmq row divides azmq-with-itself by libzmq-with-itself.\n")
	tables := []struct {
		metric, title, ratioNote string
		format                   func(float64) string
	}{
		{throughput, "Throughput [msg/s] (local_thr)", "higher is better for azmq", si},
		{latency, "Latency, one way [µs] (remote_lat)", "lower is better for azmq", sig3},
	}
	for _, t := range tables {
		fmt.Fprintf(&b, "\n## %s\n\n| transport | local ← remote |", t.title)
		for _, s := range rp.sizes {
			fmt.Fprintf(&b, " %s |", sizeLabel(s))
		}
		b.WriteString("\n|---|---|")
		for range rp.sizes {
			b.WriteString("---:|")
		}
		b.WriteString("\n")
		for _, tr := range rp.transports {
			for _, p := range rp.pairs {
				fmt.Fprintf(&b, "| %s | %s |", tr, p)
				for _, s := range rp.sizes {
					fmt.Fprintf(&b, " %s |", rp.cellText(rp.find(t.metric, tr, p, s), t.format))
				}
				b.WriteString("\n")
			}
			for _, im := range ratioImpls {
				if im != "azmq" && !rp.measured(im) {
					continue
				}
				fmt.Fprintf(&b, "| %s | **%s/libzmq** (%s) |", tr, im, t.ratioNote)
				for _, s := range rp.sizes {
					if r := rp.ratio(im, t.metric, tr, s); math.IsNaN(r) {
						b.WriteString(" – |")
					} else {
						fmt.Fprintf(&b, " **%.2f×** |", r)
					}
				}
				b.WriteString("\n")
			}
		}
	}
	writeIdle(&b, rp.idle)
	if len(rp.notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range rp.notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// csvHeader names the columns of results.csv.
var csvHeader = []string{"metric", "transport", "local", "remote", "size", "count", "runs", "ok",
	"median", "min", "max", "unit", "median_mbps", "samples", "note"}

// writeCSV writes one row per cell: its aggregate, every sample (";"
// separated, "x" for a failed run) and why it was skipped or failed.
func (rp *report) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	num := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	for _, r := range rp.results {
		med, lo, hi, ok := r.stats()
		var samples []string
		for _, s := range r.samples {
			if s.err != nil {
				samples = append(samples, "x")
				continue
			}
			samples = append(samples, num(s.value))
		}
		medMbps := ""
		if r.metric == throughput && ok > 0 {
			medMbps = num(med * float64(r.size) * 8 / 1e6)
		}
		note := r.skip
		if err := r.firstError(); err != nil && note == "" {
			note = err.Error()
		}
		row := []string{r.metric, r.transport, r.pair.local, r.pair.remote, strconv.Itoa(r.size),
			strconv.Itoa(r.count), strconv.Itoa(len(r.samples)), strconv.Itoa(ok),
			num(med), num(lo), num(hi), unit(r.metric), medMbps, strings.Join(samples, ";"), note}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
