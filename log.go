package azmq

import (
	"context"
	"log/slog"
)

// Logging is off unless the context was made WithLogger. Only lifecycle
// events are logged (a socket opened, bound, connected, unbound,
// disconnected, closed, and a Bind or Connect that failed) and the life of
// each tcp or ipc connection (accepted or connected, handshake done or
// failed, lost), never anything per message, so a logger costs nothing on
// the data path. Every record carries the socket's label ("PUSH#3", the
// same as its pprof label) and, where there is one, the endpoint and the
// peer's address.

// Attribute keys of azmq's log records.
const (
	LogKeySocket   = "socket"   // the socket's label, such as "PUSH#3"
	LogKeyEndpoint = "endpoint" // the endpoint bound or connected, resolved
	LogKeyPeer     = "peer"     // a connection's remote address: "ip:port" or an ipc path
)

// logEvent writes one record about s if the context has a logger enabled
// at level; the attributes are built only then.
func (s *Socket) logEvent(level slog.Level, msg, endpoint string, err error) {
	s.logPeer(level, msg, endpoint, "", err)
}

// logPeer is logEvent with the peer's address, if not "".
func (s *Socket) logPeer(level slog.Level, msg, endpoint, peer string, err error) {
	l := s.ctx.log
	if l == nil || !l.Enabled(context.Background(), level) {
		return
	}
	attrs := make([]slog.Attr, 0, 4)
	attrs = append(attrs, slog.String(LogKeySocket, s.eo.Label))
	if endpoint != "" {
		attrs = append(attrs, slog.String(LogKeyEndpoint, endpoint))
	}
	if peer != "" {
		attrs = append(attrs, slog.String(LogKeyPeer, peer))
	}
	if err != nil {
		attrs = append(attrs, slog.Any("err", err))
	}
	l.LogAttrs(context.Background(), level, msg, attrs...)
}

// logResult logs a Bind, Connect, Unbind or Disconnect: a success at Debug
// level, a failure at Warn level with its error.
func (s *Socket) logResult(op, endpoint string, err error) {
	if err != nil {
		s.logEvent(slog.LevelWarn, op+" failed", endpoint, err)
		return
	}
	s.logEvent(slog.LevelDebug, op, endpoint, nil)
}

// eventSink returns the engine's Events callback for s: the monitor fan-out
// alone, or, when the context has a logger, one that logs the connection
// events first. It runs on the engine's goroutines, once per connection
// event, never per message.
func (s *Socket) eventSink() func(Event) {
	if s.ctx.log == nil {
		return s.mons.emit
	}
	return func(ev Event) {
		s.logConnEvent(ev)
		s.mons.emit(ev)
	}
}

// logConnEvent logs one connection event: a new connection and its
// handshake at Debug level, a lost connection at Info, a failed handshake
// or accept at Warn. Listener events are already logged by Bind and
// Unbind, and retries would repeat every reconnect interval.
func (s *Socket) logConnEvent(ev Event) {
	var level slog.Level
	var msg string
	switch ev.Kind {
	case EventAccepted:
		level, msg = slog.LevelDebug, "accepted"
	case EventConnected:
		level, msg = slog.LevelDebug, "connected"
	case EventHandshakeSucceeded:
		level, msg = slog.LevelDebug, "handshake succeeded"
	case EventDisconnected:
		level, msg = slog.LevelInfo, "disconnected"
	case EventHandshakeFailedNoDetail, EventHandshakeFailedProtocol, EventHandshakeFailedAuth:
		level, msg = slog.LevelWarn, "handshake failed"
	case EventAcceptFailed:
		level, msg = slog.LevelWarn, "accept failed"
	default:
		return
	}
	s.logPeer(level, msg, ev.Endpoint, ev.Peer, ev.Err)
}
