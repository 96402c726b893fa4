package engine

import (
	"github.com/azmq/azmq/frame"
	"github.com/azmq/azmq/ring"
)

const (
	// batchMsgs is how many messages one output batch pops at most.
	batchMsgs = 256
	// maxPieces keeps a batch under the kernel's IOV_MAX of 1024.
	maxPieces = 1000
	// copyBelow is the payload size under which a frame is copied next to its
	// header instead of being referenced by its own iovec: an iovec costs the
	// kernel more than a small memcpy.
	copyBelow = 1024
	// stageLimit bounds the bytes copied into one batch.
	stageLimit = 256 << 10
)

// piece is one part of a batch: a range of the staging buffer, or a payload
// referenced in place.
type piece struct {
	off, end int
	data     []byte
}

// sender assembles what a session writes: control bytes (greeting,
// handshake commands, PONG) first, then whole messages popped from the pipe,
// their headers staged and their large payloads referenced, so many messages
// leave in one writev.
type sender struct {
	ctl    []byte
	stage  []byte
	pieces []piece
	iov    [][]byte
	msgs   []ring.Msg
	nmsgs  int
	head   int // first unwritten iovec
}

// Output returns the bytes to write next, building a batch when the last one
// is done, or nil when there is nothing to send. The slices stay valid until
// Written reports them sent.
func (s *Session) Output() [][]byte {
	q := &s.sendq
	if q.head < len(q.iov) {
		return q.window()
	}
	q.reset()
	if len(q.ctl) > 0 {
		q.stage = append(q.stage, q.ctl...)
		q.ctl = q.ctl[:0]
	}
	if s.phase == phaseTraffic && s.pipe != nil {
		s.fillMessages()
	}
	if len(q.stage) > q.stagedUpTo() {
		q.pieces = append(q.pieces, piece{off: q.stagedUpTo(), end: len(q.stage)})
	}
	for _, p := range q.pieces {
		if p.data != nil {
			q.iov = append(q.iov, p.data)
		} else {
			q.iov = append(q.iov, q.stage[p.off:p.end])
		}
	}
	if len(q.iov) == 0 {
		return nil
	}
	return q.window()
}

// window returns the unwritten iovecs, at most maxPieces of them: one
// message of many large frames makes more pieces than writev takes.
func (q *sender) window() [][]byte {
	return q.iov[q.head:min(len(q.iov), q.head+maxPieces)]
}

// HasOutput reports whether bytes are waiting to be written without
// building a batch: what the backend checks before it parks.
func (s *Session) HasOutput() bool {
	q := &s.sendq
	return q.head < len(q.iov) || len(q.ctl) > 0 || (s.phase == phaseTraffic && s.pipe != nil && s.pipe.Out.Len() > 0)
}

func (s *Session) fillMessages() {
	q := &s.sendq
	for q.nmsgs < batchMsgs && len(q.pieces) < maxPieces-2*16 && len(q.stage) < stageLimit {
		if q.nmsgs == len(q.msgs) {
			// Grown with the traffic: a full batch up front cost every
			// connection that ever sent 43 KiB.
			q.msgs = append(q.msgs, make([]ring.Msg, max(len(q.msgs), 8))...)
		}
		if !s.pipe.Out.Pop(&q.msgs[q.nmsgs]) {
			break
		}
		m := &q.msgs[q.nmsgs]
		q.nmsgs++
		if m.Flags()&ring.Subscription != 0 && s.minor >= 1 && m.Len() == 1 && len(m.Frame(0)) > 0 {
			// ZMTP 3.1 peers get the command form (zmtp.md §10); the
			// frame's first byte says which.
			name := frame.NameCancel
			if m.Frame(0)[0] == 1 {
				name = frame.NameSubscribe
			}
			q.stage = frame.AppendCommand(q.stage, name, m.Frame(0)[1:])
			continue
		}
		for i, n := 0, m.Len(); i < n; i++ {
			var flags byte
			if i < n-1 {
				flags = frame.FlagMore
			}
			q.addFrame(flags, m.Frame(i))
		}
	}
}

func (q *sender) stagedUpTo() int {
	if len(q.pieces) == 0 {
		return 0
	}
	return q.pieces[len(q.pieces)-1].end
}

func (q *sender) addFrame(flags byte, payload []byte) {
	q.stage = frame.AppendHeader(q.stage, flags, len(payload))
	if len(payload) < copyBelow {
		q.stage = append(q.stage, payload...)
		return
	}
	if start := q.stagedUpTo(); len(q.stage) > start {
		q.pieces = append(q.pieces, piece{off: start, end: len(q.stage)})
	}
	q.pieces = append(q.pieces, piece{off: len(q.stage), end: len(q.stage), data: payload})
}

// Written reports that n bytes of Output were written.
func (s *Session) Written(n int) {
	q := &s.sendq
	for n > 0 && q.head < len(q.iov) {
		b := q.iov[q.head]
		if n < len(b) {
			q.iov[q.head] = b[n:]
			return
		}
		n -= len(b)
		q.head++
	}
	if q.head == len(q.iov) {
		q.reset()
	}
}

// reset releases the messages of a batch that has been written.
func (q *sender) reset() {
	for i := 0; i < q.nmsgs; i++ {
		q.msgs[i].Release()
	}
	q.nmsgs = 0
	q.stage = q.stage[:0]
	q.pieces = q.pieces[:0]
	clear(q.iov)
	q.iov = q.iov[:0]
	q.head = 0
}
