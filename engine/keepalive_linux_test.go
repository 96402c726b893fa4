package engine

import (
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// withFD runs f on the fd of a connection of either backend.
func withFD(t *testing.T, c conn, f func(fd int)) {
	t.Helper()
	switch c := c.(type) {
	case *epConn:
		done := make(chan struct{})
		c.l.post(func() { f(c.fd); close(done) })
		<-done
	case *stdConn:
		raw, err := c.nc.(syscall.Conn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		raw.Control(func(fd uintptr) { f(int(fd)) })
	default:
		t.Fatalf("unknown conn %T", c)
	}
}

func keepAliveOf(t *testing.T, c conn) [4]int {
	var got [4]int
	withFD(t, c, func(fd int) {
		for i, o := range [][2]int{{unix.SOL_SOCKET, unix.SO_KEEPALIVE}, {unix.IPPROTO_TCP, unix.TCP_KEEPIDLE},
			{unix.IPPROTO_TCP, unix.TCP_KEEPINTVL}, {unix.IPPROTO_TCP, unix.TCP_KEEPCNT}} {
			v, err := unix.GetsockoptInt(fd, o[0], o[1])
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		}
	})
	return got
}

// TestBackendKeepAlive reads the keep-alive settings back from both ends'
// fds: set as asked, and left as the OS has them (off) by default.
func TestBackendKeepAlive(t *testing.T) {
	forBackends(t, func(t *testing.T, e *Engine) {
		lo, do := testOptions("PULL"), testOptions("PUSH")
		ka := KeepAlive{Set: true, On: true, Idle: 7 * time.Second, Interval: 3 * time.Second, Count: 4}
		lo.KeepAlive, do.KeepAlive = ka, ka
		l, err := e.Listen("tcp://127.0.0.1:0", lo, newFakeHost())
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close(0)
		d, err := e.Dial(l.Addr(), do, newFakeHost())
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close(0)
		var lc, dc conn
		waitFor(t, "both ends connected", func() bool {
			l.mu.Lock()
			for c := range l.conns {
				lc = c
			}
			l.mu.Unlock()
			d.mu.Lock()
			dc = d.cur
			d.mu.Unlock()
			return lc != nil && dc != nil
		})
		want := [4]int{1, 7, 3, 4}
		for _, c := range []conn{lc, dc} {
			if got := keepAliveOf(t, c); got != want {
				t.Fatalf("%T: keepalive, idle, interval, count = %v, want %v", c, got, want)
			}
		}

		// Unset: keep-alives stay off, as the OS makes them (the Go
		// runtime would turn them on for net.Conn by default).
		d2, err := e.Dial(l.Addr(), testOptions("PUSH"), newFakeHost())
		if err != nil {
			t.Fatal(err)
		}
		defer d2.Close(0)
		waitFor(t, "second connection", func() bool {
			d2.mu.Lock()
			defer d2.mu.Unlock()
			return d2.cur != nil
		})
		if got := keepAliveOf(t, d2.cur); got[0] != 0 {
			t.Fatalf("keep-alive on by default: %v", got)
		}
	})
}
