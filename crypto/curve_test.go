package crypto

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/azmq/azmq/frame"
	"golang.org/x/crypto/nacl/box"
)

// Known-answer values of mechanisms.md §4.10.
const (
	kaClientT   = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
	kaClientTP  = "07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c"
	kaServerT   = "2122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40"
	kaSignature = `6e3f26f72fe2f05db20de7881ee6a08fc432afe73b138226f5930879c93bdd4d
		8586425a3a8d6bc5d83598a3017e0f1792ff0381360d168b6fe1c5e0bb752b0d
		365e13ea8e8a29ce1c5052c8c63eced7`
	kaShared  = "ec88f6e13b22bf9f04d480e0d8525c08ac7e2f48e212742bcbcafa104a74b08d"
	kaMessage = `00 26 07 4d 45 53 53 41 47 45 00 00 00 00 00 00 00 03
		23 92 73 9a f1 51 94 1d 82 93 c3 ab 21 58 6b 77 22 07 31 a3 f5 fd`
)

func testKeys(t testing.TB) (cp, sp PublicKey, cs, ss SecretKey) {
	t.Helper()
	var err error
	cp, err = ParsePublicKey(clientPublicZ85)
	if err == nil {
		sp, err = ParsePublicKey(serverPublicZ85)
	}
	if err == nil {
		cs, err = ParseSecretKey(clientSecretZ85)
	}
	if err == nil {
		ss, err = ParseSecretKey(serverSecretZ85)
	}
	if err != nil {
		t.Fatal(err)
	}
	return
}

// curvePair returns a client and server on libzmq's test keys whose
// randomness comes from the given readers (nil: crypto/rand).
func curvePair(t testing.TB, cr, sr io.Reader, zap ZAPFunc) (*curve, *curve) {
	cp, sp, cs, ss := testKeys(t)
	c := NewCurveClient(Config{SocketType: "DEALER", Identity: []byte("CLI")}, sp, cp, cs).(*curve)
	s := NewCurveServer(Config{SocketType: "ROUTER", ZAP: zap, PeerAddress: "127.0.0.1"}, ss).(*curve)
	if cr != nil {
		c.rand = cr
	}
	if sr != nil {
		s.rand = sr
	}
	return c, s
}

func TestCurveKnownAnswers(t *testing.T) {
	cr := io.MultiReader(bytes.NewReader(unhex(t, kaClientT)), rand.Reader)
	sr := io.MultiReader(bytes.NewReader(unhex(t, kaServerT)), rand.Reader)
	c, s := curvePair(t, cr, sr, nil)
	hello, err := c.Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := append(unhex(t, "04 c8 05 48 45 4c 4c 4f 01 00"), make([]byte, 72)...)
	want = append(want, unhex(t, kaClientTP)...)
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 1)
	want = append(want, unhex(t, kaSignature)...)
	if !bytes.Equal(hello, want) {
		t.Fatalf("HELLO\n got %x\nwant %x", hello, want)
	}
	s.Start(nil)
	welcome, _, err := s.Next(nil, command(t, hello))
	if err != nil || len(welcome) != 2+168 || !bytes.Equal(welcome[:2], []byte{0x04, 0xa8}) {
		t.Fatalf("WELCOME %x, %v", welcome, err)
	}
	initiate, _, err := c.Next(nil, command(t, welcome))
	if err != nil || initiate[0] != 0x06 {
		t.Fatalf("INITIATE: %v", err)
	}
	// Socket-Type DEALER + Identity CLI: libzmq's 295-byte INITIATE.
	if h, _ := frame.ParseHeader(initiate); h.Size != 295 {
		t.Fatalf("INITIATE body %d bytes, want 295", h.Size)
	}
	ready, done, err := s.Next(nil, command(t, initiate))
	if err != nil || !done {
		t.Fatalf("READY: %v", err)
	}
	if h, _ := frame.ParseHeader(ready); h.Size != 65 { // ROUTER + empty Identity
		t.Fatalf("READY body %d bytes, want 65", h.Size)
	}
	if !bytes.Equal(c.shared[:], unhex(t, kaShared)) || s.shared != c.shared {
		t.Fatalf("shared key %x", c.shared)
	}
	if _, done, err := c.Next(nil, command(t, ready)); err != nil || !done {
		t.Fatalf("client READY: %v", err)
	}
	msg, err := c.Encode(nil, 0, []byte("Hello"))
	if err != nil || !bytes.Equal(msg, unhex(t, kaMessage)) {
		t.Fatalf("MESSAGE\n got %x\nwant %s, %v", msg, kaMessage, err)
	}
	// The server opens it in place; the frame had no outer flags.
	flags, payload, err := s.Decode(command4(t, msg))
	if err != nil || flags != 0 || string(payload) != "Hello" {
		t.Fatalf("Decode: %x %q %v", flags, payload, err)
	}
	if c.Peer().SocketType != "ROUTER" || s.Peer().SocketType != "DEALER" || string(s.Peer().Identity) != "CLI" {
		t.Fatal("peer metadata")
	}
}

// command4 parses a MESSAGE frame whatever its outer flags.
func command4(t testing.TB, wire []byte) frame.Command {
	t.Helper()
	h, err := frame.ParseHeader(wire)
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := frame.ParseCommand(wire[h.Len:])
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}

// connected returns a client and server whose handshake is done.
func connected(t testing.TB, zap ZAPFunc) (*curve, *curve) {
	c, s := curvePair(t, nil, nil, zap)
	tr := handshake(t, c, s)
	if tr.clientErr != nil || tr.serverErr != nil || !tr.clientDone || !tr.serverDone {
		t.Fatalf("handshake: %v / %v", tr.clientErr, tr.serverErr)
	}
	return c, s
}

func TestCurveTraffic(t *testing.T) {
	c, s := connected(t, nil)
	tests := []struct {
		flags   byte
		payload []byte
	}{
		{frame.FlagMore, nil},
		{0, []byte("x")},
		{frame.FlagCommand, []byte("\x04PING\x00\x00")},
		{0, bytes.Repeat([]byte("0123456789"), 100)},
	}
	for _, dir := range []struct{ from, to *curve }{{c, s}, {s, c}} {
		for _, tt := range tests {
			wire, err := dir.from.Encode(nil, tt.flags, tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			if wire[0]&^frame.FlagLong != 0 {
				t.Fatalf("outer flags %02x: libzmq wants none", wire[0])
			}
			flags, payload, err := dir.to.Decode(command4(t, wire))
			if err != nil || flags != tt.flags || !bytes.Equal(payload, tt.payload) {
				t.Fatalf("got %x %q %v", flags, payload, err)
			}
		}
	}
	// The server's first MESSAGE nonce follows its READY (1): 2, 3, ...
	if s.sendN != 1+uint64(len(tests)) || c.sendN != 2+uint64(len(tests)) {
		t.Fatalf("nonces %d %d", c.sendN, s.sendN)
	}
}

func TestCurveTrafficErrors(t *testing.T) {
	t.Run("replay", func(t *testing.T) {
		c, s := connected(t, nil)
		wire, _ := c.Encode(nil, 0, []byte("once"))
		saved := append([]byte(nil), wire...)
		if _, _, err := s.Decode(command4(t, wire)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Decode(command4(t, saved)); !errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), "nonce") {
			t.Fatalf("replay: %v", err)
		}
	})
	t.Run("reorder", func(t *testing.T) {
		c, s := connected(t, nil)
		first, _ := c.Encode(nil, 0, []byte("1"))
		second, _ := c.Encode(nil, 0, []byte("2"))
		if _, _, err := s.Decode(command4(t, second)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Decode(command4(t, first)); !errors.Is(err, ErrHandshake) {
			t.Fatalf("reordered: %v", err)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		c, s := connected(t, nil)
		wire, _ := c.Encode(nil, 0, []byte("hello"))
		wire[len(wire)-1] ^= 1
		if _, _, err := s.Decode(command4(t, wire)); !errors.Is(err, ErrHandshake) {
			t.Fatalf("tampered: %v", err)
		}
	})
	t.Run("not MESSAGE", func(t *testing.T) {
		_, s := connected(t, nil)
		if _, _, err := s.Decode(command(t, unhex(t, libzmqError400))); !errors.Is(err, ErrHandshake) {
			t.Fatalf("ERROR in traffic: %v", err)
		}
	})
	t.Run("gap allowed", func(t *testing.T) {
		c, s := connected(t, nil)
		c.sendN += 10
		wire, _ := c.Encode(nil, 0, []byte("later"))
		if _, _, err := s.Decode(command4(t, wire)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCurveHandshakeFailures(t *testing.T) {
	t.Run("wrong server key", func(t *testing.T) {
		c, s := curvePair(t, nil, nil, nil)
		other, _, _ := NewCurveKeypair()
		c.peerLong = other
		tr := handshake(t, c, s)
		if !errors.Is(tr.serverErr, ErrHandshake) || len(tr.toClient) != 0 {
			t.Fatalf("server: %v, sent %d frames", tr.serverErr, len(tr.toClient))
		}
		for _, k := range []string{serverSecretZ85, serverPublicZ85, clientSecretZ85} {
			if strings.Contains(tr.serverErr.Error(), k) {
				t.Fatal("key in error text")
			}
		}
	})
	t.Run("client secret does not match its public key", func(t *testing.T) {
		c, s := curvePair(t, nil, nil, nil)
		_, c.secret, _ = NewCurveKeypair()
		if tr := handshake(t, c, s); !errors.Is(tr.serverErr, ErrHandshake) || tr.serverDone {
			t.Fatalf("bad vouch: %v", tr.serverErr)
		}
	})
	t.Run("INITIATE from another connection", func(t *testing.T) {
		c1, s1 := curvePair(t, nil, nil, nil)
		c2, s2 := curvePair(t, nil, nil, nil)
		h1, _ := c1.Start(nil)
		s1.Start(nil)
		w1, _, _ := s1.Next(nil, command(t, h1))
		i1, _, _ := c1.Next(nil, command(t, w1))
		h2, _ := c2.Start(nil)
		s2.Start(nil)
		s2.Next(nil, command(t, h2))
		if _, _, err := s2.Next(nil, command(t, i1)); !errors.Is(err, ErrHandshake) {
			t.Fatalf("foreign INITIATE: %v", err)
		}
	})
	t.Run("ZAP 400", func(t *testing.T) {
		var req *ZAPRequest
		c, s := curvePair(t, nil, nil, zapAnswer(ZAPReply{Status: ZAPDenied}, nil, &req))
		tr := handshake(t, c, s)
		if !errors.Is(tr.serverErr, ErrAuth) || !errors.Is(tr.clientErr, nil) {
			t.Fatalf("server %v client %v", tr.serverErr, tr.clientErr)
		}
		last := tr.toClient[len(tr.toClient)-1]
		if !bytes.Equal(last, unhex(t, libzmqError400)) {
			t.Fatalf("refusal %x", last)
		}
		if _, _, err := c.Next(nil, command(t, last)); !errors.Is(err, ErrRefused) {
			t.Fatalf("client: %v", err)
		}
		if req.Mechanism != "CURVE" || len(req.Credentials) != 1 || !bytes.Equal(req.Credentials[0], unhex(t, clientPublicHex)) {
			t.Fatalf("ZAP request %+v", req)
		}
	})
	t.Run("ZAP 200 adds User-Id", func(t *testing.T) {
		_, s := connected(t, zapAnswer(ZAPReply{Status: ZAPOK, UserID: "bob"}, nil, nil))
		if v, ok := s.Peer().Get(frame.PropUserID); !ok || string(v) != "bob" {
			t.Fatalf("User-Id %q %v", v, ok)
		}
	})
	t.Run("no ZAP handler accepts", func(t *testing.T) {
		_, s := connected(t, zapAnswer(ZAPReply{}, ErrNoZAPHandler, nil))
		if _, ok := s.Peer().Get(frame.PropUserID); ok {
			t.Fatal("User-Id without ZAP")
		}
	})
}

func TestSealInPlaceMatchesNaCl(t *testing.T) {
	var key [32]byte
	var nonce [24]byte
	rand.Read(key[:])
	rand.Read(nonce[:])
	for _, n := range []int{0, 1, 31, 32, 33, 64, 65, 1000} {
		msg := make([]byte, n)
		rand.Read(msg)
		want := box.SealAfterPrecomputation(nil, msg, &nonce, &key)
		buf := append(make([]byte, boxOverhead), msg...)
		sealInPlace(buf, &nonce, &key)
		if !bytes.Equal(buf, want) {
			t.Fatalf("n=%d: sealInPlace differs from box", n)
		}
		if !openInPlace(buf, &nonce, &key) || !bytes.Equal(buf[boxOverhead:], msg) {
			t.Fatalf("n=%d: openInPlace", n)
		}
	}
	if openInPlace(make([]byte, 15), &nonce, &key) {
		t.Fatal("opened a box shorter than its tag")
	}
}

// FuzzCurveServer feeds one arbitrary command to a server waiting for HELLO
// and to one waiting for INITIATE.
func FuzzCurveServer(f *testing.F) {
	c, s := curvePair(f, nil, nil, nil)
	hello, _ := c.Start(nil)
	s.Start(nil)
	welcome, _, _ := s.Next(nil, command(f, hello))
	initiate, _, _ := c.Next(nil, command(f, welcome))
	f.Add(hello[2:])
	f.Add(initiate[9:])
	f.Add([]byte("\x05HELLO"))
	f.Fuzz(func(t *testing.T, body []byte) {
		cmd, err := frame.ParseCommand(body)
		if err != nil {
			return
		}
		c, s := curvePair(t, nil, nil, nil)
		h, _ := c.Start(nil)
		s.Start(nil)
		checkFuzzStep(t, s, cmd)
		s2 := NewCurveServer(s.cfg, s.secret).(*curve)
		s2.Start(nil)
		s2.Next(nil, command(t, h))
		checkFuzzStep(t, s2, cmd)
	})
}

// FuzzCurveClient feeds one arbitrary command to a client waiting for
// WELCOME, one waiting for READY, and to both sides' Decode.
func FuzzCurveClient(f *testing.F) {
	c, _ := connected(f, nil)
	msg, _ := c.Encode(nil, 0, []byte("hi"))
	f.Add(msg[2:])
	f.Add(unhex(f, libzmqError400)[2:])
	f.Add([]byte("\x07WELCOME"))
	f.Fuzz(func(t *testing.T, body []byte) {
		cmd, err := frame.ParseCommand(body)
		if err != nil {
			return
		}
		c, s := curvePair(t, nil, nil, nil)
		h, _ := c.Start(nil)
		s.Start(nil)
		s.Next(nil, command(t, h))
		checkFuzzStep(t, c, cmd)
		c2, _ := curvePair(t, nil, nil, nil)
		c2.Start(nil)
		c2.state, c2.shared = curveReady, s.shared
		checkFuzzStep(t, c2, cmd)
		cc, ss := connected(t, nil)
		for _, m := range []*curve{cc, ss} {
			cp := append([]byte(nil), body...)
			cmd2, _ := frame.ParseCommand(cp)
			if _, _, err := m.Decode(cmd2); err != nil && !errors.Is(err, ErrHandshake) {
				t.Fatalf("unclassified Decode error %v", err)
			}
		}
	})
}

func checkFuzzStep(t *testing.T, m Mechanism, cmd frame.Command) {
	t.Helper()
	cp := frame.Command{Kind: cmd.Kind, Name: cmd.Name, Data: append([]byte(nil), cmd.Data...)}
	_, done, err := m.Next(nil, cp)
	if err != nil && done {
		t.Fatal("error with done")
	}
	if err != nil && !errors.Is(err, ErrHandshake) && !errors.Is(err, ErrRefused) && !errors.Is(err, ErrSocketType) && !errors.Is(err, ErrAuth) {
		t.Fatalf("unclassified error %v", err)
	}
}
