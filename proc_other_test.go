//go:build !linux

package azmq_test

import (
	"os"
	"testing"
)

// raiseFDLimit skips: the tests that open thousands of connections are
// run on Linux.
func raiseFDLimit(t testing.TB, n uint64) {
	t.Helper()
	t.Skipf("needs %d open files; raising the limit is done on Linux only", n)
}

// pause skips: stopping a process with SIGSTOP is done on Linux only.
func pause(t testing.TB, p *os.Process) {
	t.Helper()
	t.Skip("stopping a peer process is done on Linux only")
}
