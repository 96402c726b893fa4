package frame

import (
	"bytes"
	"errors"
	"testing"
)

// zmtp.md §17.3.
func TestFrameGolden(t *testing.T) {
	tests := []struct {
		name    string
		flags   byte
		payload []byte
		header  string
	}{
		{"Hello last", 0, []byte("Hello"), "00 05"},
		{"empty MORE", FlagMore, nil, "01 00"},
		{"empty last", 0, nil, "00 00"},
		{"255", 0, fill(255), "00 ff"},
		{"256", 0, fill(256), "02 00 00 00 00 00 00 01 00"},
		{"300", 0, fill(300), "02 00 00 00 00 00 00 01 2c"},
		{"300 MORE", FlagMore, fill(300), "03 00 00 00 00 00 00 01 2c"},
		{"stale LONG cleared", FlagLong, []byte("x"), "00 01"},
		{"short command", FlagCommand, []byte("x"), "04 01"},
		{"long command", FlagCommand | FlagLong, fill(256), "06 00 00 00 00 00 00 01 00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := unhex(t, tt.header)
			want := cat(hdr, tt.payload)
			if got := AppendFrame(nil, tt.flags, tt.payload); !bytes.Equal(got, want) {
				t.Fatalf("AppendFrame\n got %x\nwant %x", got, want)
			}
			if got := AppendHeader(nil, tt.flags, len(tt.payload)); !bytes.Equal(got, hdr) {
				t.Fatalf("AppendHeader got %x want %x", got, hdr)
			}
			if n := HeaderLen(len(tt.payload)); n != len(hdr) {
				t.Fatalf("HeaderLen %d want %d", n, len(hdr))
			}
			h, err := ParseHeader(want)
			if err != nil {
				t.Fatal(err)
			}
			if h.Flags != hdr[0] || h.Size != uint64(len(tt.payload)) || h.Len != len(hdr) {
				t.Fatalf("ParseHeader %+v", h)
			}
			if h.More() != (hdr[0]&FlagMore != 0) || h.Command() != (hdr[0]&FlagCommand != 0) {
				t.Fatalf("More/Command of %+v", h)
			}
		})
	}
	// REQ request "ping": delimiter + body, two frames back to back.
	req := AppendFrame(AppendFrame(nil, FlagMore, nil), 0, []byte("ping"))
	if want := unhex(t, "01 00 00 04 70 69 6e 67"); !bytes.Equal(req, want) {
		t.Fatalf("REQ request %x want %x", req, want)
	}
}

func TestParseHeaderTolerates(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Header
	}{
		{"reserved bit 0x80", "80 03", Header{0x80, 3, 2}},
		{"all reserved bits", "f9 00", Header{0xf9, 0, 2}},
		{"LONG for small size", "02 00 00 00 00 00 00 00 05", Header{0x02, 5, 9}},
		{"largest size", "02 7f ff ff ff ff ff ff ff", Header{0x02, 1<<63 - 1, 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseHeader(unhex(t, tt.in))
			if err != nil || h != tt.want {
				t.Fatalf("got %+v, %v; want %+v", h, err, tt.want)
			}
		})
	}
}

func TestParseHeaderRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"command with MORE", "05 00", ErrMalformed},
		{"command with MORE, decided on byte 0", "05", ErrMalformed},
		{"long command with MORE", "07 00 00 00 00 00 00 00 01", ErrMalformed},
		{"bit 63", "02 80 00 00 00 00 00 00 00", ErrTooLarge},
		{"all ones", "03 ff ff ff ff ff ff ff ff", ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseHeader(unhex(t, tt.in)); !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseHeaderPrefixes(t *testing.T) {
	for _, size := range []int{0, 1, 255, 256, 1 << 20} {
		for _, flags := range []byte{0, FlagMore, FlagCommand} {
			hdr := AppendHeader(nil, flags, size)
			for n := range len(hdr) {
				if _, err := ParseHeader(hdr[:n]); err != ErrShort {
					t.Fatalf("size %d flags %#x prefix %d: err %v, want ErrShort", size, flags, n, err)
				}
			}
		}
	}
}

func TestAppendHeaderNegativePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	AppendHeader(nil, 0, -1)
}
