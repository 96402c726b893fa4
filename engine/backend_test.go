package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azmq/azmq/crypto"
	"github.com/azmq/azmq/frame"
	"github.com/azmq/azmq/ring"
)

// fakeHost records the pipes attached and detached, and passes attached
// pipes on a channel.
type fakeHost struct {
	mu       sync.Mutex
	attached []*ring.Pipe
	detached []*ring.Pipe
	attachC  chan *ring.Pipe
}

func newFakeHost() *fakeHost { return &fakeHost{attachC: make(chan *ring.Pipe, 64)} }

func (h *fakeHost) Attach(p *ring.Pipe) error {
	h.mu.Lock()
	h.attached = append(h.attached, p)
	h.mu.Unlock()
	select {
	case h.attachC <- p:
	default:
	}
	return nil
}

func (h *fakeHost) Detach(p *ring.Pipe) {
	h.mu.Lock()
	h.detached = append(h.detached, p)
	h.mu.Unlock()
}

func (h *fakeHost) counts() (attached, detached int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.attached), len(h.detached)
}

func (h *fakeHost) wasDetached(p *ring.Pipe) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Contains(h.detached, p)
}

func (h *fakeHost) waitAttach(t *testing.T, d time.Duration) *ring.Pipe {
	t.Helper()
	select {
	case p := <-h.attachC:
		return p
	case <-time.After(d):
		t.Fatalf("no pipe attached within %v", d)
		return nil
	}
}

func testOptions(socketType string) *Options {
	return &Options{
		NewMechanism:     func(string) crypto.Mechanism { return crypto.NewNull(crypto.Config{SocketType: socketType}) },
		SendHWM:          1000,
		RecvHWM:          1000,
		HandshakeTimeout: 5 * time.Second,
		ReconnectIvl:     10 * time.Millisecond,
		EagerPipe:        true,
	}
}

// forBackends runs f on a fresh engine of each backend and checks that
// closing it leaves no engine goroutine behind.
func forBackends(t *testing.T, f func(t *testing.T, e *Engine)) {
	for _, b := range []Backend{BackendEpoll, BackendStd} {
		t.Run(b.String(), func(t *testing.T) {
			e, err := New(b)
			if err != nil {
				if b == BackendEpoll && runtime.GOOS != "linux" {
					t.Skip(err)
				}
				t.Fatal(err)
			}
			defer closeEngine(t, e)
			f(t, e)
		})
	}
}

// pushPullLink is a PULL listener on tcp loopback and a PUSH dialer
// connected to it, with their hosts and attached pipes.
type pushPullLink struct {
	l      *Listener
	d      *Dialer
	lh, dh *fakeHost
	lp, dp *ring.Pipe
}

// linkPushPull listens with a PULL, dials it with a PUSH and waits for
// both pipes; a failure closes what was opened.
func linkPushPull(t *testing.T, e *Engine) *pushPullLink {
	t.Helper()
	k := &pushPullLink{lh: newFakeHost(), dh: newFakeHost()}
	var err error
	if k.l, err = e.Listen("tcp://127.0.0.1:0", testOptions("PULL"), k.lh); err != nil {
		t.Fatal(err)
	}
	if k.d, err = e.Dial(k.l.Addr(), testOptions("PUSH"), k.dh); err != nil {
		k.l.Close(0)
		t.Fatal(err)
	}
	k.dp = k.dh.waitAttach(t, time.Second) // EagerPipe: at once
	k.lp = k.lh.waitAttach(t, 5*time.Second)
	return k
}

// close closes the dialer and the listener with linger.
func (k *pushPullLink) close(linger time.Duration) {
	k.d.Close(linger)
	k.l.Close(linger)
}

// closeEngine closes e, failing the test if that takes 5 s or, unless it
// failed already, leaves an engine goroutine behind.
func closeEngine(t *testing.T, e *Engine) {
	t.Helper()
	closed := make(chan struct{})
	go func() {
		e.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Engine.Close did not return")
	}
	if !t.Failed() {
		checkNoEngineGoroutines(t)
	}
}

// checkNoEngineGoroutines fails if a goroutine runs or was started by
// non-test code of this package, after giving them a moment to finish.
func checkNoEngineGoroutines(t *testing.T) {
	t.Helper()
	var leaked []string
	for deadline := time.Now().Add(time.Second); ; {
		leaked = engineGoroutines()
		if len(leaked) == 0 {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%d engine goroutines left after Engine.Close:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
}

func engineGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var leaked []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 {
			continue // this goroutine
		}
		lines := strings.Split(g, "\n")
		for j := 0; j+1 < len(lines); j++ {
			if strings.Contains(lines[j], "azmq/azmq/engine.") && !strings.HasPrefix(lines[j], "\t") &&
				!strings.Contains(lines[j+1], "_test.go:") {
				leaked = append(leaked, g)
				break
			}
		}
	}
	return leaked
}

// payloadFor returns message i's body: mostly small, sometimes larger than
// a read buffer.
func payloadFor(i int) []byte {
	n := 8 + i%57
	if i%1000 == 999 {
		n = ring.ReadBufferSize + 1000
	}
	b := make([]byte, n)
	binary.BigEndian.PutUint64(b, uint64(i))
	for j := 8; j < n; j++ {
		b[j] = byte(i + j)
	}
	return b
}

func checkPayload(m *ring.Msg, i int) error {
	if m.Len() != 2 {
		return fmt.Errorf("message %d: %d frames", i, m.Len())
	}
	if got := string(m.Frame(0)); got != "k" {
		return fmt.Errorf("message %d: first frame %q", i, got)
	}
	b := m.Frame(1)
	want := payloadFor(i)
	if len(b) != len(want) || string(b) != string(want) {
		got := -1
		if len(b) >= 8 {
			got = int(binary.BigEndian.Uint64(b))
		}
		return fmt.Errorf("message %d: got %d bytes, message %d", i, len(b), got)
	}
	return nil
}

// sendN pushes messages first..first+n-1 to p.Out, waiting for room.
func sendN(p *ring.Pipe, first, n int, timeout time.Duration) error {
	room := ring.NewSignal()
	p.Out.SetWakers(nil, room)
	deadline := time.After(timeout)
	for i := first; i < first+n; i++ {
		var m ring.Msg
		m.Append([]byte("k"))
		m.Append(payloadFor(i))
		for {
			err := p.Out.Push(&m)
			if err == nil {
				break
			}
			if !errors.Is(err, ring.ErrFull) {
				return fmt.Errorf("push %d: %w", i, err)
			}
			select {
			case <-room.C():
			case <-deadline:
				return fmt.Errorf("push %d: no room within %v", i, timeout)
			}
		}
	}
	return nil
}

// recvN pops messages first..first+n-1 from p.In and checks them.
func recvN(p *ring.Pipe, first, n int, timeout time.Duration) error {
	readable := ring.NewSignal()
	p.In.SetWakers(readable, nil)
	deadline := time.After(timeout)
	var m ring.Msg
	defer m.Release()
	for i := first; i < first+n; {
		if !p.In.Pop(&m) {
			select {
			case <-readable.C():
			case <-deadline:
				return fmt.Errorf("received %d of %d messages within %v", i-first, n, timeout)
			}
			continue
		}
		if err := checkPayload(&m, i); err != nil {
			return err
		}
		i++
	}
	return nil
}

// TestBackendExchange sends 10000 messages from a PUSH dialer to a PULL
// listener over 127.0.0.1, the test playing both sockets.
func TestBackendExchange(t *testing.T) {
	forBackends(t, func(t *testing.T, e *Engine) {
		lh, dh := newFakeHost(), newFakeHost()
		l, err := e.Listen("tcp://127.0.0.1:0", testOptions("PULL"), lh)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(l.Addr(), "tcp://127.0.0.1:") || strings.HasSuffix(l.Addr(), ":0") {
			t.Fatalf("listener address %q", l.Addr())
		}
		d, err := e.Dial(l.Addr(), testOptions("PUSH"), dh)
		if err != nil {
			t.Fatal(err)
		}
		dp := dh.waitAttach(t, time.Second) // EagerPipe: at once
		lp := lh.waitAttach(t, 5*time.Second)
		if lp.PeerType() != "PUSH" {
			t.Fatalf("listener's pipe says the peer is %q", lp.PeerType())
		}
		const n = 10000
		errc := make(chan error, 1)
		go func() { errc <- sendN(dp, 0, n, 20*time.Second) }()
		if err := recvN(lp, 0, n, 20*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if dp.PeerType() != "PULL" {
			t.Fatalf("dialer's pipe says the peer is %q", dp.PeerType())
		}
		d.Close(0)
		l.Close(0)
		waitFor(t, "pipes detached", func() bool { return lh.wasDetached(lp) && dh.wasDetached(dp) })
		if a, _ := lh.counts(); a != 1 {
			t.Fatalf("listener attached %d pipes", a)
		}
	})
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestBackendHandshakeTimeout connects a peer that sends nothing: the
// listener must close it after HandshakeTimeout and go on accepting.
func TestBackendHandshakeTimeout(t *testing.T) {
	forBackends(t, func(t *testing.T, e *Engine) {
		lh := newFakeHost()
		opts := testOptions("PULL")
		opts.HandshakeTimeout = 100 * time.Millisecond
		l, err := e.Listen("tcp://127.0.0.1:0", opts, lh)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close(0)
		addr := strings.TrimPrefix(l.Addr(), "tcp://")
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		c.SetReadDeadline(start.Add(5 * time.Second))
		got, err := io.ReadAll(c)
		elapsed := time.Since(start)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("silent peer not closed within 5 s")
		}
		if want := frame.AppendGreeting(nil, "NULL", false); string(got) != string(want) {
			t.Fatalf("silent peer got % x, want our greeting", got)
		}
		if elapsed < 80*time.Millisecond {
			t.Fatalf("closed after %v, before the 100 ms timeout", elapsed)
		}
		t.Logf("closed after %v", elapsed)

		// A peer that starts the handshake but never finishes it.
		c2, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c2.Close()
		c2.Write(peerGreeting("NULL", 3, 1))
		c2.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, err = io.ReadAll(c2)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("half-handshake peer not closed within 5 s")
		}
		if want := append(frame.AppendGreeting(nil, "NULL", false), readyCmd("PULL", nil)...); string(got) != string(want) {
			t.Fatalf("half-handshake peer got % x", got)
		}

		// The listener still accepts, and a complete handshake is not
		// cut off by the timer.
		dh := newFakeHost()
		d, err := e.Dial(l.Addr(), testOptions("PUSH"), dh)
		if err != nil {
			t.Fatal(err)
		}
		dp := dh.waitAttach(t, time.Second)
		lp := lh.waitAttach(t, 5*time.Second)
		if err := sendN(dp, 0, 10, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := recvN(lp, 0, 10, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			time.Sleep(50 * time.Millisecond) // past the 100 ms timer
			if err := sendN(dp, 10+i, 1, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			if err := recvN(lp, 10+i, 1, 5*time.Second); err != nil {
				t.Fatal(err)
			}
		}
		if lh.wasDetached(lp) {
			t.Fatal("established connection closed by the handshake timer")
		}
		d.Close(0)
	})
}

// TestBackendReconnect closes the listener, binds a new one on the same
// port, and checks that the dialer reconnects with the same pipe and
// delivers what was queued meanwhile.
func TestBackendReconnect(t *testing.T) {
	forBackends(t, func(t *testing.T, e *Engine) {
		lh, dh := newFakeHost(), newFakeHost()
		l1, err := e.Listen("tcp://127.0.0.1:0", testOptions("PULL"), lh)
		if err != nil {
			t.Fatal(err)
		}
		addr := l1.Addr()
		d, err := e.Dial(addr, testOptions("PUSH"), dh)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close(0)
		dp := dh.waitAttach(t, time.Second)
		lp1 := lh.waitAttach(t, 5*time.Second)
		if err := sendN(dp, 0, 5, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := recvN(lp1, 0, 5, 5*time.Second); err != nil {
			t.Fatal(err)
		}

		l1.Close(0)
		waitFor(t, "the listener's pipe detached", func() bool { return lh.wasDetached(lp1) })
		waitFor(t, "the dialer's connection ended", func() bool {
			d.mu.Lock()
			defer d.mu.Unlock()
			return d.cur == nil
		})
		if dp.Gone() || dh.wasDetached(dp) {
			t.Fatal("the dialer's pipe ended with its connection")
		}
		// Queued while disconnected (the dialer retries every 10-20 ms).
		if err := sendN(dp, 5, 100, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Millisecond) // a few refused attempts

		var l2 *Listener
		for i := 0; ; i++ {
			l2, err = e.Listen(addr, testOptions("PULL"), lh)
			if err == nil {
				break
			}
			if i == 20 {
				t.Fatalf("rebinding %s: %v", addr, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		defer l2.Close(0)
		if l2.Addr() != addr {
			t.Fatalf("rebound at %s, want %s", l2.Addr(), addr)
		}
		lp2 := lh.waitAttach(t, 5*time.Second)
		if err := recvN(lp2, 5, 100, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := sendN(dp, 105, 5, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := recvN(lp2, 105, 5, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if a, _ := dh.counts(); a != 1 {
			t.Fatalf("dialer attached %d pipes, want its one pipe", a)
		}
		d.Close(0)
		l2.Close(0)
		waitFor(t, "pipes detached", func() bool { return lh.wasDetached(lp2) && dh.wasDetached(dp) })
	})
}

// TestBackendProtocolErrorStopsDialer: a peer of an incompatible type
// makes the dialer's handshake fail; like libzmq it then stops reconnecting
// (zmtp.md §15) and its pipe is detached. The peer is a raw listener that
// sends its greeting and READY at once, so the dialer is the side that
// detects the mismatch.
func TestBackendProtocolErrorStopsDialer(t *testing.T) {
	forBackends(t, func(t *testing.T, e *Engine) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		accepted := make(chan net.Conn, 16)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					close(accepted)
					return
				}
				c.Write(append(peerGreeting("NULL", 3, 1), readyCmd("PUSH", nil)...))
				accepted <- c
			}
		}()
		defer func() {
			ln.Close()
			for c := range accepted {
				c.Close()
			}
		}()
		dh := newFakeHost()
		d, err := e.Dial("tcp://"+ln.Addr().String(), testOptions("PUSH"), dh)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close(0)
		dp := dh.waitAttach(t, time.Second)
		waitFor(t, "the dialer's pipe detached", func() bool { return dh.wasDetached(dp) })
		if !dp.Gone() {
			t.Fatal("pipe detached but not gone")
		}
		time.Sleep(40 * time.Millisecond) // several reconnect intervals
		if n := len(accepted); n != 1 {
			t.Fatalf("%d connections after a protocol error, want 1", n)
		}
	})
}

// TestBackendPeerRefusesKeepsDialing: when the binding side detects the
// mismatch and just closes, the dialer sees a drop and retries (zmtp.md
// §13), and Close still ends it.
func TestBackendPeerRefusesKeepsDialing(t *testing.T) {
	forBackends(t, func(t *testing.T, e *Engine) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		var mu sync.Mutex
		n := 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				n++
				mu.Unlock()
				c.Close()
			}
		}()
		dh := newFakeHost()
		d, err := e.Dial("tcp://"+ln.Addr().String(), testOptions("PUSH"), dh)
		if err != nil {
			t.Fatal(err)
		}
		dp := dh.waitAttach(t, time.Second)
		waitFor(t, "three attempts", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return n >= 3
		})
		if dh.wasDetached(dp) {
			t.Fatal("pipe detached after a plain drop")
		}
		d.Close(0)
		waitFor(t, "the dialer's pipe detached", func() bool { return dh.wasDetached(dp) })
		ln.Close()
		<-done
	})
}

// TestBackendCloseIdle closes an engine whose dialer never connected.
func TestBackendCloseIdle(t *testing.T) {
	forBackends(t, func(t *testing.T, e *Engine) {
		// A port nobody listens on: bind one and close it.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := "tcp://" + ln.Addr().String()
		ln.Close()
		dh := newFakeHost()
		d, err := e.Dial(addr, testOptions("PUSH"), dh)
		if err != nil {
			t.Fatal(err)
		}
		dp := dh.waitAttach(t, time.Second)
		time.Sleep(30 * time.Millisecond) // a few refused attempts
		d.Close(0)
		if !dh.wasDetached(dp) {
			t.Fatal("Close of an unconnected dialer did not detach its pipe")
		}
	})
}

// BenchmarkSession measures the sans-I/O session alone: decoding 16-byte
// messages from a prebuilt stream into the pipe, and encoding them from the
// pipe into output batches.
func BenchmarkSession(b *testing.B) {
	for _, size := range []int{16, 1024} {
		b.Run(fmt.Sprintf("decode/size=%d", size), func(b *testing.B) {
			ts := newTestSession(b, "DEALER", 0, 0, 0)
			ts.handshake("ROUTER")
			payload := make([]byte, size)
			var stream []byte
			for len(stream) < 4*ring.ReadBufferSize {
				stream = frame.AppendFrame(stream, 0, payload)
			}
			var m ring.Msg
			off := 0
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; {
				buf := ts.s.ReadBuf()
				k := copy(buf, stream[off:])
				if off += k; off == len(stream) {
					off = 0
				}
				if err := ts.s.Advance(k); err != nil {
					b.Fatal(err)
				}
				for ts.pipe.In.Pop(&m) {
					n++
				}
			}
			m.Release()
		})
		b.Run(fmt.Sprintf("encode/size=%d", size), func(b *testing.B) {
			ts := newTestSession(b, "DEALER", 0, 0, 0)
			ts.handshake("ROUTER")
			payload := make([]byte, size)
			var m ring.Msg
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; {
				for k := 0; k < batchMsgs && n < b.N; k++ {
					m.Append(payload)
					if err := ts.pipe.Out.Push(&m); err != nil {
						b.Fatal(err)
					}
					n++
				}
				for {
					iov := ts.s.Output()
					if iov == nil {
						break
					}
					w := 0
					for _, v := range iov {
						w += len(v)
					}
					ts.s.Written(w)
				}
			}
		})
	}
}

// TestBackendManyFrames sends messages with more large frames than writev
// takes iovecs (IOV_MAX 1024).
func TestBackendManyFrames(t *testing.T) {
	forBackends(t, func(t *testing.T, e *Engine) {
		k := linkPushPull(t, e)
		defer k.close(0)
		dp, lp := k.dp, k.lp
		const msgs, frames, size = 3, 700, 2000
		for i := 0; i < msgs; i++ {
			var m ring.Msg
			for j := 0; j < frames; j++ {
				m.Append(pattern(size, byte(i+j)))
			}
			if err := dp.Out.Push(&m); err != nil {
				t.Fatal(err)
			}
		}
		readable := ring.NewSignal()
		lp.In.SetWakers(readable, nil)
		deadline := time.After(10 * time.Second)
		var m ring.Msg
		defer m.Release()
		for i := 0; i < msgs; {
			if !lp.In.Pop(&m) {
				select {
				case <-readable.C():
				case <-deadline:
					t.Fatalf("received %d of %d messages (connection dropped: %v)", i, msgs, k.lh.wasDetached(lp))
				}
				continue
			}
			if m.Len() != frames {
				t.Fatalf("message %d: %d frames", i, m.Len())
			}
			for j := 0; j < frames; j++ {
				if string(m.Frame(j)) != string(pattern(size, byte(i+j))) {
					t.Fatalf("message %d frame %d differs", i, j)
				}
			}
			i++
		}
	})
}

// TestBackendCloseInfiniteLinger closes a listener and a dialer with an
// unlimited linger and nothing left to send: the connection must end at
// once, and Engine.Close must not wait for it forever.
func TestBackendCloseInfiniteLinger(t *testing.T) {
	forBackends(t, func(t *testing.T, e *Engine) {
		k := linkPushPull(t, e)
		if err := sendN(k.dp, 0, 10, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := recvN(k.lp, 0, 10, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		k.close(-1)
		waitFor(t, "pipes detached", func() bool { return k.lh.wasDetached(k.lp) && k.dh.wasDetached(k.dp) })
	})
}
