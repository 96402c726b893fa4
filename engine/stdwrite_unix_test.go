//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package engine

import (
	"bytes"
	"testing"

	"github.com/azmq/azmq/ring"
)

// TestLeadOf: a batch of bigBatch bytes or more is cut to its first
// leadBytes, across buffer boundaries; a smaller one is left whole.
func TestLeadOf(t *testing.T) {
	big := make([]byte, bigBatch)
	cases := []struct {
		name string
		bufs [][]byte
		want []int // lengths of the lead's buffers; nil: bufs unchanged
	}{
		{"small", [][]byte{make([]byte, 11), make([]byte, 1000)}, nil},
		{"just under", [][]byte{make([]byte, 11), big[:bigBatch-12]}, nil},
		{"header and body", [][]byte{make([]byte, 11), big}, []int{11, leadBytes - 11}},
		{"one buffer", [][]byte{big}, []int{leadBytes}},
		{"many small then big", [][]byte{make([]byte, 3000), make([]byte, 3000), make([]byte, 3000), big}, []int{3000, 3000, leadBytes - 6000}},
	}
	for _, tc := range cases {
		var lead [][]byte
		got := leadOf(tc.bufs, &lead)
		if tc.want == nil {
			if len(got) != len(tc.bufs) || &got[0] != &tc.bufs[0] {
				t.Errorf("%s: batch cut to %d buffers", tc.name, len(got))
			}
			continue
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: lead of %d buffers, want %d", tc.name, len(got), len(tc.want))
		}
		for i, n := range tc.want {
			if len(got[i]) != n || &got[i][0] != &tc.bufs[i][0] {
				t.Errorf("%s: lead buffer %d is %d bytes, want %d of the batch's", tc.name, i, len(got[i]), n)
			}
		}
	}
}

// TestUnalias: an inline write's big buffer whose bytes would meet the
// kernel's copy 1-15 bytes off modulo a page is replaced by an equal copy
// placed at its position's page offset; others are left alone.
func TestUnalias(t *testing.T) {
	if _, ok := addrOf([]byte{0}); !ok {
		t.Skip("addresses are not visible in the build without unsafe")
	}
	body := ring.NewBufferAt(unaliasMin, 0) // page-aligned, as Go's large allocations
	defer body.Unref()
	placed := ring.NewBufferAt(unaliasMin, 11)
	defer placed.Unref()
	for i := range body.Bytes() {
		body.Bytes()[i] = byte(i * 7)
	}
	hdr := make([]byte, 11)
	cases := []struct {
		name     string
		bufs     [][]byte
		replaced []bool
	}{
		{"aliased body", [][]byte{hdr, body.Bytes()}, []bool{false, true}},
		{"body at its offset", [][]byte{hdr, placed.Bytes()}, []bool{false, false}},
		{"no header", [][]byte{body.Bytes()}, []bool{false}},
		{"small body", [][]byte{hdr, body.Bytes()[:unaliasMin-1]}, []bool{false, false}},
		{"far enough", [][]byte{make([]byte, 40), body.Bytes()}, []bool{false, false}},
	}
	for _, tc := range cases {
		w := &vecWriter{bufs: append([][]byte(nil), tc.bufs...)}
		w.unalias()
		pos := 0
		for i, b := range w.bufs {
			moved := &b[0] != &tc.bufs[i][0]
			if moved != tc.replaced[i] {
				t.Errorf("%s: buffer %d replaced = %v, want %v", tc.name, i, moved, tc.replaced[i])
			}
			if !bytes.Equal(b, tc.bufs[i]) {
				t.Errorf("%s: buffer %d changed", tc.name, i)
			}
			if at, _ := addrOf(b); moved && ring.Aliased(uintptr(ring.PageOffset(pos)), at) {
				t.Errorf("%s: the copy of buffer %d is still aliased", tc.name, i)
			}
			pos += len(b)
		}
		for _, c := range w.copies {
			c.Unref()
		}
	}
}
