package frame

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

// Fuzz targets: seeded by our own encoders, they check that no input panics
// and that whatever decodes re-encodes to the same bytes.

func FuzzParseGreeting(f *testing.F) {
	for _, mech := range []string{"NULL", "PLAIN", "CURVE", ""} {
		f.Add(AppendGreeting(nil, mech, false))
		f.Add(AppendGreeting(nil, mech, true))
	}
	g30 := AppendGreeting(nil, "NULL", false)
	g30[11] = 0
	f.Add(g30)
	f.Add([]byte{0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3})
	f.Add([]byte{0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := ParseGreeting(b)
		// Deciding early must agree with deciding late: a prefix either
		// needs more bytes or fails the same way.
		for n := range min(len(b), GreetingSize) {
			_, perr := ParseGreeting(b[:n])
			if perr == ErrShort {
				continue
			}
			if perr == nil || err == nil || !sameKind(perr, err) {
				t.Fatalf("prefix %d: %v, whole: %v", n, perr, err)
			}
		}
		if err != nil {
			if err != ErrShort && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrVersion) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(b) < GreetingSize || g.Major != b[10] || g.Minor != b[11] || g.Major < 3 || g.AsServer != (b[32] != 0) {
			t.Fatalf("fields %+v from %x", g, b)
		}
		if !bytes.Equal(g.Mechanism[:], b[12:32]) {
			t.Fatal("mechanism field")
		}
		name := g.MechanismName()
		if !g.MechanismIs(string(name)) && bytes.IndexByte(name, 0) < 0 {
			t.Fatalf("MechanismIs(%q) false", name)
		}
		// Our encoding of what we read is accepted and reads back the same.
		if bytes.IndexByte(name, 0) < 0 {
			again, err := ParseGreeting(AppendGreeting(nil, string(name), g.AsServer))
			if err != nil || again.Mechanism != g.Mechanism || again.AsServer != g.AsServer {
				t.Fatalf("re-encode: %+v, %v", again, err)
			}
		}
	})
}

func sameKind(a, b error) bool {
	for _, k := range []error{ErrSignature, ErrVersion, ErrMalformed, ErrTooLarge} {
		if errors.Is(a, k) {
			return errors.Is(b, k)
		}
	}
	return false
}

func FuzzParseHeader(f *testing.F) {
	for _, size := range []int{0, 1, 255, 256, 300, math.MaxInt} {
		for _, flags := range []byte{0, FlagMore, FlagCommand} {
			f.Add(AppendHeader(nil, flags, size))
		}
	}
	f.Add([]byte{0x80, 3})
	f.Add([]byte{0x02, 0, 0, 0, 0, 0, 0, 0, 5})
	f.Add([]byte{0x05, 0})
	f.Add([]byte{0x02, 0x80, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err == ErrShort {
			want := 2
			if len(b) > 0 && b[0]&FlagLong != 0 {
				want = 9
			}
			if len(b) >= want {
				t.Fatalf("ErrShort with %d bytes", len(b))
			}
			return
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if h.Len != 2 && h.Len != 9 || h.Size>>63 != 0 || h.Command() && h.More() || h.Flags != b[0] {
			t.Fatalf("header %+v from %x", h, b)
		}
		if h.Size > math.MaxInt {
			return
		}
		enc := AppendHeader(nil, h.Flags, int(h.Size))
		again, err := ParseHeader(enc)
		if err != nil || again.Size != h.Size || again.Flags&^FlagLong != h.Flags&^FlagLong {
			t.Fatalf("round trip %+v -> %x -> %+v, %v", h, enc, again, err)
		}
		// The canonical form (libzmq's: short iff size <= 255) re-encodes byte for byte.
		if h.Len == HeaderLen(int(h.Size)) && !bytes.Equal(enc, b[:h.Len]) {
			t.Fatalf("canonical %x re-encoded as %x", b[:h.Len], enc)
		}
	})
}

func FuzzParseCommand(f *testing.F) {
	for k := CmdReady; k < numCommandKinds; k++ {
		wire := AppendCommand(nil, k.String(), []byte("data"))
		f.Add(wire[2:])
	}
	f.Add([]byte("\x03FOO"))
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, body []byte) {
		cmd, err := ParseCommand(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if (cmd.Kind == CmdUnknown) != (lookupCommand(cmd.Name) == CmdUnknown) ||
			cmd.Kind != CmdUnknown && string(cmd.Name) != cmd.Kind.String() {
			t.Fatalf("kind %v for %q", cmd.Kind, cmd.Name)
		}
		wire := AppendCommand(nil, string(cmd.Name), cmd.Data)
		h, err := ParseHeader(wire)
		if err != nil || !h.Command() || int(h.Size) != len(body) || len(wire) != CommandLen(string(cmd.Name), len(cmd.Data)) {
			t.Fatalf("re-encoded header %+v, %v", h, err)
		}
		if !bytes.Equal(wire[h.Len:], body) {
			t.Fatalf("round trip %x -> %x", body, wire[h.Len:])
		}
		// The specific decoders must not panic on any data either.
		switch cmd.Kind {
		case CmdError:
			if reason, err := ParseError(cmd.Data); err == nil && len(reason) > MaxErrorReason {
				t.Fatal("reason too long")
			}
		case CmdPing:
			if _, ctx, err := ParsePing(cmd.Data); err == nil && len(ctx) > MaxPingContext {
				t.Fatal("context too long")
			}
		case CmdReady, CmdInitiate:
			it := NewMetadataIter(cmd.Data)
			for it.Next() {
			}
		}
	})
}

func FuzzMetadata(f *testing.F) {
	f.Add(unhex(f, readyRouterHex)[8:])
	f.Add(unhex(f, readyDealerABCHex)[8:])
	f.Add(cat(AppendProperty(nil, "X-A", []byte("1")), AppendProperty(nil, "X-B", nil)))
	f.Add([]byte{0x05})
	f.Add([]byte("\x01A\x80\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		it := NewMetadataIter(b)
		var enc []byte
		for it.Next() {
			p := it.Property()
			if len(p.Name) == 0 || len(p.Name) > 255 || len(p.Value) > MaxValueLen {
				t.Fatalf("bad property %q", p.Name)
			}
			enc = AppendProperty(enc, string(p.Name), p.Value)
		}
		if err := it.Err(); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error %v", err)
			}
			if !bytes.HasPrefix(b, enc) {
				t.Fatal("properties before the error do not re-encode to a prefix")
			}
			return
		}
		if !bytes.Equal(enc, b) {
			t.Fatalf("round trip %x -> %x", b, enc)
		}
	})
}

func FuzzParsePing(f *testing.F) {
	f.Add(AppendPing(nil, 123, nil)[7:])
	f.Add(AppendPing(nil, 0, []byte("ctx"))[7:])
	f.Add(AppendPing(nil, 65535, fill(16))[7:])
	f.Add(append([]byte{0, 9}, fill(40)...))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, data []byte) {
		ttl, ctx, err := ParsePing(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || len(data) >= 2 {
				t.Fatalf("error %v for %d bytes", err, len(data))
			}
			return
		}
		if len(ctx) > MaxPingContext || !bytes.Equal(ctx, data[2:2+len(ctx)]) {
			t.Fatalf("context %x of %x", ctx, data)
		}
		wire := AppendPing(nil, ttl, ctx)
		h, _ := ParseHeader(wire)
		cmd, err := ParseCommand(wire[h.Len:])
		if err != nil || cmd.Kind != CmdPing || !bytes.Equal(cmd.Data, data[:2+len(ctx)]) {
			t.Fatalf("round trip %x -> %x, %v", data, cmd.Data, err)
		}
		pong := AppendPong(nil, ctx)
		h, _ = ParseHeader(pong)
		cmd, err = ParseCommand(pong[h.Len:])
		if err != nil || cmd.Kind != CmdPong || !bytes.Equal(cmd.Data, ctx) {
			t.Fatalf("pong %x, %v", pong, err)
		}
	})
}

func FuzzParseError(f *testing.F) {
	f.Add(AppendError(nil, "400")[8:])
	f.Add(AppendError(nil, "")[8:])
	f.Add([]byte{4, '4', '0'})
	f.Fuzz(func(t *testing.T, data []byte) {
		reason, err := ParseError(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		wire := AppendError(nil, string(reason))
		h, _ := ParseHeader(wire)
		cmd, err := ParseCommand(wire[h.Len:])
		if err != nil || cmd.Kind != CmdError || !bytes.HasPrefix(data, cmd.Data) {
			t.Fatalf("round trip %x -> %x, %v", data, cmd.Data, err)
		}
	})
}
