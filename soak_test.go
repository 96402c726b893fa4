package azmq_test

// The soak test (issue #7 §4), not part of the default run:
//
//	AZMQ_SOAK=60s go test -run TestSoak -v .
//
// First 10 000 DEALERs in a child process (one process cannot hold both
// ends of 10 000 connections within the usual 20 000 open files) connect
// to one ROUTER at once, and each gets its message echoed. Then, for the
// rest of the time, workers churn: each round makes a context on one
// backend, PUSH/PULL, DEALER/ROUTER and PUB/SUB over tcp, ipc or inproc,
// exchanges numbered messages and closes everything. At the end nothing
// may have leaked: goroutines, open files, heap; and every message is
// accounted for: no loss and no duplicate on PUSH/PULL and DEALER/ROUTER,
// received + counted drops = sent on PUB/SUB.

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

// openFiles counts this process's open file descriptors.
func openFiles(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

func TestSoak(t *testing.T) {
	spec := os.Getenv("AZMQ_SOAK")
	if spec == "" {
		t.Skip("set AZMQ_SOAK=60s to run the soak test")
	}
	total, err := time.ParseDuration(spec)
	if err != nil {
		t.Fatalf("AZMQ_SOAK=%q: %v", spec, err)
	}
	const conns = 10_000
	raiseFDLimit(t, conns+2048)
	goroutines, files, heap := runtime.NumGoroutine(), openFiles(t), inUse()
	start := time.Now()

	soakManyConnections(t, conns)
	var st soakStats
	deadline := start.Add(total)
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for round := 0; time.Now().Before(deadline) && !t.Failed(); round++ {
				soakRound(t, w, round, &st)
			}
		})
	}
	wg.Wait()

	leakedG := 0
	eventually(testTimeout, func() bool { leakedG = runtime.NumGoroutine() - goroutines; return leakedG <= 0 })
	leakedF := 0
	eventually(testTimeout, func() bool { leakedF = openFiles(t) - files; return leakedF <= 0 })
	grown := inUse() - heap
	t.Logf("soak: %v, %d concurrent connections to one ROUTER, then %d rounds (%d sockets, %d connections made), %d messages sent: %d received, %d counted PUB drops; peak RSS %s; leaks: %d goroutines, %d files, heap %+d KiB",
		time.Since(start).Round(time.Second), conns, st.rounds.Load(), st.sockets.Load(), st.conns.Load(),
		st.sent.Load(), st.received.Load(), st.dropped.Load(), mib(procStatus("VmHWM")), max(leakedG, 0), max(leakedF, 0), grown>>10)
	if leakedG > 0 {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines leaked:\n%s", leakedG, buf[:runtime.Stack(buf, true)])
	}
	if leakedF > 0 {
		t.Errorf("%d file descriptors leaked", leakedF)
	}
	if grown > 32<<20 {
		t.Errorf("heap grew by %s over the soak", mib(grown))
	}
	if st.sent.Load() != st.received.Load()+st.dropped.Load() {
		t.Errorf("%d sent != %d received + %d dropped", st.sent.Load(), st.received.Load(), st.dropped.Load())
	}
}

// soakStats are the soak's totals.
type soakStats struct {
	rounds, sockets, conns  atomic.Int64
	sent, received, dropped atomic.Int64
}

// soakManyConnections has a child process connect n DEALERs to one ROUTER
// at once; each message is echoed; all n are attached together.
func soakManyConnections(t *testing.T, n int) {
	c := newContext(t, azmq.BackendDefault)
	router := newSocket(t, c, azmq.Router)
	addr := bindLocal(t, router)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	echoed := make(chan struct{})
	go func() {
		defer close(echoed)
		for {
			m, err := router.Recv(ctx)
			if err != nil || router.Send(ctx, m...) != nil {
				return
			}
		}
	}()
	before := inUse()
	start := time.Now()
	ch := startChild(t, fmt.Sprintf("dealers %s %d", addr, n))
	ch.expect(t, "echoed")
	elapsed := time.Since(start)
	st := router.Stats()
	t.Logf("%d DEALERs connected and echoed in %v; ROUTER has %d peers attached; heap+stacks %s (%d bytes a connection over the start), RSS %s",
		n, elapsed.Round(time.Millisecond), len(st.Pipes), mib(inUse()), (inUse()-before)/int64(n), mib(procStatus("VmRSS")))
	if per := (inUse() - before) / int64(n); per > 64<<10 {
		t.Errorf("a connection costs %d bytes of heap, bound 64 KiB", per)
	}
	if len(st.Pipes) != n {
		t.Errorf("ROUTER has %d peers, want %d", len(st.Pipes), n)
	}
	ch.cmd.Process.Kill()
	ch.cmd.Wait()
	if !eventually(30*time.Second, func() bool { return len(router.Stats().Pipes) == 0 }) {
		t.Errorf("%d peers still attached after the child died", len(router.Stats().Pipes))
	}
	cancel()
	<-echoed
	closeWithin(t, "context", c.Close)
}

// soakDealers is the child side: n DEALERs connect to endpoint, each sends
// its number, and each must get it back.
func soakDealers(t *testing.T, endpoint string, n int) {
	raiseFDLimit(t, uint64(n)+1024)
	c := azmq.NewContext()
	defer c.Close()
	dealers := make([]*azmq.Socket, n)
	for i := range dealers {
		d, err := c.NewSocket(azmq.Dealer, azmq.WithLinger(0))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Connect(endpoint); err != nil {
			t.Fatal(err)
		}
		dealers[i] = d
		if err := d.Send(context.Background(), []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i, d := range dealers {
		m, err := d.Recv(ctx)
		if err != nil || len(m) != 1 || string(m[0]) != strconv.Itoa(i) {
			t.Fatalf("DEALER %d: %v %q", i, err, m)
		}
	}
	fmt.Println("echoed")
	time.Sleep(time.Hour) // hold the connections until killed
}

// soakRound is one churn round: a fresh context, three pairs of sockets,
// numbered messages, everything closed.
func soakRound(t *testing.T, w, round int, st *soakStats) {
	b := backends[(w+round)%len(backends)]
	tr := []string{"tcp", "ipc", "inproc"}[(w+round/2)%3]
	c := azmq.NewContext(azmq.WithBackend(b))
	defer func() {
		closeWithin(t, "context", c.Close)
		st.rounds.Add(1)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sock := func(typ azmq.Type, opts ...azmq.Option) *azmq.Socket {
		s, err := c.NewSocket(typ, append([]azmq.Option{azmq.WithLinger(0)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		st.sockets.Add(1)
		return s
	}
	link := func(bind, conn *azmq.Socket) {
		if err := bind.Bind(endpointFor(t, tr)); err != nil {
			t.Fatal(err)
		}
		if err := conn.Connect(bind.Addr()); err != nil {
			t.Fatal(err)
		}
		st.conns.Add(1)
	}
	fail := func(what string, err error) bool {
		if err != nil {
			t.Errorf("round %d/%d (%v, %s) %s: %v", w, round, b, tr, what, err)
			return true
		}
		return false
	}

	// PUSH/PULL: numbered, nothing lost, nothing repeated, in order.
	pull, push := sock(azmq.Pull, azmq.WithRecvHWM(50)), sock(azmq.Push, azmq.WithSendHWM(50))
	link(pull, push)
	const n = 2000
	go func() {
		for i := range n {
			if push.Send(ctx, seqFrame(uint64(i)), make([]byte, i%300)) != nil {
				return
			}
			st.sent.Add(1)
		}
	}()
	for i := range n {
		m, err := pull.Recv(ctx)
		if fail("PULL", err) {
			return
		}
		if got := binary.BigEndian.Uint64(m[0]); got != uint64(i) || len(m[1]) != i%300 {
			t.Errorf("round %d/%d PULL: message %d, want %d", w, round, got, i)
			return
		}
		st.received.Add(1)
	}

	// DEALER/ROUTER: every request echoed once.
	router, dealer := sock(azmq.Router), sock(azmq.Dealer)
	link(router, dealer)
	for i := range 200 {
		if fail("DEALER send", dealer.Send(ctx, seqFrame(uint64(i)))) {
			return
		}
		st.sent.Add(1)
		m, err := router.Recv(ctx)
		if fail("ROUTER recv", err) {
			return
		}
		st.received.Add(1)
		if fail("ROUTER send", router.Send(ctx, m...)) {
			return
		}
		st.sent.Add(1)
		r, err := dealer.Recv(ctx)
		if fail("DEALER recv", err) {
			return
		}
		if binary.BigEndian.Uint64(r[0]) != uint64(i) {
			t.Errorf("round %d/%d DEALER: echo %x, want %d", w, round, r[0], i)
			return
		}
		st.received.Add(1)
	}

	// PUB/SUB: what is not received is counted as dropped.
	pub, sub := sock(azmq.Pub, azmq.WithSendHWM(20)), sock(azmq.Sub, azmq.WithRecvHWM(20))
	if fail("subscribe", sub.Subscribe(nil)) {
		return
	}
	link(pub, sub)
	for { // the subscription reaches the PUB
		if fail("PUB probe", pub.Send(ctx, []byte("probe"))) {
			return
		}
		pctx, pcancel := context.WithTimeout(ctx, 10*time.Millisecond)
		_, err := sub.Recv(pctx)
		pcancel()
		if err == nil {
			break
		}
	}
	drained := func() int64 {
		var k int64
		for {
			qctx, qcancel := context.WithTimeout(ctx, 200*time.Millisecond)
			m, err := sub.Recv(qctx)
			qcancel()
			if err != nil {
				return k
			}
			if len(m) == 2 {
				k++
			}
		}
	}
	drained()
	before := pub.Stats().HWMDrops
	for i := range 1000 {
		if fail("PUB send", pub.Send(ctx, seqFrame(uint64(i)), []byte("x"))) {
			return
		}
	}
	st.sent.Add(1000)
	st.received.Add(drained())
	st.dropped.Add(int64(pub.Stats().HWMDrops - before))
}
