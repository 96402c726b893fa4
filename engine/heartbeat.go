package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/azmq/azmq/frame"
)

// ErrHeartbeatTimeout is a peer that sent nothing for its heartbeat timeout
// or for the TTL its own PING asked for. Like any lost connection it counts
// as a disconnect, and a dialer reconnects.
var ErrHeartbeatTimeout = errors.New("azmq: peer silent past its heartbeat timeout")

// heartbeat is a session's ZMTP 3.1 heartbeat clock (RFC 37 "Heartbeating",
// zmtp.md §11), as libzmq runs it: a PING every ivl after the handshake,
// whatever other traffic flows; when a PING leaves and no timeout runs, a
// timeout starts that any received frame cancels; a PING from the peer with
// a TTL starts a TTL timer that any later frame cancels.
//
// Timers are cancelled lazily: each remembers the count of received frames
// when it started, and at expiry a changed count means it was cancelled. So
// receiving costs one increment per frame and no clock read; the backend
// reads the clock only when it calls Tick.
type heartbeat struct {
	ivl, timeout time.Duration
	ttl          uint16 // ours, deciseconds, written into every PING

	rx   uint64 // frames received in traffic
	tick bool   // Tick must run: heartbeats start, or the peer sent a TTL

	nextPing     time.Time
	pingDeadline time.Time // zero: no timeout running
	pingMark     uint64
	peerTTL      time.Duration // from the peer's last PING, not yet armed
	ttlDeadline  time.Time     // zero: no TTL timer running
	ttlMark      uint64
}

// SetHeartbeat makes the session send a PING every ivl once its handshake is
// done (ivl ≤ 0: never), carrying ttl (rounded down to deciseconds, at most
// 6553.5 s), and close the connection when nothing at all arrives within
// timeout of a PING (≤ 0: ivl). Call it before the first Advance. A peer's
// own PING TTL is honoured whatever is set here.
func (s *Session) SetHeartbeat(ivl, ttl, timeout time.Duration) {
	if ivl <= 0 {
		s.hb.ivl = 0
		return
	}
	if timeout <= 0 {
		timeout = ivl
	}
	s.hb.ivl, s.hb.timeout = ivl, timeout
	s.hb.ttl = uint16(min(max(ttl/(100*time.Millisecond), 0), 0xffff))
}

// NeedTick reports whether Tick must run now: the handshake has just
// completed with heartbeats on, or the peer's PING asked for a TTL. The
// backend checks it after Advance.
func (s *Session) NeedTick() bool { return s.hb.tick }

// Tick runs the heartbeat clock at now: it queues a PING when one is due
// (the backend then writes control bytes) and reports ErrHeartbeatTimeout
// when the peer has been silent too long, in which case the connection must
// be closed. It returns when to call it next; zero means only after NeedTick.
func (s *Session) Tick(now time.Time) (time.Time, error) {
	h := &s.hb
	h.tick = false
	if s.phase != phaseTraffic {
		return time.Time{}, nil
	}
	if h.peerTTL > 0 {
		h.ttlDeadline = now.Add(h.peerTTL)
		h.peerTTL = 0
	}
	if !h.ttlDeadline.IsZero() && !now.Before(h.ttlDeadline) {
		if h.rx == h.ttlMark {
			return time.Time{}, fmt.Errorf("%w: nothing within the TTL of its PING", ErrHeartbeatTimeout)
		}
		h.ttlDeadline = time.Time{}
	}
	if !h.pingDeadline.IsZero() && !now.Before(h.pingDeadline) {
		if h.rx == h.pingMark {
			return time.Time{}, fmt.Errorf("%w: nothing within %v of our PING", ErrHeartbeatTimeout, h.timeout)
		}
		h.pingDeadline = time.Time{}
	}
	if h.ivl > 0 {
		switch {
		case h.nextPing.IsZero():
			h.nextPing = now.Add(h.ivl) // the first PING one interval after the handshake
		case !now.Before(h.nextPing):
			// libzmq sends no context; the TTL is always there (zmtp.md §11).
			s.sendq.ctl = frame.AppendPing(s.sendq.ctl, h.ttl, nil)
			h.nextPing = now.Add(h.ivl)
			if h.pingDeadline.IsZero() || h.rx != h.pingMark {
				h.pingDeadline, h.pingMark = now.Add(h.timeout), h.rx
			}
		}
	}
	return earliest(h.nextPing, h.pingDeadline, h.ttlDeadline), nil
}

// peerPing notes a PING's TTL (deciseconds): a TTL timer starts at the
// next Tick, and frames after this one cancel it.
func (h *heartbeat) peerPing(ttl uint16) {
	if ttl == 0 {
		return
	}
	h.peerTTL = time.Duration(ttl) * 100 * time.Millisecond
	h.ttlMark = h.rx
	h.tick = true
}

// earliest returns the earliest non-zero time, or zero.
func earliest(ts ...time.Time) time.Time {
	var e time.Time
	for _, t := range ts {
		if !t.IsZero() && (e.IsZero() || t.Before(e)) {
			e = t
		}
	}
	return e
}
