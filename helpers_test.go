package azmq_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

// backends are the engine backends every socket test runs on.
var backends = []azmq.Backend{azmq.BackendEpoll, azmq.BackendStd}

// assertNoLeaks fails the test if goroutines of the engine are still running
// once every context has been closed. Call it after the parallel subtests
// that made the contexts have finished.
func assertNoLeaks(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		leaked := azmqGoroutines()
		if leaked == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("goroutines leaked:\n%s", leaked)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
func azmqGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "azmq/azmq/engine.") && !strings.Contains(g, "azmqGoroutines") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}
