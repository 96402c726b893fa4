package engine

import (
	"errors"
	"os"
	"time"
)

// A std connection's read token says who reads it. Its reader goroutine
// does, until an application goroutine waiting in a receive asks to
// (Pump finds the token taken and sets want): at its next dry read the
// reader hands the token over and sleeps. The receive then reads the
// socket itself, so the kernel wakes the goroutine that wants the message,
// and a round trip loses the hand-off from reader to receiver, which on a
// 2-vCPU VM often woke a second OS thread too: 16 B REQ/REP over tcp went
// from 35-43 to 20-25 us one way (libzmq 44-54 in the same A/B runs).
const (
	tokReader int32 = iota // the reader goroutine reads
	tokFree                // nobody: the application is between receives
	tokApp                 // an application goroutine reads, in Pump
)

// The reader leaves a connection it handed over unread while the
// application is between receives for a lease, then takes the reading back
// if no receive began in it: the delay, when the application stops
// receiving, for what needs no receive (a heartbeat, a disconnect, messages
// to queue); a receive that waits for its queue instead of reading (the
// socket has other pipes) gives the reading back at once (Interrupt). The
// lease starts at tokenLease and doubles, up to tokenLeaseMax, while
// receives go on, because each lease that runs out wakes the reader: at 1
// MiB one way over tcp a fixed 2 ms lease measured 145-216 us (median 185)
// and a fixed 100 ms one 123-181 (median 155) in the same A/B runs.
var (
	tokenLease    = 2 * time.Millisecond
	tokenLeaseMax = 32 * time.Millisecond // vars so that a test can stretch them
)

// errHandedOver is readSome's report that the reader handed the token over.
var errHandedOver = errors.New("azmq: reading handed to the application")

// release is the reader's choice at a dry read: hand the reading over when
// the application asked for it.
func (c *stdConn) release() bool {
	if !c.want.Load() || !c.tok.CompareAndSwap(tokReader, tokFree) {
		return false
	}
	c.s.Pipe().In.Nudge() // a receive parked before the token was free
	return true
}

// awaitToken parks the reader while the application has the reading:
// until a Pump hands the token back (its read failed, or it was
// interrupted), the socket gives the reading back (Interrupt), a whole
// lease passes with no Pump begun (see tokenLease), or the connection is
// closing. A Pump under way then is asked to wake the reader when it ends.
// stop and err are readLoop's, for the connection's end.
func (c *stdConn) awaitToken() (stop bool, err error) {
	if c.lease == nil {
		c.lease = time.NewTimer(tokenLease)
	} else {
		c.lease.Reset(tokenLease)
	}
	lease, seen, term := c.lease.C, c.pumps.Load(), tokenLease
	closing := c.closing
	for !c.takeToken() {
		if lease == nil {
			// Set before each look, since a Pump ending clears it.
			c.rwait.Store(true)
			if c.takeToken() {
				break
			}
		}
		select {
		case <-c.reclaim.C():
			continue
		case <-lease:
			if n := c.pumps.Load(); n != seen {
				seen = n // still receiving: leave it the reading
				term = min(2*term, tokenLeaseMax)
				c.lease.Reset(term)
				continue
			}
		case <-closing:
			closing = nil // the reader ends the connection: no more leases
		}
		lease = nil
		c.want.Store(false) // not receiving: read for it until it asks again
	}
	c.lease.Stop()
	c.rwait.Store(false)
	if err := c.derr; err != nil {
		return false, err
	}
	c.mu.Lock()
	held := c.s.Held() // a Pump filled the inbound queue
	c.mu.Unlock()
	return c.waitRoom(held, nil)
}

// takeToken reports whether the reader holds the token: handed back by a
// Pump, or taken while free. Free, it is the reader's only once the
// application stopped wanting it or asked it back.
func (c *stdConn) takeToken() bool {
	switch c.tok.Load() {
	case tokReader:
		return true
	case tokFree:
		return !c.want.Load() && c.tok.CompareAndSwap(tokFree, tokReader)
	}
	return false
}

// Pump reads the connection on the calling goroutine when the read token
// is free (see ring.Pumper).
func (c *stdConn) Pump() bool {
	if !c.tok.CompareAndSwap(tokFree, tokApp) {
		c.want.Store(true)
		return false
	}
	c.pumps.Add(1)
	c.mu.Lock()
	held := c.s.Held()
	c.mu.Unlock()
	var err error
	switch {
	case c.s.Pipe().In.Len() > 0:
		// The reader queued a message after the caller last looked and
		// then handed the token over: reading now would park with that
		// message waiting.
	case held:
		// The last Pump decoded more than the queue held; it has room now.
		_, err = c.resume()
	default:
		var n int
		n, err = c.readDirect()
		if n > 0 {
			if _, aerr := c.advance(n); aerr != nil {
				err = aerr
			}
		}
	}
	switch {
	case err == nil:
		c.tok.Store(tokFree)
		if c.rwait.Swap(false) {
			c.reclaim.Wake()
		}
	case errors.Is(err, os.ErrDeadlineExceeded):
		// Interrupted: the socket has another pipe to wait on, or is
		// closing; the reader reads for it again.
		c.nc.SetReadDeadline(time.Time{})
		c.want.Store(false)
		c.tok.Store(tokReader)
		c.reclaim.Wake()
	default:
		// The connection ends; the reader ends it.
		c.derr = err
		c.tok.Store(tokReader)
		c.reclaim.Wake()
	}
	return true
}

// Interrupt ends a Pump under way, or, between Pumps, gives the reading
// back to the reader at once instead of at the end of its lease: the
// socket is about to wait without pumping (or its receive's ctx ended),
// and a message must not sit unread for a lease (up to 32 ms) meanwhile.
// Either way a Pump that begins meanwhile cannot miss it: the deadline
// fails its read at once, and a token taken back makes it decline. A
// deadline set after the Pump ended fails the next read once, which the
// reader ignores after the handshake.
func (c *stdConn) Interrupt() {
	for {
		switch c.tok.Load() {
		case tokApp:
			c.nc.SetReadDeadline(time.Unix(1, 0))
			return
		case tokFree:
			c.want.Store(false)
			if c.tok.CompareAndSwap(tokFree, tokReader) {
				c.reclaim.Wake()
				return
			}
		default:
			return
		}
	}
}
