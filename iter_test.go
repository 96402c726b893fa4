package azmq_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

// iterTransports are the transports the iterator tests run on; endpoint
// returns a fresh bind endpoint for each.
var iterTransports = []struct {
	name     string
	endpoint func() string
}{
	{"tcp", func() string { return "tcp://127.0.0.1:*" }},
	{"inproc", func() string { return fmt.Sprintf("inproc://iter-%d", iterSeq.Add(1)) }},
}

var iterSeq atomic.Uint64

// iterPair returns a bound PULL and a PUSH connected to it.
func iterPair(t *testing.T, c *azmq.Context, endpoint string) (pull, push *azmq.Socket) {
	t.Helper()
	pull = newSocket(t, c, azmq.Pull)
	if err := pull.Bind(endpoint); err != nil {
		t.Fatal(err)
	}
	push = newSocket(t, c, azmq.Push)
	mustConnect(t, push, pull.Addr())
	return pull, push
}

// iterCases runs every case on every backend and transport, then checks
// that neither the engine nor a Receiver left a goroutine behind.
func iterCases(t *testing.T, cases map[string]func(t *testing.T, c *azmq.Context, endpoint string)) {
	t.Helper()
	var list []backendCase
	for _, tr := range iterTransports {
		for name, run := range cases {
			list = append(list, backendCase{tr.name + "/" + name, func(t *testing.T, c *azmq.Context) {
				run(t, c, tr.endpoint())
			}})
		}
	}
	runOnBackends(t, list)
	assertNoReceivers(t)
}

// assertNoReceivers fails if a Receiver goroutine is still running.
func assertNoReceivers(t *testing.T) {
	t.Helper()
	ok := eventually(5*time.Second, func() bool {
		buf := make([]byte, 1<<20)
		return !strings.Contains(string(buf[:runtime.Stack(buf, true)]), "azmq.(*Receiver).run")
	})
	if !ok {
		t.Error("a Receiver goroutine outlived its test")
	}
}

// blockedIn waits until some goroutine is in fn, so that a test most
// likely acts on a blocked call and not on one that has yet to start (with
// parallel tests the goroutine may be another test's; the checks hold
// either way).
func blockedIn(t *testing.T, fn string) {
	t.Helper()
	ok := eventually(testTimeout, func() bool {
		buf := make([]byte, 1<<20)
		return strings.Contains(string(buf[:runtime.Stack(buf, true)]), fn)
	})
	if !ok {
		t.Fatalf("no goroutine blocked in %s", fn)
	}
}

func TestMessages(t *testing.T) {
	iterCases(t, map[string]func(t *testing.T, c *azmq.Context, endpoint string){
		"range and break early": func(t *testing.T, c *azmq.Context, endpoint string) {
			pull, push := iterPair(t, c, endpoint)
			for i := range 5 {
				mustSend(t, push, fmt.Sprint(i), "x")
			}
			ctx := timeoutCtx(t, testTimeout)
			var got []string
			for msg, err := range pull.Messages(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				wantFrames(t, msg[1:], bs("x"))
				got = append(got, string(msg[0]))
				if len(got) == 3 {
					break
				}
			}
			if strings.Join(got, ",") != "0,1,2" {
				t.Fatalf("got %v", got)
			}
			// Breaking out lost nothing: the rest is still there.
			recvWant(t, pull, "3", "x")
			recvWant(t, pull, "4", "x")
		},
		"cancel ends with the context's error": func(t *testing.T, c *azmq.Context, endpoint string) {
			pull, push := iterPair(t, c, endpoint)
			mustSend(t, push, "one")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var msgs, errs int
			var last error
			for msg, err := range pull.Messages(ctx) {
				if err != nil {
					errs++
					last = err
					continue // the sequence must end by itself
				}
				msgs++
				wantFrames(t, msg, bs("one"))
				time.AfterFunc(20*time.Millisecond, cancel) // most likely wakes a blocked Recv
			}
			if msgs != 1 || errs != 1 || !errors.Is(last, context.Canceled) {
				t.Fatalf("%d messages, %d errors, last %v; want 1, 1, context.Canceled", msgs, errs, last)
			}
		},
		"close ends with ErrClosed": func(t *testing.T, c *azmq.Context, endpoint string) {
			pull, _ := iterPair(t, c, endpoint)
			time.AfterFunc(20*time.Millisecond, func() { pull.Close() })
			var errs []error
			for _, err := range pull.Messages(timeoutCtx(t, testTimeout)) {
				errs = append(errs, err)
			}
			if len(errs) != 1 || !errors.Is(errs[0], azmq.ErrClosed) {
				t.Fatalf("yielded %v, want one ErrClosed", errs)
			}
		},
		"REP replies in the loop body": func(t *testing.T, c *azmq.Context, endpoint string) {
			rep := newSocket(t, c, azmq.Rep)
			if err := rep.Bind(endpoint); err != nil {
				t.Fatal(err)
			}
			req := newSocket(t, c, azmq.Req)
			mustConnect(t, req, rep.Addr())
			done := make(chan error, 1)
			go func() {
				ctx := timeoutCtx(t, testTimeout)
				for msg, err := range rep.Messages(ctx) {
					if err != nil {
						done <- err
						return
					}
					if err := rep.Send(ctx, append([]byte("re:"), msg[0]...)); err != nil {
						done <- err
						return
					}
				}
			}()
			for _, q := range []string{"a", "b", "c"} {
				mustSend(t, req, q)
				recvWant(t, req, "re:"+q)
			}
			rep.Close()
			if err := <-done; !errors.Is(err, azmq.ErrClosed) {
				t.Fatalf("loop ended with %v, want ErrClosed", err)
			}
		},
	})
}

func TestMessagesREQOutOfState(t *testing.T) {
	c := newContext(t, azmq.BackendStd)
	req := newSocket(t, c, azmq.Req)
	n := 0
	for _, err := range req.Messages(timeoutCtx(t, testTimeout)) {
		n++
		if !errors.Is(err, azmq.ErrState) {
			t.Fatalf("got %v, want ErrState", err)
		}
	}
	if n != 1 {
		t.Fatalf("%d yields, want 1", n)
	}
}

func TestChan(t *testing.T) {
	iterCases(t, map[string]func(t *testing.T, c *azmq.Context, endpoint string){
		"select over two sockets and a timer": func(t *testing.T, c *azmq.Context, endpoint string) {
			pullA, pushA := iterPair(t, c, endpoint)
			other := "tcp://127.0.0.1:*"
			if strings.HasPrefix(endpoint, "inproc://") {
				other = endpoint + "-b"
			}
			pullB, pushB := iterPair(t, c, other)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a, b := pullA.Chan(ctx), pullB.Chan(ctx)
			mustSend(t, pushA, "a1")
			mustSend(t, pushB, "b1")
			mustSend(t, pushA, "a2")
			var fromA, fromB []string
			deadline := time.After(testTimeout)
			for len(fromA)+len(fromB) < 3 {
				select {
				case m := <-a.C:
					fromA = append(fromA, string(m[0]))
				case m := <-b.C:
					fromB = append(fromB, string(m[0]))
				case <-deadline:
					t.Fatalf("timed out with a=%v b=%v", fromA, fromB)
				}
			}
			if strings.Join(fromA, ",") != "a1,a2" || strings.Join(fromB, ",") != "b1" {
				t.Fatalf("a=%v b=%v", fromA, fromB)
			}
			cancel()
			for _, r := range []*azmq.Receiver{a, b} {
				for m := range r.C {
					t.Errorf("unexpected %s after cancel", show(m))
				}
				if !errors.Is(r.Err(), context.Canceled) {
					t.Errorf("Err() = %v, want context.Canceled", r.Err())
				}
			}
		},
		"cancel while blocked in Recv": func(t *testing.T, c *azmq.Context, endpoint string) {
			pull, _ := iterPair(t, c, endpoint)
			ctx, cancel := context.WithCancel(context.Background())
			r := pull.Chan(ctx)
			if r.Err() != nil {
				t.Fatalf("Err() = %v while open", r.Err())
			}
			blockedIn(t, "(*Socket).Recv")
			cancel()
			if _, ok := <-r.C; ok {
				t.Fatal("C delivered after cancel")
			}
			if !errors.Is(r.Err(), context.Canceled) {
				t.Fatalf("Err() = %v, want context.Canceled", r.Err())
			}
		},
		"cancel while nobody reads C": func(t *testing.T, c *azmq.Context, endpoint string) {
			pull, push := iterPair(t, c, endpoint)
			ctx, cancel := context.WithCancel(context.Background())
			r := pull.Chan(ctx)
			mustSend(t, push, "unread")
			eventually(testTimeout, func() bool { return pull.Stats().MsgsIn > 0 })
			cancel()
			select {
			case <-r.Done():
			case <-time.After(testTimeout):
				t.Fatal("Receiver still running after cancel")
			}
			if !errors.Is(r.Err(), context.Canceled) {
				t.Fatalf("Err() = %v, want context.Canceled", r.Err())
			}
		},
		"close while blocked in Recv": func(t *testing.T, c *azmq.Context, endpoint string) {
			pull, _ := iterPair(t, c, endpoint)
			r := pull.Chan(context.Background())
			blockedIn(t, "(*Socket).Recv")
			pull.Close()
			for m := range r.C {
				t.Errorf("unexpected %s", show(m))
			}
			if !errors.Is(r.Err(), azmq.ErrClosed) {
				t.Fatalf("Err() = %v, want ErrClosed", r.Err())
			}
		},
		"close while nobody reads C": func(t *testing.T, c *azmq.Context, endpoint string) {
			pull, push := iterPair(t, c, endpoint)
			r := pull.Chan(context.Background())
			mustSend(t, push, "unread")
			mustSend(t, push, "queued")
			eventually(testTimeout, func() bool { return pull.Stats().MsgsIn > 0 })
			pull.Close()
			select {
			case <-r.Done():
			case <-time.After(testTimeout):
				t.Fatal("Receiver still running after Close")
			}
			if !errors.Is(r.Err(), azmq.ErrClosed) {
				t.Fatalf("Err() = %v, want ErrClosed", r.Err())
			}
		},
	})
}

func TestChanREQREP(t *testing.T) {
	c := newContext(t, azmq.BackendStd)
	for _, typ := range []azmq.Type{azmq.Req, azmq.Rep} {
		r := newSocket(t, c, typ).Chan(context.Background())
		if _, ok := <-r.C; ok {
			t.Fatalf("%v: C open", typ)
		}
		if !errors.Is(r.Err(), azmq.ErrNotSupported) {
			t.Fatalf("%v: Err() = %v, want ErrNotSupported", typ, r.Err())
		}
	}
}
