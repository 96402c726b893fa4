// Package engine runs ZMTP connections on real file descriptors and turns each
// into a ring.Pipe for the socket above.
//
// The connection state machine (Session: greeting, mechanism handshake,
// traffic) takes bytes in and produces bytes out and never touches an fd, so
// the two backends share it: the loop backend drives non-blocking fds from a
// few loop goroutines that park in the Go runtime poller (over epoll on Linux,
// kqueue on macOS and the BSDs: only the poller differs), and the std backend
// uses the runtime poller per connection through net.Conn (the default
// everywhere but Linux, selectable there).
//
// Listeners and dialers own accept, connect and reconnect; a dialer keeps its
// Pipe across reconnects so that messages queued while disconnected are sent
// once the peer is back, as libzmq does.
package engine
