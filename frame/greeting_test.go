package frame

import (
	"bytes"
	"errors"
	"testing"
)

// zmtp.md §2: the full NULL greeting we must send.
const nullGreetingHex = `
ff 00 00 00 00 00 00 00 00 7f 03 01 4e 55 4c 4c
00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`

// zmtp.md §17.1: libzmq's greeting as the client sent it (padding = 1).
const libzmqGreetingHex = `
ff 00 00 00 00 00 00 00 01 7f
03 01 4e 55 4c 4c 00 00 00 00 00 00 00 00 00 00
00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
00 00 00 00 00 00`

func TestAppendGreetingGolden(t *testing.T) {
	want := unhex(t, nullGreetingHex)
	got := AppendGreeting(nil, "NULL", false)
	if !bytes.Equal(got, want) {
		t.Fatalf("NULL greeting\n got %x\nwant %x", got, want)
	}
	// Appends after existing bytes, and sets only the as-server byte.
	got = AppendGreeting([]byte{1, 2}, "CURVE", true)
	if len(got) != 2+GreetingSize || got[0] != 1 || got[1] != 2 {
		t.Fatalf("prefix lost: %x", got)
	}
	g := got[2:]
	if !bytes.Equal(g[12:17], []byte("CURVE")) || g[32] != 1 {
		t.Fatalf("CURVE server greeting: %x", g)
	}
	for i, c := range g[33:] {
		if c != 0 {
			t.Fatalf("filler byte %d = %#x", 33+i, c)
		}
	}
}

func TestParseGreeting(t *testing.T) {
	ours := unhex(t, nullGreetingHex)
	libzmq := unhex(t, libzmqGreetingHex)
	v30 := bytes.Clone(ours)
	v30[11] = 0
	v4 := bytes.Clone(ours)
	v4[10] = 4
	server := AppendGreeting(nil, "PLAIN", true)
	junk := bytes.Clone(ours) // padding, as-server and filler are never read
	for i := 1; i < 9; i++ {
		junk[i] = 0xAA
	}
	junk[9] = 0x01
	for i := 33; i < 64; i++ {
		junk[i] = 0x55
	}
	tests := []struct {
		name   string
		in     []byte
		major  byte
		minor  byte
		mech   string
		server bool
	}{
		{"ours", ours, 3, 1, "NULL", false},
		{"libzmq", libzmq, 3, 1, "NULL", false},
		{"3.0", v30, 3, 0, "NULL", false},
		{"4.1", v4, 4, 1, "NULL", false},
		{"plain server", server, 3, 1, "PLAIN", true},
		{"junk padding", junk, 3, 1, "NULL", false},
		{"trailing READY", append(bytes.Clone(ours), 0x04, 0x29, 0x05), 3, 1, "NULL", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := ParseGreeting(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if g.Major != tt.major || g.Minor != tt.minor || g.AsServer != tt.server {
				t.Fatalf("got %+v", g)
			}
			if string(g.MechanismName()) != tt.mech || !g.MechanismIs(tt.mech) {
				t.Fatalf("mechanism %q, want %q", g.MechanismName(), tt.mech)
			}
			if g.MechanismIs(tt.mech+"X") || g.MechanismIs(tt.mech[:1]) || g.MechanismIs("CURVE-LONG-NAME-OVER-20") {
				t.Fatal("MechanismIs accepted a different name")
			}
		})
	}
}

func TestParseGreetingPrefixes(t *testing.T) {
	for _, full := range [][]byte{unhex(t, nullGreetingHex), unhex(t, libzmqGreetingHex)} {
		for n := range GreetingSize {
			if _, err := ParseGreeting(full[:n]); err != ErrShort {
				t.Fatalf("prefix %d: err %v, want ErrShort", n, err)
			}
		}
	}
}

func TestParseGreetingRejects(t *testing.T) {
	ours := unhex(t, nullGreetingHex)
	mod := func(i int, v byte) []byte { b := bytes.Clone(ours); b[i] = v; return b }
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"ZMTP/1.0 identity frame", []byte{0x01, 0x00}, ErrSignature},
		{"byte0 0x00", mod(0, 0x00), ErrSignature},
		{"byte9 0x7E", mod(9, 0x7E), ErrSignature},
		{"byte9 0x00", mod(9, 0x00), ErrSignature},
		{"ZMTP/1.0 major 0", mod(10, 0), ErrVersion},
		{"ZMTP/2.0 major 1", mod(10, 1), ErrVersion},
		{"major 2", mod(10, 2), ErrVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseGreeting(tt.in); !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			// Decided as soon as the offending byte is present (zmtp.md §3.4).
			bad := 0
			for bad < len(tt.in) && bad < len(ours) && tt.in[bad] == ours[bad] {
				bad++
			}
			if _, err := ParseGreeting(tt.in[:bad+1]); !errors.Is(err, tt.want) {
				t.Fatalf("after %d bytes: err %v, want %v", bad+1, err, tt.want)
			}
		})
	}
}

func TestAppendGreetingLongNamePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	AppendGreeting(nil, "ABCDEFGHIJKLMNOPQRSTU", false)
}
