package sock

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azmq/azmq/ring"
)

// relay plays a transport that moves every message from src (which it
// consumes) to dst (which it produces into), honouring dst's HWM. It counts
// messages it could not deliver because a queue was closed in lost, and
// returns when src is closed and drained or stop is closed.
func relay(src, dst *ring.Queue, stop <-chan struct{}, lost *atomic.Int64) {
	srcSig, dstSig := ring.NewSignal(), ring.NewSignal()
	src.SetWakers(srcSig, nil)
	dst.SetWakers(nil, dstSig)
	var m ring.Msg
	for {
		if !src.Pop(&m) {
			if src.Closed() {
				for src.Pop(&m) {
					m.Release()
					lost.Add(1)
				}
				return
			}
			select {
			case <-srcSig.C():
				continue
			case <-stop:
				return
			}
		}
		for {
			err := dst.Push(&m)
			if err == nil {
				break
			}
			if errors.Is(err, ring.ErrClosed) {
				m.Release()
				lost.Add(1)
				break
			}
			select {
			case <-dstSig.C():
			case <-stop:
				m.Release()
				return
			}
		}
	}
}

// tally records each message id seen and fails on duplicates.
type tally struct {
	seen     []atomic.Int32
	received atomic.Int64
	lost     atomic.Int64
}

func newTally(n int) *tally { return &tally{seen: make([]atomic.Int32, n)} }

func (ta *tally) see(t *testing.T, id []byte) {
	n, err := strconv.Atoi(string(id))
	if err != nil || n < 0 || n >= len(ta.seen) {
		t.Errorf("bad message %q", id)
		return
	}
	if ta.seen[n].Add(1) != 1 {
		t.Errorf("message %d received twice", n)
	}
	ta.received.Add(1)
}

func (ta *tally) accounted() int64 { return ta.received.Load() + ta.lost.Load() }

// receiveAll runs n goroutines that Recv from s until every one of total
// messages has been received or counted lost.
func receiveAll(t *testing.T, s Socket, n int, total int64, ta *tally, idFrame int, wg *sync.WaitGroup) {
	deadline := time.Now().Add(30 * time.Second)
	for range n {
		wg.Go(func() {
			var m ring.Msg
			defer m.Release()
			for ta.accounted() < total {
				if time.Now().After(deadline) {
					t.Errorf("stress timed out: %d received, %d lost of %d", ta.received.Load(), ta.lost.Load(), total)
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
				err := s.Recv(ctx, &m)
				cancel()
				if errors.Is(err, context.DeadlineExceeded) {
					continue
				}
				if err != nil {
					t.Errorf("Recv: %v", err)
					return
				}
				ta.see(t, m.Frame(idFrame))
			}
		})
	}
}

// TestStressDealerEcho runs concurrent senders and receivers on a DEALER
// whose peers echo everything back over small queues, while a transport
// goroutine keeps attaching and detaching an extra peer.
func TestStressDealerEcho(t *testing.T) {
	checkLeaks(t)
	const senders, receivers, perSender, hwm = 4, 3, 500, 2
	total := int64(senders * perSender)
	s := newSocket(t, Dealer, Options{})
	ta := newTally(int(total))
	stop := make(chan struct{})
	var relays, workers sync.WaitGroup
	addPeer := func() *ring.Pipe {
		p := ring.NewPipe(hwm, hwm)
		relays.Go(func() { relay(p.Out, p.In, stop, &ta.lost) })
		if err := s.Attach(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for range 3 {
		addPeer()
	}
	workers.Go(func() { // churn
		for i := 0; i < 50 && ta.accounted() < total; i++ {
			p := addPeer()
			time.Sleep(100 * time.Microsecond)
			detach(s, p)
		}
	})
	for w := range senders {
		workers.Go(func() {
			for i := range perSender {
				m := mkMsg(strconv.Itoa(w*perSender+i), "payload")
				if err := s.Send(ctxT(t), m); err != nil {
					t.Errorf("Send: %v", err)
					return
				}
			}
		})
	}
	receiveAll(t, s, receivers, total, ta, 0, &workers)
	workers.Wait()
	close(stop)
	relays.Wait()
	t.Logf("%d received, %d lost with departed peers", ta.received.Load(), ta.lost.Load())
}

// TestStressPushPull joins a PUSH and a PULL by relays over several pipes
// with tiny queues, and checks every message arrives exactly once.
func TestStressPushPull(t *testing.T) {
	checkLeaks(t)
	const senders, receivers, perSender, pipes = 3, 3, 700, 3
	total := int64(senders * perSender)
	push := newSocket(t, Push, Options{})
	pull := newSocket(t, Pull, Options{})
	ta := newTally(int(total))
	stop := make(chan struct{})
	var relays, workers sync.WaitGroup
	for range pipes {
		a, b := ring.NewPipe(1, 0), ring.NewPipe(0, 2)
		relays.Go(func() { relay(a.Out, b.In, stop, &ta.lost) })
		if err := push.Attach(a); err != nil {
			t.Fatal(err)
		}
		if err := pull.Attach(b); err != nil {
			t.Fatal(err)
		}
	}
	for w := range senders {
		workers.Go(func() {
			for i := range perSender {
				if err := push.Send(ctxT(t), mkMsg(strconv.Itoa(w*perSender+i))); err != nil {
					t.Errorf("Send: %v", err)
					return
				}
			}
		})
	}
	receiveAll(t, pull, receivers, total, ta, 0, &workers)
	workers.Wait()
	close(stop)
	relays.Wait()
	if ta.lost.Load() != 0 {
		t.Fatalf("%d messages lost", ta.lost.Load())
	}
}

// TestStressRouterEcho runs concurrent mandatory ROUTER senders and
// receivers over echoing peers.
func TestStressRouterEcho(t *testing.T) {
	checkLeaks(t)
	const senders, receivers, perSender, peers = 3, 3, 500, 3
	total := int64(senders * perSender)
	s := newSocket(t, Router, Options{RouterMandatory: true})
	ta := newTally(int(total))
	stop := make(chan struct{})
	var relays, workers sync.WaitGroup
	for i := range peers {
		p := ring.NewPipe(1, 1)
		p.RoutingID = []byte(fmt.Sprint("peer", i))
		relays.Go(func() { relay(p.Out, p.In, stop, &ta.lost) })
		if err := s.Attach(p); err != nil {
			t.Fatal(err)
		}
	}
	for w := range senders {
		workers.Go(func() {
			for i := range perSender {
				id := w*perSender + i
				m := mkMsg(fmt.Sprint("peer", id%peers), strconv.Itoa(id))
				if err := s.Send(ctxT(t), m); err != nil {
					t.Errorf("Send: %v", err)
					return
				}
			}
		})
	}
	receiveAll(t, s, receivers, total, ta, 1, &workers)
	workers.Wait()
	close(stop)
	relays.Wait()
	if ta.lost.Load() != 0 {
		t.Fatalf("%d messages lost", ta.lost.Load())
	}
}

// TestStressReqRep runs several REQ sockets against one REP served by one
// goroutine, joined by relays, so that every request is answered.
func TestStressReqRep(t *testing.T) {
	checkLeaks(t)
	const clients, rounds = 4, 200
	rep := newSocket(t, Rep, Options{})
	stop := make(chan struct{})
	var lost atomic.Int64
	var relays, workers sync.WaitGroup
	reqs := make([]Socket, clients)
	for i := range reqs {
		reqs[i] = newSocket(t, Req, Options{})
		a, b := ring.NewPipe(1, 1), ring.NewPipe(1, 1)
		relays.Go(func() { relay(a.Out, b.In, stop, &lost) })
		relays.Go(func() { relay(b.Out, a.In, stop, &lost) })
		if err := reqs[i].Attach(a); err != nil {
			t.Fatal(err)
		}
		if err := rep.Attach(b); err != nil {
			t.Fatal(err)
		}
	}
	workers.Go(func() {
		var m ring.Msg
		for range clients * rounds {
			if err := rep.Recv(ctxT(t), &m); err != nil {
				t.Errorf("REP Recv: %v", err)
				return
			}
			m.Append([]byte("re"))
			if err := rep.Send(ctxT(t), &m); err != nil {
				t.Errorf("REP Send: %v", err)
				return
			}
		}
	})
	for c, req := range reqs {
		workers.Go(func() {
			var m ring.Msg
			defer m.Release()
			for i := range rounds {
				body := fmt.Sprint(c, "/", i)
				if err := req.Send(ctxT(t), mkMsg(body)); err != nil {
					t.Errorf("REQ Send: %v", err)
					return
				}
				if err := req.Recv(ctxT(t), &m); err != nil {
					t.Errorf("REQ Recv: %v", err)
					return
				}
				if got := show(strs(&m)); got != body+"|re" {
					t.Errorf("client %d got %q, want %q", c, got, body+"|re")
					return
				}
			}
		})
	}
	workers.Wait()
	close(stop)
	relays.Wait()
}
