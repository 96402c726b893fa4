package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The lines libzmq's local_thr and remote_lat print, which every tool here
// prints the same way.
var (
	reSize      = regexp.MustCompile(`^message size: (\d+) \[B\]$`)
	reCount     = regexp.MustCompile(`^message count: (\d+)$`)
	reRate      = regexp.MustCompile(`^mean throughput: (\d+) \[msg/s\]$`)
	reMbps      = regexp.MustCompile(`^mean throughput: ([0-9]+(?:\.[0-9]+)?) \[Mb/s\]$`)
	reRoundtrip = regexp.MustCompile(`^roundtrip count: (\d+)$`)
	reLatency   = regexp.MustCompile(`^average latency: ([0-9]+(?:\.[0-9]+)?) \[us\]$`)
)

// thrResult is what local_thr printed.
type thrResult struct {
	Size, Count int
	MsgPerSec   float64
	Mbps        float64
}

// latResult is what remote_lat printed.
type latResult struct {
	Size, Count int
	LatencyUS   float64
}

// lineValues finds, for each pattern, the first line of out that matches
// it and returns its submatch; a pattern that matches no line is an error.
func lineValues(out string, res ...*regexp.Regexp) ([]string, error) {
	vals := make([]string, len(res))
	found := make([]bool, len(res))
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r ")
		for i, re := range res {
			if found[i] {
				continue
			}
			if m := re.FindStringSubmatch(line); m != nil {
				vals[i], found[i] = m[1], true
				break
			}
		}
	}
	for i, ok := range found {
		if !ok {
			return nil, fmt.Errorf("no line matching %q in output %q", res[i].String(), out)
		}
	}
	return vals, nil
}

// parseThr reads local_thr's four lines.
func parseThr(out string) (thrResult, error) {
	v, err := lineValues(out, reSize, reCount, reRate, reMbps)
	if err != nil {
		return thrResult{}, err
	}
	var r thrResult
	r.Size, _ = strconv.Atoi(v[0])
	r.Count, _ = strconv.Atoi(v[1])
	r.MsgPerSec, _ = strconv.ParseFloat(v[2], 64)
	r.Mbps, _ = strconv.ParseFloat(v[3], 64)
	return r, nil
}

// parseLat reads remote_lat's three lines.
func parseLat(out string) (latResult, error) {
	v, err := lineValues(out, reSize, reRoundtrip, reLatency)
	if err != nil {
		return latResult{}, err
	}
	var r latResult
	r.Size, _ = strconv.Atoi(v[0])
	r.Count, _ = strconv.Atoi(v[1])
	r.LatencyUS, _ = strconv.ParseFloat(v[2], 64)
	return r, nil
}
