package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/azmq/azmq"
)

// watch prints the socket's events, one a line, until --count events,
// --timeout without one, or an interrupt.
func (cfg *config) watch(ctx context.Context, events <-chan azmq.Event, stdout io.Writer) error {
	out := bufio.NewWriter(stdout)
	var idle <-chan time.Time
	var timer *time.Timer
	if cfg.timeout > 0 {
		timer = time.NewTimer(cfg.timeout)
		defer timer.Stop()
		idle = timer.C
	}
	for n := 0; !cfg.done(n); n++ {
		select {
		case ev, ok := <-events:
			if !ok || ev.Kind == azmq.EventMonitorStopped {
				return ctx.Err() // the monitor ends only with ctx
			}
			out.WriteString(formatEvent(ev, cfg.frames.hex))
			out.WriteByte('\n')
			if err := out.Flush(); err != nil {
				return err
			}
			if timer != nil {
				timer.Reset(cfg.timeout)
			}
		case <-idle:
			return fmt.Errorf("no event within --timeout %v", cfg.timeout)
		}
	}
	return nil
}

// formatEvent writes an event as its kind and the fields it has, as
// key=value: "Accepted endpoint=tcp://127.0.0.1:5555 peer=127.0.0.1:40112".
func formatEvent(ev azmq.Event, hexID bool) string {
	b := []byte(ev.Kind.String())
	field := func(key, value string) {
		b = append(b, ' ')
		b = append(b, key...)
		b = append(b, '=')
		b = append(b, value...)
	}
	if ev.Endpoint != "" {
		field("endpoint", ev.Endpoint)
	}
	if ev.Peer != "" {
		field("peer", ev.Peer)
	}
	if len(ev.RoutingID) > 0 {
		field("id", formatID(ev.RoutingID, hexID))
	}
	if ev.Interval > 0 {
		field("retry", ev.Interval.Round(time.Millisecond).String())
	}
	if ev.Err != nil {
		field("err", strconv.Quote(ev.Err.Error()))
	}
	return string(b)
}

// formatID shows a routing id as text when it is printable without
// spaces, else in hexadecimal with a 0x prefix (libzmq makes up binary ids).
func formatID(id []byte, hexID bool) string {
	if !hexID {
		printable := true
		for _, c := range id {
			printable = printable && c > ' ' && c < 0x7f
		}
		if printable {
			return string(id)
		}
	}
	return "0x" + hex.EncodeToString(id)
}
