package engine

import (
	"errors"
	"fmt"
	"math"

	"github.com/azmq/azmq/crypto"
	"github.com/azmq/azmq/frame"
	"github.com/azmq/azmq/ring"
)

var (
	// ErrProtocol is a peer that broke ZMTP: bad greeting, malformed frame,
	// unexpected command. Only that connection is closed.
	ErrProtocol = errors.New("azmq: protocol error")
	// ErrMsgSize is a frame larger than the socket's maximum message size.
	ErrMsgSize = errors.New("azmq: message too large")
	// ErrHandshakeTimeout is a peer that did not finish its handshake in time.
	ErrHandshakeTimeout = errors.New("azmq: handshake timed out")
)

type phase uint8

const (
	phaseGreeting phase = iota
	phaseHandshake
	phaseTraffic
)

// ReadyFunc is called once the handshake has succeeded, with what the peer
// declared and the minor version of its greeting. It returns the Pipe the
// session moves messages through (attached to the socket) or an error that
// closes the connection.
type ReadyFunc func(peer *crypto.Metadata, minor byte) (*ring.Pipe, error)

// Session is one ZMTP connection's state machine, sans I/O: the backend reads
// into ReadBuf and reports the count to Advance, and writes what Output
// returns, reporting progress to Written.
//
// Received frames are decoded in place: a data frame becomes a view into the
// pooled read buffer, and only a frame that straddles the end of a buffer is
// copied (once). A frame too large for a read buffer gets a buffer of its own
// into which the rest of it is read directly.
type Session struct {
	mech       crypto.Mechanism
	maxMsgSize int64
	ready      ReadyFunc
	// the backend's Wakers, installed on the pipe at the handshake: output
	// to write, and room again in the inbound queue
	outWaker, roomWaker ring.Waker

	phase phase
	pipe  *ring.Pipe
	minor byte
	// enc: traffic frames pass through the mechanism's Encode/Decode
	// (CURVE); fixed when the handshake completes
	enc bool
	// fail is a handshake failure that left a last word for the peer (an
	// ERROR): input is ignored, and the connection ends once the output is
	// written
	fail error

	// input side, owned by whoever calls ReadBuf/Advance
	rbuf    *ring.Buffer
	r, w    int
	greet   [frame.GreetingSize]byte
	greetN  int
	big     *ring.Buffer // a frame larger than a read buffer, being filled
	bigN    int
	bigSize int // the frame's declared size; big may hold less so far
	bigFlag byte
	bigOff  int      // where in its page big's first byte lies (see startBig)
	cur     ring.Msg // frames of the message being assembled
	curSize int64
	sub     ring.Msg // a received SUBSCRIBE/CANCEL waiting for room in pipe.In
	held    bool     // cur (or sub, if not empty) is complete but pipe.In was full

	sendq sender
	hb    heartbeat
}

// NewSession returns a session that speaks mech; ready is called when the
// handshake completes. maxMsgSize ≤ 0 means no limit. out and room are the
// backend's Wakers for "the pipe has messages to send" and "the pipe's
// inbound queue has room again".
func NewSession(mech crypto.Mechanism, maxMsgSize int64, ready ReadyFunc, out, room ring.Waker) *Session {
	s := &Session{mech: mech, maxMsgSize: maxMsgSize, ready: ready, outWaker: out, roomWaker: room}
	s.sendq.ctl = frame.AppendGreeting(s.sendq.ctl[:0], mech.Name(), mech.AsServer())
	return s
}

// Pipe returns the pipe once the handshake has completed, else nil.
func (s *Session) Pipe() *ring.Pipe { return s.pipe }

// HasControl reports whether control bytes (greeting, handshake commands,
// PONG) wait to be written: after Advance the backend wakes its writer if so.
func (s *Session) HasControl() bool { return len(s.sendq.ctl) > 0 }

// Failed returns the handshake failure that ends the connection once
// HasOutput is false: the session still has to write the ERROR it owes the
// peer. nil while no such failure happened.
func (s *Session) Failed() error { return s.fail }

// Ready reports whether the handshake has completed.
func (s *Session) Ready() bool { return s.phase == phaseTraffic }

// Held reports whether decoding stopped because the pipe's inbound queue is
// at its high-water mark; the backend stops reading until the queue's
// writable Waker fires and then calls Resume.
func (s *Session) Held() bool { return s.held }

// ReadBuf returns where the next read should land. It is never empty.
func (s *Session) ReadBuf() []byte {
	if s.big != nil {
		return s.big.Bytes()[s.bigN:]
	}
	if s.rbuf == nil {
		s.rbuf = ring.NewBuffer(ring.ReadBufferSize)
		s.r, s.w = 0, 0
	}
	return s.rbuf.Bytes()[s.w:]
}

// Advance takes n bytes just read into ReadBuf and decodes all complete
// frames. An error means the connection must be closed.
func (s *Session) Advance(n int) error {
	if s.big != nil {
		s.hb.rx++ // part of a frame is proof of life too
		s.bigN += n
		if s.bigN < len(s.big.Bytes()) {
			return nil
		}
		if s.bigN < s.bigSize {
			s.growBig()
			return nil
		}
		b := s.big
		s.big = nil
		var err error
		if s.enc {
			err = s.onSealed(b.Bytes(), b, true)
		} else {
			err = s.frameDone(s.bigFlag, ring.OwnedFrame(b, b.Bytes()))
		}
		if err != nil {
			return err
		}
		return s.decode()
	}
	s.w += n
	return s.decode()
}

// Idle releases the read buffer when it holds nothing undecoded, so an idle
// connection keeps no 64 KiB buffer. Call it when a read would block.
func (s *Session) Idle() {
	if s.rbuf != nil && s.r == s.w && s.big == nil {
		s.rbuf.Unref()
		s.rbuf = nil
	}
}

// Resume retries delivering a message held back by a full inbound queue and
// goes on decoding what is buffered.
func (s *Session) Resume() error {
	if !s.held {
		return nil
	}
	if s.sub.Len() > 0 {
		s.push(&s.sub)
	} else if err := s.deliver(); err != nil {
		return err
	}
	if s.held {
		return nil
	}
	return s.decode()
}

// Close releases every buffer and message the session holds.
func (s *Session) Close() {
	s.cur.Release()
	s.sub.Release()
	if s.rbuf != nil {
		s.rbuf.Unref()
		s.rbuf = nil
	}
	if s.big != nil {
		s.big.Unref()
		s.big = nil
	}
	s.sendq.reset()
}

func (s *Session) decode() error {
	if s.fail != nil {
		// Only the ERROR is left to write; what the peer sends is moot.
		s.r = s.w
		s.releaseIfEmpty()
		return nil
	}
	for !s.held && s.rbuf != nil && s.fail == nil {
		if s.phase == phaseGreeting {
			done, err := s.decodeGreeting()
			if err != nil || !done {
				return err
			}
			continue
		}
		buf := s.rbuf.Bytes()[s.r:s.w]
		h, err := frame.ParseHeader(buf)
		if errors.Is(err, frame.ErrShort) {
			return s.compact(0)
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrProtocol, err)
		}
		if s.maxMsgSize > 0 && (h.Size > uint64(s.maxMsgSize) || uint64(s.curSize)+h.Size > uint64(s.maxMsgSize)) {
			return fmt.Errorf("%w: frame of %d bytes, limit %d", ErrMsgSize, h.Size, s.maxMsgSize)
		}
		if h.Size > math.MaxInt-uint64(s.curSize) {
			// Only on 32-bit platforms: no int holds it (libzmq: EMSGSIZE).
			return fmt.Errorf("%w: frame of %d bytes is more than this platform can hold", ErrMsgSize, h.Size)
		}
		total := uint64(h.Len) + h.Size
		if uint64(len(buf)) < total {
			// Only traffic gets a buffer of its own: a data frame, or any
			// frame of an encrypted connection (a MESSAGE may carry the
			// COMMAND bit, RFC 26).
			if total > uint64(ring.ReadBufferSize) && s.phase == phaseTraffic && (!h.Command() || s.enc) {
				s.startBig(h, buf)
				continue
			}
			if total > uint64(ring.ReadBufferSize) && h.Size > maxCommandSize {
				return fmt.Errorf("%w: command of %d bytes", ErrProtocol, h.Size)
			}
			return s.compact(int(total))
		}
		body := buf[h.Len:total]
		s.r += int(total)
		if err := s.onFrame(h, body); err != nil {
			return err
		}
	}
	return nil
}

// maxCommandSize bounds a command frame: commands are parsed from a read
// buffer, never from a buffer of their own (CURVE MESSAGE frames, which
// carry traffic, take the big-frame path instead).
const maxCommandSize = ring.ReadBufferSize - 9

// startBig moves the start of a frame larger than a read buffer into a buffer
// of its own, which the backend then reads the rest of the frame into.
func (s *Session) startBig(h frame.Header, buf []byte) {
	s.bigSize = int(h.Size)
	// The body's bytes get the place in a page that they have in the
	// peer's write, which began where this read buffer did when the
	// connection was idle: the kernel's copy into the buffer then reads and
	// writes at the same page offsets (ring.PageOffset).
	s.bigOff = ring.PageOffset(s.r + int(h.Len))
	b := ring.NewBufferAt(min(s.bigSize, bigFirst), s.bigOff)
	s.bigN = copy(b.Bytes(), buf[h.Len:])
	s.bigFlag = h.Flags
	s.big = b
	s.r = s.w
	s.releaseIfEmpty()
}

// bigFirst bounds the buffer given to a big frame before its bytes arrive:
// a declared size is not trusted with memory the peer has not sent (a 9-byte
// header may declare 2^62 bytes). The buffer doubles as the body comes in.
const bigFirst = 4 << 20

// growBig moves a filled big-frame buffer to one twice its size, at most the
// frame's declared size.
func (s *Session) growBig() {
	b := ring.NewBufferAt(min(2*s.bigN, s.bigSize), s.bigOff)
	copy(b.Bytes(), s.big.Bytes()[:s.bigN])
	s.big.Unref()
	s.big = b
}

// compact makes room for a frame of need bytes (0: unknown, header
// incomplete) that straddles the end of the read buffer by copying the
// undecoded tail to a fresh buffer. Frames decoded earlier keep viewing the
// old buffer.
func (s *Session) compact(need int) error {
	if s.r == s.w {
		s.releaseIfEmpty()
		return nil
	}
	if need == 0 {
		need = 9 // the longest header
	}
	if len(s.rbuf.Bytes())-s.r >= need {
		return nil
	}
	nb := ring.NewBuffer(ring.ReadBufferSize)
	n := copy(nb.Bytes(), s.rbuf.Bytes()[s.r:s.w])
	s.rbuf.Unref()
	s.rbuf = nb
	s.r, s.w = 0, n
	return nil
}

// releaseIfEmpty resets an emptied read buffer for reuse if no frame views
// it, and otherwise hands it over to those frames.
func (s *Session) releaseIfEmpty() {
	if s.rbuf == nil || s.r != s.w {
		return
	}
	if s.rbuf.Refs() == 1 {
		s.r, s.w = 0, 0
		return
	}
	s.rbuf.Unref()
	s.rbuf = nil
}

func (s *Session) decodeGreeting() (bool, error) {
	n := copy(s.greet[s.greetN:], s.rbuf.Bytes()[s.r:s.w])
	s.greetN += n
	s.r += n
	g, err := frame.ParseGreeting(s.greet[:s.greetN])
	if errors.Is(err, frame.ErrShort) {
		s.releaseIfEmpty()
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	if string(g.MechanismName()) != s.mech.Name() {
		return false, fmt.Errorf("%w: %w: peer uses %q, we use %q", ErrProtocol, frame.ErrMechanism, g.MechanismName(), s.mech.Name())
	}
	s.minor = g.Minor
	if g.Major > 3 {
		s.minor = 1
	}
	out, err := s.mech.Start(s.sendq.ctl)
	if err != nil {
		return false, s.failWith(out, err)
	}
	s.sendq.ctl = out
	s.phase = phaseHandshake
	return true, nil
}

func (s *Session) onFrame(h frame.Header, body []byte) error {
	if s.phase == phaseHandshake {
		if !h.Command() {
			return fmt.Errorf("%w: message frame during the handshake", ErrProtocol)
		}
		cmd, err := crypto.ParseHandshakeCommand(body)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrProtocol, err)
		}
		out, done, err := s.mech.Next(s.sendq.ctl, cmd)
		if err != nil {
			return s.failWith(out, err)
		}
		s.sendq.ctl = out
		if done {
			return s.handshakeDone()
		}
		return nil
	}
	s.hb.rx++
	if s.enc {
		return s.onSealed(body, s.rbuf, false)
	}
	if !h.Command() {
		return s.frameDone(h.Flags, ring.NewFrame(s.rbuf, body))
	}
	cmd, err := frame.ParseCommand(body)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	return s.onCommand(cmd)
}

func (s *Session) handshakeDone() error {
	p, err := s.ready(s.mech.Peer(), s.minor)
	if err != nil {
		return err
	}
	s.pipe = p
	s.phase = phaseTraffic
	s.enc = s.mech.Encrypted()
	s.sendq.clearCtl = len(s.sendq.ctl)
	p.Out.SetWakers(s.outWaker, nil)
	p.In.SetWakers(nil, s.roomWaker)
	s.hb.tick = s.hb.ivl > 0
	return nil
}

// failWith ends the handshake with err. If the mechanism left bytes for
// the peer (out grew past what was queued: an ERROR) the session writes them
// first and reports err through Failed; otherwise err ends it at once.
func (s *Session) failWith(out []byte, err error) error {
	if len(out) <= len(s.sendq.ctl) {
		return err
	}
	s.sendq.ctl = out
	s.fail = err
	return nil
}

// onSealed decrypts one traffic frame of an encrypted connection in place
// (body lies in buf; owned: the session holds a reference on buf for it)
// and handles the frame inside: data for the pipe, or a command. Every
// frame must be a MESSAGE, whatever its outer flags (mechanisms.md §4.7).
func (s *Session) onSealed(body []byte, buf *ring.Buffer, owned bool) error {
	cmd, err := frame.ParseCommand(body)
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrProtocol, err)
	} else {
		var flags byte
		var payload []byte
		if flags, payload, err = s.mech.Decode(cmd); err == nil {
			if flags&frame.FlagCommand == 0 {
				if owned {
					return s.frameDone(flags, ring.OwnedFrame(buf, payload))
				}
				return s.frameDone(flags, ring.NewFrame(buf, payload))
			}
			if cmd, err = frame.ParseCommand(payload); err == nil {
				err = s.onCommand(cmd)
			} else {
				err = fmt.Errorf("%w: %w", ErrProtocol, err)
			}
		}
	}
	if owned {
		buf.Unref()
	}
	return err
}

// onCommand handles a command in traffic. Unknown commands are ignored, as
// libzmq ignores them (zmtp.md §5).
func (s *Session) onCommand(cmd frame.Command) error {
	switch cmd.Kind {
	case frame.CmdPing:
		ttl, ctx, err := frame.ParsePing(cmd.Data)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrProtocol, err)
		}
		s.sendq.ctl = frame.AppendPong(s.sendq.ctl, ctx)
		s.hb.peerPing(ttl)
	case frame.CmdReady:
		// NULL is one READY each way, then traffic (RFC 23 "null = ready
		// *message"): a second one is a handshake violation, as the
		// mechanism itself reports it.
		return fmt.Errorf("%w: %w: READY after the handshake", ErrProtocol, crypto.ErrHandshake)
	case frame.CmdError:
		reason, _ := frame.ParseError(cmd.Data)
		return fmt.Errorf("%w: %q", crypto.ErrRefused, reason)
	case frame.CmdSubscribe:
		s.subscription(1, cmd.Data)
	case frame.CmdCancel:
		s.subscription(0, cmd.Data)
	}
	return nil
}

// subscription hands a SUBSCRIBE (op 1) or CANCEL (op 0) command to the
// socket in the form of the 3.0 message, 0x01/0x00 + prefix, marked as a
// subscription, so that PUB and XPUB see one form whatever the peer speaks.
// It waits for room like a message, so none is lost: pushed past the
// high-water mark, a flood of them at a PUB that does not send (PUB takes
// subscriptions in when it sends) would grow the queue without bound.
func (s *Session) subscription(op byte, prefix []byte) {
	b := ring.NewBuffer(1 + len(prefix))
	b.Bytes()[0] = op
	copy(b.Bytes()[1:], prefix)
	s.sub.AppendFrame(ring.OwnedFrame(b, b.Bytes()))
	s.sub.SetFlags(ring.Subscription)
	s.push(&s.sub)
}

// frameDone appends one received data frame (its reference handed over) to
// the message being assembled and delivers the message on its last frame.
func (s *Session) frameDone(flags byte, f ring.Frame) error {
	s.curSize += int64(len(f.Data))
	s.cur.AppendFrame(f)
	if flags&frame.FlagMore != 0 {
		return nil
	}
	return s.deliver()
}

func (s *Session) deliver() error {
	if s.push(&s.cur) {
		s.curSize = 0
	}
	return nil
}

// push moves m onto the inbound queue, or holds it while the queue is full;
// it reports whether m is done with (delivered, or dropped because the
// socket has gone).
func (s *Session) push(m *ring.Msg) bool {
	err := s.pipe.In.Push(m)
	s.held = errors.Is(err, ring.ErrFull)
	if err != nil && !s.held {
		m.Release()
	}
	return !s.held
}
