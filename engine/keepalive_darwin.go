package engine

import "golang.org/x/sys/unix"

// keepAliveTimes applies ka's idle time (darwin's TCP_KEEPALIVE), probe
// interval and probe count.
func keepAliveTimes(fd int, ka KeepAlive) {
	if ka.Idle > 0 {
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPALIVE, keepAliveSecs(ka.Idle))
	}
	if ka.Interval > 0 {
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, keepAliveSecs(ka.Interval))
	}
	if ka.Count > 0 {
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, ka.Count)
	}
}
