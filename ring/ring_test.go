package ring

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"unsafe"
)

func TestBufferClasses(t *testing.T) {
	for _, size := range []int{0, 1, 255, 256, 257, 4096, 65536, 65537, 1 << 22, 1<<22 + 1} {
		b := NewBuffer(size)
		if len(b.Bytes()) != size {
			t.Fatalf("size %d: len %d", size, len(b.Bytes()))
		}
		if b.Cap() < size {
			t.Fatalf("size %d: cap %d", size, b.Cap())
		}
		b.Unref()
	}
}

// TestBufferAt: a buffer placed at an offset has its size, starts that far
// into its (page-aligned, for large sizes) allocation, and goes back to the
// pool whole, so that the next buffer of the class has room at any offset.
func TestBufferAt(t *testing.T) {
	cases := []struct{ size, off int }{{0, 0}, {100, 11}, {65536, 0}, {65536, 4095}, {1 << 20, 64}, {1 << 22, 1}}
	for _, tc := range cases {
		for range 3 { // the later rounds take pooled buffers
			b := NewBufferAt(tc.size, tc.off)
			if len(b.Bytes()) != tc.size {
				t.Fatalf("%+v: len %d", tc, len(b.Bytes()))
			}
			if tc.size >= 65536 {
				if got := PageOffset(int(uintptr(unsafe.Pointer(unsafe.SliceData(b.Bytes()))))); got != tc.off {
					t.Fatalf("%+v: bytes at page offset %d", tc, got)
				}
			}
			b.Unref()
		}
	}
}

func TestAliased(t *testing.T) {
	cases := []struct {
		dst, src uintptr
		want     bool
	}{
		{4096, 0, false},
		{11, 0, true},
		{0, 11, true},
		{4096 + 15, 0, true},
		{16, 0, false},
		{0, 16, false},
		{8192 + 64, 64, false},
		{5000, 4990, true},
	}
	for _, tc := range cases {
		if got := Aliased(tc.dst, tc.src); got != tc.want {
			t.Errorf("Aliased(%d, %d) = %v, want %v", tc.dst, tc.src, got, tc.want)
		}
	}
}

func TestBufferRefCount(t *testing.T) {
	b := NewBuffer(100)
	var m Msg
	m.AppendFrame(NewFrame(b, b.Bytes()[:10]))
	m.AppendFrame(NewFrame(b, b.Bytes()[10:20]))
	if got := b.Refs(); got != 3 {
		t.Fatalf("refs = %d, want 3", got)
	}
	b.Unref()
	m.Release()
	if got := b.Refs(); got != 0 {
		t.Fatalf("refs after release = %d, want 0", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("double release did not panic")
		}
	}()
	b.Unref()
}

func TestMsgOps(t *testing.T) {
	var m Msg
	for i := 0; i < 7; i++ {
		m.Append([]byte{byte('a' + i)})
	}
	m.Prepend([]byte("id"))
	if got := string(bytes.Join(m.Frames(nil), []byte(","))); got != "id,a,b,c,d,e,f,g" {
		t.Fatalf("frames %q", got)
	}
	f := m.TakeFront()
	if string(f.Data) != "id" || m.Len() != 7 {
		t.Fatalf("TakeFront %q len %d", f.Data, m.Len())
	}
	var env Msg
	m.MoveFront(5, &env)
	if env.Len() != 5 || m.Len() != 2 || string(m.Frame(0)) != "f" || string(env.Frame(4)) != "e" {
		t.Fatalf("MoveFront: env %d m %d", env.Len(), m.Len())
	}
	var c Msg
	m.Clone(&c)
	if c.Len() != 2 || string(c.Frame(1)) != "g" || c.Size() != 2 {
		t.Fatalf("Clone: %d", c.Len())
	}
	var d Msg
	m.MoveTo(&d)
	if m.Len() != 0 || d.Len() != 2 {
		t.Fatalf("MoveTo: m %d d %d", m.Len(), d.Len())
	}
}

func TestMsgCloneSharesBuffer(t *testing.T) {
	b := NewBuffer(8)
	var m, c Msg
	m.AppendFrame(OwnedFrame(b, b.Bytes()))
	m.Clone(&c)
	if b.Refs() != 2 {
		t.Fatalf("refs = %d", b.Refs())
	}
	m.Release()
	c.Release()
	if b.Refs() != 0 {
		t.Fatalf("refs = %d", b.Refs())
	}
}

func TestQueueHWMAndWakes(t *testing.T) {
	q := NewQueue(4)
	var reads, writes int
	q.SetWakers(WakeFunc(func() { reads++ }), WakeFunc(func() { writes++ }))
	for i := 0; i < 4; i++ {
		var m Msg
		m.Append([]byte{byte(i)})
		if err := q.Push(&m); err != nil {
			t.Fatal(err)
		}
		if m.Len() != 0 {
			t.Fatal("Push did not empty the message")
		}
	}
	if reads != 1 {
		t.Fatalf("readable woke %d times, want 1 (empty to non-empty only)", reads)
	}
	var m Msg
	m.Append([]byte{9})
	if err := q.Push(&m); err != ErrFull {
		t.Fatalf("push past HWM: %v", err)
	}
	var out Msg
	q.Pop(&out)
	if writes != 0 {
		t.Fatal("producer woken before the queue fell to half")
	}
	q.Pop(&out)
	if writes != 1 {
		t.Fatalf("producer woken %d times, want 1", writes)
	}
	if out.Frame(0)[0] != 1 {
		t.Fatalf("FIFO order broken: %v", out.Frame(0))
	}
}

func TestQueueGrowUnbounded(t *testing.T) {
	q := NewQueue(0)
	for i := 0; i < 5000; i++ {
		var m Msg
		m.Append([]byte(fmt.Sprint(i)))
		if err := q.Push(&m); err != nil {
			t.Fatal(err)
		}
	}
	var m Msg
	for i := 0; i < 5000; i++ {
		if !q.Pop(&m) || string(m.Frame(0)) != fmt.Sprint(i) {
			t.Fatalf("pop %d: %q", i, m.Frame(0))
		}
	}
	if q.Pop(&m) {
		t.Fatal("pop from empty queue")
	}
}

func TestQueueClose(t *testing.T) {
	q := NewQueue(10)
	var m Msg
	m.Append([]byte("x"))
	_ = q.Push(&m)
	q.Close()
	m.Append([]byte("y"))
	if err := q.Push(&m); err != ErrClosed {
		t.Fatalf("push after close: %v", err)
	}
	if !q.Pop(&m) || string(m.Frame(0)) != "x" {
		t.Fatal("queued message lost on close")
	}
}

// TestQueueStress runs producers and consumers that park on Signals, as the
// engine and a socket do, and checks every message arrives once and in order
// per producer.
func TestQueueStress(t *testing.T) {
	const producers, perProducer = 4, 20000
	q := NewQueue(64)
	readable, writable := NewSignal(), NewSignal()
	q.SetWakers(readable, writable)
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perProducer; i++ {
				buf := NewBuffer(8)
				buf.Bytes()[0] = byte(p)
				buf.Bytes()[1], buf.Bytes()[2], buf.Bytes()[3] = byte(i), byte(i>>8), byte(i>>16)
				var m Msg
				m.AppendFrame(OwnedFrame(buf, buf.Bytes()))
				for q.Push(&m) == ErrFull {
					<-writable.C()
					writable.Wake() // pass the wake on to the other producers
				}
			}
		}()
	}
	next := make([]int, producers)
	total := 0
	batch := make([]Msg, 16)
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	for total < producers*perProducer {
		k := q.PopBatch(batch)
		if k == 0 {
			select {
			case <-readable.C():
			case <-done:
				if q.Len() == 0 {
					t.Fatalf("producers done, %d of %d received", total, producers*perProducer)
				}
			}
			continue
		}
		for i := 0; i < k; i++ {
			b := batch[i].Frame(0)
			p, n := int(b[0]), int(b[1])|int(b[2])<<8|int(b[3])<<16
			if n != next[p] {
				t.Fatalf("producer %d: got %d, want %d", p, n, next[p])
			}
			next[p]++
			batch[i].Release()
		}
		total += k
	}
}

func BenchmarkQueuePushPop(b *testing.B) {
	q := NewQueue(1000)
	payload := make([]byte, 16)
	var in, out Msg
	b.ReportAllocs()
	for b.Loop() {
		in.Append(payload)
		if err := q.Push(&in); err != nil {
			b.Fatal(err)
		}
		q.Pop(&out)
	}
}

func BenchmarkBufferPool(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		NewBuffer(ReadBufferSize).Unref()
	}
}

func BenchmarkMsgMoveTo(b *testing.B) {
	payload := make([]byte, 16)
	for _, frames := range []int{1, 3, 6} {
		b.Run(fmt.Sprintf("frames=%d", frames), func(b *testing.B) {
			var a, c Msg
			b.ReportAllocs()
			for b.Loop() {
				for range frames {
					a.Append(payload)
				}
				a.MoveTo(&c)
				c.MoveTo(&a)
				a.Release()
			}
		})
	}
}

type countPumper struct{ pumps, interrupts int }

func (c *countPumper) Pump() bool { c.pumps++; return true }
func (c *countPumper) Interrupt() { c.interrupts++ }

// TestPipePumper checks that a pipe pumps through the Pumper installed
// last, and that a connection clearing its own leaves its successor's.
func TestPipePumper(t *testing.T) {
	p := NewPipe(0, 0)
	if p.Pump() {
		t.Fatal("Pump without a Pumper reported a read")
	}
	p.Interrupt() // no Pumper: nothing to do
	old, cur := &countPumper{}, &countPumper{}
	p.SetPumper(old)
	p.SetPumper(cur)
	p.ClearPumper(old)
	if !p.Pump() || cur.pumps != 1 || old.pumps != 0 {
		t.Fatalf("pumps: current %d, replaced %d", cur.pumps, old.pumps)
	}
	p.Interrupt()
	if cur.interrupts != 1 {
		t.Fatal("Interrupt did not reach the Pumper")
	}
	p.ClearPumper(cur)
	if p.Pump() {
		t.Fatal("Pump after ClearPumper reported a read")
	}
}

// TestQueueNudge checks that Nudge wakes the consumer with nothing queued.
func TestQueueNudge(t *testing.T) {
	q := NewQueue(0)
	q.Nudge() // no Waker yet
	sig := NewSignal()
	q.SetWakers(sig, nil)
	q.Nudge()
	select {
	case <-sig.C():
	default:
		t.Fatal("Nudge did not wake the consumer")
	}
	if q.Len() != 0 {
		t.Fatal("Nudge queued something")
	}
}
