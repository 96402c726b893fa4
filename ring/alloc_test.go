//go:build !race

package ring

import "testing"

func TestZeroAllocs(t *testing.T) {
	q := NewQueue(100)
	payload := make([]byte, 16)
	var in, out Msg
	buf := NewBuffer(ReadBufferSize)
	allocs := testing.AllocsPerRun(1000, func() {
		in.AppendFrame(NewFrame(buf, buf.Bytes()[:16]))
		in.Append(payload)
		in.Prepend(payload)
		_ = q.Push(&in)
		q.Pop(&out)
		out.Release()
		NewBuffer(300).Unref()
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per push/pop, want 0", allocs)
	}
}
