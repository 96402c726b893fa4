//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package engine

import (
	"time"

	"golang.org/x/sys/unix"
)

// The loop backend's part of heartbeats, connect timeouts and keep-alives,
// kept apart from the loop so that the loop's file stays about polling.

// heartbeat runs the session's heartbeat clock and keeps one loop timer on
// its next deadline; on the loop goroutine.
func (c *epConn) heartbeat() error {
	next, err := c.s.Tick(time.Now())
	if err != nil {
		return err
	}
	if c.hbTimer != nil {
		if c.hbTimer.when.Equal(next) {
			return nil
		}
		c.hbTimer.dead = true
		c.hbTimer = nil
	}
	if !next.IsZero() {
		c.hbTimer = c.l.addTimer(time.Until(next), c.heartbeatDue)
	}
	return nil
}

// heartbeatDue is the heartbeat timer firing: a PING to write or a peer to
// drop.
func (c *epConn) heartbeatDue() {
	c.hbTimer = nil
	if c.closed {
		return
	}
	if err := c.heartbeat(); err != nil {
		c.end(err)
		return
	}
	c.service()
}

// timedOut abandons a connect still in progress after ConnectTimeout.
func (d *epDial) timedOut() {
	d.b.l.remove(d.fd)
	unix.Close(d.fd)
	d.failed(ErrConnectTimeout)
}

// endFlushing ends a connection after a best-effort write of what its
// handshake still has queued (our READY), so that a peer we refuse learns
// our Socket-Type and can stop reconnecting, as it would with libzmq, rather
// than seeing a bare hang-up.
func (c *epConn) endFlushing(err error) {
	if !c.s.Ready() && c.canWrite {
		c.flush()
	}
	c.end(err)
}
