package frame

import (
	"bytes"
	"fmt"
	"testing"
)

// decoder is the smallest resumable reader over this package: it keeps
// unconsumed bytes and decodes whatever is complete after each feed. It
// stands in for the engine to prove that the parsers resume correctly at
// every split point (STYLE.md guideline 3).
type decoder struct {
	buf      []byte
	greeted  bool
	events   []string
	maxFrame uint64
}

func (d *decoder) feed(p []byte) error {
	d.buf = append(d.buf, p...)
	for {
		if !d.greeted {
			g, err := ParseGreeting(d.buf)
			if err == ErrShort {
				return nil
			}
			if err != nil {
				return err
			}
			d.events = append(d.events, fmt.Sprintf("greeting %d.%d %s", g.Major, g.Minor, g.MechanismName()))
			d.buf = d.buf[GreetingSize:]
			d.greeted = true
			continue
		}
		h, err := ParseHeader(d.buf)
		if err == ErrShort {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Size > d.maxFrame {
			return ErrTooLarge
		}
		if uint64(len(d.buf)-h.Len) < h.Size {
			return nil
		}
		body := d.buf[h.Len : h.Len+int(h.Size)]
		if h.Command() {
			cmd, err := ParseCommand(body)
			if err != nil {
				return err
			}
			d.events = append(d.events, fmt.Sprintf("cmd %v %x", cmd.Kind, cmd.Data))
		} else {
			d.events = append(d.events, fmt.Sprintf("data more=%v %x", h.More(), body))
		}
		d.buf = d.buf[h.Len+int(h.Size):]
	}
}

func TestStreamEverySplit(t *testing.T) {
	var stream []byte
	stream = AppendGreeting(stream, "NULL", false)
	stream = append(stream, unhex(t, readyRouterHex)...)
	stream = AppendFrame(stream, FlagMore, nil)
	stream = AppendFrame(stream, 0, []byte("Hello"))
	stream = AppendCommand(stream, NameSubscribe, []byte("AB"))
	stream = AppendFrame(stream, FlagMore, fill(300))
	stream = AppendFrame(stream, 0, fill(255))
	stream = AppendPing(stream, 50, []byte("ctx"))

	whole := &decoder{maxFrame: 1 << 20}
	if err := whole.feed(stream); err != nil || len(whole.buf) != 0 {
		t.Fatalf("whole: %v, %d left", err, len(whole.buf))
	}
	if len(whole.events) != 8 {
		t.Fatalf("events: %q", whole.events)
	}
	check := func(name string, d *decoder) {
		t.Helper()
		if len(d.buf) != 0 || fmt.Sprint(d.events) != fmt.Sprint(whole.events) {
			t.Fatalf("%s: %d bytes left, events %q", name, len(d.buf), d.events)
		}
	}
	for split := range len(stream) + 1 {
		d := &decoder{maxFrame: 1 << 20}
		if err := d.feed(stream[:split]); err != nil {
			t.Fatal(err)
		}
		if err := d.feed(stream[split:]); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("split %d", split), d)
	}
	d := &decoder{maxFrame: 1 << 20}
	for i := range stream {
		if err := d.feed(stream[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	check("byte by byte", d)

	// The size limit is enforced from the header alone, before the body arrives.
	d = &decoder{maxFrame: 299}
	if err := d.feed(stream[:bytes.Index(stream, []byte{0x03, 0, 0, 0, 0, 0, 0, 1, 0x2c})+9]); err != ErrTooLarge {
		t.Fatalf("limit: %v", err)
	}
}
