//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package engine

import "golang.org/x/sys/unix"

// setKeepAlive applies ka to a connected fd, as libzmq's
// tune_tcp_keepalives: the tunables only when keep-alives are turned on.
// Errors are ignored, as libzmq ignores them: on a unix socket these
// options mean nothing.
func setKeepAlive(fd int, ka KeepAlive) {
	if !ka.Set {
		return
	}
	on := 0
	if ka.On {
		on = 1
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, on)
	if !ka.On {
		return
	}
	keepAliveTimes(fd, ka)
}
