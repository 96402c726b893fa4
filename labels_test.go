package azmq_test

import (
	"bytes"
	"runtime/pprof"
	"strings"
	"testing"

	"github.com/azmq/azmq"
)

// TestProfileLabels checks that the engine's goroutines carry the labels
// pprof/ documents, so a profile can be cut by socket and by loop.
func TestProfileLabels(t *testing.T) {
	for _, b := range backends {
		c := newContext(t, b)
		pull, push := newSocket(t, c, azmq.Pull), newSocket(t, c, azmq.Push)
		link(t, "tcp", pull, push)
		mustSend(t, push, "x")
		mustRecv(t, pull)
		var buf bytes.Buffer
		pprof.Lookup("goroutine").WriteTo(&buf, 1)
		want := `"azmq.socket":"PU`
		if b == azmq.BackendEpoll {
			want = `"azmq.loop":"0"`
		}
		if !strings.Contains(buf.String(), want) {
			t.Errorf("%v: no goroutine labelled %s", b, want)
		}
	}
}
