package engine

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/azmq/azmq/crypto"
	"github.com/azmq/azmq/frame"
	"github.com/azmq/azmq/ring"
)

// unhex decodes hex written as in zmtp.md: bytes separated by blanks and
// line breaks.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

// peerGreeting returns a peer's greeting announcing mech and the version.
func peerGreeting(mech string, major, minor byte) []byte {
	g := frame.AppendGreeting(nil, mech, false)
	g[10], g[11] = major, minor
	return g
}

// readyCmd returns a NULL READY command declaring socketType and, if not
// nil, identity.
func readyCmd(socketType string, identity []byte) []byte {
	var md []byte
	if socketType != "" {
		md = frame.AppendProperty(md, frame.PropSocketType, []byte(socketType))
	}
	if identity != nil {
		md = frame.AppendProperty(md, frame.PropIdentity, identity)
	}
	return frame.AppendCommand(nil, frame.NameReady, md)
}

// appendMsg appends the wire form of one message.
func appendMsg(dst []byte, frames ...[]byte) []byte {
	for i, f := range frames {
		var flags byte
		if i < len(frames)-1 {
			flags = frame.FlagMore
		}
		dst = frame.AppendFrame(dst, flags, f)
	}
	return dst
}

// pattern returns n bytes of a recognisable pattern that depends on seed.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed
	}
	return b
}

// testSession wraps a Session the way a backend drives it, and plays the
// socket on the pipe ready() returns.
type testSession struct {
	t       testing.TB
	s       *Session
	pipe    *ring.Pipe
	peer    *crypto.Metadata
	minor   byte
	readies int
	sndHWM  int
	rcvHWM  int
	prefill [][][]byte // messages already in pipe.Out when ready() returns it
	out     *ring.Signal
	room    *ring.Signal
	got     [][][]byte // messages popped from pipe.In, copied
	manual  bool       // feed stops when Held instead of popping
}

func newTestSession(t testing.TB, socketType string, maxMsgSize int64, sndHWM, rcvHWM int) *testSession {
	ts := &testSession{t: t, sndHWM: sndHWM, rcvHWM: rcvHWM, out: ring.NewSignal(), room: ring.NewSignal()}
	mech := crypto.NewNull(crypto.Config{SocketType: socketType})
	ts.s = NewSession(mech, maxMsgSize, ts.ready, ts.out, ts.room)
	t.Cleanup(ts.close)
	return ts
}

func (ts *testSession) ready(peer *crypto.Metadata, minor byte) (*ring.Pipe, error) {
	ts.readies++
	ts.peer, ts.minor = peer, minor
	p := ring.NewPipe(ts.sndHWM, ts.rcvHWM)
	for _, frames := range ts.prefill {
		var m ring.Msg
		for _, f := range frames {
			m.Append(f)
		}
		if err := p.Out.Push(&m); err != nil {
			return nil, err
		}
	}
	ts.pipe = p
	return p, nil
}

// feed copies data into the session's read buffer in reads of at most
// chunk bytes (0: as much as ReadBuf takes) and advances it. When the
// session is held it pops what arrived and resumes, unless manual is set, in
// which case it returns the bytes not fed yet.
func (ts *testSession) feed(data []byte, chunk int) ([]byte, error) {
	for len(data) > 0 {
		if ts.s.Held() {
			if ts.manual {
				return data, nil
			}
			ts.pop()
			if err := ts.s.Resume(); err != nil {
				return data, err
			}
			continue
		}
		buf := ts.s.ReadBuf()
		if len(buf) == 0 {
			ts.t.Fatal("ReadBuf returned an empty buffer")
		}
		n := len(buf)
		if chunk > 0 && chunk < n {
			n = chunk
		}
		n = copy(buf[:n], data)
		data = data[n:]
		if err := ts.s.Advance(n); err != nil {
			return data, err
		}
	}
	for !ts.manual && ts.s.Held() {
		ts.pop()
		if err := ts.s.Resume(); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// mustFeed feeds data and fails on an error.
func (ts *testSession) mustFeed(data []byte, chunk int) {
	ts.t.Helper()
	if _, err := ts.feed(data, chunk); err != nil {
		ts.t.Fatalf("feed: %v", err)
	}
}

// pop moves every message of pipe.In to got, copied, and releases it.
func (ts *testSession) pop() {
	if ts.pipe == nil {
		return
	}
	var m ring.Msg
	for ts.pipe.In.Pop(&m) {
		ts.got = append(ts.got, copyMsg(&m))
	}
	m.Release()
}

func copyMsg(m *ring.Msg) [][]byte {
	frames := make([][]byte, m.Len())
	for i := range frames {
		frames[i] = bytes.Clone(m.Frame(i))
	}
	return frames
}

// output drains everything the session wants written.
func (ts *testSession) output() []byte {
	var all []byte
	for {
		iov := ts.s.Output()
		if iov == nil {
			return all
		}
		n := 0
		for _, b := range iov {
			all = append(all, b...)
			n += len(b)
		}
		ts.s.Written(n)
	}
}

func (ts *testSession) close() {
	ts.pop()
	if ts.pipe != nil {
		ts.pipe.Out.Discard()
	}
	ts.s.Close()
}

// handshake completes the NULL handshake with a peer of type peerType.
func (ts *testSession) handshake(peerType string) {
	ts.t.Helper()
	ts.mustFeed(append(peerGreeting("NULL", 3, 1), readyCmd(peerType, nil)...), 0)
	if !ts.s.Ready() || ts.pipe == nil {
		ts.t.Fatal("handshake did not complete")
	}
	ts.output()
}

func msgsEqual(a, b [][][]byte) bool {
	return slices.EqualFunc(a, b, func(x, y [][]byte) bool {
		return slices.EqualFunc(x, y, bytes.Equal)
	})
}

func describe(msgs [][][]byte) string {
	var sb strings.Builder
	for i, m := range msgs {
		if i == 8 {
			fmt.Fprintf(&sb, " …(%d messages)", len(msgs))
			break
		}
		sb.WriteString("[")
		for j, f := range m {
			if j > 0 {
				sb.WriteString(" ")
			}
			if len(f) > 16 {
				fmt.Fprintf(&sb, "%q…(%d)", f[:16], len(f))
			} else {
				fmt.Fprintf(&sb, "%q", f)
			}
		}
		sb.WriteString("]")
	}
	return sb.String()
}

const (
	// zmtp.md §2: the NULL greeting as we send it.
	hexOurGreeting = `ff 00 00 00 00 00 00 00 00 7f 03 01 4e 55 4c 4c
		00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
		00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
		00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`
	// zmtp.md §17.2: our DEALER's READY.
	hexDealerReady = `04 29 05 52 45 41 44 59 0b 53 6f 63 6b 65 74 2d 54 79 70 65
		00 00 00 06 44 45 41 4c 45 52 08 49 64 65 6e 74 69 74 79 00 00 00 00`
	// zmtp.md §17.1: libzmq ROUTER's greeting in its three pieces.
	hexRouterGreeting1 = `ff 00 00 00 00 00 00 00 01 7f`
	hexRouterGreeting2 = `03`
	hexRouterGreeting3 = `01 4e 55 4c 4c 00 00 00 00 00 00 00 00 00 00 00
		00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
		00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
		00 00 00 00 00`
	// zmtp.md §17.1: libzmq ROUTER's READY.
	hexRouterReady = `04 29 05 52 45 41 44 59 0b 53 6f 63 6b 65 74 2d 54 79 70 65
		00 00 00 06 52 4f 55 54 45 52 08 49 64 65 6e 74 69 74 79 00 00 00 00`
	// zmtp.md §17.1: message ['', 'Hello'].
	hexHello = `01 00 00 05 48 65 6c 6c 6f`
)

// TestSessionGolden replays zmtp.md §17.1 (libzmq ROUTER) into a DEALER
// session and checks it writes exactly §2 and §17.2.
func TestSessionGolden(t *testing.T) {
	ts := newTestSession(t, "DEALER", 0, 0, 0)
	if !ts.s.HasControl() || !ts.s.HasOutput() {
		t.Fatal("greeting not queued at creation")
	}
	iov := ts.s.Output()
	var first []byte
	for _, b := range iov {
		first = append(first, b...)
	}
	if want := unhex(t, hexOurGreeting); !bytes.Equal(first, want) {
		t.Fatalf("first output\n got % x\nwant % x", first, want)
	}
	ts.s.Written(len(first))
	if out := ts.s.Output(); out != nil {
		t.Fatalf("output after the greeting: %q", out)
	}

	// The peer's greeting in libzmq's three pieces: nothing until all 64.
	ts.mustFeed(unhex(t, hexRouterGreeting1), 0)
	ts.mustFeed(unhex(t, hexRouterGreeting2), 0)
	if out := ts.output(); out != nil {
		t.Fatalf("output before the peer's full greeting: % x", out)
	}
	ts.mustFeed(unhex(t, hexRouterGreeting3), 0)
	if got, want := ts.output(), unhex(t, hexDealerReady); !bytes.Equal(got, want) {
		t.Fatalf("READY\n got % x\nwant % x", got, want)
	}
	if ts.s.Ready() || ts.readies != 0 {
		t.Fatal("ready before the peer's READY")
	}

	ts.mustFeed(unhex(t, hexRouterReady), 0)
	if ts.readies != 1 || !ts.s.Ready() || ts.s.Pipe() != ts.pipe {
		t.Fatalf("ready called %d times, Ready %v", ts.readies, ts.s.Ready())
	}
	if ts.peer.SocketType != "ROUTER" || len(ts.peer.Identity) != 0 || ts.minor != 1 {
		t.Fatalf("peer %+v minor %d", ts.peer, ts.minor)
	}
	if id, ok := ts.peer.Get("identity"); !ok || len(id) != 0 {
		t.Fatalf("empty Identity property not recorded: %q %v", id, ok)
	}
	if out := ts.output(); out != nil {
		t.Fatalf("output after the peer's READY with nothing queued: % x", out)
	}

	ts.mustFeed(unhex(t, hexHello), 0)
	ts.mustFeed(unhex(t, hexHello+" 00 00 00 00"), 0)
	ts.pop()
	want := [][][]byte{{{}, []byte("Hello")}, {{}, []byte("Hello")}, {{}}, {{}}}
	if !msgsEqual(ts.got, want) {
		t.Fatalf("messages %s, want %s", describe(ts.got), describe(want))
	}
}

// TestSessionOurReady checks the READY each socket type writes (zmtp.md §6:
// Identity only for REQ, DEALER and ROUTER).
func TestSessionOurReady(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		want []byte
	}{
		{"DEALER", readyCmd("DEALER", []byte{})},
		{"ROUTER", readyCmd("ROUTER", []byte{})},
		{"REQ", readyCmd("REQ", []byte{})},
		{"REP", readyCmd("REP", nil)},
		{"PUSH", readyCmd("PUSH", nil)},
		{"SUB", readyCmd("SUB", nil)},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			ts := newTestSession(t, tc.typ, 0, 0, 0)
			ts.output()
			ts.mustFeed(peerGreeting("NULL", 3, 1), 0)
			if got := ts.output(); !bytes.Equal(got, tc.want) {
				t.Fatalf("READY\n got % x\nwant % x", got, tc.want)
			}
		})
	}
}

// splitStream is a peer stream of greeting, READY and traffic, with the
// offset at which each message is complete.
type splitStream struct {
	data []byte
	ends []int // ends[i]: len(data) prefix that completes message i
	msgs [][][]byte
}

// add appends raw bytes that complete no message (greeting, commands).
func (st *splitStream) add(raw []byte) { st.data = append(st.data, raw...) }

// addMsg appends a message, in wire (nil: as our encoder writes it).
func (st *splitStream) addMsg(wire []byte, frames ...[]byte) {
	if wire == nil {
		wire = appendMsg(nil, frames...)
	}
	st.data = append(st.data, wire...)
	st.ends = append(st.ends, len(st.data))
	st.msgs = append(st.msgs, frames)
}

func newSplitStream() *splitStream {
	st := &splitStream{}
	st.add(peerGreeting("NULL", 3, 1))
	st.add(readyCmd("ROUTER", []byte("peer-id")))
	st.addMsg(nil, []byte("Hello"))
	st.addMsg(nil, []byte{}, []byte("Hello"))
	st.add(frame.AppendPing(nil, 5, []byte("ctx")))
	st.addMsg(nil, pattern(255, 1))
	st.addMsg(nil, pattern(256, 2), pattern(300, 3))
	st.add(frame.AppendCommand(nil, "HELLO", []byte("ignored")))
	st.addMsg(nil, []byte("a"), []byte("b"), []byte("c"), []byte("d"), []byte("e"), []byte("f"))
	// a SUBSCRIBE reaches the socket as the 3.0 message form
	st.addMsg(frame.AppendCommand(nil, frame.NameSubscribe, []byte("AB")), []byte("\x01AB"))
	st.addMsg(nil, []byte{})
	// the LONG form for a small body is accepted (zmtp.md §4)
	st.addMsg([]byte{0x03, 0, 0, 0, 0, 0, 0, 0, 1, 'x', 0x02, 0, 0, 0, 0, 0, 0, 0, 3, 'l', 'n', 'g'}, []byte("x"), []byte("lng"))
	st.addMsg(nil, pattern(1000, 4))
	return st
}

// TestSessionSplits feeds the same stream whole, at every split point, byte
// by byte and as every prefix (STYLE.md guideline 3): the messages must be
// the same, and a prefix delivers exactly the messages it completes.
func TestSessionSplits(t *testing.T) {
	st := newSplitStream()
	check := func(t *testing.T, name string, ts *testSession) {
		t.Helper()
		ts.pop()
		if !msgsEqual(ts.got, st.msgs) {
			t.Fatalf("%s: messages\n got %s\nwant %s", name, describe(ts.got), describe(st.msgs))
		}
		if string(ts.peer.Identity) != "peer-id" {
			t.Fatalf("%s: peer identity %q", name, ts.peer.Identity)
		}
	}
	for _, chunk := range []int{0, 1, 2, 3, 7, 64, 65, 100} {
		ts := newTestSession(t, "DEALER", 0, 0, 0)
		ts.mustFeed(st.data, chunk)
		check(t, fmt.Sprintf("chunk %d", chunk), ts)
	}
	for i := 0; i <= len(st.data); i++ {
		ts := newTestSession(t, "DEALER", 0, 0, 0)
		ts.mustFeed(st.data[:i], 0)
		ts.pop()
		n := 0
		for n < len(st.ends) && st.ends[n] <= i {
			n++
		}
		if !msgsEqual(ts.got, st.msgs[:n]) {
			t.Fatalf("prefix %d: messages\n got %s\nwant %s", i, describe(ts.got), describe(st.msgs[:n]))
		}
		if want := i >= 64+len(readyCmd("ROUTER", []byte("peer-id"))); ts.s.Ready() != want {
			t.Fatalf("prefix %d: Ready %v", i, ts.s.Ready())
		}
		ts.mustFeed(st.data[i:], 0)
		check(t, fmt.Sprintf("split %d", i), ts)
		ts.close()
	}
}

// TestSessionStraddle makes frames cross the end of the read buffer at many
// offsets, and checks messages decoded before the copy stay intact.
func TestSessionStraddle(t *testing.T) {
	prefix := append(peerGreeting("NULL", 3, 1), readyCmd("ROUTER", nil)...)
	for _, size := range []int{1, 17, 255, 256, 1000, 4097} {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			var data []byte
			var want [][][]byte
			for i := 0; len(data) < 3*ring.ReadBufferSize; i++ {
				m := [][]byte{pattern(size, byte(i)), pattern(i%5, byte(i))}
				data = appendMsg(data, m...)
				want = append(want, m)
			}
			ts := newTestSession(t, "DEALER", 0, 0, 0)
			ts.mustFeed(prefix, 0)
			ts.mustFeed(data, 0)
			// Pop only at the end: views into earlier buffers must survive
			// the copies made for straddling frames.
			ts.pop()
			if !msgsEqual(ts.got, want) {
				t.Fatalf("got %d messages %s\nwant %d", len(ts.got), describe(ts.got), len(want))
			}
			ts.s.Idle()
			if ts.s.rbuf != nil {
				t.Fatal("Idle kept an empty read buffer")
			}
		})
	}
}

// TestSessionBigFrames checks frames larger than a read buffer (the
// big-frame path) and messages with more frames than Msg holds inline.
func TestSessionBigFrames(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frames [][]byte
	}{
		{"64KiB+1", [][]byte{pattern(ring.ReadBufferSize+1, 1)}},
		{"64KiB-8", [][]byte{pattern(ring.ReadBufferSize-8, 1)}},
		{"64KiB-9", [][]byte{pattern(ring.ReadBufferSize-9, 1)}},
		{"64KiB", [][]byte{pattern(ring.ReadBufferSize, 1)}},
		{"1MiB", [][]byte{pattern(1<<20, 2)}},
		{"5MiB unpooled", [][]byte{pattern(5<<20, 3)}},
		{"9MiB, grown twice", [][]byte{pattern(9<<20+3, 3)}},
		{"big in the middle", [][]byte{[]byte("head"), pattern(200000, 4), []byte("tail")}},
		{"many frames", func() [][]byte {
			var f [][]byte
			for i := 0; i < 40; i++ {
				f = append(f, pattern(i*13, byte(i)))
			}
			return f
		}()},
		{"many big frames", [][]byte{pattern(70000, 1), pattern(70000, 2), {}, pattern(70000, 3), pattern(70000, 4), pattern(70000, 5), pattern(3, 6)}},
	} {
		for _, chunk := range []int{0, 1000, 65535} {
			t.Run(fmt.Sprintf("%s/chunk=%d", tc.name, chunk), func(t *testing.T) {
				ts := newTestSession(t, "DEALER", 0, 0, 0)
				ts.handshake("ROUTER")
				// offsets: the message starts at several places in the buffer
				for _, lead := range []int{0, 5, ring.ReadBufferSize - 100} {
					var data []byte
					var want [][][]byte
					if lead > 0 {
						data = appendMsg(data, pattern(lead-2, 9)) // the next frame starts near lead
						want = append(want, [][]byte{pattern(lead-2, 9)})
					}
					data = appendMsg(data, tc.frames...)
					want = append(want, tc.frames)
					data = appendMsg(data, []byte("after"))
					want = append(want, [][]byte{[]byte("after")})
					ts.got = nil
					ts.mustFeed(data, chunk)
					ts.pop()
					if !msgsEqual(ts.got, want) {
						t.Fatalf("lead %d: got %s\nwant %s", lead, describe(ts.got), describe(want))
					}
					if ts.s.big != nil {
						t.Fatal("big buffer kept after the frame")
					}
				}
			})
		}
	}
}

// TestSessionBigFramePlacement: a big frame's bytes go where in a page they
// were in the read that brought its start, which began with the peer's
// write; the kernel's copy then avoids its 4K-aliasing slow case.
func TestSessionBigFramePlacement(t *testing.T) {
	if _, ok := addrOf([]byte{0}); !ok {
		t.Skip("addresses are not visible in the build without unsafe")
	}
	for _, lead := range []int{0, 1, 100, 4000} {
		ts := newTestSession(t, "DEALER", 0, 0, 0)
		ts.handshake("ROUTER")
		ts.s.Idle() // the next read starts a fresh buffer, as after an idle wait
		var data []byte
		if lead > 0 {
			data = appendMsg(data, pattern(lead, 1))
		}
		body := pattern(300000, 2)
		at := len(data) + 9 // a long frame's header
		data = appendMsg(data, body)
		ts.mustFeed(data, 0)
		var m ring.Msg
		var last uintptr
		for ts.pipe.In.Pop(&m) {
			last, _ = addrOf(m.Frame(0))
			if lead == 0 || m.Size() == len(body) {
				if !bytes.Equal(m.Frame(0), body) {
					t.Fatalf("lead %d: body corrupted", lead)
				}
			}
		}
		m.Release()
		if got, want := ring.PageOffset(int(last)), ring.PageOffset(at); got != want {
			t.Errorf("lead %d: body at page offset %d, want %d", lead, got, want)
		}
		ts.close()
	}
}

// TestSessionHugeDeclaredSize checks that with no size limit a peer's
// declared frame size is not allocated before the bytes arrive: a 9-byte
// header declaring 2^62 bytes used to panic in make.
func TestSessionHugeDeclaredSize(t *testing.T) {
	for _, size := range []uint64{1<<63 - 1, 1 << 62, 1 << 40, 64<<20 + 1} {
		ts := newTestSession(t, "DEALER", 0, 0, 0)
		ts.handshake("ROUTER")
		hdr := []byte{0x02, 0, 0, 0, 0, 0, 0, 0, 0}
		for i := 0; i < 8; i++ {
			hdr[1+i] = byte(size >> (56 - 8*i))
		}
		if size > math.MaxInt { // 32-bit platforms
			if _, err := ts.feed(append(hdr, pattern(100, 1)...), 0); !errors.Is(err, ErrMsgSize) {
				t.Fatalf("size %d: %v, want ErrMsgSize", size, err)
			}
			ts.close()
			continue
		}
		ts.mustFeed(append(hdr, pattern(100000, 1)...), 0)
		if ts.s.big == nil || ts.s.big.Cap() > bigFirst {
			t.Fatalf("size %d: big buffer %v", size, ts.s.big)
		}
		ts.mustFeed(pattern(bigFirst, 2), 0)
		if got := ts.s.big.Cap(); got > 2*bigFirst+100000 {
			t.Fatalf("size %d: %d-byte buffer after %d bytes", size, got, bigFirst+100000)
		}
		ts.close()
	}
}

// TestSessionMaxMsgSize checks that a frame above the limit is refused as
// soon as its header is read, before the body is there.
func TestSessionMaxMsgSize(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  int64
		data []byte
		ok   bool
	}{
		{"long header, 1MiB declared", 1000, frame.AppendHeader(nil, 0, 1<<20), false},
		{"long header, 2^62 declared", 1000, []byte{2, 0x40, 0, 0, 0, 0, 0, 0, 0}, false},
		{"short header", 100, []byte{0, 101}, false},
		{"exactly max", 100, frame.AppendFrame(nil, 0, pattern(100, 1)), true},
		{"message sum over max", 100, append(frame.AppendFrame(nil, frame.FlagMore, pattern(60, 1)), 0, 41), false},
		{"message sum at max", 100, appendMsg(nil, pattern(60, 1), pattern(40, 2)), true},
		{"two messages at max each", 100, appendMsg(appendMsg(nil, pattern(100, 1)), pattern(100, 2)), true},
		{"command over max", 100, frame.AppendHeader(nil, frame.FlagCommand, 200), false},
		{"unlimited, 1MiB header only", 0, frame.AppendHeader(nil, 0, 1<<20), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestSession(t, "DEALER", tc.max, 0, 0)
			ts.handshake("ROUTER")
			_, err := ts.feed(tc.data, 0)
			if tc.ok {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			if !errors.Is(err, ErrMsgSize) {
				t.Fatalf("error %v, want ErrMsgSize", err)
			}
			if ts.s.big != nil {
				t.Fatal("a buffer was allocated for a frame over the limit")
			}
		})
	}
}

// TestSessionBadInput checks every connection-fatal input: an error that
// errors.Is the right sentinel, no panic, nothing delivered.
func TestSessionBadInput(t *testing.T) {
	greet := peerGreeting("NULL", 3, 1)
	withByte := func(i int, v byte) []byte {
		g := bytes.Clone(greet)
		g[i] = v
		return g
	}
	handshake := func(rest ...[]byte) []byte {
		return slices.Concat(append([][]byte{greet, readyCmd("ROUTER", nil)}, rest...)...)
	}
	for _, tc := range []struct {
		name string
		typ  string
		data []byte
		want []error
	}{
		{"signature byte 0", "DEALER", withByte(0, 0), []error{ErrProtocol, frame.ErrSignature}},
		{"signature byte 0 alone", "DEALER", []byte{0x00}, []error{ErrProtocol, frame.ErrSignature}},
		{"byte 9 bit 0 clear", "DEALER", withByte(9, 0x7e), []error{ErrProtocol, frame.ErrSignature}},
		{"byte 9 bit 0 clear, 10 bytes", "DEALER", withByte(9, 0x7e)[:10], []error{ErrProtocol, frame.ErrSignature}},
		{"major 2", "DEALER", withByte(10, 2), []error{ErrProtocol, frame.ErrVersion}},
		{"major 1, 11 bytes", "DEALER", withByte(10, 1)[:11], []error{ErrProtocol, frame.ErrVersion}},
		{"PLAIN greeting", "DEALER", peerGreeting("PLAIN", 3, 1), []error{ErrProtocol, frame.ErrMechanism}},
		{"CURVE greeting", "DEALER", peerGreeting("CURVE", 3, 1), []error{ErrProtocol, frame.ErrMechanism}},
		{"NULLX greeting", "DEALER", peerGreeting("NULLX", 3, 1), []error{ErrProtocol, frame.ErrMechanism}},
		{"data frame in the handshake", "DEALER", slices.Concat(greet, appendMsg(nil, []byte("Hello"))), []error{ErrProtocol}},
		{"disguised READY data frame", "DEALER", slices.Concat(greet, frame.AppendFrame(nil, 0, readyCmd("ROUTER", nil)[2:])), []error{ErrProtocol}},
		{"PING in the handshake", "DEALER", slices.Concat(greet, frame.AppendPing(nil, 0, nil)), []error{crypto.ErrHandshake}},
		{"second READY", "DEALER", handshake(readyCmd("ROUTER", nil)), []error{crypto.ErrHandshake}},
		{"PUSH meets PUSH", "PUSH", slices.Concat(greet, readyCmd("PUSH", nil)), []error{crypto.ErrSocketType}},
		{"DEALER meets PUB", "DEALER", slices.Concat(greet, readyCmd("PUB", nil)), []error{crypto.ErrSocketType}},
		{"lower-case type", "DEALER", slices.Concat(greet, readyCmd("router", nil)), []error{crypto.ErrSocketType}},
		{"truncated metadata", "DEALER", slices.Concat(greet, frame.AppendCommand(nil, frame.NameReady, []byte{11, 'S'})), []error{crypto.ErrHandshake}},
		{"ERROR in the handshake", "DEALER", slices.Concat(greet, frame.AppendError(nil, "400")), []error{crypto.ErrRefused}},
		{"ERROR in traffic", "DEALER", handshake(frame.AppendError(nil, "bye")), []error{crypto.ErrRefused}},
		{"MORE on a command", "DEALER", handshake([]byte{0x05, 0x05, 4, 'P', 'O', 'N', 'G'}), []error{ErrProtocol, frame.ErrMalformed}},
		{"size bit 63", "DEALER", handshake([]byte{0x02, 0x80, 0, 0, 0, 0, 0, 0, 1}), []error{ErrProtocol, frame.ErrTooLarge}},
		{"empty command", "DEALER", handshake([]byte{0x04, 0x00}), []error{ErrProtocol, frame.ErrMalformed}},
		{"command name longer than body", "DEALER", handshake([]byte{0x04, 0x03, 5, 'P', 'I'}), []error{ErrProtocol, frame.ErrMalformed}},
		{"PING without TTL", "DEALER", handshake(frame.AppendCommand(nil, frame.NamePing)), []error{ErrProtocol, frame.ErrMalformed}},
		{"PING with 1 byte", "DEALER", handshake(frame.AppendCommand(nil, frame.NamePing, []byte{0})), []error{ErrProtocol, frame.ErrMalformed}},
		{"command larger than a read buffer", "DEALER", handshake(frame.AppendCommandHeader(nil, "SUBSCRIBE", ring.ReadBufferSize)), []error{ErrProtocol}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunk := range []int{0, 1} {
				ts := newTestSession(t, tc.typ, 0, 0, 0)
				_, err := ts.feed(tc.data, chunk)
				if err == nil {
					t.Fatalf("chunk %d: no error", chunk)
				}
				for _, want := range tc.want {
					if !errors.Is(err, want) {
						t.Fatalf("chunk %d: error %q is not %q", chunk, err, want)
					}
				}
				ts.pop()
				if len(ts.got) != 0 {
					t.Fatalf("delivered %s", describe(ts.got))
				}
				ts.close()
			}
		})
	}
}

// TestSessionTraffic covers what a peer may legitimately send.
func TestSessionTraffic(t *testing.T) {
	t.Run("3.0 peer", func(t *testing.T) {
		ts := newTestSession(t, "DEALER", 0, 0, 0)
		ts.mustFeed(slices.Concat(peerGreeting("NULL", 3, 0), readyCmd("ROUTER", nil), appendMsg(nil, []byte("x"))), 1)
		ts.pop()
		if ts.minor != 0 || len(ts.got) != 1 {
			t.Fatalf("minor %d, %d messages", ts.minor, len(ts.got))
		}
	})
	t.Run("major 4 is 3.1", func(t *testing.T) {
		ts := newTestSession(t, "DEALER", 0, 0, 0)
		ts.mustFeed(slices.Concat(peerGreeting("NULL", 4, 0), readyCmd("ROUTER", nil)), 0)
		if !ts.s.Ready() || ts.minor != 1 {
			t.Fatalf("ready %v minor %d", ts.s.Ready(), ts.minor)
		}
	})
	t.Run("missing Socket-Type", func(t *testing.T) {
		ts := newTestSession(t, "DEALER", 0, 0, 0)
		ts.mustFeed(slices.Concat(peerGreeting("NULL", 3, 1), readyCmd("", nil)), 0)
		if !ts.s.Ready() || ts.peer.SocketType != "" {
			t.Fatalf("ready %v, peer %+v", ts.s.Ready(), ts.peer)
		}
	})
	for _, tc := range []struct {
		name     string
		in, pong string
	}{
		// zmtp.md §11
		{"ttl 123, no context", "04 07 04 50 49 4e 47 00 7b", "04 05 04 50 4f 4e 47"},
		{"ttl 0, context ctx", "04 0a 04 50 49 4e 47 00 00 63 74 78", "04 08 04 50 4f 4e 47 63 74 78"},
		{"16-byte context", "04 17 04 50 49 4e 47 00 05 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66",
			"04 15 04 50 4f 4e 47 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66"},
		{"long form", "06 00 00 00 00 00 00 00 07 04 50 49 4e 47 00 7b", "04 05 04 50 4f 4e 47"},
		// libzmq echoes at most 16 bytes of a longer context.
		{"17-byte context", "04 18 04 50 49 4e 47 00 00 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66 67",
			"04 15 04 50 4f 4e 47 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66"},
	} {
		t.Run("PING "+tc.name, func(t *testing.T) {
			ts := newTestSession(t, "DEALER", 0, 0, 0)
			ts.handshake("ROUTER")
			ts.mustFeed(unhex(t, tc.in), 0)
			if !ts.s.HasControl() {
				t.Fatal("PONG not announced by HasControl")
			}
			if got, want := ts.output(), unhex(t, tc.pong); !bytes.Equal(got, want) {
				t.Fatalf("PONG\n got % x\nwant % x", got, want)
			}
		})
	}
	t.Run("two PINGs, one write", func(t *testing.T) {
		ts := newTestSession(t, "DEALER", 0, 0, 0)
		ts.handshake("ROUTER")
		ts.mustFeed(slices.Concat(frame.AppendPing(nil, 1, []byte("a")), frame.AppendPing(nil, 1, []byte("b"))), 0)
		want := slices.Concat(frame.AppendPong(nil, []byte("a")), frame.AppendPong(nil, []byte("b")))
		if got := ts.output(); !bytes.Equal(got, want) {
			t.Fatalf("got % x\nwant % x", got, want)
		}
	})
	t.Run("unknown and ignored commands", func(t *testing.T) {
		ts := newTestSession(t, "DEALER", 0, 0, 0)
		ts.handshake("ROUTER")
		ts.mustFeed(slices.Concat(
			frame.AppendCommand(nil, "HELLO", []byte("x")),
			frame.AppendCommand(nil, "FOO"),
			frame.AppendCommand(nil, frame.NamePong, []byte("ctx")),
			frame.AppendCommand(nil, "X", pattern(300, 0)),
			appendMsg(nil, []byte("after")),
		), 0)
		ts.pop()
		if len(ts.got) != 1 || string(ts.got[0][0]) != "after" {
			t.Fatalf("got %s", describe(ts.got))
		}
		if out := ts.output(); out != nil {
			t.Fatalf("answered ignored commands with % x", out)
		}
	})
	t.Run("reserved flag bits", func(t *testing.T) {
		ts := newTestSession(t, "DEALER", 0, 0, 0)
		ts.handshake("ROUTER")
		ts.mustFeed([]byte{0x81, 1, 'a', 0x80, 1, 'b'}, 0)
		ts.pop()
		if want := [][][]byte{{[]byte("a"), []byte("b")}}; !msgsEqual(ts.got, want) {
			t.Fatalf("got %s", describe(ts.got))
		}
	})
}

// TestSessionNoDataBeforeReady checks zmtp.md §9: messages queued on the
// pipe leave only after the peer's READY, and after our READY.
func TestSessionNoDataBeforeReady(t *testing.T) {
	queued := [][][]byte{{[]byte("m1")}, {[]byte("m2"), pattern(2000, 1)}, {[]byte("m3")}}
	var wantMsgs []byte
	for _, m := range queued {
		wantMsgs = appendMsg(wantMsgs, m...)
	}
	greeting := frame.AppendGreeting(nil, "NULL", false)
	ready := readyCmd("DEALER", []byte{})

	t.Run("step by step", func(t *testing.T) {
		ts := newTestSession(t, "DEALER", 0, 0, 0)
		ts.prefill = queued
		if got := ts.output(); !bytes.Equal(got, greeting) {
			t.Fatalf("got % x", got)
		}
		ts.mustFeed(peerGreeting("NULL", 3, 1), 0)
		if got := ts.output(); !bytes.Equal(got, ready) {
			t.Fatalf("before the peer's READY\n got % x\nwant % x", got, ready)
		}
		select {
		case <-ts.out.C():
			t.Fatal("output waker fired before the handshake")
		default:
		}
		ts.mustFeed(readyCmd("ROUTER", nil), 0)
		select {
		case <-ts.out.C():
		default:
			t.Fatal("output waker not fired for messages queued before the handshake")
		}
		if !ts.s.HasOutput() {
			t.Fatal("HasOutput false with queued messages")
		}
		if got := ts.output(); !bytes.Equal(got, wantMsgs) {
			t.Fatalf("after the handshake\n got % x\nwant % x", got, wantMsgs)
		}
	})
	t.Run("nothing written meanwhile", func(t *testing.T) {
		ts := newTestSession(t, "DEALER", 0, 0, 0)
		ts.prefill = queued
		ts.mustFeed(slices.Concat(peerGreeting("NULL", 3, 1), readyCmd("ROUTER", nil)), 1)
		want := slices.Concat(greeting, ready, wantMsgs)
		if got := ts.output(); !bytes.Equal(got, want) {
			t.Fatalf("got % x\nwant % x", got, want)
		}
	})
	t.Run("greeting only", func(t *testing.T) {
		ts := newTestSession(t, "DEALER", 0, 0, 0)
		ts.prefill = queued
		ts.mustFeed(peerGreeting("NULL", 3, 1), 0)
		want := slices.Concat(greeting, ready)
		if got := ts.output(); !bytes.Equal(got, want) {
			t.Fatalf("got % x\nwant % x", got, want)
		}
		if ts.s.HasOutput() {
			t.Fatal("HasOutput true before the handshake with only messages pending")
		}
	})
	t.Run("peer READY mid-write", func(t *testing.T) {
		ts := newTestSession(t, "DEALER", 0, 0, 0)
		ts.prefill = queued
		ts.mustFeed(peerGreeting("NULL", 3, 1), 0)
		iov := ts.s.Output() // greeting + READY, not yet written
		if len(iov) != 1 || len(iov[0]) != len(greeting)+len(ready) {
			t.Fatalf("first batch: %d iovecs", len(iov))
		}
		ts.s.Written(10)
		ts.mustFeed(readyCmd("ROUTER", nil), 0)
		got := ts.output()
		want := slices.Concat(greeting[10:], ready, wantMsgs)
		if !bytes.Equal(got, want) {
			t.Fatalf("got % x\nwant % x", got, want)
		}
	})
}

// TestSessionBackpressure checks Held/Resume with a receive HWM of 2.
func TestSessionBackpressure(t *testing.T) {
	ts := newTestSession(t, "DEALER", 0, 0, 2)
	ts.handshake("ROUTER")
	ts.manual = true
	var data []byte
	var want [][][]byte
	for i := 0; i < 10; i++ {
		m := [][]byte{[]byte(fmt.Sprint("msg", i)), pattern(i*30, byte(i))}
		data = appendMsg(data, m...)
		want = append(want, m)
	}
	rest, err := ts.feed(data, 0)
	if err != nil || len(rest) != 0 {
		t.Fatalf("feed: %v, %d left", err, len(rest))
	}
	for round := 0; ; round++ {
		if round > 20 {
			t.Fatal("no progress")
		}
		if !ts.s.Held() {
			break
		}
		if n := ts.pipe.In.Len(); n != 2 {
			t.Fatalf("held with %d queued, want 2", n)
		}
		select {
		case <-ts.room.C():
			t.Fatal("room waker fired while the queue is full")
		default:
		}
		ts.pop()
		select {
		case <-ts.room.C():
		default:
			t.Fatal("room waker did not fire after the queue drained")
		}
		if err := ts.s.Resume(); err != nil {
			t.Fatal(err)
		}
	}
	ts.pop()
	if !msgsEqual(ts.got, want) {
		t.Fatalf("got %s\nwant %s", describe(ts.got), describe(want))
	}
	if err := ts.s.Resume(); err != nil {
		t.Fatal("Resume when not held:", err)
	}
}

// TestSessionBackpressureSplit holds while the rest of the stream is still
// to be read, the way a backend stops reading when Held.
func TestSessionBackpressureSplit(t *testing.T) {
	var data []byte
	var want [][][]byte
	for i := 0; i < 50; i++ {
		m := [][]byte{pattern(i*41%3000, byte(i))}
		if i%7 == 0 {
			m = append(m, pattern(70000, byte(i)))
		}
		data = appendMsg(data, m...)
		want = append(want, m)
	}
	for _, chunk := range []int{0, 1, 333} {
		ts := newTestSession(t, "DEALER", 0, 0, 1)
		ts.handshake("ROUTER")
		ts.mustFeed(data, chunk)
		ts.pop()
		if !msgsEqual(ts.got, want) {
			t.Fatalf("chunk %d: got %s\nwant %s", chunk, describe(ts.got), describe(want))
		}
	}
}

// queueOutput pushes 1000 messages of assorted shapes to the session's
// pipe and returns their expected wire form and the pooled buffers they use.
func queueOutput(t *testing.T, ts *testSession) ([]byte, []*ring.Buffer) {
	var want []byte
	var bufs []*ring.Buffer
	for i := 0; i < 1000; i++ {
		var m ring.Msg
		var frames [][]byte
		switch i % 10 {
		case 3: // a referenced payload (≥ copyBelow) in a pooled buffer
			b := ring.NewBuffer(2000 + i)
			copy(b.Bytes(), pattern(len(b.Bytes()), byte(i)))
			bufs = append(bufs, b)
			m.AppendFrame(ring.OwnedFrame(b, b.Bytes()))
			frames = append(frames, b.Bytes())
		case 5: // small payloads in a pooled buffer, copied into the stage
			b := ring.NewBuffer(300)
			copy(b.Bytes(), pattern(300, byte(i)))
			bufs = append(bufs, b)
			m.AppendFrame(ring.NewFrame(b, b.Bytes()[:100]))
			m.AppendFrame(ring.NewFrame(b, b.Bytes()[100:]))
			b.Unref()
			frames = append(frames, b.Bytes()[:100], b.Bytes()[100:])
		case 7: // many frames
			for j := 0; j < 9; j++ {
				f := []byte(fmt.Sprint(i, "/", j))
				m.Append(f)
				frames = append(frames, f)
			}
		default:
			f := []byte(fmt.Sprint("message ", i))
			m.Append(f)
			frames = append(frames, f)
		}
		want = appendMsg(want, frames...)
		if err := ts.pipe.Out.Push(&m); err != nil {
			t.Fatal(err)
		}
	}
	return want, bufs
}

func checkReleased(t *testing.T, bufs []*ring.Buffer) {
	t.Helper()
	for i, b := range bufs {
		if r := b.Refs(); r != 0 {
			t.Fatalf("buffer %d: %d refs after the write", i, r)
		}
	}
}

func firstDiff(a, b []byte) int {
	i := 0
	for i < min(len(a), len(b)) && a[i] == b[i] {
		i++
	}
	return i
}

// TestSessionOutput checks that 1000 queued messages leave in a few
// batches, byte-exact, and are released once written.
func TestSessionOutput(t *testing.T) {
	ts := newTestSession(t, "DEALER", 0, 0, 0)
	ts.handshake("ROUTER")
	want, bufs := queueOutput(t, ts)
	select {
	case <-ts.out.C():
	default:
		t.Fatal("output waker not fired")
	}
	var got []byte
	batches := 0
	for {
		iov := ts.s.Output()
		if iov == nil {
			break
		}
		batches++
		if len(iov) > 1024 {
			t.Fatalf("%d iovecs, above IOV_MAX", len(iov))
		}
		n := 0
		for _, b := range iov {
			got = append(got, b...)
			n += len(b)
		}
		ts.s.Written(n)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("stream differs at byte %d of %d (got %d bytes)", firstDiff(got, want), len(want), len(got))
	}
	if batches > 8 {
		t.Fatalf("%d batches for 1000 messages", batches)
	}
	t.Logf("%d bytes in %d batches", len(want), batches)
	checkReleased(t, bufs)
	if ts.s.HasOutput() {
		t.Fatal("output left")
	}
}

// TestSessionPartialWrites writes each batch a byte at a time for a while,
// then in odd sizes, then the rest: the stream must be exact.
func TestSessionPartialWrites(t *testing.T) {
	for _, tc := range []struct {
		name       string
		bytewise   int // bytes written one at a time at the start of each batch
		step, upTo int // then step bytes at a time up to upTo
	}{
		{"bytewise 300 then 7s", 300, 7, 1000},
		{"bytewise all", 1 << 30, 1, 0},
		{"3s", 0, 3, 1 << 30},
		{"1000s", 0, 1000, 1 << 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestSession(t, "DEALER", 0, 0, 0)
			ts.handshake("ROUTER")
			want, bufs := queueOutput(t, ts)
			var got []byte
			for {
				iov := ts.s.Output()
				if iov == nil {
					break
				}
				// Output returns the rest of the current batch until it is
				// written; the first call after that starts a new batch.
				written := 0
				for iov != nil {
					step := len(want) // the rest
					switch {
					case written < tc.bytewise:
						step = 1
					case written < tc.upTo:
						step = tc.step
					}
					var piece []byte
					for _, b := range iov {
						piece = append(piece, b...)
						if len(piece) >= step {
							break
						}
					}
					piece = piece[:min(step, len(piece))]
					got = append(got, piece...)
					ts.s.Written(len(piece))
					written += len(piece)
					if ts.s.sendq.head == 0 && len(ts.s.sendq.iov) == 0 {
						break // batch done
					}
					iov = ts.s.Output()
				}
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("stream differs at byte %d of %d (got %d bytes)", firstDiff(got, want), len(want), len(got))
			}
			checkReleased(t, bufs)
		})
	}
}

// TestSessionOutputHeldUntilWritten checks that a message's buffer is not
// released while part of it is still unwritten, and that Close releases it.
func TestSessionOutputHeldUntilWritten(t *testing.T) {
	ts := newTestSession(t, "DEALER", 0, 0, 0)
	ts.handshake("ROUTER")
	b := ring.NewBuffer(5000)
	copy(b.Bytes(), pattern(5000, 7))
	b.Ref() // ours, to watch the count
	var m ring.Msg
	m.AppendFrame(ring.OwnedFrame(b, b.Bytes()))
	if err := ts.pipe.Out.Push(&m); err != nil {
		t.Fatal(err)
	}
	iov := ts.s.Output()
	if len(iov) != 2 || len(iov[1]) != 5000 {
		t.Fatalf("want header + payload iovecs, got %d", len(iov))
	}
	ts.s.Written(len(iov[0]) + 4999)
	if r := b.Refs(); r != 2 {
		t.Fatalf("refs %d while a byte is unwritten", r)
	}
	iov = ts.s.Output()
	if len(iov) != 1 || len(iov[0]) != 1 || iov[0][0] != b.Bytes()[4999] {
		t.Fatalf("rest %v", iov)
	}
	// Closing with output pending releases the message.
	ts.s.Close()
	if r := b.Refs(); r != 1 {
		t.Fatalf("refs %d after Close", r)
	}
	b.Unref()
}

// TestSessionCloseReleases checks Close in the middle of a big frame and
// of a message, and Idle.
func TestSessionCloseReleases(t *testing.T) {
	ts := newTestSession(t, "DEALER", 0, 0, 0)
	ts.handshake("ROUTER")
	data := appendMsg(nil, []byte("first"), pattern(100000, 1))
	ts.mustFeed(data[:50000], 0)
	if ts.s.big == nil {
		t.Fatal("no big buffer")
	}
	big := ts.s.big
	big.Ref()
	ts.s.Close()
	if r := big.Refs(); r != 1 {
		t.Fatalf("big buffer refs %d after Close", r)
	}
	big.Unref()
	if ts.s.cur.Len() != 0 {
		t.Fatal("partial message kept after Close")
	}

	ts2 := newTestSession(t, "DEALER", 0, 0, 0)
	ts2.handshake("ROUTER")
	rb := ts2.s.rbuf // emptied, kept for reuse
	if rb == nil || rb.Refs() != 1 {
		t.Fatal("no reusable read buffer after the handshake")
	}
	rb.Ref()
	ts2.s.Idle()
	if ts2.s.rbuf != nil || rb.Refs() != 1 {
		t.Fatalf("Idle kept the empty read buffer (%d refs)", rb.Refs())
	}
	rb.Unref()
	// A message viewing the buffer and half a header still to decode.
	ts2.mustFeed(append(appendMsg(nil, []byte("x")), 0x02, 0), 0)
	rb = ts2.s.rbuf
	if rb == nil || rb.Refs() != 2 {
		t.Fatal("read buffer not shared with the message")
	}
	ts2.s.Idle()
	if ts2.s.rbuf != rb {
		t.Fatal("Idle released a buffer with undecoded bytes")
	}
	ts2.pop()
	if rb.Refs() != 1 {
		t.Fatalf("refs %d after the message was released", rb.Refs())
	}
	ts2.mustFeed([]byte{0, 0, 0, 0, 0, 0, 1, 'y'}, 0)
	ts2.pop()
	if len(ts2.got) != 2 || string(ts2.got[1][0]) != "y" {
		t.Fatalf("got %s", describe(ts2.got))
	}
}

// TestSessionOutputIOVMax checks that a batch never has more iovecs than
// writev takes (IOV_MAX 1024), even for one message of many large frames.
func TestSessionOutputIOVMax(t *testing.T) {
	for _, tc := range []struct{ msgs, frames, size int }{
		{1, 600, 2000},
		{3, 400, 1500},
		{1, 2000, 1024},
		{600, 1, 1024},
		{5, 300, 100},
	} {
		t.Run(fmt.Sprintf("%dx%dx%d", tc.msgs, tc.frames, tc.size), func(t *testing.T) {
			ts := newTestSession(t, "DEALER", 0, 0, 0)
			ts.handshake("ROUTER")
			var want []byte
			for i := 0; i < tc.msgs; i++ {
				var m ring.Msg
				var frames [][]byte
				for j := 0; j < tc.frames; j++ {
					f := pattern(tc.size, byte(i+j))
					m.Append(f)
					frames = append(frames, f)
				}
				want = appendMsg(want, frames...)
				if err := ts.pipe.Out.Push(&m); err != nil {
					t.Fatal(err)
				}
			}
			var got []byte
			for {
				iov := ts.s.Output()
				if iov == nil {
					break
				}
				if len(iov) > 1024 {
					t.Fatalf("batch of %d iovecs, above IOV_MAX", len(iov))
				}
				n := 0
				for _, b := range iov {
					got = append(got, b...)
					n += len(b)
				}
				ts.s.Written(n)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("stream differs at byte %d of %d", firstDiff(got, want), len(want))
			}
		})
	}
}

// TestSessionSendsSubscriptions checks the two wire forms of a subscription
// the socket marked as its own (zmtp.md §10): a SUBSCRIBE/CANCEL command to a
// 3.1 peer, the 0x01/0x00 data message to a 3.0 peer; an unmarked message
// that starts with 0x01 (an XSUB application's) is data to both.
func TestSessionSendsSubscriptions(t *testing.T) {
	for _, minor := range []byte{0, 1} {
		ts := newTestSession(t, "SUB", 0, 0, 0)
		ts.mustFeed(append(peerGreeting("NULL", 3, minor), readyCmd("PUB", nil)...), 0)
		ts.output() // greeting and READY
		for _, m := range []struct {
			body []byte
			sub  bool
		}{{[]byte("\x01AB"), true}, {[]byte("\x00AB"), true}, {[]byte("\x01user"), false}} {
			var msg ring.Msg
			msg.Append(m.body)
			if m.sub {
				msg.SetFlags(ring.Subscription)
			}
			if err := ts.pipe.Out.Push(&msg); err != nil {
				t.Fatal(err)
			}
		}
		want := slices.Concat(
			frame.AppendCommand(nil, frame.NameSubscribe, []byte("AB")),
			frame.AppendCommand(nil, frame.NameCancel, []byte("AB")),
			appendMsg(nil, []byte("\x01user")))
		if minor == 0 {
			want = slices.Concat(appendMsg(nil, []byte("\x01AB")), appendMsg(nil, []byte("\x00AB")), appendMsg(nil, []byte("\x01user")))
		}
		if got := ts.output(); !bytes.Equal(got, want) {
			t.Errorf("minor %d: wrote % x, want % x", minor, got, want)
		}
		ts.close()
	}
}
