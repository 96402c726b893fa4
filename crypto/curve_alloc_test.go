//go:build !race

package crypto

import (
	"testing"

	"github.com/azmq/azmq/frame"
)

// The CURVE traffic path allocates nothing once its buffers exist.
func TestCurveTrafficAllocs(t *testing.T) {
	c, s := connected(t, nil)
	payload := make([]byte, 1024)
	buf := make([]byte, 0, 2048)
	allocs := testing.AllocsPerRun(100, func() {
		wire, err := c.Encode(buf[:0], 0, payload)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := frame.ParseHeader(wire)
		cmd, _ := frame.ParseCommand(wire[h.Len:])
		if _, _, err := s.Decode(cmd); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per message", allocs)
	}
}
