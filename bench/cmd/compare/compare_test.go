package main

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseThr(t *testing.T) {
	out := "message size: 16 [B]\nmessage count: 1000000\nmean throughput: 7717002 [msg/s]\nmean throughput: 987.776 [Mb/s]\n"
	got, err := parseThr(out)
	if err != nil {
		t.Fatal(err)
	}
	want := thrResult{Size: 16, Count: 1000000, MsgPerSec: 7717002, Mbps: 987.776}
	if got != want {
		t.Fatalf("parseThr = %+v, want %+v", got, want)
	}
	// Python and C print the same; noise around the lines is ignored.
	got, err = parseThr("starting\r\nmessage size: 65536 [B]\r\nmessage count: 3000\r\nmean throughput: 33257 [msg/s]\r\nmean throughput: 17436.246 [Mb/s]\r\n")
	if err != nil || got.Size != 65536 || got.Count != 3000 || got.MsgPerSec != 33257 {
		t.Fatalf("parseThr with CRLF = %+v, %v", got, err)
	}
}

func TestParseLat(t *testing.T) {
	got, err := parseLat("message size: 1 [B]\nroundtrip count: 20000\naverage latency: 43.916 [us]\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := (latResult{Size: 1, Count: 20000, LatencyUS: 43.916}); got != want {
		t.Fatalf("parseLat = %+v, want %+v", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	for _, out := range []string{
		"",
		"error in zmq_bind: Address already in use\n",
		// a missing line
		"message size: 16 [B]\nmean throughput: 5 [msg/s]\nmean throughput: 0.001 [Mb/s]\n",
		// a malformed number
		"message size: 16 [B]\nmessage count: 10\nmean throughput: 5.5 [msg/s]\nmean throughput: 1 [Mb/s]\n",
	} {
		if _, err := parseThr(out); err == nil {
			t.Errorf("parseThr(%q) succeeded", out)
		}
	}
	if _, err := parseLat("message size: 16 [B]\nroundtrip count: 10\naverage latency: fast [us]\n"); err == nil {
		t.Error("parseLat accepted a latency that is not a number")
	}
}

func TestProcTCPListening(t *testing.T) {
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:15B3 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:15B4 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1
   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 100 0 0 10 0
   3: 0A00000A:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 100 0 0 10 0
`
	for port, want := range map[int]bool{5555: true, 5556: false, 8080: true, 8081: false, 1: false} {
		if got := procTCPListening([]byte(table), portSuffix(port)); got != want {
			t.Errorf("port %d: listening = %v, want %v", port, got, want)
		}
	}
}

func TestEstimateAndCounts(t *testing.T) {
	tab := sizeTable(1e6, 1e6, 5e5, 1e5, 1e4, 1e3)
	if v := estimate(tab, 16); v != 1e6 {
		t.Errorf("estimate at a table size = %v", v)
	}
	if v := estimate(tab, 1000); v <= 1e5 || v >= 5e5 {
		t.Errorf("estimate(1000) = %v, want between its neighbours", v)
	}
	if v := estimate(tab, 1<<24); v != 1e3 {
		t.Errorf("estimate beyond the table = %v", v)
	}
	fast := &impl{thr: sizeTable(8e6, 8e6, 8e6, 8e6, 8e6, 8e6), lat: sizeTable(40, 40, 40, 40, 40, 40)}
	slow := &impl{thr: sizeTable(5e4, 5e4, 5e4, 5e4, 5e4, 5e4), lat: sizeTable(100, 100, 100, 100, 100, 100)}
	if n := runCount(throughput, fast, slow, 16, time.Second); n != 50000 {
		t.Errorf("throughput count follows the slower side: got %d, want 50000", n)
	}
	if n := runCount(throughput, fast, fast, 16, time.Second); n != 8000000 {
		t.Errorf("throughput count = %d, want 8000000", n)
	}
	if n := runCount(latency, fast, slow, 16, time.Second); n != 5000 {
		t.Errorf("latency count = %d, want 5000 (1 s / 2 / 100 µs)", n)
	}
	if n := runCount(throughput, slow, slow, 16, time.Millisecond); n != minMessages {
		t.Errorf("a short target gives %d messages, want the minimum %d", n, minMessages)
	}
	if got := clampRound(123456, 1, 1e9); got != 120000 {
		t.Errorf("clampRound(123456) = %d", got)
	}
}

// fixedReport is a report with made-up figures: two pairs, two sizes, one
// failed run, one skipped transport.
func fixedReport() *report {
	rp := &report{
		sizes:      []int{16, 65536},
		transports: []string{"tcp", "ipc"},
		pairs:      []pair{{"azmq", "azmq"}, {"libzmq", "libzmq"}, {"azmq", "libzmq"}},
		reps:       3,
		header:     []string{"machine: test"},
		notes:      []string{"ipc cells with azmq skipped: no ipc"},
	}
	add := func(metric, tr string, p pair, size int, skip string, vals ...float64) {
		r := &result{cell: cell{metric: metric, transport: tr, pair: p, size: size, count: 1000, skip: skip}}
		for _, v := range vals {
			if math.IsNaN(v) {
				r.samples = append(r.samples, sample{err: errors.New("timeout, after all")})
			} else {
				r.samples = append(r.samples, sample{value: v})
			}
		}
		rp.results = append(rp.results, r)
	}
	for _, m := range []string{throughput, latency} {
		scale := 1.0
		if m == latency {
			scale = 1e-5
		}
		add(m, "tcp", pair{"azmq", "azmq"}, 16, "", 7e6*scale, 6e6*scale, 8e6*scale)
		add(m, "tcp", pair{"azmq", "azmq"}, 65536, "", 3e4*scale, 3.2e4*scale, math.NaN())
		add(m, "tcp", pair{"libzmq", "libzmq"}, 16, "", 4e6*scale, 5e6*scale, 6e6*scale)
		add(m, "tcp", pair{"libzmq", "libzmq"}, 65536, "", 2.5e4*scale, 2.6e4*scale, 2.7e4*scale)
		add(m, "tcp", pair{"azmq", "libzmq"}, 16, "", math.NaN(), math.NaN(), math.NaN())
		add(m, "tcp", pair{"azmq", "libzmq"}, 65536, "", 2e4*scale, 2e4*scale, 2e4*scale)
		for _, p := range []pair{{"azmq", "azmq"}, {"azmq", "libzmq"}} {
			add(m, "ipc", p, 16, "no ipc")
			add(m, "ipc", p, 65536, "no ipc")
		}
		add(m, "ipc", pair{"libzmq", "libzmq"}, 16, "", 5e6*scale, 5e6*scale, 5e6*scale)
		add(m, "ipc", pair{"libzmq", "libzmq"}, 65536, "", 3e4*scale, 3e4*scale, 3e4*scale)
	}
	return rp
}

func TestStats(t *testing.T) {
	r := &result{samples: []sample{{value: 3}, {value: 1}, {err: errors.New("x")}, {value: 2}, {value: 10}}}
	med, lo, hi, ok := r.stats()
	if med != 2.5 || lo != 1 || hi != 10 || ok != 4 {
		t.Fatalf("stats = %v %v %v %v, want 2.5 1 10 4", med, lo, hi, ok)
	}
	if _, _, _, ok := (&result{}).stats(); ok != 0 {
		t.Fatal("stats of no runs")
	}
}

func TestMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := fixedReport().writeMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"| transport | local ← remote | 16 B | 65536 B |",
		"| tcp | azmq | 7.00M (6.00M–8.00M) | 31.0k (30.0k–32.0k) †1/3 failed |",
		"| tcp | libzmq | 5.00M (4.00M–6.00M) | 26.0k (25.0k–27.0k) |",
		"| tcp | azmq ← libzmq | failed | 20.0k (20.0k–20.0k) |",
		"| tcp | **azmq/libzmq** (higher is better for azmq) | **1.40×** | **1.19×** |",
		"| ipc | azmq | skipped | skipped |",
		"| ipc | **azmq/libzmq** (higher is better for azmq) | – | – |",
		"| tcp | azmq | 70.0 (60.0–80.0) | 0.31 (0.30–0.32) †1/3 failed |",
		"- ipc cells with azmq skipped: no ipc",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestCSV(t *testing.T) {
	var b bytes.Buffer
	rp := fixedReport()
	if err := rp.writeCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(rp.results)+1 {
		t.Fatalf("%d rows, want %d", len(rows), len(rp.results)+1)
	}
	if strings.Join(rows[0], ",") != strings.Join(csvHeader, ",") {
		t.Fatalf("header %v", rows[0])
	}
	col := func(name string) int {
		for i, h := range csvHeader {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	r := rows[2] // throughput tcp azmq 65536, one failed run
	if r[col("metric")] != throughput || r[col("size")] != "65536" || r[col("ok")] != "2" || r[col("runs")] != "3" ||
		r[col("median")] != "31000" || r[col("min")] != "30000" || r[col("max")] != "32000" ||
		r[col("samples")] != "30000;32000;x" || r[col("note")] != "timeout, after all" ||
		r[col("median_mbps")] != strconv.FormatFloat(31000*65536*8/1e6, 'f', -1, 64) {
		t.Fatalf("row %v", r)
	}
	skipped := rows[7] // throughput ipc azmq 16
	if skipped[col("transport")] != "ipc" || skipped[col("ok")] != "0" || skipped[col("median")] != "" || skipped[col("note")] != "no ipc" {
		t.Fatalf("skipped row %v", skipped)
	}
}

func TestSVG(t *testing.T) {
	for _, m := range []string{throughput, latency} {
		var b bytes.Buffer
		c := fixedReport().buildChart(m)
		if err := c.writeSVG(&b); err != nil {
			t.Fatal(err)
		}
		// Well-formed XML with the expected lines and legend.
		d := xml.NewDecoder(bytes.NewReader(b.Bytes()))
		counts := map[string]int{}
		var texts []string
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: bad XML: %v", m, err)
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				counts[tok.Name.Local]++
			case xml.CharData:
				texts = append(texts, string(tok))
			}
		}
		// Lines with two points or more: azmq tcp, libzmq tcp, libzmq ipc,
		// the tcp ratio; "azmq ← libzmq tcp" has one point only.
		if counts["polyline"] != 4 {
			t.Errorf("%s: %d polylines, want 4", m, counts["polyline"])
		}
		all := strings.Join(texts, "\n")
		for _, want := range []string{"azmq tcp", "libzmq ipc", "azmq ← libzmq tcp", "azmq/libzmq tcp", "64Ki", "message size [B]"} {
			if !strings.Contains(all, want) {
				t.Errorf("%s: SVG lacks text %q", m, want)
			}
		}
		if strings.Contains(b.String(), "NaN") || strings.Contains(b.String(), "Inf") {
			t.Errorf("%s: SVG holds NaN or Inf", m)
		}
	}
}

func TestTickLabel(t *testing.T) {
	for v, want := range map[float64]string{1e7: "10M", 5e6: "5M", 2e4: "20k", 500: "500", 0.5: "0.5", 1: "1", 2.5e3: "2.5k"} {
		if got := tickLabel(v); got != want {
			t.Errorf("tickLabel(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestSVGEmpty draws a chart with no data at all without failing.
func TestSVGEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := (&report{sizes: []int{16}, transports: []string{"tcp"}}).buildChart(latency).writeSVG(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "NaN") {
		t.Error("empty SVG holds NaN")
	}
}

// TestSmokeAzmqTCP builds azmq's local_thr and remote_thr and runs them as a
// pair over tcp on 127.0.0.1, as the harness does.
func TestSmokeAzmqTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two processes")
	}
	benchDir, err := findBenchDir()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	cmd := exec.Command("go", "build", "-o", bin+"/", "./cmd/local_thr", "./cmd/remote_thr")
	cmd.Dir = benchDir
	if out, err := cmd.CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("building azmq's tools: %v\n%s", err, out)
		}
		t.Skipf("building azmq's tools failed (the library may be mid-change): %v\n%s", err, out)
	}
	eps, err := newEndpoints()
	if err != nil {
		t.Fatal(err)
	}
	defer eps.cleanup()
	ep, bound, err := eps.next("tcp")
	if err != nil {
		t.Fatal(err)
	}
	// More messages than the send high-water mark: see minMessages.
	args := []string{ep, "64", "5000"}
	lout, _, err := runPair(
		append([]string{filepath.Join(bin, "local_thr")}, args...),
		append([]string{filepath.Join(bin, "remote_thr")}, args...),
		bound, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r, err := parseThr(lout)
	if err != nil {
		t.Fatal(err)
	}
	if r.Size != 64 || r.Count != 5000 || r.MsgPerSec <= 0 {
		t.Fatalf("local_thr reported %+v", r)
	}
}

// TestRunPairTimeout checks that a run that hangs is killed and reported.
func TestRunPairTimeout(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep command")
	}
	start := time.Now()
	_, _, err = runPair([]string{sleep, "30"}, []string{sleep, "30"}, func() bool { return true }, 300*time.Millisecond)
	if !errors.Is(err, errTimeout) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v to give up", d)
	}
	_, _, err = runPair([]string{"false"}, []string{sleep, "30"}, func() bool { return false }, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "before binding") {
		t.Fatalf("a local side that exits at once: err = %v", err)
	}
}
