package ring

// inlineFrames is how many frames a Msg holds without allocating: enough for
// a ROUTER envelope (routing id, delimiter, body) and one more.
const inlineFrames = 4

// Frame is one frame of a message: a view of Data that holds one reference on
// buf when buf is not nil. A Frame with a nil buf views memory the socket owns
// outright (handed over by SendMsg, or a routing id kept by a pipe).
type Frame struct {
	Data []byte
	buf  *Buffer
}

// NewFrame returns a frame viewing data inside buf and takes a reference on
// buf for it.
func NewFrame(buf *Buffer, data []byte) Frame {
	buf.Ref()
	return Frame{Data: data, buf: buf}
}

// OwnedFrame returns a frame over data held by a buffer reference that the
// caller hands over (NewBuffer's own reference, for example).
func OwnedFrame(buf *Buffer, data []byte) Frame { return Frame{Data: data, buf: buf} }

// Release drops the frame's reference, if any.
func (f *Frame) Release() {
	if f.buf != nil {
		f.buf.Unref()
	}
	*f = Frame{}
}

// Msg is a whole message: one or more frames, delivered and sent atomically.
//
// A Msg is moved, never shared: putting it on a Queue moves its frames and
// leaves it empty. Frames received from a connection are views into pooled
// buffers, valid until Release (or until the Msg is reused by another
// receive). A Msg must not be copied while it holds frames; use Clone.
type Msg struct {
	// The header comes first so that a one-frame message fits one cache
	// line: queue slots pass between cores with every message.
	n      int
	flags  MsgFlags
	meta   *Meta // the sending peer's, stamped by the Queue it arrived on
	inline [inlineFrames]Frame
	extra  []Frame
}

// MsgFlags mark a message that is not plain application data.
type MsgFlags uint8

const (
	// Subscription marks a one-frame (un)subscription, 0x01 (subscribe) or
	// 0x00 (cancel) followed by the prefix, made by the socket itself (SUB's
	// Subscribe, a SUBSCRIBE/CANCEL command received). A stream transport
	// sends it as a SUBSCRIBE/CANCEL command to a ZMTP 3.1 peer and as this
	// data frame to a 3.0 one; an unmarked message starting with 0x01 (what
	// an XSUB application sends) always goes as data, as libzmq does.
	Subscription MsgFlags = 1 << iota
)

// Flags returns the message's flags.
func (m *Msg) Flags() MsgFlags { return m.flags }

// SetFlags replaces the message's flags.
func (m *Msg) SetFlags(f MsgFlags) { m.flags = f }

func (m *Msg) at(i int) *Frame {
	if i < inlineFrames {
		return &m.inline[i]
	}
	return &m.extra[i-inlineFrames]
}

// Len returns the number of frames.
func (m *Msg) Len() int { return m.n }

// Frame returns frame i's bytes, a view valid until the Msg is released.
func (m *Msg) Frame(i int) []byte { return m.at(i).Data }

// Size returns the total number of payload bytes over all frames.
func (m *Msg) Size() int {
	s := 0
	for i := 0; i < m.n; i++ {
		s += len(m.at(i).Data)
	}
	return s
}

// Frames appends every frame's bytes to dst and returns it; the views are
// valid until the Msg is released.
func (m *Msg) Frames(dst [][]byte) [][]byte {
	for i := 0; i < m.n; i++ {
		dst = append(dst, m.at(i).Data)
	}
	return dst
}

// Append adds a frame over data without copying it. Once the Msg is sent,
// data belongs to the socket: the caller must not modify it.
func (m *Msg) Append(data []byte) { m.AppendFrame(Frame{Data: data}) }

// AppendFrame adds f and takes over its reference.
func (m *Msg) AppendFrame(f Frame) {
	if m.n < inlineFrames {
		m.inline[m.n] = f
	} else {
		m.extra = append(m.extra, f)
	}
	m.n++
}

// Prepend inserts a frame over data in front of the others.
func (m *Msg) Prepend(data []byte) { m.PrependFrame(Frame{Data: data}) }

// PrependFrame inserts f in front of the others and takes over its reference.
func (m *Msg) PrependFrame(f Frame) {
	m.AppendFrame(Frame{})
	for i := m.n - 1; i > 0; i-- {
		*m.at(i) = *m.at(i - 1)
	}
	*m.at(0) = f
}

// TakeFront removes the first frame and hands its reference to the caller,
// who must Release it.
func (m *Msg) TakeFront() Frame {
	f := *m.at(0)
	for i := 1; i < m.n; i++ {
		*m.at(i - 1) = *m.at(i)
	}
	m.n--
	m.trim()
	return f
}

// trim clears the slot past the last frame so the Msg keeps no stale view.
func (m *Msg) trim() {
	if m.n < inlineFrames {
		m.inline[m.n] = Frame{}
	} else {
		m.extra[m.n-inlineFrames] = Frame{}
		m.extra = m.extra[:m.n-inlineFrames]
	}
}

// MoveFront moves the first k frames, with their references, to the end of
// dst.
func (m *Msg) MoveFront(k int, dst *Msg) {
	for i := 0; i < k; i++ {
		dst.AppendFrame(*m.at(i))
	}
	for i := k; i < m.n; i++ {
		*m.at(i - k) = *m.at(i)
	}
	for i := 0; i < k; i++ {
		m.n--
		m.trim()
	}
}

// Clone appends to dst a copy of m's frames that shares their bytes: pooled
// buffers gain a reference, nothing is copied. dst takes m's flags and
// peer metadata.
func (m *Msg) Clone(dst *Msg) {
	dst.flags = m.flags
	dst.meta = m.meta
	for i := 0; i < m.n; i++ {
		f := *m.at(i)
		if f.buf != nil {
			f.buf.Ref()
		}
		dst.AppendFrame(f)
	}
}

// Release drops every frame's reference and empties the Msg, keeping its
// capacity for reuse. Views obtained from the Msg are invalid afterwards.
func (m *Msg) Release() {
	for i := 0; i < m.n; i++ {
		m.at(i).Release()
	}
	m.n = 0
	m.flags = 0
	m.meta = nil
	m.extra = m.extra[:0]
}

// MoveTo releases dst, moves m's frames into it and leaves m empty. A
// one-frame message, the common case, copies and clears one frame slot
// rather than the whole Msg: the whole copy was a third of an inproc
// message's cost.
func (m *Msg) MoveTo(dst *Msg) {
	dst.Release()
	if m.n == 1 {
		dst.inline[0], m.inline[0] = m.inline[0], Frame{}
		dst.n, dst.flags, dst.meta = 1, m.flags, m.meta
		m.n, m.flags, m.meta = 0, 0, nil
		return
	}
	extra := dst.extra
	*dst = *m
	*m = Msg{extra: extra[:0]}
}
