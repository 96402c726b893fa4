package azmq_test

// Resource limits against hostile peers (issue #7 §2): what a peer can make
// us allocate or hold, and that it cannot stop other peers from being
// served. Each test says what would make it fail. They measure memory with
// runtime.MemStats, so none of them is parallel.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azmq/azmq"
	"github.com/azmq/azmq/frame"
)

// memStats returns the runtime's figures after two collections: pooled
// buffers survive the first one in sync.Pool's victim cache.
func memStats() runtime.MemStats {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms
}

// inUse is the memory the process holds for live objects and stacks.
func inUse() int64 {
	ms := memStats()
	return int64(ms.HeapInuse + ms.StackInuse)
}

// procStatus returns a field of /proc/self/status in bytes (VmRSS, VmHWM),
// or 0 where there is no /proc.
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// mib formats a byte count.
func mib(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB" }

// rawHandshake dials addr and completes a NULL handshake as socketType,
// without reading our side.
func rawHandshake(t testing.TB, addr, socketType string) net.Conn {
	t.Helper()
	raw, err := net.DialTimeout("tcp", hostPort(t, addr), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	raw.SetWriteDeadline(time.Now().Add(testTimeout))
	if _, err := raw.Write(cat(nullGreeting, ready(socketType))); err != nil {
		t.Fatal(err)
	}
	raw.SetWriteDeadline(time.Time{})
	return raw
}

// TestDeclaredSizeNotAllocated: a frame header declaring 1 GiB is answered
// by closing the connection when it is above WithMaxMsgSize, and costs at
// most what the peer really sent when there is no limit. It fails if the
// size check came after the allocation (the process would allocate 4 MiB or
// more, the first slice of a big frame) or if a declared size were trusted
// (1 GiB).
func TestDeclaredSizeNotAllocated(t *testing.T) {
	for _, b := range backends {
		t.Run(b.String(), func(t *testing.T) {
			for _, tc := range []struct {
				name  string
				limit int64
				bound uint64 // bytes the process may allocate meanwhile
			}{
				{"above_limit", 1 << 20, 1 << 20},
				{"no_limit", -1, 16 << 20},
			} {
				t.Run(tc.name, func(t *testing.T) {
					c := newContext(t, b)
					pull := newSocket(t, c, azmq.Pull, azmq.WithMaxMsgSize(tc.limit))
					raw := rawHandshake(t, bindLocal(t, pull), "PUSH")
					raw.Write([]byte{0x00, 0x02, 'o', 'k'})
					recvWant(t, pull, "ok")
					body := make([]byte, 256<<10)
					before := memStats()
					raw.SetWriteDeadline(time.Now().Add(testTimeout))
					raw.Write(longHeader(0, 1<<30))
					raw.Write(body) // fails once we have closed: fine
					raw.(*net.TCPConn).CloseWrite()
					waitClosed(t, raw, 5*time.Second)
					after := memStats()
					grew := after.TotalAlloc - before.TotalAlloc
					t.Logf("1 GiB declared, %d KiB sent: %d KiB allocated meanwhile", len(body)>>10, grew>>10)
					if grew > tc.bound {
						t.Errorf("allocated %d bytes for a frame declared 1 GiB, bound %d", grew, tc.bound)
					}
					// The connection is counted as ended just after its fd
					// is closed, which is what waitClosed saw.
					var st azmq.Stats
					if !eventually(5*time.Second, func() bool {
						st = pull.Stats()
						return st.Disconnects == 1
					}) || st.MsgsIn != 1 {
						t.Errorf("stats %+v: want 1 disconnect, 1 message", st)
					}
				})
			}
		})
	}
	assertNoLeaks(t)
}

// TestSlowHandshakesDropped: peers that connect and say nothing, or trickle
// their greeting a byte every 100 ms, are dropped when the handshake
// timeout (1 s here) runs out from the start of the connection, and while
// they hang a good peer is accepted and served at once. It fails if each
// byte restarted the timer (the trickling peers would stay for 6 s), if a
// bad peer were never dropped, or if accepting waited for pending
// handshakes (the good exchange would take the whole timeout).
func TestSlowHandshakesDropped(t *testing.T) {
	const timeout = time.Second
	const silent, trickle = 10, 10
	for _, b := range backends {
		t.Run(b.String(), func(t *testing.T) {
			c := newContext(t, b)
			router := newSocket(t, c, azmq.Router, azmq.WithHandshakeTimeout(timeout))
			addr := bindLocal(t, router)
			start := time.Now()
			var wg sync.WaitGroup
			var closedAt [silent + trickle]time.Duration
			for i := range silent + trickle {
				raw, err := net.DialTimeout("tcp", hostPort(t, addr), testTimeout)
				if err != nil {
					t.Fatal(err)
				}
				defer raw.Close()
				if i >= silent {
					wg.Go(func() {
						for j := 0; j < len(nullGreeting); j++ {
							raw.SetWriteDeadline(time.Now().Add(testTimeout))
							if _, err := raw.Write(nullGreeting[j : j+1]); err != nil {
								return
							}
							time.Sleep(100 * time.Millisecond)
						}
					})
				}
				wg.Go(func() { closedAt[i] = waitClosed(t, raw, 10*time.Second).Sub(start) })
			}
			dealer := newSocket(t, c, azmq.Dealer)
			mustConnect(t, dealer, addr)
			mustSend(t, dealer, "good")
			m := mustRecv(t, router)
			mustSend(t, router, string(m[0]), "served")
			recvWant(t, dealer, "served")
			if d := time.Since(start); d > timeout/2 {
				t.Errorf("a good peer was served after %v, with bad peers pending for %v", d, timeout)
			}
			wg.Wait()
			for i, d := range closedAt {
				if d < timeout/2 || d > 5*timeout {
					t.Errorf("bad peer %d (trickling: %v) closed after %v, timeout %v", i, i >= silent, d, timeout)
				}
			}
			// Each failure is counted just after its fd closes.
			if !eventually(testTimeout, func() bool {
				return router.Stats().HandshakeFailures["timeout"] == uint64(silent+trickle)
			}) {
				t.Errorf("%d handshake timeouts counted, want %d", router.Stats().HandshakeFailures["timeout"], silent+trickle)
			}
		})
	}
	assertNoLeaks(t)
}

// TestIncompleteHandshakesBounded: 2000 connections that send half a
// greeting and stop cost a bounded amount of memory each, and a good peer
// is still served among them. It fails if a pending handshake held more
// than the per-backend bound (epoll: 16 KiB; std, which parks a goroutine
// pair and a read buffer per connection: 160 KiB).
func TestIncompleteHandshakesBounded(t *testing.T) {
	const n = 2000
	raiseFDLimit(t, 2*n+256)
	bound := map[azmq.Backend]int64{azmq.BackendEpoll: 16 << 10, azmq.BackendStd: 160 << 10}
	for _, b := range backends {
		t.Run(b.String(), func(t *testing.T) {
			c := newContext(t, b)
			router := newSocket(t, c, azmq.Router, azmq.WithHandshakeTimeout(0))
			addr := bindLocal(t, router)
			conns := make([]net.Conn, 0, n)
			defer func() {
				for _, raw := range conns {
					raw.Close()
				}
			}()
			before := inUse()
			for range n {
				raw, err := net.DialTimeout("tcp", hostPort(t, addr), testTimeout)
				if err != nil {
					t.Fatalf("after %d connections: %v", len(conns), err)
				}
				conns = append(conns, raw)
				raw.Write(nullGreeting[:32])
			}
			if !eventually(testTimeout, func() bool { return router.Stats().Accepted == n }) {
				t.Fatalf("%d of %d connections accepted", router.Stats().Accepted, n)
			}
			time.Sleep(200 * time.Millisecond) // let every half greeting be read
			per := (inUse() - before) / n
			t.Logf("%d pending handshakes: %d bytes each (both ends, heap and stacks)", n, per)
			if per > bound[b] {
				t.Errorf("a pending handshake costs %d bytes, bound %d", per, bound[b])
			}
			dealer := newSocket(t, c, azmq.Dealer)
			mustConnect(t, dealer, addr)
			mustSend(t, dealer, "among many")
			if m := mustRecv(t, router); string(m[1]) != "among many" {
				t.Fatalf("got %s", show(m))
			}
			for _, raw := range conns {
				raw.Close()
			}
			conns = nil
			if !eventually(testTimeout, func() bool { return router.Stats().HandshakeFailures["closed"] == n }) {
				t.Errorf("handshake failures %v, want %d closed", router.Stats().HandshakeFailures, n)
			}
		})
	}
	assertNoLeaks(t)
}

// seqFrame encodes i as an 8-byte frame.
func seqFrame(i uint64) []byte { return binary.BigEndian.AppendUint64(nil, i) }

// TestFloodHeldByHWM: a raw PUSH that writes as fast as TCP lets it at a
// PULL (receive HWM 100) whose application does not read for a while is
// held back: the PULL stops reading the connection, memory stays bounded,
// and once the application reads, every message arrives, in order. It fails
// if the session went on reading past the HWM (memory would grow by the
// 100 MiB the peer tries to send) or if anything were dropped.
func TestFloodHeldByHWM(t *testing.T) {
	const total, size = 400_000, 256
	for _, b := range backends {
		t.Run(b.String(), func(t *testing.T) {
			c := newContext(t, b)
			pull := newSocket(t, c, azmq.Pull, azmq.WithRecvHWM(100))
			raw := rawHandshake(t, bindLocal(t, pull), "PUSH")
			before := inUse()
			var written atomic.Int64
			done := make(chan error, 1)
			go func() {
				var batch []byte
				payload := make([]byte, size-8)
				for i := uint64(0); i < total; i++ {
					batch = frame.AppendFrame(batch, frame.FlagMore, seqFrame(i))
					batch = frame.AppendFrame(batch, 0, payload)
					if len(batch) > 64<<10 || i == total-1 {
						raw.SetWriteDeadline(time.Now().Add(30 * time.Second))
						if _, err := raw.Write(batch); err != nil {
							done <- err
							return
						}
						written.Add(int64(len(batch)))
						batch = batch[:0]
					}
				}
				done <- nil
			}()
			// The application sleeps while the peer floods.
			var peak int64
			for range 10 {
				time.Sleep(100 * time.Millisecond)
				peak = max(peak, inUse()-before)
			}
			held := written.Load()
			t.Logf("while not reading: peer got %s into the kernel of %s, heap+stacks +%s, RSS %s",
				mib(held), mib(int64(total*(size+4))), mib(peak), mib(procStatus("VmRSS")))
			if held >= total*size {
				t.Fatalf("the whole flood (%d bytes) was taken without the application reading", held)
			}
			if peak > 32<<20 {
				t.Errorf("memory grew by %s while the application did not read, bound 32 MiB", mib(peak))
			}
			ctx := timeoutCtx(t, 60*time.Second)
			var m azmq.Msg
			for i := uint64(0); i < total; i++ {
				if err := pull.RecvMsg(ctx, &m); err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if m.Len() != 2 || binary.BigEndian.Uint64(m.Frame(0)) != i || len(m.Frame(1)) != size-8 {
					t.Fatalf("message %d: %d frames, seq %x", i, m.Len(), m.Frame(0))
				}
				if i%50_000 == 0 {
					peak = max(peak, inUse()-before)
				}
			}
			m.Release()
			if err := <-done; err != nil {
				t.Fatalf("flooder: %v", err)
			}
			t.Logf("all %d messages received in order; peak heap+stacks +%s, peak RSS %s", total, mib(peak), mib(procStatus("VmHWM")))
		})
	}
	assertNoLeaks(t)
}

// TestPubDropsCounted: a PUB (send HWM 100) publishing 200 000 messages to
// a SUB whose application does not read never blocks, holds bounded
// memory, and accounts for every message: received by the SUB, in order,
// or counted in the PUB's HWMDrops. It fails if Send blocked, if a message
// were dropped without being counted (received + drops < sent), duplicated,
// or if memory grew with the number of messages.
func TestPubDropsCounted(t *testing.T) {
	const total = 200_000
	for _, b := range backends {
		t.Run(b.String(), func(t *testing.T) {
			c := newContext(t, b)
			pub := newSocket(t, c, azmq.Pub, azmq.WithSendHWM(100))
			sub := newSocket(t, c, azmq.Sub, azmq.WithRecvHWM(100))
			if err := sub.Subscribe(nil); err != nil {
				t.Fatal(err)
			}
			mustConnect(t, sub, bindLocal(t, pub))
			// The subscription needs a moment to reach the PUB.
			for i := 0; ; i++ {
				mustSend(t, pub, "probe")
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
				_, err := sub.Recv(ctx)
				cancel()
				if err == nil {
					break
				}
				if i == 1000 {
					t.Fatal("subscription never reached the PUB")
				}
			}
			for {
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				_, err := sub.Recv(ctx)
				cancel()
				if err != nil {
					break // the probes are gone
				}
			}
			base := pub.Stats()
			before := inUse()
			payload := make([]byte, 248)
			ctx := timeoutCtx(t, 60*time.Second)
			var peak int64
			for i := uint64(0); i < total; i++ {
				if err := pub.Send(ctx, seqFrame(i), payload); err != nil {
					t.Fatalf("PUB Send %d: %v", i, err)
				}
				if i%20_000 == 0 {
					peak = max(peak, inUse()-before)
				}
			}
			// Receive until every message is accounted for; a loaded
			// machine may pause delivery for a while, so a quiet spell
			// alone does not end the count, only the overall deadline.
			var got, last uint64
			drops := pub.Stats().HWMDrops - base.HWMDrops
			for deadline := time.Now().Add(30 * time.Second); got+drops < total && time.Now().Before(deadline); {
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				m, err := sub.Recv(ctx)
				cancel()
				if err == nil {
					seq := binary.BigEndian.Uint64(m[0])
					if got > 0 && seq <= last {
						t.Fatalf("message %d after %d: out of order or duplicated", seq, last)
					}
					got, last = got+1, seq
				}
				drops = pub.Stats().HWMDrops - base.HWMDrops
			}
			wantNothing(t, sub, 200*time.Millisecond) // and nothing beyond the total
			t.Logf("%d published: %d received, %d counted as HWM drops; heap+stacks peak +%s, RSS %s",
				total, got, drops, mib(peak), mib(procStatus("VmRSS")))
			if got+drops != total || drops == 0 {
				t.Errorf("received %d + dropped %d != published %d (or nothing dropped)", got, drops, total)
			}
			if peak > 32<<20 {
				t.Errorf("memory grew by %s, bound 32 MiB", mib(peak))
			}
		})
	}
	assertNoLeaks(t)
}

// TestSubscriptionFloodBounded: a raw SUB that sends SUBSCRIBE commands as
// fast as it can to a PUB that does not publish (a PUB applies
// subscriptions when it sends) is held back like any other inbound
// traffic. It fails if subscriptions were queued without bound: the
// 1 000 000 commands would cost several hundred MiB.
func TestSubscriptionFloodBounded(t *testing.T) {
	const total = 1_000_000
	for _, b := range backends {
		t.Run(b.String(), func(t *testing.T) {
			c := newContext(t, b)
			pub := newSocket(t, c, azmq.Pub)
			raw := rawHandshake(t, bindLocal(t, pub), "SUB")
			before := inUse()
			var written atomic.Int64
			go func() {
				var batch []byte
				for i := range total {
					batch = frame.AppendCommand(batch, frame.NameSubscribe, []byte{'t', byte(i), byte(i >> 8), byte(i >> 16)})
					if len(batch) > 64<<10 || i == total-1 {
						raw.SetWriteDeadline(time.Now().Add(30 * time.Second))
						if _, err := raw.Write(batch); err != nil {
							return
						}
						written.Add(int64(len(batch)))
						batch = batch[:0]
					}
				}
			}()
			var peak int64
			for range 10 {
				time.Sleep(200 * time.Millisecond)
				peak = max(peak, inUse()-before)
			}
			t.Logf("peer wrote %s of SUBSCRIBE commands; heap+stacks +%s", mib(written.Load()), mib(peak))
			if peak > 64<<20 {
				t.Errorf("an idle PUB took %s of subscriptions in, bound 64 MiB", mib(peak))
			}
			// The PUB applies what it took and reads on when it sends.
			mustSend(t, pub, "t")
		})
	}
	assertNoLeaks(t)
}

// TestManyFramesAndEmpty: one message of 100 000 empty frames, messages of
// empty frames, and, on another connection, a command frame of length 0.
// The messages arrive whole (Recv and RecvMsg), with WithMaxMsgSize too
// (empty frames add nothing to a message's size); the zero-length command
// closes only its own connection. It fails on a frame count limit, on a
// crash, or if the bad command were ignored or took a good peer with it.
func TestManyFramesAndEmpty(t *testing.T) {
	const many = 100_000
	for _, b := range backends {
		t.Run(b.String(), func(t *testing.T) {
			c := newContext(t, b)
			// The limit applies to every frame, READY included, as in
			// libzmq: 64 bytes lets a handshake through.
			pull := newSocket(t, c, azmq.Pull, azmq.WithMaxMsgSize(64))
			addr := bindLocal(t, pull)
			raw := rawHandshake(t, addr, "PUSH")
			var wire []byte
			for i := range many {
				flags := byte(frame.FlagMore)
				if i == many-1 {
					flags = 0
				}
				wire = append(wire, flags, 0)
			}
			msg := cat(wire, []byte{0x00, 0x00}, []byte{0x01, 0x00, 0x01, 0x00, 0x00, 0x00})
			raw.SetWriteDeadline(time.Now().Add(testTimeout))
			if _, err := raw.Write(cat(msg, msg)); err != nil {
				t.Fatal(err)
			}
			m := mustRecv(t, pull)
			if len(m) != many {
				t.Fatalf("got %d frames, want %d", len(m), many)
			}
			for i, f := range m {
				if len(f) != 0 {
					t.Fatalf("frame %d has %d bytes", i, len(f))
				}
			}
			wantFrames(t, mustRecv(t, pull), [][]byte{{}})
			wantFrames(t, mustRecv(t, pull), [][]byte{{}, {}, {}})
			var zm azmq.Msg
			if err := pull.RecvMsg(timeoutCtx(t, testTimeout), &zm); err != nil || zm.Len() != many || zm.Size() != 0 {
				t.Fatalf("RecvMsg: %v, %d frames of %d bytes", err, zm.Len(), zm.Size())
			}
			zm.Release()
			recvWant(t, pull, "")
			recvWant(t, pull, "", "", "")

			bad := rawHandshake(t, addr, "PUSH")
			bad.Write([]byte{frame.FlagCommand, 0x00})
			waitClosed(t, bad, 5*time.Second)
			raw.Write([]byte{0x00, 0x05, 'a', 'f', 't', 'e', 'r'})
			recvWant(t, pull, "after")
			// The disconnect is counted just after the fd closes.
			if !eventually(testTimeout, func() bool { return pull.Stats().Disconnects == 1 }) {
				t.Errorf("%d disconnects, want the bad connection's only", pull.Stats().Disconnects)
			}
		})
	}
	assertNoLeaks(t)
}

// TestCloseDuringBlockedCalls: Close wakes a Send blocked at the HWM with a
// peer connected (not only one waiting for a peer, which socket_test.go
// covers) and a Recv blocked at the same time, both with ErrClosed, within
// a second; every later Close returns ErrClosed and does nothing else. It
// fails if either call stays blocked or returns anything else.
func TestCloseDuringBlockedCalls(t *testing.T) {
	runOnBackends(t, []backendCase{{"hwm_send_and_recv", func(t *testing.T, c *azmq.Context) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		dealer := newSocket(t, c, azmq.Dealer, azmq.WithSendHWM(1))
		mustConnect(t, dealer, "tcp://"+l.Addr().String())
		l.(*net.TCPListener).SetDeadline(time.Now().Add(testTimeout))
		raw, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		raw.Write(cat(nullGreeting, ready("ROUTER"))) // and never reads
		sendErr, recvErr := make(chan error, 1), make(chan error, 1)
		var sent atomic.Int64
		go func() { _, err := dealer.Recv(context.Background()); recvErr <- err }()
		go func() {
			payload := make([]byte, 64<<10)
			for {
				if err := dealer.Send(context.Background(), payload); err != nil {
					sendErr <- err
					return
				}
				sent.Add(1)
			}
		}()
		// Send is blocked once the queue and the kernel buffers are full:
		// the count stops moving.
		last := int64(-1)
		if !eventually(testTimeout, func() bool {
			time.Sleep(200 * time.Millisecond)
			n := sent.Load()
			stuck := n > 0 && n == last
			last = n
			return stuck
		}) {
			t.Fatal("Send never blocked")
		}
		time.Sleep(100 * time.Millisecond)
		start := time.Now()
		if err := dealer.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		for what, ch := range map[string]chan error{"Send": sendErr, "Recv": recvErr} {
			select {
			case err := <-ch:
				if !errors.Is(err, azmq.ErrClosed) {
					t.Errorf("blocked %s returned %v, want ErrClosed", what, err)
				}
			case <-time.After(time.Second):
				t.Errorf("blocked %s still blocked a second after Close", what)
			}
		}
		t.Logf("blocked calls returned %v after Close", time.Since(start))
		for range 3 {
			if err := dealer.Close(); !errors.Is(err, azmq.ErrClosed) {
				t.Errorf("second Close: %v, want ErrClosed", err)
			}
		}
	}}})
}

// TestConcurrentUseAndClose: 8 goroutines Send, 8 Recv on one DEALER and 4
// close it concurrently while a ROUTER echoes (run it under -race). Every
// call returns nil or ErrClosed, exactly one Close returns nil, and every
// message received is one that was sent. It fails on a data race, a panic,
// a call left blocked, or a corrupted message.
func TestConcurrentUseAndClose(t *testing.T) {
	runOnBackends(t, []backendCase{{"dealer", func(t *testing.T, c *azmq.Context) {
		router := newSocket(t, c, azmq.Router)
		dealer := newSocket(t, c, azmq.Dealer)
		mustConnect(t, dealer, bindLocal(t, router))
		ctx := timeoutCtx(t, testTimeout)
		go func() {
			for {
				m, err := router.Recv(ctx)
				if err != nil || router.Send(ctx, m...) != nil {
					return
				}
			}
		}()
		var wg sync.WaitGroup
		var sent, received atomic.Int64
		var closedOK atomic.Int32
		fail := func(what string, err error) {
			if err != nil && !errors.Is(err, azmq.ErrClosed) {
				t.Errorf("%s: %v, want nil or ErrClosed", what, err)
			}
		}
		for g := range 8 {
			wg.Go(func() {
				for i := 0; ; i++ {
					body := "g" + strconv.Itoa(g) + "-" + strconv.Itoa(i)
					err := dealer.Send(ctx, []byte(body))
					fail("Send", err)
					if err != nil {
						return
					}
					sent.Add(1)
				}
			})
			wg.Go(func() {
				for {
					m, err := dealer.Recv(ctx)
					fail("Recv", err)
					if err != nil {
						return
					}
					if len(m) != 1 || !bytes.HasPrefix(m[0], []byte("g")) {
						t.Errorf("received %s", show(m))
					}
					received.Add(1)
				}
			})
		}
		time.Sleep(300 * time.Millisecond)
		var closers sync.WaitGroup
		for range 4 {
			closers.Go(func() {
				if err := dealer.Close(); err == nil {
					closedOK.Add(1)
				} else {
					fail("Close", err)
				}
			})
		}
		closers.Wait()
		waited := make(chan struct{})
		go func() { wg.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(testTimeout):
			t.Fatal("Send or Recv still blocked after Close")
		}
		if closedOK.Load() != 1 {
			t.Errorf("%d Close calls returned nil, want 1", closedOK.Load())
		}
		t.Logf("%d sent, %d echoed back before Close", sent.Load(), received.Load())
	}}})
}
