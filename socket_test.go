package azmq_test

// Socket behaviour, Go to Go over tcp loopback, one table run on every
// backend (spec/sockets.md §1-§3, §5, §8, §10.1).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azmq/azmq"
	"github.com/azmq/azmq/engine"
)

func TestSocket(t *testing.T) {
	runOnBackends(t, []backendCase{
		{"pair_echo", testPairEcho},
		{"push_round_robin", testPushRoundRobin},
		{"pull_fair_queue", testPullFairQueue},
		{"req_rep", testReqRep},
		{"req_rep_state", testReqRepState},
		{"not_supported", testNotSupported},
		{"dealer_router_ids", testDealerRouterIDs},
		{"router_unknown_id", testRouterUnknownID},
		{"envelopes", testEnvelopes},
		{"large_frames", testLargeFrames},
		{"ten_frames", testTenFrames},
		{"msg_api", testMsgAPI},
		{"hwm", testHWM},
		{"connect_before_bind", testConnectBeforeBind},
		{"reconnect", testReconnect},
		{"close_wakes_recv", testCloseWakesRecv},
		{"after_close", testAfterClose},
		{"context_close", testContextClose},
		{"ctx_cancel", testCtxCancel},
		{"concurrent", testConcurrent},
		{"unbind", testUnbind},
		{"disconnect", testDisconnect},
		{"addr", testAddr},
		{"ipv6", testIPv6},
		{"bad_endpoints", testBadEndpoints},
	})
}

func testPairEcho(t *testing.T, c *azmq.Context) {
	a := newSocket(t, c, azmq.Pair)
	b := newSocket(t, c, azmq.Pair)
	mustConnect(t, b, bindLocal(t, a))
	for i := range 5 {
		n := strconv.Itoa(i)
		mustSend(t, b, "ping", n)
		m := recvWant(t, a, "ping", n)
		m[0] = []byte("pong")
		if err := a.Send(timeoutCtx(t, testTimeout), m...); err != nil {
			t.Fatal(err)
		}
		recvWant(t, b, "pong", n)
	}
}

// testPushRoundRobin: a PUSH connected to two PULLs has a pipe to each from
// Connect on, so round-robin splits the messages exactly in two, each PULL
// seeing every other message in order.
func testPushRoundRobin(t *testing.T, c *azmq.Context) {
	push := newSocket(t, c, azmq.Push)
	pulls := []*azmq.Socket{newSocket(t, c, azmq.Pull), newSocket(t, c, azmq.Pull)}
	for _, p := range pulls {
		mustConnect(t, push, bindLocal(t, p))
	}
	const n = 100
	for i := range n {
		mustSend(t, push, strconv.Itoa(i))
	}
	for k, p := range pulls {
		prev := -1
		for range n / 2 {
			m := mustRecv(t, p)
			i, err := strconv.Atoi(string(m[0]))
			if err != nil || len(m) != 1 {
				t.Fatalf("pull %d got %s", k, show(m))
			}
			if prev >= 0 && i != prev+2 {
				t.Fatalf("pull %d got %d after %d, want every other message", k, i, prev)
			}
			prev = i
		}
		wantNothing(t, p, 20*time.Millisecond)
	}
}

// testPullFairQueue: two PUSHes into one PULL; once both have queued
// messages the PULL takes one from each in turn, and each sender's order is
// kept.
func testPullFairQueue(t *testing.T, c *azmq.Context) {
	pull := newSocket(t, c, azmq.Pull)
	addr := bindLocal(t, pull)
	pushes := []*azmq.Socket{newSocket(t, c, azmq.Push), newSocket(t, c, azmq.Push)}
	for k, p := range pushes {
		mustConnect(t, p, addr)
		mustSend(t, p, strconv.Itoa(k), "hello")
	}
	// Both connections are up once both hellos are in.
	seen := map[string]bool{}
	for range 2 {
		seen[string(mustRecv(t, pull)[0])] = true
	}
	if !seen["0"] || !seen["1"] {
		t.Fatalf("hellos from %v", seen)
	}
	const n = 200
	var wg sync.WaitGroup
	for k, p := range pushes {
		wg.Go(func() {
			ctx := timeoutCtx(t, testTimeout)
			for i := range n {
				if err := p.Send(ctx, []byte(strconv.Itoa(k)), []byte(strconv.Itoa(i))); err != nil {
					t.Errorf("push %d: %v", k, err)
					return
				}
			}
		})
	}
	wg.Wait()
	time.Sleep(50 * time.Millisecond) // let both streams reach the PULL's queues
	next := [2]int{}
	for j := range 2 * n {
		m := mustRecv(t, pull)
		k, _ := strconv.Atoi(string(m[0]))
		if len(m) != 2 || k < 0 || k > 1 || string(m[1]) != strconv.Itoa(next[k]) {
			t.Fatalf("message %d: %s, want sender 0 at %d or sender 1 at %d", j, show(m), next[0], next[1])
		}
		next[k]++
		if j == n/2-1 && (next[0] < n/8 || next[1] < n/8) {
			t.Errorf("first %d messages: %d from sender 0, %d from sender 1; want them fair-queued", n/2, next[0], next[1])
		}
	}
}

func testReqRep(t *testing.T, c *azmq.Context) {
	rep := newSocket(t, c, azmq.Rep)
	req := newSocket(t, c, azmq.Req)
	mustConnect(t, req, bindLocal(t, rep))
	msgs := [][]string{
		{"a"},
		{"hello", "world", "!"},
		{"", "x", ""},
		{""},
		{"", ""},
		{strings.Repeat("z", 300), ""},
	}
	ctx := timeoutCtx(t, testTimeout)
	for _, msg := range msgs {
		mustSend(t, req, msg...)
		got := recvWant(t, rep, msg...)
		if err := rep.Send(ctx, got...); err != nil {
			t.Fatal(err)
		}
		recvWant(t, req, msg...)
	}
	// Send with no frames sends one empty frame.
	if err := req.Send(ctx); err != nil {
		t.Fatal(err)
	}
	recvWant(t, rep, "")
	mustSend(t, rep)
	recvWant(t, req, "")
}

func testReqRepState(t *testing.T, c *azmq.Context) {
	rep := newSocket(t, c, azmq.Rep)
	req := newSocket(t, c, azmq.Req)
	mustConnect(t, req, bindLocal(t, rep))
	ctx := timeoutCtx(t, testTimeout)
	wantState := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, azmq.ErrState) {
			t.Fatalf("%s: %v, want ErrState", what, err)
		}
	}
	_, err := req.Recv(ctx)
	wantState("REQ Recv before Send", err)
	wantState("REP Send before Recv", rep.Send(ctx, []byte("x")))

	mustSend(t, req, "q1")
	wantState("REQ second Send", req.Send(ctx, []byte("q2")))
	var m azmq.Msg
	m.Append([]byte("q3"))
	wantState("REQ second SendMsg", req.SendMsg(ctx, &m))
	if m.Len() != 1 {
		t.Fatalf("a refused SendMsg left %d frames, want the caller's 1", m.Len())
	}
	m.Release()

	recvWant(t, rep, "q1")
	_, err = rep.Recv(ctx)
	wantState("REP second Recv", err)
	mustSend(t, rep, "r1")
	wantState("REP second Send", rep.Send(ctx, []byte("r2")))
	recvWant(t, req, "r1") // the refused calls sent nothing
	_, err = req.Recv(ctx)
	wantState("REQ second Recv", err)

	// The alternation still works.
	mustSend(t, req, "q4")
	recvWant(t, rep, "q4")
	mustSend(t, rep, "r4")
	recvWant(t, req, "r4")
}

func testNotSupported(t *testing.T, c *azmq.Context) {
	pull := newSocket(t, c, azmq.Pull)
	push := newSocket(t, c, azmq.Push)
	mustConnect(t, push, bindLocal(t, pull))
	ctx := timeoutCtx(t, testTimeout)
	if err := pull.Send(ctx, []byte("x")); !errors.Is(err, azmq.ErrNotSupported) {
		t.Errorf("PULL Send: %v, want ErrNotSupported", err)
	}
	var m azmq.Msg
	m.Append([]byte("x"))
	if err := pull.SendMsg(ctx, &m); !errors.Is(err, azmq.ErrNotSupported) {
		t.Errorf("PULL SendMsg: %v, want ErrNotSupported", err)
	}
	m.Release()
	if _, err := push.Recv(ctx); !errors.Is(err, azmq.ErrNotSupported) {
		t.Errorf("PUSH Recv: %v, want ErrNotSupported", err)
	}
	if err := push.RecvMsg(ctx, &m); !errors.Is(err, azmq.ErrNotSupported) {
		t.Errorf("PUSH RecvMsg: %v, want ErrNotSupported", err)
	}
	// Both still work the way they can.
	mustSend(t, push, "ok")
	recvWant(t, pull, "ok")
}

// testDealerRouterIDs: a DEALER's WithRoutingID is its routing id at the
// ROUTER; without one the ROUTER makes up 5 bytes starting with 0
// (sockets.md §3.4), different for each peer.
func testDealerRouterIDs(t *testing.T, c *azmq.Context) {
	router := newSocket(t, c, azmq.Router)
	addr := bindLocal(t, router)
	named := newSocket(t, c, azmq.Dealer, azmq.WithRoutingID([]byte("dealer-1")))
	mustConnect(t, named, addr)
	mustSend(t, named, "from named", "")
	recvWant(t, router, "dealer-1", "from named", "")
	mustSend(t, router, "dealer-1", "to named", "")
	recvWant(t, named, "to named", "")

	// A second peer announcing an id in use is refused (no
	// ROUTER_HANDOVER); the first keeps it.
	dup := newSocket(t, c, azmq.Dealer, azmq.WithRoutingID([]byte("dealer-1")), azmq.WithReconnectInterval(-1, 0))
	mustConnect(t, dup, addr)
	mustSend(t, dup, "from the impostor")
	wantNothing(t, router, 50*time.Millisecond)
	mustSend(t, router, "dealer-1", "still yours")
	recvWant(t, named, "still yours")
	mustSend(t, named, "still mine")
	recvWant(t, router, "dealer-1", "still mine")

	ids := map[string]*azmq.Socket{}
	for i := range 3 {
		d := newSocket(t, c, azmq.Dealer)
		mustConnect(t, d, addr)
		body := fmt.Sprint("anonymous ", i)
		mustSend(t, d, body)
		m := mustRecv(t, router)
		if len(m) != 2 || string(m[1]) != body {
			t.Fatalf("ROUTER got %s, want [id %q]", show(m), body)
		}
		id := m[0]
		if len(id) != 5 || id[0] != 0 {
			t.Fatalf("generated routing id %x, want 5 bytes starting with 00", id)
		}
		if ids[string(id)] != nil || string(id) == "dealer-1" {
			t.Fatalf("routing id %x given twice", id)
		}
		ids[string(id)] = d
	}
	for id, d := range ids {
		mustSend(t, router, id, "reply", id)
		recvWant(t, d, "reply", id)
	}
}

func testRouterUnknownID(t *testing.T, c *azmq.Context) {
	for _, mandatory := range []bool{false, true} {
		router := newSocket(t, c, azmq.Router, azmq.WithRouterMandatory(mandatory))
		dealer := newSocket(t, c, azmq.Dealer, azmq.WithRoutingID([]byte("known")))
		mustConnect(t, dealer, bindLocal(t, router))
		mustSend(t, dealer, "hi")
		recvWant(t, router, "known", "hi")

		ctx := timeoutCtx(t, testTimeout)
		err := router.Send(ctx, []byte("nobody"), []byte("lost"))
		switch {
		case !mandatory && err != nil:
			t.Fatalf("ROUTER send to an unknown id: %v, want it dropped silently", err)
		case mandatory && !errors.Is(err, azmq.ErrHostUnreachable):
			t.Fatalf("mandatory ROUTER send to an unknown id: %v, want ErrHostUnreachable", err)
		}
		mustSend(t, router, "known", "found")
		recvWant(t, dealer, "found")
		wantNothing(t, dealer, 20*time.Millisecond)
	}
}

// testEnvelopes: REQ adds the empty delimiter that a ROUTER application sees
// and must send back; REP strips the envelope up to the delimiter and puts
// it back on the reply.
func testEnvelopes(t *testing.T, c *azmq.Context) {
	router := newSocket(t, c, azmq.Router)
	req := newSocket(t, c, azmq.Req, azmq.WithRoutingID([]byte("req-1")))
	mustConnect(t, req, bindLocal(t, router))
	mustSend(t, req, "question", "part 2")
	recvWant(t, router, "req-1", "", "question", "part 2")
	mustSend(t, router, "req-1", "", "answer")
	recvWant(t, req, "answer")

	rep := newSocket(t, c, azmq.Rep)
	dealer := newSocket(t, c, azmq.Dealer)
	mustConnect(t, dealer, bindLocal(t, rep))
	mustSend(t, dealer, "", "q")
	recvWant(t, rep, "q")
	mustSend(t, rep, "r")
	recvWant(t, dealer, "", "r")

	// A routed envelope of two hops comes back whole.
	mustSend(t, dealer, "hop2", "hop1", "", "q2", "")
	recvWant(t, rep, "q2", "")
	mustSend(t, rep, "r2")
	recvWant(t, dealer, "hop2", "hop1", "", "r2")

	// A message with no delimiter is dropped by REP.
	mustSend(t, dealer, "no delimiter")
	mustSend(t, dealer, "", "q3")
	recvWant(t, rep, "q3")
	mustSend(t, rep, "r3")
	recvWant(t, dealer, "", "r3")
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func testLargeFrames(t *testing.T, c *azmq.Context) {
	a := newSocket(t, c, azmq.Pair)
	b := newSocket(t, c, azmq.Pair)
	mustConnect(t, b, bindLocal(t, a))
	ctx := timeoutCtx(t, testTimeout)
	const mib = 1 << 20
	msgs := [][][]byte{
		{randomBytes(mib, 1)},
		{randomBytes(mib, 2), nil, randomBytes(mib+1, 3), randomBytes(300, 4)},
		{randomBytes(mib-1, 5)},
	}
	// Sent back to back, so that big frames follow each other in one stream.
	for _, m := range msgs {
		if err := b.Send(ctx, m...); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range msgs {
		got := mustRecv(t, a)
		wantFrames(t, got, want)
		if err := a.Send(ctx, got...); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range msgs {
		wantFrames(t, mustRecv(t, b), want)
	}
}

// testTenFrames: sizes around the short/long frame boundary (255/256) and
// the 64 KiB read buffer.
func testTenFrames(t *testing.T, c *azmq.Context) {
	pull := newSocket(t, c, azmq.Pull)
	push := newSocket(t, c, azmq.Push)
	mustConnect(t, push, bindLocal(t, pull))
	sizes := []int{0, 1, 254, 255, 256, 257, 1000, 65535, 65536, 70000}
	msg := make([][]byte, len(sizes))
	for i, n := range sizes {
		msg[i] = randomBytes(n, uint64(i))
	}
	ctx := timeoutCtx(t, testTimeout)
	for range 20 {
		if err := push.Send(ctx, msg...); err != nil {
			t.Fatal(err)
		}
	}
	for range 20 {
		wantFrames(t, mustRecv(t, pull), msg)
	}
	// Reversed, so that small frames straddle read boundaries differently.
	rev := make([][]byte, len(msg))
	for i := range msg {
		rev[i] = msg[len(msg)-1-i]
	}
	if err := push.Send(ctx, rev...); err != nil {
		t.Fatal(err)
	}
	wantFrames(t, mustRecv(t, pull), rev)
}

// testMsgAPI: SendMsg takes the frames over and leaves the Msg empty;
// RecvMsg fills a Msg that can be reused.
func testMsgAPI(t *testing.T, c *azmq.Context) {
	pull := newSocket(t, c, azmq.Pull)
	push := newSocket(t, c, azmq.Push)
	mustConnect(t, push, bindLocal(t, pull))
	ctx := timeoutCtx(t, testTimeout)
	var out, in azmq.Msg
	for i := range 10 {
		body := []byte(strconv.Itoa(i))
		out.Append([]byte("msg"))
		out.Append(body)
		if err := push.SendMsg(ctx, &out); err != nil {
			t.Fatal(err)
		}
		if out.Len() != 0 {
			t.Fatalf("after SendMsg the Msg holds %d frames, want 0", out.Len())
		}
		if err := pull.RecvMsg(ctx, &in); err != nil {
			t.Fatal(err)
		}
		if in.Len() != 2 || string(in.Frame(0)) != "msg" || !bytes.Equal(in.Frame(1), body) {
			t.Fatalf("RecvMsg %d: %d frames %q %q", i, in.Len(), in.Frame(0), in.Frame(in.Len()-1))
		}
	}
	in.Release()
	if in.Len() != 0 {
		t.Fatalf("after Release the Msg holds %d frames", in.Len())
	}
}

// testHWM: with both high-water marks at 10 and a PULL that does not read,
// Send blocks once the pipes and kernel buffers are full; it goes on when
// the PULL reads, and nothing is lost or duplicated, not even the message
// whose Send timed out.
func testHWM(t *testing.T, c *azmq.Context) {
	pull := newSocket(t, c, azmq.Pull, azmq.WithRecvHWM(10))
	push := newSocket(t, c, azmq.Push, azmq.WithSendHWM(10))
	mustConnect(t, push, bindLocal(t, pull))
	payload := make([]byte, 16<<10)
	send := func(ctx context.Context, i int) error {
		return push.Send(ctx, []byte(strconv.Itoa(i)), payload)
	}
	const limit = 100000
	n := 0
	for ; n < limit; n++ {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		err := send(ctx, n)
		cancel()
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("blocked Send: %v, want an error wrapping context.DeadlineExceeded", err)
			}
			break
		}
	}
	if n == limit {
		t.Fatalf("%d messages of %d bytes sent without blocking", n, len(payload))
	}
	if n < 10 {
		t.Fatalf("Send blocked after %d messages, below the send HWM", n)
	}
	t.Logf("Send blocked after %d messages of %d bytes", n, len(payload))

	const more = 100
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		for i := range n + more {
			m, err := pull.Recv(ctx)
			if err != nil {
				done <- fmt.Errorf("message %d: %w", i, err)
				return
			}
			if len(m) != 2 || string(m[0]) != strconv.Itoa(i) || len(m[1]) != len(payload) {
				done <- fmt.Errorf("message %d: got %s", i, show(m))
				return
			}
		}
		done <- nil
	}()
	ctx := timeoutCtx(t, testTimeout)
	for i := n; i < n+more; i++ {
		if err := send(ctx, i); err != nil {
			t.Fatalf("Send %d after the PULL started reading: %v", i, err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	wantNothing(t, pull, 20*time.Millisecond)
}

// testConnectBeforeBind: a message sent to an endpoint nobody listens on yet
// waits in the pipe and arrives once a PULL binds there.
func testConnectBeforeBind(t *testing.T, c *azmq.Context) {
	ep := fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t))
	push := newSocket(t, c, azmq.Push, azmq.WithReconnectInterval(10*time.Millisecond, 0))
	mustConnect(t, push, ep)
	mustSend(t, push, "early")
	time.Sleep(30 * time.Millisecond) // a few failed attempts
	pull := newSocket(t, c, azmq.Pull)
	if err := pull.Bind(ep); err != nil {
		t.Fatal(err)
	}
	recvWant(t, pull, "early")
	mustSend(t, push, "later")
	recvWant(t, pull, "later")
}

// testReconnect: the PULL goes away and another binds the same port; the
// PUSH reconnects and later messages arrive at the new one.
func testReconnect(t *testing.T, c *azmq.Context) {
	pull := newSocket(t, c, azmq.Pull)
	ep := bindLocal(t, pull)
	push := newSocket(t, c, azmq.Push, azmq.WithReconnectInterval(10*time.Millisecond, 0))
	mustConnect(t, push, ep)
	mustSend(t, push, "first")
	recvWant(t, pull, "first")
	if err := pull.Close(); err != nil {
		t.Fatal(err)
	}

	pull2 := newSocket(t, c, azmq.Pull)
	var err error
	if !eventually(5*time.Second, func() bool { err = pull2.Bind(ep); return err == nil }) {
		t.Fatalf("rebinding %s: %v", ep, err)
	}
	// Messages written into the dying connection are lost (sockets.md §1),
	// so keep sending until one comes through.
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	stop := make(chan struct{})
	sent := make(chan int, 1)
	go func() {
		i := 0
		defer func() { sent <- i }()
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			if err := push.Send(ctx, []byte("again"), []byte(strconv.Itoa(i))); err != nil {
				return
			}
			i++
		}
	}()
	m, err := pull2.Recv(ctx)
	close(stop)
	total := <-sent
	if err != nil {
		t.Fatalf("no message after reconnecting (%d sent): %v", total, err)
	}
	if len(m) != 2 || string(m[0]) != "again" {
		t.Fatalf("got %s", show(m))
	}
	// From there on the stream is in order with no gap.
	first, _ := strconv.Atoi(string(m[1]))
	for i := first + 1; i < total; i++ {
		recvWant(t, pull2, "again", strconv.Itoa(i))
	}
}

func testCloseWakesRecv(t *testing.T, c *azmq.Context) {
	for _, typ := range []azmq.Type{azmq.Pull, azmq.Router, azmq.Rep, azmq.Pair} {
		s := newSocket(t, c, typ)
		bindLocal(t, s)
		done := make(chan error, 1)
		go func() {
			_, err := s.Recv(context.Background())
			done <- err
		}()
		time.Sleep(20 * time.Millisecond) // most likely parked by now
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if !errors.Is(err, azmq.ErrClosed) {
				t.Fatalf("%v: Recv woken by Close returned %v, want ErrClosed", typ, err)
			}
		case <-time.After(testTimeout):
			t.Fatalf("%v: Close did not wake Recv", typ)
		}
	}
	// A Send blocked for want of a peer too.
	push := newSocket(t, c, azmq.Push)
	done := make(chan error, 1)
	go func() { done <- push.Send(context.Background(), []byte("x")) }()
	time.Sleep(20 * time.Millisecond)
	push.Close()
	select {
	case err := <-done:
		if !errors.Is(err, azmq.ErrClosed) {
			t.Fatalf("Send woken by Close returned %v, want ErrClosed", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Close did not wake Send")
	}
}

func testAfterClose(t *testing.T, c *azmq.Context) {
	s := newSocket(t, c, azmq.Dealer)
	ep := bindLocal(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := timeoutCtx(t, testTimeout)
	var m azmq.Msg
	m.Append([]byte("x"))
	_, recvErr := s.Recv(ctx)
	for what, err := range map[string]error{
		"Send":    s.Send(ctx, []byte("x")),
		"SendMsg": s.SendMsg(ctx, &m),
		"Recv":    recvErr,
		"RecvMsg": s.RecvMsg(ctx, &m),
		"Bind":    s.Bind("tcp://127.0.0.1:*"),
		"Connect": s.Connect(ep),
		"Close":   s.Close(),
	} {
		if !errors.Is(err, azmq.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", what, err)
		}
	}
	if m.Len() != 1 {
		t.Errorf("a refused SendMsg left %d frames, want 1", m.Len())
	}
	m.Release()
	// The port is free again.
	l, err := net.Listen("tcp", hostPort(t, ep))
	if err != nil {
		t.Errorf("port of a closed socket still taken: %v", err)
	} else {
		l.Close()
	}
}

func testContextClose(t *testing.T, c *azmq.Context) {
	pull := newSocket(t, c, azmq.Pull, azmq.WithLinger(-1))
	push := newSocket(t, c, azmq.Push, azmq.WithLinger(100*time.Millisecond))
	mustConnect(t, push, bindLocal(t, pull))
	mustSend(t, push, "x")
	recvWant(t, pull, "x")
	idle := newSocket(t, c, azmq.Router)
	done := make(chan error, 1)
	go func() {
		_, err := pull.Recv(context.Background())
		done <- err
	}()
	closeWithin(t, "context", c.Close)
	select {
	case err := <-done:
		if !errors.Is(err, azmq.ErrClosed) {
			t.Errorf("Recv during Context.Close: %v, want ErrClosed", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Context.Close did not wake Recv")
	}
	if _, err := pull.Recv(timeoutCtx(t, time.Second)); !errors.Is(err, azmq.ErrClosed) {
		t.Errorf("PULL Recv after Context.Close: %v, want ErrClosed", err)
	}
	for _, s := range []*azmq.Socket{pull, push, idle} {
		if s != pull {
			if err := s.Send(timeoutCtx(t, time.Second), []byte("x")); !errors.Is(err, azmq.ErrClosed) {
				t.Errorf("%v Send after Context.Close: %v, want ErrClosed", s.Type(), err)
			}
		}
		if err := s.Close(); !errors.Is(err, azmq.ErrClosed) {
			t.Errorf("%v Close after Context.Close: %v, want ErrClosed", s.Type(), err)
		}
	}
	if _, err := c.NewSocket(azmq.Pair); !errors.Is(err, azmq.ErrClosed) {
		t.Errorf("NewSocket after Context.Close: %v, want ErrClosed", err)
	}
	if err := c.Close(); !errors.Is(err, azmq.ErrClosed) {
		t.Errorf("second Context.Close: %v, want ErrClosed", err)
	}
}

func testCtxCancel(t *testing.T, c *azmq.Context) {
	pull := newSocket(t, c, azmq.Pull)
	bindLocal(t, pull)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := pull.Recv(ctx)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Recv after cancel: %v, want an error wrapping context.Canceled", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("cancel did not wake Recv")
	}
	// Already-cancelled contexts fail at once, for Send (no peer) and Recv.
	push := newSocket(t, c, azmq.Push)
	if err := push.Send(ctx, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled ctx: %v, want context.Canceled", err)
	}
	if _, err := pull.Recv(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Recv with a cancelled ctx: %v, want context.Canceled", err)
	}
	// The socket is still usable.
	mustConnect(t, push, pull.Addr())
	mustSend(t, push, "still here")
	recvWant(t, pull, "still here")
}

// testConcurrent: several goroutines Send on one DEALER while the ROUTER
// echoes and another goroutine Recvs the echoes on the same DEALER.
func testConcurrent(t *testing.T, c *azmq.Context) {
	router := newSocket(t, c, azmq.Router)
	dealer := newSocket(t, c, azmq.Dealer)
	mustConnect(t, dealer, bindLocal(t, router))
	const senders, n = 4, 200
	ctx := timeoutCtx(t, testTimeout)
	var wg sync.WaitGroup
	wg.Go(func() { // the ROUTER echoes and checks each sender's order
		next := make([]int, senders)
		for range senders * n {
			m, err := router.Recv(ctx)
			if err != nil {
				t.Errorf("ROUTER Recv: %v", err)
				return
			}
			g, _ := strconv.Atoi(string(m[1]))
			if len(m) != 3 || g < 0 || g >= senders || string(m[2]) != strconv.Itoa(next[g]) {
				t.Errorf("ROUTER got %s", show(m))
				return
			}
			next[g]++
			if err := router.Send(ctx, m...); err != nil {
				t.Errorf("ROUTER Send: %v", err)
				return
			}
		}
	})
	wg.Go(func() { // echoes come back on the DEALER
		for range senders * n {
			if _, err := dealer.Recv(ctx); err != nil {
				t.Errorf("DEALER Recv: %v", err)
				return
			}
		}
	})
	for g := range senders {
		wg.Go(func() {
			for i := range n {
				if err := dealer.Send(ctx, []byte(strconv.Itoa(g)), []byte(strconv.Itoa(i))); err != nil {
					t.Errorf("DEALER Send: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// testUnbind: after Unbind the port refuses connections and the peers it
// accepted are cut off.
func testUnbind(t *testing.T, c *azmq.Context) {
	pull := newSocket(t, c, azmq.Pull)
	ep := bindLocal(t, pull)
	push := newSocket(t, c, azmq.Push, azmq.WithReconnectInterval(10*time.Millisecond, 0))
	mustConnect(t, push, ep)
	mustSend(t, push, "before")
	recvWant(t, pull, "before")

	if err := pull.Unbind("tcp://127.0.0.1:9"); !errors.Is(err, azmq.ErrInvalidEndpoint) {
		t.Errorf("Unbind of an endpoint never bound: %v, want ErrInvalidEndpoint", err)
	}
	if err := pull.Unbind(ep); err != nil {
		t.Fatalf("Unbind(%q): %v", ep, err)
	}
	if err := pull.Unbind(ep); !errors.Is(err, azmq.ErrInvalidEndpoint) {
		t.Errorf("second Unbind: %v, want ErrInvalidEndpoint", err)
	}
	refused := eventually(5*time.Second, func() bool {
		conn, err := net.DialTimeout("tcp", hostPort(t, ep), time.Second)
		if err == nil {
			conn.Close()
		}
		return err != nil
	})
	if !refused {
		t.Fatalf("%s still accepts connections after Unbind", ep)
	}
	late := newSocket(t, c, azmq.Push)
	mustConnect(t, late, ep)
	mustSend(t, late, "late") // queued on the eager pipe, never delivered
	mustSend(t, push, "after")
	wantNothing(t, pull, 100*time.Millisecond)

	// Unbinding by the wildcard endpoint given to Bind works too, and the
	// socket can bind again.
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	ep2 := pull.Addr()
	if err := pull.Unbind("tcp://127.0.0.1:*"); err != nil {
		t.Errorf("Unbind by the wildcard endpoint: %v", err)
	}
	if err := pull.Unbind(ep2); !errors.Is(err, azmq.ErrInvalidEndpoint) {
		t.Errorf("Unbind(%q) after unbinding it by wildcard: %v, want ErrInvalidEndpoint", ep2, err)
	}
}

// testDisconnect: after Disconnect a PUSH has no pipe left, so Send blocks,
// and nothing more reaches the PULL.
func testDisconnect(t *testing.T, c *azmq.Context) {
	pull := newSocket(t, c, azmq.Pull)
	ep := bindLocal(t, pull)
	push := newSocket(t, c, azmq.Push, azmq.WithReconnectInterval(10*time.Millisecond, 0))
	mustConnect(t, push, ep)
	mustSend(t, push, "before")
	recvWant(t, pull, "before")
	if err := push.Disconnect("tcp://127.0.0.1:9"); !errors.Is(err, azmq.ErrInvalidEndpoint) {
		t.Errorf("Disconnect of an endpoint never connected: %v, want ErrInvalidEndpoint", err)
	}
	if err := push.Disconnect(ep); err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
	if err := push.Disconnect(ep); !errors.Is(err, azmq.ErrInvalidEndpoint) {
		t.Errorf("second Disconnect: %v, want ErrInvalidEndpoint", err)
	}
	blocked := eventually(5*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		return errors.Is(push.Send(ctx, []byte("after")), context.DeadlineExceeded)
	})
	if !blocked {
		t.Fatal("PUSH Send does not block after Disconnect of its only peer")
	}
	// Whatever raced the teardown may arrive; then nothing more.
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		m, err := pull.Recv(ctx)
		cancel()
		if err != nil {
			break
		}
		if string(m[0]) != "after" {
			t.Fatalf("PULL got %s", show(m))
		}
	}
	// Connecting again works.
	mustConnect(t, push, ep)
	mustSend(t, push, "again")
	recvWant(t, pull, "again")
}

var tcp4Addr = regexp.MustCompile(`^tcp://(127\.0\.0\.1|0\.0\.0\.0):([0-9]+)$`)

func testAddr(t *testing.T, c *azmq.Context) {
	for _, tc := range []struct{ bind, host string }{
		{"tcp://127.0.0.1:*", "127.0.0.1"},
		{"tcp://127.0.0.1:0", "127.0.0.1"},
		{"tcp://*:0", "0.0.0.0"},
		{"tcp://*:*", "0.0.0.0"},
	} {
		s := newSocket(t, c, azmq.Pull)
		if got := s.Addr(); got != "" {
			t.Errorf("Addr before Bind = %q, want empty", got)
		}
		if err := s.Bind(tc.bind); err != nil {
			t.Fatalf("Bind(%q): %v", tc.bind, err)
		}
		addr := s.Addr()
		m := tcp4Addr.FindStringSubmatch(addr)
		if m == nil || m[1] != tc.host {
			t.Fatalf("Bind(%q): Addr = %q, want tcp://%s:<port>", tc.bind, addr, tc.host)
		}
		port, _ := strconv.Atoi(m[2])
		if port <= 0 || port > 65535 {
			t.Fatalf("Bind(%q): Addr %q has no real port", tc.bind, addr)
		}
		// The port is really ours: a PUSH reaches us there over loopback.
		push := newSocket(t, c, azmq.Push)
		mustConnect(t, push, fmt.Sprintf("tcp://127.0.0.1:%d", port))
		if got := push.Addr(); got != fmt.Sprintf("tcp://127.0.0.1:%d", port) {
			t.Errorf("Addr after Connect = %q", got)
		}
		mustSend(t, push, tc.bind)
		recvWant(t, s, tc.bind)
		// Binding the same port again fails.
		s2 := newSocket(t, c, azmq.Pull)
		if err := s2.Bind(fmt.Sprintf("tcp://127.0.0.1:%d", port)); err == nil {
			t.Errorf("second Bind of port %d succeeded", port)
		}
		s.Close()
		push.Close()
	}
}

func testIPv6(t *testing.T, c *azmq.Context) {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", err)
	}
	l.Close()
	pull := newSocket(t, c, azmq.Pull)
	if err := pull.Bind("tcp://[::1]:*"); err != nil {
		t.Fatalf("Bind([::1]): %v", err)
	}
	addr := pull.Addr()
	if !regexp.MustCompile(`^tcp://\[::1\]:[1-9][0-9]*$`).MatchString(addr) {
		t.Fatalf("Addr = %q, want tcp://[::1]:<port>", addr)
	}
	push := newSocket(t, c, azmq.Push)
	mustConnect(t, push, addr)
	mustSend(t, push, "over v6")
	recvWant(t, pull, "over v6")
}

// badEndpoints are malformed for Bind, Connect or both (sockets.md §10.1).
var badEndpoints = []struct {
	ep            string
	bind, connect bool // whether it must fail there; false: not tried
}{
	{"", true, true},
	{"tcp://", true, true},
	{"tcp://127.0.0.1", true, true},
	{"tcp://127.0.0.1:", true, true},
	{"tcp://127.0.0.1:abc", true, true},
	{"tcp://127.0.0.1:70000", true, true},
	{"tcp://127.0.0.1:65536", true, true},
	{"tcp://127.0.0.1:-1", true, true},
	{"tcp://127.0.0.1:5 ", true, true},
	{"tcp://:5", true, true},
	{"tcp://foo://x:1", true, true},
	{"foo://x:1", true, true},
	{"udp://127.0.0.1:5", true, true},
	{" tcp://127.0.0.1:5", true, true},
	{"tcp//x:1", true, true},
	{"tcp:/x:1", true, true},
	{"127.0.0.1:5555", true, true},
	{"tcp://[::1:5", true, true},
	{"tcp://::1:5", true, true},
	{"tcp://[]:5", true, true},
	{"tcp://[zz]:5", true, true},
	{"tcp://[127.0.0.1:5", true, true},
	{"tcp://*:5", false, true},
	{"tcp://*:*", false, true},
	{"tcp://127.0.0.1:0", false, true},
	{"tcp://127.0.0.1:*", false, true},
	{"tcp://localhost:5555", true, false}, // no host names for bind (ENODEV in libzmq)
}

func testBadEndpoints(t *testing.T, c *azmq.Context) {
	s := newSocket(t, c, azmq.Push, azmq.WithReconnectInterval(-1, 0))
	for _, tc := range badEndpoints {
		check := func(op string, err error) {
			t.Helper()
			if err == nil {
				t.Errorf("%s(%q) succeeded", op, tc.ep)
			} else if !errors.Is(err, azmq.ErrInvalidEndpoint) && !errors.Is(err, azmq.ErrTransport) {
				t.Errorf("%s(%q): %v, want ErrInvalidEndpoint or ErrTransport", op, tc.ep, err)
			}
		}
		if tc.bind {
			check("Bind", s.Bind(tc.ep))
		}
		if tc.connect {
			check("Connect", s.Connect(tc.ep))
			if err := s.Disconnect(tc.ep); !errors.Is(err, azmq.ErrInvalidEndpoint) {
				t.Errorf("Disconnect(%q) after a failed Connect: %v, want ErrInvalidEndpoint", tc.ep, err)
			}
		}
	}
	if err := s.Bind("foo://x:1"); !errors.Is(err, azmq.ErrTransport) {
		t.Errorf("unknown transport: %v, want ErrTransport", err)
	}
	if got := s.Addr(); got != "" {
		t.Errorf("Addr after failed Bind/Connect calls = %q, want empty", got)
	}
}

// FuzzEndpoint feeds arbitrary strings to Bind and Connect: they never
// panic, they fail exactly when the endpoint parser rejects the string, with
// ErrInvalidEndpoint or ErrTransport, and a string they accept is used. To
// keep the fuzzer off the network, a valid endpoint is only connected to when
// its host is a loopback address and only bound when it is a loopback address
// with an ephemeral port.
func FuzzEndpoint(f *testing.F) {
	for _, tc := range badEndpoints {
		f.Add(tc.ep)
	}
	for _, s := range []string{
		"tcp://127.0.0.1:5555", "tcp://[::1]:5555", "tcp://127.0.0.1:*", "tcp://[::1]:0",
		"tcp://example.com:80", "tcp://127.0.0.1:0;127.0.0.1:5555", "tcp://127.0.0.1:5555/path",
		"tcp://[fe80::1%lo]:5555", "tcp://127.0.0.1:+5", "tcp://0x7f.1:5", "ipc:///tmp/x", "inproc://x",
	} {
		f.Add(s)
	}
	c := newContext(f, azmq.BackendStd)
	f.Fuzz(func(t *testing.T, ep string) {
		s, err := c.NewSocket(azmq.Push, azmq.WithLinger(0), azmq.WithReconnectInterval(-1, 0))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		wantErr := func(op string, err error) {
			if !errors.Is(err, azmq.ErrInvalidEndpoint) && !errors.Is(err, azmq.ErrTransport) {
				t.Fatalf("%s(%q): %v, want ErrInvalidEndpoint or ErrTransport", op, ep, err)
			}
		}
		loopback := func(host string) bool {
			ip := net.ParseIP(host)
			return ip != nil && ip.IsLoopback()
		}
		if name, ok := strings.CutPrefix(ep, "inproc://"); ok {
			// inproc names belong to the context, not the engine's parser.
			if err := s.Connect(ep); (err == nil) != (name != "") {
				t.Fatalf("Connect(%q): %v", ep, err)
			}
			return
		}
		if parsed, err := engine.ParseEndpoint(ep, false); err != nil {
			wantErr("Connect", s.Connect(ep))
		} else if loopback(parsed.Host) {
			if err := s.Connect(ep); err != nil {
				t.Fatalf("Connect(%q): %v, but the parser accepts it", ep, err)
			}
		}
		if parsed, err := engine.ParseEndpoint(ep, true); err != nil {
			wantErr("Bind", s.Bind(ep))
		} else if parsed.Transport == "tcp" && loopback(parsed.Host) && parsed.Port == 0 {
			if err := s.Bind(ep); err != nil {
				t.Fatalf("Bind(%q): %v, but the parser accepts it", ep, err)
			}
			if _, err := engine.ParseEndpoint(s.Addr(), false); err != nil {
				t.Fatalf("Bind(%q): Addr %q cannot be connected to: %v", ep, s.Addr(), err)
			}
		}
	})
}

// TestLinger checks what closing does to connections under each linger
// (sockets.md §1, ZMQ_LINGER): with the default linger (-1, wait without
// limit) a close with nothing queued still closes the connection at once,
// queued messages are flushed, and a positive linger bounds the wait for a
// peer that does not read. The peers that must see the close are raw TCP
// connections, so that a connection we fail to close is closed by the test
// and cannot hang the Context.Close of the cleanup.
func TestLinger(t *testing.T) {
	runOnBackends(t, []backendCase{
		{"default_socket_close", func(t *testing.T, c *azmq.Context) { testDefaultLinger(t, c, false) }},
		{"default_context_close", func(t *testing.T, c *azmq.Context) { testDefaultLinger(t, c, true) }},
		{"infinite_linger_flushes", testLingerFlushes},
		{"linger_bounds_close", testLingerBounds},
	})
}

// rawPush connects to a PULL at addr as a hand-written ZMTP PUSH and sends
// one message, which the PULL receives: the handshake is then complete.
func rawPush(t *testing.T, pull *azmq.Socket, addr string) net.Conn {
	t.Helper()
	raw, err := net.DialTimeout("tcp", hostPort(t, addr), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	raw.SetWriteDeadline(time.Now().Add(testTimeout))
	if _, err := raw.Write(cat(nullGreeting, ready("PUSH"), []byte{0x00, 0x03, 'r', 'a', 'w'})); err != nil {
		t.Fatal(err)
	}
	recvWant(t, pull, "raw")
	return raw
}

func testDefaultLinger(t *testing.T, c *azmq.Context, wholeContext bool) {
	pull, err := c.NewSocket(azmq.Pull) // default linger: -1
	if err != nil {
		t.Fatal(err)
	}
	defer pull.Close()
	raw := rawPush(t, pull, bindLocal(t, pull))
	closed := make(chan struct{})
	go func() {
		if wholeContext {
			c.Close()
		} else {
			pull.Close()
		}
		close(closed)
	}()
	raw.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 4096)
	for {
		_, err := raw.Read(buf)
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("with the default linger and nothing to send, the connection is still open 3 s after Close")
			raw.Close() // let the engine end it, so that the test does not hang
		}
		break
	}
	select {
	case <-closed:
	case <-time.After(testTimeout):
		t.Fatal("Close did not return")
	}
}

// testLingerFlushes: a connected PUSH closed with linger -1 right after
// sending still delivers every message, to a PULL in another context that
// reads only afterwards.
func testLingerFlushes(t *testing.T, c *azmq.Context) {
	other := newContext(t, c.Backend())
	pull := newSocket(t, other, azmq.Pull)
	push, err := c.NewSocket(azmq.Push, azmq.WithLinger(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer push.Close()
	mustConnect(t, push, bindLocal(t, pull))
	// Linger applies to connections: what is queued while none exists is
	// dropped at Close (Dialer.Close), unlike libzmq, so connect first.
	mustSend(t, push, "hello")
	recvWant(t, pull, "hello")
	const n = 200
	payload := make([]byte, 1000)
	for i := range n {
		if err := push.Send(timeoutCtx(t, testTimeout), []byte(strconv.Itoa(i)), payload); err != nil {
			t.Fatal(err)
		}
	}
	if err := push.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		m := mustRecv(t, pull)
		if string(m[0]) != strconv.Itoa(i) {
			t.Fatalf("message %d: got %s", i, show(m))
		}
	}
	closeWithin(t, "PULL's context", other.Close) // then ours can close too
}

// testLingerBounds: a PUSH whose peer never reads, closed with linger
// 100 ms and messages queued, lets its context close after about that long.
func testLingerBounds(t *testing.T, c *azmq.Context) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	push := newSocket(t, c, azmq.Push, azmq.WithLinger(100*time.Millisecond), azmq.WithSendHWM(10))
	mustConnect(t, push, "tcp://"+l.Addr().String())
	l.(*net.TCPListener).SetDeadline(time.Now().Add(testTimeout))
	raw, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetWriteDeadline(time.Now().Add(testTimeout))
	if _, err := raw.Write(cat(nullGreeting, ready("PULL"))); err != nil {
		t.Fatal(err)
	}
	// The raw PULL never reads: fill our queue and the kernel buffers.
	payload := make([]byte, 64<<10)
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		err := push.Send(ctx, payload)
		cancel()
		if err != nil {
			break
		}
		if i == 10000 {
			t.Fatal("Send never blocked")
		}
	}
	start := time.Now()
	closeWithin(t, "context", c.Close)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Context.Close with a 100 ms linger took %v", d)
	}
}

// TestCloseRacesContextClose: a socket closed in one goroutine while its
// context closes in another. Context.Close used to see the socket as closed
// already and stop the engine while the socket was still closing its
// listener, whose Close then waited forever for the stopped loop (a
// goroutine left behind, caught by assertNoLeaks).
func TestCloseRacesContextClose(t *testing.T) {
	for _, b := range backends {
		t.Run(b.String(), func(t *testing.T) {
			for range 100 {
				c := azmq.NewContext(azmq.WithBackend(b))
				s, err := c.NewSocket(azmq.Pull, azmq.WithLinger(0))
				if err != nil {
					t.Fatal(err)
				}
				// Several listeners keep the socket's Close busy long enough
				// for the context's Close to overtake it.
				for range 8 {
					if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
						t.Fatal(err)
					}
				}
				closed := make(chan struct{})
				go func() {
					s.Close()
					close(closed)
				}()
				closeWithin(t, "context", c.Close)
				select {
				case <-closed:
				case <-time.After(testTimeout):
					t.Fatal("the socket's Close never returned")
				}
			}
		})
	}
	assertNoLeaks(t)
}
