package engine

// keepAliveTimes does nothing: OpenBSD has no per-socket keep-alive times,
// only the system-wide net.inet.tcp.keep* sysctls.
func keepAliveTimes(int, KeepAlive) {}
