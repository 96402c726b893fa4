//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package engine

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// TestReadFd: the raw read reports what read(2) does on a non-blocking
// socket: bytes, EAGAIN when dry, 0 and no error at the peer's end, into
// buffers of 16 B and 2 MiB (a raw call and, past rawMax, Syscall, where
// there are raw calls); and writev's bytes arrive whole, a short write of
// 2 MiB counted.
func TestReadFd(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := fds[0], fds[1]
	defer unix.Close(a)
	peerOpen := true
	defer func() {
		if peerOpen {
			unix.Close(b)
		}
	}()
	for _, fd := range fds {
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	}
	var scratch []unix.Iovec
	if n, err := writev(b, [][]byte{[]byte("hel"), nil, []byte("lo")}, &scratch); n != 5 || err != nil {
		t.Fatalf("writev = %d, %v; want 5, nil", n, err)
	}
	const big = 2 << 20
	buf := make([]byte, big)
	steps := []struct {
		name string
		do   func()
		buf  []byte
		want string
		err  error
	}{
		{"empty buffer", nil, buf[:0], "", nil},
		{"bytes", nil, buf[:16], "hello", nil},
		{"dry", nil, buf[:16], "", unix.EAGAIN},
		{"big buffer", func() { writev(b, [][]byte{[]byte("again")}, &scratch) }, buf, "again", nil},
		{"big buffer, dry", nil, buf, "", unix.EAGAIN},
		{"big write", func() {
			n, err := writev(b, [][]byte{make([]byte, big-1), make([]byte, 1)}, &scratch)
			if n <= 0 || n > big || err != nil {
				t.Errorf("writev of 2 MiB = %d, %v; want a count of what the socket took", n, err)
			}
			for {
				if _, err := readFd(a, buf); err != nil {
					break
				}
			}
		}, buf[:16], "", unix.EAGAIN},
		{"peer closed", func() { unix.Close(b); peerOpen = false }, buf, "", nil},
	}
	for _, st := range steps {
		if st.do != nil {
			st.do()
		}
		n, err := readFd(a, st.buf)
		if !errors.Is(err, st.err) || string(st.buf[:n]) != st.want {
			t.Errorf("%s: readFd = %q, %v; want %q, %v", st.name, st.buf[:n], err, st.want, st.err)
		}
	}
}
