//go:build !race

package frame

import "testing"

// TestZeroAlloc pins the package promise: decoding and encoding into a
// buffer with room never allocate, including on malformed input.
func TestZeroAlloc(t *testing.T) {
	greeting := AppendGreeting(nil, "NULL", false)
	badGreeting := []byte{0x01}
	ready := unhex(t, readyDealerABCHex)
	long := AppendHeader(nil, FlagMore, 1<<20)
	ping := AppendPing(nil, 5, []byte("ctx"))
	errCmd := AppendError(nil, "400")
	badMeta := []byte("\x01A\x00\x00\x00\x05abc")
	buf := make([]byte, 0, 512)
	payload := fill(300)

	tests := []struct {
		name string
		fn   func()
	}{
		{"ParseGreeting", func() { _, sinkErr = ParseGreeting(greeting) }},
		{"ParseGreeting short", func() { _, sinkErr = ParseGreeting(greeting[:20]) }},
		{"ParseGreeting bad signature", func() { _, sinkErr = ParseGreeting(badGreeting) }},
		{"MechanismName", func() { g, _ := ParseGreeting(greeting); sinkInt = len(g.MechanismName()) }},
		{"AppendGreeting", func() { buf = AppendGreeting(buf[:0], "CURVE", true) }},
		{"ParseHeader short", func() { sinkHeader, sinkErr = ParseHeader(ready) }},
		{"ParseHeader long", func() { sinkHeader, sinkErr = ParseHeader(long) }},
		{"ParseHeader bad", func() { sinkHeader, sinkErr = ParseHeader([]byte{0x05, 0}) }},
		{"AppendHeader", func() { buf = AppendHeader(buf[:0], FlagMore, 1<<20) }},
		{"AppendFrame", func() { buf = AppendFrame(buf[:0], 0, payload) }},
		{"ParseCommand", func() { sinkCommand, sinkErr = ParseCommand(ready[2:]) }},
		{"ParseCommand bad", func() { sinkCommand, sinkErr = ParseCommand(nil) }},
		{"AppendCommand", func() { buf = AppendCommand(buf[:0], NameSubscribe, payload[:10], payload[:3]) }},
		{"ParsePing", func() { _, _, sinkErr = ParsePing(ping[7:]) }},
		{"AppendPing", func() { buf = AppendPing(buf[:0], 5, payload[:16]) }},
		{"AppendPong", func() { buf = AppendPong(buf[:0], payload[:16]) }},
		{"ParseError", func() { _, sinkErr = ParseError(errCmd[8:]) }},
		{"AppendError", func() { buf = AppendError(buf[:0], "400") }},
		{"MetadataIter", func() {
			it := NewMetadataIter(ready[8:])
			for it.Next() {
				sinkInt += len(it.Property().Value)
			}
			sinkErr = it.Err()
		}},
		{"MetadataIter bad", func() {
			it := NewMetadataIter(badMeta)
			for it.Next() {
			}
			sinkErr = it.Err()
		}},
		{"AppendProperty", func() { buf = AppendProperty(buf[:0], PropIdentity, payload[:5]) }},
		{"EqualFoldName", func() { sinkInt++; _ = EqualFoldName(ready[9:20], "socket-type") }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
			t.Errorf("%s: %v allocs/op, want 0", tt.name, n)
		}
	}
}
