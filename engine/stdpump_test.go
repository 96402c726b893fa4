//go:build linux

package engine

import (
	"testing"
	"time"

	"github.com/azmq/azmq/ring"
)

// pumpedPair returns a PUSH dialer's pipe and the PULL listener's pipe of
// one std connection, after a Pump on the listener's pipe has read its
// connection: the reader handed the reading over and waits out its lease.
// next is the number of the next message to send.
func pumpedPair(t *testing.T, e *Engine) (dp, lp *ring.Pipe, next int, closeAll func()) {
	t.Helper()
	k := linkPushPull(t, e)
	closeAll = func() { k.close(0) }
	dp, lp = k.dp, k.lp
	readable := ring.NewSignal()
	lp.In.SetWakers(readable, nil)
	var m ring.Msg
	defer m.Release()
	for pumped := false; !pumped; next++ {
		if next == 100 {
			closeAll()
			t.Fatal("no Pump came to read the connection")
		}
		if err := sendN(dp, next, 1, 5*time.Second); err != nil {
			closeAll()
			t.Fatal(err)
		}
		for !lp.In.Pop(&m) {
			if lp.Pump() {
				pumped = true
				continue
			}
			select {
			case <-readable.C():
			case <-time.After(5 * time.Second):
				closeAll()
				t.Fatalf("message %d did not arrive", next)
			}
		}
		if err := checkPayload(&m, next); err != nil {
			closeAll()
			t.Fatal(err)
		}
	}
	return dp, lp, next, closeAll
}

// stretchLease makes the reader's lease outlast the test, so that only
// what the test does gives the reading back.
func stretchLease(t *testing.T) {
	lease, leaseMax := tokenLease, tokenLeaseMax
	tokenLease, tokenLeaseMax = time.Hour, time.Hour
	t.Cleanup(func() { tokenLease, tokenLeaseMax = lease, leaseMax })
}

func TestPumpGivesReadingBack(t *testing.T) {
	stretchLease(t)
	t.Run("interrupt", func(t *testing.T) {
		// A socket about to wait for its queue instead of pumping: the
		// reader must read the next message for it now, not in an hour.
		onStdEngine(t, func(e *Engine) {
			dp, lp, next, closeAll := pumpedPair(t, e)
			defer closeAll()
			lp.Interrupt()
			if err := sendN(dp, next, 1, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			if err := recvN(lp, next, 1, 5*time.Second); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("queued", func(t *testing.T) {
		// The reader queues a message, then, dry and asked for the
		// reading, hands it over: a Pump that gets it must return for the
		// queued message, not park on a connection with nothing to read.
		onStdEngine(t, func(e *Engine) {
			dp, lp, next, closeAll := pumpedPair(t, e)
			defer closeAll()
			lp.Interrupt() // the reader reads, and is not asked to hand over
			if err := sendN(dp, next, 1, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the first message queued", func() bool { return lp.In.Len() == 1 })
			if lp.Pump() {
				t.Fatal("Pump read the connection while its reader had it")
			}
			// Asked now, the reader hands over at its next dry read: after
			// it has queued the second message.
			if err := sendN(dp, next+1, 1, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			for end := time.Now().Add(time.Second); lp.In.Len() < 2 && time.Now().Before(end); {
				time.Sleep(time.Millisecond)
			}
			for tries := 0; ; tries++ {
				done := make(chan bool, 1)
				go func() { done <- lp.Pump() }()
				select {
				case pumped := <-done:
					if !pumped && tries < 1000 {
						time.Sleep(time.Millisecond) // not handed over yet
						continue
					}
					if !pumped {
						t.Fatal("the reader never handed the reading over")
					}
				case <-time.After(5 * time.Second):
					t.Fatal("Pump parked on the connection with messages queued")
				}
				break
			}
			// Both arrive, read by whoever has the connection now, the
			// way a receive goes on: pop, else pump.
			var m ring.Msg
			defer m.Release()
			for i := next; i < next+2; i++ {
				for !lp.In.Pop(&m) {
					lp.Pump()
				}
				if err := checkPayload(&m, i); err != nil {
					t.Fatal(err)
				}
			}
		})
	})
	t.Run("close", func(t *testing.T) {
		// Closing a connection whose reading the application has ends
		// its reader at once (onStdEngine bounds Engine.Close).
		onStdEngine(t, func(e *Engine) {
			_, _, _, closeAll := pumpedPair(t, e)
			closeAll()
		})
	})
}

// onStdEngine runs f on a fresh std engine, then closes it (closeEngine).
func onStdEngine(t *testing.T, f func(e *Engine)) {
	t.Helper()
	e, err := New(BackendStd)
	if err != nil {
		t.Fatal(err)
	}
	defer closeEngine(t, e)
	f(e)
}
