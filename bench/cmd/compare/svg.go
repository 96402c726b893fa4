package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// A point is a median and its min–max range at one message size.
type point struct{ x, y, lo, hi float64 }

// A line is one series of a chart.
type line struct {
	name   string
	color  string
	dashed bool
	points []point
}

// A chart is values against message size on log–log axes, above a panel of
// ratios on a linear axis.
type chart struct {
	title, yLabel string
	lines         []line
	ratioLabel    string
	ratios        []line
}

// Layout of a chart, in SVG user units.
const (
	svgW, svgH   = 980, 660
	plotL, plotR = 90, 700 // the x extent of both panels
	mainT, mainB = 50, 400
	ratT, ratB   = 460, 600
	legendX      = 720
)

// axis maps values onto [p0, p1] linearly, or on log10 of the value.
type axis struct {
	lo, hi float64 // in axis units: log10(v) for a log axis
	p0, p1 float64
	log    bool
}

func (a axis) pos(v float64) float64 {
	if a.log {
		v = math.Log10(v)
	}
	return a.p0 + (v-a.lo)/(a.hi-a.lo)*(a.p1-a.p0)
}

// logAxis spans whole decades around the values (or one decade each way
// around a single value).
func logAxis(vals []float64, p0, p1 float64, pad bool) axis {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) {
			lo, hi = math.Min(lo, math.Log10(v)), math.Max(hi, math.Log10(v))
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 1
	}
	if pad {
		lo, hi = math.Floor(lo), math.Ceil(hi)
	} else {
		span := math.Max(hi-lo, 0.5)
		lo, hi = lo-span*0.06, hi+span*0.06
	}
	if hi-lo < 1e-9 {
		lo, hi = lo-1, hi+1
	}
	return axis{lo: lo, hi: hi, p0: p0, p1: p1, log: true}
}

// writeSVG draws the chart as a standalone SVG document.
func (c chart) writeSVG(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		svgW, svgH, svgW, svgH)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", svgW, svgH)
	fmt.Fprintf(&b, `<text x="%d" y="28" font-size="16" font-weight="bold">%s</text>`+"\n", plotL, esc(c.title))

	var xs, ys []float64
	for _, l := range append(append([]line(nil), c.lines...), c.ratios...) {
		for _, p := range l.points {
			xs = append(xs, p.x)
		}
	}
	for _, l := range c.lines {
		for _, p := range l.points {
			ys = append(ys, p.lo, p.hi, p.y)
		}
	}
	xa := logAxis(xs, plotL, plotR, false)
	ya := logAxis(ys, mainB, mainT, true)

	// Main panel: decade grid lines, with 2 and 5 between them when few.
	frame(&b, mainT, mainB)
	for d := math.Ceil(ya.lo); d <= ya.hi+1e-9; d++ {
		for _, m := range []float64{1, 2, 5} {
			if m != 1 && ya.hi-ya.lo > 3 {
				continue
			}
			v := m * math.Pow(10, d)
			if math.Log10(v) > ya.hi+1e-9 {
				break
			}
			y := ya.pos(v)
			fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", plotL, plotR, y, y)
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", plotL-6, y+4, esc(tickLabel(v)))
		}
	}
	xTicks(&b, xa, xs, mainT, mainB, false)
	fmt.Fprintf(&b, `<text transform="translate(22 %d) rotate(-90)" text-anchor="middle">%s</text>`+"\n", (mainT+mainB)/2, esc(c.yLabel))
	for _, l := range c.lines {
		series(&b, l, xa, ya)
	}

	// Ratio panel: linear from 0, with the 1× line marked.
	maxR := 1.2
	for _, l := range c.ratios {
		for _, p := range l.points {
			if !math.IsNaN(p.y) && !math.IsInf(p.y, 0) {
				maxR = math.Max(maxR, p.y*1.1)
			}
		}
	}
	ra := axis{lo: 0, hi: maxR, p0: ratB, p1: ratT}
	frame(&b, ratT, ratB)
	step := niceStep(maxR / 4)
	for v := 0.0; v <= maxR+1e-9; v += step {
		y := ra.pos(v)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", plotL, plotR, y, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s×</text>`+"\n", plotL-6, y+4, trimFloat(v))
	}
	y1 := ra.pos(1)
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#444" stroke-dasharray="2 3"/>`+"\n", plotL, plotR, y1, y1)
	xTicks(&b, xa, xs, ratT, ratB, true)
	fmt.Fprintf(&b, `<text transform="translate(22 %d) rotate(-90)" text-anchor="middle">%s</text>`+"\n", (ratT+ratB)/2, esc(c.ratioLabel))
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">message size [B]</text>`+"\n", (plotL+plotR)/2, ratB+40)
	for _, l := range c.ratios {
		series(&b, l, xa, ra)
	}

	// Legend: every line, then every ratio line.
	y := mainT + 6
	for _, l := range append(append([]line(nil), c.lines...), c.ratios...) {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`+"\n",
			legendX, legendX+28, y, y, l.color, dash(l))
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", legendX+34, y+4, esc(l.name))
		y += 18
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func frame(b *strings.Builder, top, bottom int) {
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>`+"\n",
		plotL, top, plotR-plotL, bottom-top)
}

// xTicks marks every size that has a value; labels go under the bottom
// panel only.
func xTicks(b *strings.Builder, xa axis, xs []float64, top, bottom int, labels bool) {
	seen := map[float64]bool{}
	for _, x := range xs {
		if seen[x] {
			continue
		}
		seen[x] = true
		px := xa.pos(x)
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#eee"/>`+"\n", px, px, top, bottom)
		if labels {
			fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", px, bottom+18, esc(bytesLabel(x)))
		}
	}
}

// series draws a line through the medians, a dot at each and a bar from
// min to max.
func series(b *strings.Builder, l line, xa, ya axis) {
	var pts []string
	for _, p := range l.points {
		if math.IsNaN(p.y) || (ya.log && p.y <= 0) {
			continue
		}
		px, py := xa.pos(p.x), ya.pos(p.y)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", px, py))
		if !math.IsNaN(p.lo) && !math.IsNaN(p.hi) && p.hi > p.lo && (!ya.log || p.lo > 0) {
			y0, y1 := ya.pos(p.lo), ya.pos(p.hi)
			fmt.Fprintf(b, `<path d="M%.1f %.1fV%.1fM%.1f %.1fh8M%.1f %.1fh8" stroke="%s" fill="none"/>`+"\n",
				px, y0, y1, px-4, y0, px-4, y1, l.color)
		}
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s</title></circle>`+"\n",
			px, py, l.color, esc(fmt.Sprintf("%s, %s: %s", l.name, bytesLabel(p.x), trimFloat(p.y))))
	}
	if len(pts) > 1 {
		fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n",
			strings.Join(pts, " "), l.color, dash(l))
	}
}

func dash(l line) string {
	if l.dashed {
		return ` stroke-dasharray="7 4"`
	}
	return ""
}

// niceStep rounds a step up to 1, 2 or 5 times a power of ten.
func niceStep(s float64) float64 {
	if s <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(s)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= s {
			return m * p
		}
	}
	return 10 * p
}

// bytesLabel writes a size the short way: 64Ki, 1Mi.
func bytesLabel(x float64) string {
	n := int64(x)
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMi", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKi", n>>10)
	}
	return fmt.Sprintf("%d", n)
}

// tickLabel is si without trailing zeros: 10M, 2.5k, 0.5.
func tickLabel(v float64) string {
	s := si(v)
	num := strings.TrimRight(s, "kMG")
	if strings.Contains(num, ".") {
		num = strings.TrimRight(strings.TrimRight(num, "0"), ".")
	}
	return num + s[len(strings.TrimRight(s, "kMG")):]
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.3g", v)
	if strings.ContainsAny(s, "e") {
		s = fmt.Sprintf("%.0f", v)
	}
	return s
}

func esc(s string) string { return html.EscapeString(s) }

// pairColors gives each default pair a fixed color; others get gray.
var pairColors = map[pair]string{
	{"azmq", "azmq"}:                   "#d62728",
	{"libzmq", "libzmq"}:               "#1f77b4",
	{"pyzmq", "pyzmq"}:                 "#2ca02c",
	{"pyzmq-asyncio", "pyzmq-asyncio"}: "#17becf",
	{"zmq4", "zmq4"}:                   "#9467bd",
	{"azmq", "libzmq"}:                 "#ff7f0e",
	{"libzmq", "azmq"}:                 "#8c564b",
}

// transportColors colors the ratio lines.
var transportColors = map[string]string{"tcp": "#222", "ipc": "#222"}

// buildChart turns one metric of the report into a chart: a line per pair
// and transport (ipc dashed), and an azmq/libzmq ratio line per transport.
func (rp *report) buildChart(metric string) chart {
	c := chart{ratioLabel: "azmq / libzmq"}
	if metric == throughput {
		c.title = "Throughput (local_thr): median and min–max of runs"
		c.yLabel = "messages per second"
	} else {
		c.title = "Latency, one way (remote_lat): median and min–max of runs"
		c.yLabel = "latency [µs]"
	}
	for _, tr := range rp.transports {
		for _, p := range rp.pairs {
			l := line{name: p.String() + " " + tr, color: pairColors[p], dashed: tr != "tcp"}
			if l.color == "" {
				l.color = "#777"
			}
			for _, s := range rp.sizes {
				r := rp.find(metric, tr, p, s)
				if r == nil || r.skip != "" {
					continue
				}
				med, lo, hi, ok := r.stats()
				if ok > 0 {
					l.points = append(l.points, point{float64(s), med, lo, hi})
				}
			}
			if len(l.points) > 0 {
				c.lines = append(c.lines, l)
			}
		}
		rl := line{name: "azmq/libzmq " + tr, color: transportColors[tr], dashed: tr != "tcp"}
		if rl.color == "" {
			rl.color = "#777"
		}
		for _, s := range rp.sizes {
			if v := rp.ratio("azmq", metric, tr, s); !math.IsNaN(v) {
				rl.points = append(rl.points, point{float64(s), v, math.NaN(), math.NaN()})
			}
		}
		if len(rl.points) > 0 {
			c.ratios = append(c.ratios, rl)
		}
	}
	return c
}
