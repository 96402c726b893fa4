package engine

import (
	"bytes"
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/azmq/azmq/crypto"
	"github.com/azmq/azmq/frame"
	"github.com/azmq/azmq/ring"
	"github.com/azmq/azmq/sock"
)

// Fuzz modes, bits of FuzzSession's mode argument.
const (
	fuzzRouter   = 1 << iota // a ROUTER session meeting a DEALER, else the reverse
	fuzzRaw                  // data is the whole peer stream, greeting included
	fuzzHWM1                 // receive HWM 1: the held path on every message
	fuzzMaxSize              // maximum message size 1000
	fuzzIdle                 // Idle between reads, as a backend on EAGAIN
	fuzzPartialW             // write output a byte at a time between reads
)

const fuzzMax = 1000

// fuzzResult is what one run of a session produced.
type fuzzResult struct {
	msgs  [][][]byte
	err   error
	out   []byte
	ready bool
}

// runFuzzSession feeds stream to a fresh NULL session in reads whose sizes
// come from chunks (nil: as much as ReadBuf takes), stops at the first error,
// and releases everything before returning.
func runFuzzSession(t *testing.T, mode byte, stream, chunks []byte) fuzzResult {
	typ := "DEALER"
	if mode&fuzzRouter != 0 {
		typ = "ROUTER"
	}
	var max int64
	if mode&fuzzMaxSize != 0 {
		max = fuzzMax
	}
	rcvHWM := 0
	if chunks != nil && mode&fuzzHWM1 != 0 {
		rcvHWM = 1
	}
	var res fuzzResult
	var pipe *ring.Pipe
	ready := func(*crypto.Metadata, byte) (*ring.Pipe, error) {
		if pipe != nil {
			t.Fatal("ready called twice")
		}
		pipe = ring.NewPipe(0, rcvHWM)
		return pipe, nil
	}
	s := NewSession(crypto.NewNull(crypto.Config{SocketType: typ}), max, ready, ring.NewSignal(), ring.NewSignal())
	pop := func() {
		if pipe == nil {
			return
		}
		var m ring.Msg
		for pipe.In.Pop(&m) {
			if max > 0 && m.Size() > int(max) {
				t.Fatalf("delivered a %d-byte message over the %d limit", m.Size(), max)
			}
			res.msgs = append(res.msgs, copyMsg(&m))
		}
		m.Release()
	}
	drain := func(partial bool) {
		for {
			iov := s.Output()
			if iov == nil {
				return
			}
			if partial && len(iov[0]) > 0 {
				res.out = append(res.out, iov[0][0])
				s.Written(1)
				return
			}
			n := 0
			for _, b := range iov {
				res.out = append(res.out, b...)
				n += len(b)
			}
			s.Written(n)
		}
	}
	for i := 0; len(stream) > 0 && res.err == nil; i++ {
		for s.Held() {
			pop()
			if res.err = s.Resume(); res.err != nil {
				break
			}
		}
		if res.err != nil {
			break
		}
		buf := s.ReadBuf()
		if len(buf) == 0 {
			t.Fatal("empty ReadBuf")
		}
		n := len(buf)
		if len(chunks) > 0 {
			c := int(chunks[i%len(chunks)])
			if c >= 200 {
				c = (c - 199) * 4096
			}
			n = min(n, c+1)
		}
		n = copy(buf[:n], stream)
		stream = stream[n:]
		res.err = s.Advance(n)
		if mode&fuzzIdle != 0 && chunks != nil && !s.Held() {
			s.Idle()
		}
		if mode&fuzzPartialW != 0 && chunks != nil {
			drain(true)
		}
	}
	for res.err == nil && s.Held() {
		pop()
		res.err = s.Resume()
	}
	pop()
	drain(false)
	res.ready = s.Ready()
	if res.ready != (pipe != nil) {
		t.Fatalf("Ready %v with pipe %v", res.ready, pipe != nil)
	}
	s.Close()
	if pipe != nil {
		pop()
		pipe.SetGone()
	}
	return res
}

// referenceTraffic decodes traffic the simple way, from one slice: the
// messages a session must deliver, the PONGs it must write, and whether it
// must fail.
func referenceTraffic(data []byte, max int64) (msgs [][][]byte, pongs []byte, fail bool) {
	var cur [][]byte
	var curSize uint64
	for {
		h, err := frame.ParseHeader(data)
		if errors.Is(err, frame.ErrShort) {
			return msgs, pongs, false
		}
		if err != nil {
			return msgs, pongs, true
		}
		if max > 0 && (h.Size > uint64(max) || curSize+h.Size > uint64(max)) {
			return msgs, pongs, true
		}
		if h.Size > math.MaxInt-curSize {
			return msgs, pongs, true
		}
		total := uint64(h.Len) + h.Size
		if h.Command() && total > ring.ReadBufferSize {
			return msgs, pongs, true
		}
		if uint64(len(data)) < total {
			return msgs, pongs, false
		}
		body := data[h.Len:total]
		data = data[total:]
		if !h.Command() {
			cur = append(cur, body)
			curSize += h.Size
			if !h.More() {
				msgs = append(msgs, cur)
				cur, curSize = nil, 0
			}
			continue
		}
		cmd, err := frame.ParseCommand(body)
		if err != nil {
			return msgs, pongs, true
		}
		switch cmd.Kind {
		case frame.CmdPing:
			_, ctx, err := frame.ParsePing(cmd.Data)
			if err != nil {
				return msgs, pongs, true
			}
			pongs = frame.AppendPong(pongs, ctx)
		case frame.CmdSubscribe, frame.CmdCancel:
			op := byte(0)
			if cmd.Kind == frame.CmdSubscribe {
				op = 1
			}
			msgs = append(msgs, [][]byte{append([]byte{op}, cmd.Data...)})
		case frame.CmdReady, frame.CmdError:
			return msgs, pongs, true
		}
	}
}

func fuzzSeeds() [][]byte {
	var seeds [][]byte
	add := func(parts ...[]byte) { seeds = append(seeds, slices.Concat(parts...)) }
	add()
	add(appendMsg(nil, []byte("Hello")))
	add(appendMsg(nil, []byte{}, []byte("Hello")), appendMsg(nil, []byte("x"), []byte("y"), []byte("z"), []byte("1"), []byte("2"), []byte("3")))
	add(frame.AppendPing(nil, 123, nil), frame.AppendPing(nil, 0, []byte("ctx")), appendMsg(nil, []byte("after")))
	add(frame.AppendCommand(nil, frame.NameSubscribe, []byte("AB")), frame.AppendCommand(nil, frame.NameCancel))
	add(frame.AppendCommand(nil, "HELLO", []byte("ignored")), appendMsg(nil, pattern(300, 1)))
	// big frames, declared but kept short: a big input makes minimizing slow
	add(frame.AppendHeader(nil, frame.FlagMore, 70000), pattern(100, 2))
	add(appendMsg(nil, pattern(600, 2)), frame.AppendHeader(nil, 0, ring.ReadBufferSize+1), pattern(50, 3))
	add(appendMsg(nil, pattern(1000, 3), pattern(1, 3)))
	add(frame.AppendHeader(nil, 0, 1<<20), pattern(100, 4))
	add([]byte{0x02, 0x3f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, pattern(10, 5))
	add([]byte{0x03, 0, 0, 0, 0x10, 0, 0, 0, 0}, pattern(10, 5))
	add(frame.AppendCommandHeader(nil, frame.NameSubscribe, 70000))
	add(frame.AppendError(nil, "400"))
	add(readyCmd("ROUTER", nil))
	add(frame.AppendCommand(nil, frame.NamePing, []byte{0}))
	add([]byte{0x05, 0x00}, []byte{0x04, 0x01, 0x00})
	return seeds
}

// FuzzSession feeds a NULL session a compatible peer's greeting and READY
// followed by arbitrary bytes (or arbitrary bytes from the start), in
// fuzz-chosen reads, and checks it never panics, that the messages, the
// bytes it writes and whether it fails do not depend on how the stream was
// split, and, after a valid handshake, that they match a simple reference
// decoder.
func FuzzSession(f *testing.F) {
	for i, seed := range fuzzSeeds() {
		f.Add(byte(i%2), []byte{0}, seed)
		f.Add(byte(fuzzHWM1|fuzzIdle|fuzzPartialW), []byte{3, 250, 17}, seed)
		f.Add(byte(fuzzRouter|fuzzMaxSize), []byte{199, 1}, seed)
	}
	greet := peerGreeting("NULL", 3, 1)
	f.Add(byte(fuzzRaw), []byte{9, 0, 52}, slices.Concat(greet, readyCmd("ROUTER", nil), appendMsg(nil, []byte("m"))))
	f.Add(byte(fuzzRaw|fuzzRouter), []byte{63}, slices.Concat(peerGreeting("NULL", 3, 0), readyCmd("DEALER", []byte("id")), frame.AppendPing(nil, 1, nil)))
	f.Add(byte(fuzzRaw), []byte{1}, peerGreeting("PLAIN", 3, 1))

	f.Fuzz(func(t *testing.T, mode byte, chunks, data []byte) {
		peerType := "ROUTER"
		if mode&fuzzRouter != 0 {
			peerType = "DEALER"
		}
		stream := data
		if mode&fuzzRaw == 0 {
			stream = slices.Concat(greet, readyCmd(peerType, []byte("peer")), data)
		}
		if chunks == nil {
			chunks = []byte{}
		}
		whole := runFuzzSession(t, mode, stream, nil)
		split := runFuzzSession(t, mode, stream, chunks)
		if (whole.err == nil) != (split.err == nil) {
			t.Fatalf("whole: %v; split: %v", whole.err, split.err)
		}
		if !msgsEqual(whole.msgs, split.msgs) {
			t.Fatalf("messages differ\nwhole %s\nsplit %s", describe(whole.msgs), describe(split.msgs))
		}
		if !bytes.Equal(whole.out, split.out) || whole.ready != split.ready {
			t.Fatalf("output differs\nwhole % x\nsplit % x", whole.out, split.out)
		}
		if whole.err != nil && !errors.Is(whole.err, ErrProtocol) && !errors.Is(whole.err, ErrMsgSize) &&
			!errors.Is(whole.err, crypto.ErrHandshake) && !errors.Is(whole.err, crypto.ErrSocketType) &&
			!errors.Is(whole.err, crypto.ErrRefused) {
			t.Fatalf("error %v wraps no known sentinel", whole.err)
		}
		if mode&fuzzRaw != 0 {
			return
		}
		var max int64
		if mode&fuzzMaxSize != 0 {
			max = fuzzMax
		}
		msgs, pongs, fail := referenceTraffic(data, max)
		if !whole.ready {
			t.Fatal("handshake with a valid peer did not complete")
		}
		if (whole.err != nil) != fail {
			t.Fatalf("session error %v, reference fails: %v", whole.err, fail)
		}
		if !msgsEqual(whole.msgs, msgs) {
			t.Fatalf("messages differ from the reference\n got %s\nwant %s", describe(whole.msgs), describe(msgs))
		}
		typ := "DEALER"
		if mode&fuzzRouter != 0 {
			typ = "ROUTER"
		}
		wantOut := slices.Concat(frame.AppendGreeting(nil, "NULL", false), readyCmd(typ, []byte{}), pongs)
		if !bytes.Equal(whole.out, wantOut) {
			t.Fatalf("output\n got % x\nwant % x", whole.out, wantOut)
		}
	})
}

// socketTypes are the socket types a FuzzSessionSocket session may speak,
// indexed by the fuzzer's choice.
var socketTypes = []sock.Type{sock.Pair, sock.Pub, sock.Sub, sock.Req, sock.Rep,
	sock.Dealer, sock.Router, sock.Pull, sock.Push, sock.XPub, sock.XSub}

// compatiblePeers returns the types of socketTypes that may talk to ours.
func compatiblePeers(ours sock.Type) []string {
	var out []string
	for _, t := range socketTypes {
		if crypto.Compatible(ours.String(), t.String()) {
			out = append(out, t.String())
		}
	}
	return out
}

// FuzzSessionSocket joins a session of every socket type, on either side of
// the connection, to the real socket pattern and feeds it a compatible
// peer's handshake (or, in raw mode, arbitrary bytes from the start)
// followed by arbitrary bytes, while the application subscribes, sends and
// receives between reads. It checks that nothing panics, that errors wrap a
// known sentinel, that what the session writes is a well-formed ZMTP stream,
// and that a SUB delivers only what it subscribed to.
func FuzzSessionSocket(f *testing.F) {
	for i, seed := range fuzzSeeds() {
		f.Add(byte(i), byte(i/3), []byte{byte(i * 7)}, seed)
	}
	sub := slices.Concat(frame.AppendCommand(nil, frame.NameSubscribe, []byte("A")),
		frame.AppendCommand(nil, frame.NameCancel, []byte("A")), frame.AppendCommand(nil, frame.NameSubscribe))
	for typ := range socketTypes {
		f.Add(byte(typ), byte(0), []byte{5, 0}, slices.Concat(sub, appendMsg(nil, []byte("A1"), []byte("b")),
			appendMsg(nil, []byte{}, []byte("req")), appendMsg(nil, []byte("B")), appendMsg(nil, []byte{1, 'x'})))
	}
	f.Fuzz(func(t *testing.T, typ, peer byte, chunks, data []byte) {
		ours := socketTypes[int(typ&0x0f)%len(socketTypes)]
		raw, hwm1 := typ&0x80 != 0, typ&0x40 != 0
		peers := compatiblePeers(ours)
		peerType := peers[int(peer)%len(peers)]
		stream := data
		if !raw {
			stream = slices.Concat(peerGreeting("NULL", 3, 1), readyCmd(peerType, []byte("peer")), data)
		}
		runSocketSession(t, ours, hwm1, stream, chunks)
	})
}

func runSocketSession(t *testing.T, ours sock.Type, hwm1 bool, stream, chunks []byte) {
	pat, err := sock.New(ours, sock.Options{XPubVerbose: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pat.Close()
	subscribed := []byte("A")
	if s, ok := pat.(sock.Subscriber); ok && (ours == sock.Sub || ours == sock.XSub) {
		if err := s.Subscribe(subscribed); err != nil {
			t.Fatal(err)
		}
	}
	hwm := 0
	if hwm1 {
		hwm = 1
	}
	var pipe *ring.Pipe
	ready := func(peer *crypto.Metadata, _ byte) (*ring.Pipe, error) {
		if pipe != nil {
			t.Fatal("ready called twice")
		}
		p := ring.NewPipe(hwm, hwm)
		p.RoutingID = append([]byte(nil), peer.Identity...)
		p.SetPeerType(peer.SocketType)
		if err := pat.Attach(p); err != nil {
			return nil, err
		}
		pipe = p
		return p, nil
	}
	s := NewSession(crypto.NewNull(crypto.Config{SocketType: ours.String()}), 0, ready, ring.NewSignal(), ring.NewSignal())
	done, cancel := context.WithCancel(context.Background())
	cancel() // the application never waits: it takes what is there
	var out []byte
	var m ring.Msg
	app := func() {
		for pat.Recv(done, &m) == nil {
			if ours == sock.Sub && (m.Len() == 0 || !bytes.HasPrefix(m.Frame(0), subscribed)) {
				t.Fatalf("SUB delivered %s, subscribed to %q", describe([][][]byte{copyMsg(&m)}), subscribed)
			}
			m.Release()
		}
		if ours != sock.Pull && ours != sock.Sub {
			m.Append([]byte("A-app"))
			if pat.Send(done, &m) != nil {
				m.Release()
			}
		}
		for {
			iov := s.Output()
			if iov == nil {
				break
			}
			n := 0
			for _, b := range iov {
				out = append(out, b...)
				n += len(b)
			}
			s.Written(n)
		}
	}
	var serr error
	for i := 0; len(stream) > 0 && serr == nil; i++ {
		for s.Held() && serr == nil {
			app()
			if s.Held() {
				// Nobody reads it now (a REP in the wrong state, a
				// PUB): a backend would wait, the fuzz run ends here.
				stream = nil
				break
			}
			serr = s.Resume()
		}
		if len(stream) == 0 || serr != nil {
			break
		}
		buf := s.ReadBuf()
		n := len(buf)
		if len(chunks) > 0 {
			n = min(n, int(chunks[i%len(chunks)])+1)
		}
		n = copy(buf[:n], stream)
		stream = stream[n:]
		serr = s.Advance(n)
		app()
	}
	if serr != nil && !errors.Is(serr, ErrProtocol) && !errors.Is(serr, ErrMsgSize) &&
		!errors.Is(serr, crypto.ErrHandshake) && !errors.Is(serr, crypto.ErrSocketType) &&
		!errors.Is(serr, crypto.ErrRefused) && !errors.Is(serr, sock.ErrNotSupported) {
		t.Fatalf("error %v wraps no known sentinel", serr)
	}
	app()
	checkStream(t, out)
	s.Close()
	if pipe != nil {
		pipe.SetGone()
		pat.Detach(pipe)
		for pipe.In.Pop(&m) {
			m.Release()
		}
	}
}

// checkStream checks that what a session wrote is our greeting followed by
// whole, well-formed frames.
func checkStream(t *testing.T, out []byte) {
	if len(out) < frame.GreetingSize {
		t.Fatalf("wrote %d bytes, less than a greeting", len(out))
	}
	if _, err := frame.ParseGreeting(out); err != nil {
		t.Fatalf("our greeting: %v", err)
	}
	for b := out[frame.GreetingSize:]; len(b) > 0; {
		h, err := frame.ParseHeader(b)
		if err != nil || uint64(len(b)) < uint64(h.Len)+h.Size {
			t.Fatalf("we wrote a bad frame: % x (%v)", b[:min(len(b), 16)], err)
		}
		if h.Command() {
			if _, err := frame.ParseCommand(b[h.Len : h.Len+int(h.Size)]); err != nil {
				t.Fatalf("we wrote a bad command: %v", err)
			}
		}
		b = b[h.Len+int(h.Size):]
	}
}
