package crypto

import (
	"testing"

	"github.com/azmq/azmq/frame"
)

// BenchmarkCurveMessage seals and opens one 1 KiB MESSAGE: the CPU cost
// CURVE adds per frame, without I/O.
func BenchmarkCurveMessage(b *testing.B) {
	c, s := connected(b, nil)
	payload := make([]byte, 1024)
	buf := make([]byte, 0, 2048)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		wire, err := c.Encode(buf[:0], 0, payload)
		if err != nil {
			b.Fatal(err)
		}
		h, _ := frame.ParseHeader(wire)
		cmd, _ := frame.ParseCommand(wire[h.Len:])
		if _, _, err := s.Decode(cmd); err != nil {
			b.Fatal(err)
		}
	}
}
