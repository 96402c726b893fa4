package frame

import "testing"

// Hot-path benchmarks; every one must report 0 allocs/op (STYLE.md rule 9).

// Sinks keep results alive so the compiler cannot drop the work.
var (
	sinkHeader  Header
	sinkCommand Command
	sinkInt     int
	sinkErr     error
)

func BenchmarkParseHeader(b *testing.B) {
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"short", AppendHeader(nil, FlagMore, 16)},
		{"long", AppendHeader(nil, 0, 1<<16)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var n uint64
			for b.Loop() {
				h, err := ParseHeader(tc.in)
				if err != nil {
					b.Fatal(err)
				}
				n += h.Size
			}
			sinkInt = int(n)
		})
	}
}

func BenchmarkAppendHeader(b *testing.B) {
	for _, tc := range []struct {
		name string
		size int
	}{{"short", 16}, {"long", 1 << 16}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 64)
			for b.Loop() {
				buf = AppendHeader(buf[:0], FlagMore, tc.size)
			}
			sinkInt = len(buf)
		})
	}
}

func BenchmarkAppendFrame(b *testing.B) {
	payload := fill(16)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	buf := make([]byte, 0, 64)
	for b.Loop() {
		buf = AppendFrame(buf[:0], 0, payload)
	}
	sinkInt = len(buf)
}

func BenchmarkParseCommand(b *testing.B) {
	for _, tc := range []struct {
		name string
		wire []byte
	}{
		{"READY", unhex(b, readyDealerHex)},
		{"SUBSCRIBE", AppendCommand(nil, NameSubscribe, []byte("topic"))},
		{"PING", AppendPing(nil, 100, nil)},
		{"unknown", AppendCommand(nil, "XYZZY", nil)},
	} {
		body := tc.wire[2:]
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				cmd, err := ParseCommand(body)
				if err != nil {
					b.Fatal(err)
				}
				n += int(cmd.Kind) + len(cmd.Data)
			}
			sinkInt = n
		})
	}
}

func BenchmarkMetadataIter(b *testing.B) {
	block := unhex(b, readyDealerABCHex)[8:]
	b.ReportAllocs()
	for b.Loop() {
		it := NewMetadataIter(block)
		for it.Next() {
			if EqualFoldName(it.Property().Name, PropSocketType) {
				sinkInt++
			}
		}
		sinkErr = it.Err()
	}
}

func BenchmarkParseGreeting(b *testing.B) {
	in := AppendGreeting(nil, "NULL", false)
	b.ReportAllocs()
	for b.Loop() {
		g, err := ParseGreeting(in)
		if err != nil || !g.MechanismIs("NULL") {
			b.Fatal(err)
		}
	}
}
