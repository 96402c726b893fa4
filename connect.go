package azmq

import (
	"context"
	"fmt"
)

// Dial connects to endpoint like Connect and waits until that connection
// has completed its handshake, so that a wrong address or an incompatible
// peer shows up as an error now rather than as silence later. If ctx ends
// first, or the socket gives up on the endpoint (a protocol error, a
// WithReconnectStop condition, reconnection disabled), Dial stops
// connecting to it and returns an error that wraps ctx's error, if that was
// the cause, and the last attempt's failure (errors.Is works on both: for
// instance syscall.ECONNREFUSED, ErrConnectTimeout, ErrSocketType).
//
// Once Dial has returned nil the socket behaves as after Connect: it
// reconnects after a loss. An endpoint already connected is waited for but
// never stopped. An inproc endpoint is connected at once, as by Connect.
func (s *Socket) Dial(ctx context.Context, endpoint string) error {
	if _, ok, err := inprocName(endpoint); ok || err != nil {
		if err != nil {
			return err
		}
		return s.Connect(endpoint)
	}
	s.mu.Lock()
	_, existed := s.dialers[endpoint]
	s.mu.Unlock()
	if err := s.Connect(endpoint); err != nil {
		return err
	}
	s.mu.Lock()
	d := s.dialers[endpoint]
	s.mu.Unlock()
	if d == nil {
		return fmt.Errorf("azmq: dial %s: %w", endpoint, ErrClosed)
	}
	err := d.Wait(ctx)
	if err == nil {
		return nil
	}
	if !existed {
		s.mu.Lock()
		if s.dialers[endpoint] == d {
			delete(s.dialers, endpoint)
		}
		s.mu.Unlock()
		d.Close(0)
	}
	return fmt.Errorf("azmq: dial %s: %w", endpoint, err)
}
