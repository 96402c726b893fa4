package crypto

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/azmq/azmq/frame"
)

// Transcripts from zmtp.md §17: libzmq 4.3.4's READY frames and the READY
// our implementation must write.
const (
	// §17.1: what a libzmq ROUTER sent to a DEALER.
	libzmqRouterReady = `04 29 05 52 45 41 44 59
		0b 53 6f 63 6b 65 74 2d 54 79 70 65 00 00 00 06 52 4f 55 54 45 52
		08 49 64 65 6e 74 69 74 79 00 00 00 00`
	// §17.2: the DEALER READY we must send (identical to libzmq's, §17.1).
	ourDealerReady = `04 29 05 52 45 41 44 59 0b 53 6f 63 6b 65 74 2d 54 79 70 65
		00 00 00 06 44 45 41 4c 45 52 08 49 64 65 6e 74 69 74 79 00 00 00 00`
	// §17.1: a DEALER with routing id "abc".
	libzmqDealerABCReady = `04 2c 05 52 45 41 44 59
		0b 53 6f 63 6b 65 74 2d 54 79 70 65 00 00 00 06 44 45 41 4c 45 52
		08 49 64 65 6e 74 69 74 79 00 00 00 03 61 62 63`
	// §17.4: a SUB's READY (no Identity: SUB is not REQ/DEALER/ROUTER).
	libzmqSubReady = `04 19 05 52 45 41 44 59
		0b 53 6f 63 6b 65 74 2d 54 79 70 65 00 00 00 03 53 55 42`
	// §8: a libzmq server refusing with ZAP status 400.
	libzmqError400 = `04 0a 05 45 52 52 4f 52 03 34 30 30`
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

// command decodes one whole command frame, as the engine does.
func command(t testing.TB, wire []byte) frame.Command {
	t.Helper()
	h, err := frame.ParseHeader(wire)
	if err != nil || !h.Command() || uint64(len(wire)-h.Len) != h.Size {
		t.Fatalf("not one command frame: %+v, %v", h, err)
	}
	cmd, err := frame.ParseCommand(wire[h.Len:])
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}

func start(t testing.TB, cfg Config) (Mechanism, []byte) {
	t.Helper()
	m := NewNull(cfg)
	out, err := m.Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	return m, out
}

// The §17.1/§17.2 handshake from the DEALER's side, against libzmq's bytes.
func TestNullDealerTranscript(t *testing.T) {
	m, out := start(t, Config{SocketType: "DEALER"})
	if m.Name() != "NULL" || m.AsServer() || m.Encrypted() {
		t.Fatalf("greeting fields %q %v %v", m.Name(), m.AsServer(), m.Encrypted())
	}
	if want := unhex(t, ourDealerReady); !bytes.Equal(out, want) {
		t.Fatalf("our READY\n got %x\nwant %x", out, want)
	}
	if m.Peer() != nil {
		t.Fatal("Peer before done")
	}
	// The engine reuses its read buffer: metadata must survive that.
	buf := unhex(t, libzmqRouterReady)
	out, done, err := m.Next(nil, command(t, buf))
	if err != nil || !done || len(out) != 0 {
		t.Fatalf("Next: out %x done %v err %v", out, done, err)
	}
	clear(buf)
	p := m.Peer()
	if p == nil || p.SocketType != "ROUTER" || p.Identity == nil || len(p.Identity) != 0 || len(p.Props) != 2 {
		t.Fatalf("peer %+v", p)
	}
	if v, ok := p.Get("socket-TYPE"); !ok || string(v) != "ROUTER" {
		t.Fatalf("Get: %q %v", v, ok)
	}
	if _, ok := p.Get("X-Missing"); ok {
		t.Fatal("Get found a missing property")
	}
	// NULL traffic is the plain frame encoding.
	wire, err := m.Encode(nil, frame.FlagMore, nil)
	if err != nil || !bytes.Equal(wire, []byte{0x01, 0x00}) {
		t.Fatalf("Encode: %x, %v", wire, err)
	}
	wire, _ = m.Encode(wire, 0, []byte("Hello"))
	if want := unhex(t, "01 00 00 05 48 65 6c 6c 6f"); !bytes.Equal(wire, want) {
		t.Fatalf("message ['', 'Hello'] = %x, want %x", wire, want)
	}
	if _, _, err := m.Decode(frame.Command{Kind: frame.CmdMessage, Name: []byte("MESSAGE")}); !errors.Is(err, ErrHandshake) {
		t.Fatalf("Decode: %v", err)
	}
}

func TestNullReadyBytes(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"DEALER", Config{SocketType: "DEALER"}, ourDealerReady},
		{"ROUTER", Config{SocketType: "ROUTER", Identity: []byte{}}, libzmqRouterReady},
		{"DEALER abc", Config{SocketType: "DEALER", Identity: []byte("abc")}, libzmqDealerABCReady},
		{"SUB ignores Identity", Config{SocketType: "SUB", Identity: []byte("abc")}, libzmqSubReady},
		{"REQ with X- property", Config{
			SocketType: "REQ",
			Props:      []frame.Property{{Name: []byte("X-Hi"), Value: []byte("yo")}},
		}, `04 31 05 52 45 41 44 59
			0b 53 6f 63 6b 65 74 2d 54 79 70 65 00 00 00 03 52 45 51
			08 49 64 65 6e 74 69 74 79 00 00 00 00
			04 58 2d 48 69 00 00 00 02 79 6f`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte{0xEE}
			m := NewNull(tt.cfg)
			out, err := m.Start(prefix)
			if err != nil {
				t.Fatal(err)
			}
			if want := append([]byte{0xEE}, unhex(t, tt.want)...); !bytes.Equal(out, want) {
				t.Fatalf("READY\n got %x\nwant %x", out, want)
			}
		})
	}
}

func TestNullPeers(t *testing.T) {
	tests := []struct {
		name     string
		ours     string
		ready    string
		wantType string
		wantID   string
		hasID    bool
	}{
		{"ROUTER sees DEALER abc", "ROUTER", libzmqDealerABCReady, "DEALER", "abc", true},
		{"PUB sees SUB", "PUB", libzmqSubReady, "SUB", "", false},
		{"missing Socket-Type accepted", "DEALER", "04 06 05 52 45 41 44 59", "", "", false},
		{"lower-case property name", "ROUTER", hex.EncodeToString(
			frame.AppendCommand(nil, "READY", frame.AppendProperty(nil, "socket-type", []byte("REQ")))), "REQ", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := start(t, Config{SocketType: tt.ours})
			_, done, err := m.Next(nil, command(t, unhex(t, tt.ready)))
			if err != nil || !done {
				t.Fatalf("done %v err %v", done, err)
			}
			p := m.Peer()
			if p.SocketType != tt.wantType || string(p.Identity) != tt.wantID || (p.Identity != nil) != tt.hasID {
				t.Fatalf("peer %+v", p)
			}
		})
	}
}

func TestNullRejects(t *testing.T) {
	ready := func(props ...string) []byte {
		var md []byte
		for i := 0; i < len(props); i += 2 {
			md = frame.AppendProperty(md, props[i], []byte(props[i+1]))
		}
		return frame.AppendCommand(nil, frame.NameReady, md)
	}
	tests := []struct {
		name string
		ours string
		in   []byte
		want []error
		text string // must appear in the message
	}{
		{"incompatible", "DEALER", ready("Socket-Type", "PUB"), []error{ErrSocketType}, `DEALER, peer is "PUB"`},
		{"wrong case value", "ROUTER", ready("Socket-Type", "dealer"), []error{ErrSocketType}, "dealer"},
		{"draft vs classic", "PAIR", ready("Socket-Type", "CHANNEL"), []error{ErrSocketType}, "CHANNEL"},
		{"second Socket-Type incompatible", "REQ", ready("Socket-Type", "REP", "Socket-Type", "PUSH"), []error{ErrSocketType}, "PUSH"},
		{"trailing metadata byte", "DEALER", frame.AppendCommand(nil, frame.NameReady,
			frame.AppendProperty(nil, "Socket-Type", []byte("ROUTER")), []byte{0x05}), []error{ErrHandshake, frame.ErrMalformed}, ""},
		{"truncated metadata", "DEALER", frame.AppendCommand(nil, frame.NameReady, []byte("\x0bSocket-Type\x00\x00\x00\x06ROU")),
			[]error{ErrHandshake, frame.ErrMalformed}, "truncated"},
		{"ERROR 400", "DEALER", unhex(t, libzmqError400), []error{ErrRefused}, `"400"`},
		{"malformed ERROR", "DEALER", frame.AppendCommand(nil, frame.NameError, []byte{9, '4'}), []error{ErrHandshake, frame.ErrMalformed}, ""},
		{"HELLO", "DEALER", frame.AppendCommand(nil, frame.NameHello), []error{ErrHandshake}, "HELLO"},
		{"SUBSCRIBE", "PUB", frame.AppendCommand(nil, frame.NameSubscribe, []byte("A")), []error{ErrHandshake}, "SUBSCRIBE"},
		{"unknown", "DEALER", frame.AppendCommand(nil, "XYZ"), []error{ErrHandshake}, "XYZ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := start(t, Config{SocketType: tt.ours})
			out, done, err := m.Next(nil, command(t, tt.in))
			if err == nil || done || len(out) != 0 || m.Peer() != nil {
				t.Fatalf("out %x done %v err %v", out, done, err)
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Fatalf("err %v is not %v", err, w)
				}
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err %q lacks %q", err, tt.text)
			}
		})
	}
}

func TestNullSecondReady(t *testing.T) {
	m, _ := start(t, Config{SocketType: "DEALER"})
	cmd := command(t, unhex(t, libzmqRouterReady))
	if _, done, err := m.Next(nil, cmd); !done || err != nil {
		t.Fatal(err)
	}
	if _, done, err := m.Next(nil, cmd); done || !errors.Is(err, ErrHandshake) {
		t.Fatalf("second READY: done %v err %v", done, err)
	}
}

func TestNullMisuse(t *testing.T) {
	m := NewNull(Config{SocketType: "DEALER"})
	if _, _, err := m.Next(nil, command(t, unhex(t, libzmqRouterReady))); err == nil {
		t.Fatal("Next before Start accepted")
	}
	if _, err := m.Start(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Start(nil); err == nil {
		t.Fatal("second Start accepted")
	}
	for _, cfg := range []Config{
		{},
		{SocketType: "DEALER", Identity: make([]byte, 256)},
		{SocketType: "DEALER", Props: []frame.Property{{Name: nil, Value: []byte("x")}}},
		{SocketType: "DEALER", Props: []frame.Property{{Name: make([]byte, 256)}}},
	} {
		if out, err := NewNull(cfg).Start(nil); err == nil {
			t.Fatalf("bad config %+v accepted: %x", cfg, out)
		}
	}
}

// Two of our NULL mechanisms complete a handshake with each other.
func TestNullPair(t *testing.T) {
	a, aOut := start(t, Config{SocketType: "REQ", Identity: []byte("me"), Props: []frame.Property{{Name: []byte("X-App"), Value: []byte("1")}}})
	b, bOut := start(t, Config{SocketType: "ROUTER"})
	if _, done, err := a.Next(nil, command(t, bOut)); !done || err != nil {
		t.Fatal(err)
	}
	if _, done, err := b.Next(nil, command(t, aOut)); !done || err != nil {
		t.Fatal(err)
	}
	p := b.Peer()
	if p.SocketType != "REQ" || string(p.Identity) != "me" {
		t.Fatalf("peer %+v", p)
	}
	if v, ok := p.Get("x-app"); !ok || string(v) != "1" {
		t.Fatalf("X-App = %q %v", v, ok)
	}
}
