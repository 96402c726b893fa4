package azmq

import (
	"context"
	"log/slog"
)

// Logging is off unless the context was made WithLogger. Only lifecycle
// events are logged (a socket opened, bound, connected, unbound,
// disconnected, closed, and a Bind or Connect that failed), never anything
// per message, so a logger costs nothing on the data path. Every record
// carries the socket's label ("PUSH#3", the same as its pprof label) and,
// where there is one, the endpoint.

// Attribute keys of azmq's log records.
const (
	LogKeySocket   = "socket"   // the socket's label, such as "PUSH#3"
	LogKeyEndpoint = "endpoint" // the endpoint bound or connected, resolved
)

// logEvent writes one record about s if the context has a logger enabled
// at level; the attributes are built only then.
func (s *Socket) logEvent(level slog.Level, msg, endpoint string, err error) {
	l := s.ctx.log
	if l == nil || !l.Enabled(context.Background(), level) {
		return
	}
	attrs := make([]slog.Attr, 0, 3)
	attrs = append(attrs, slog.String(LogKeySocket, s.eo.Label))
	if endpoint != "" {
		attrs = append(attrs, slog.String(LogKeyEndpoint, endpoint))
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
