package crypto

import (
	"bytes"
	"errors"
	"testing"

	"github.com/azmq/azmq/frame"
)

// mechanisms.md §3.4: libzmq REQ client admin/secret, routing id CLI, and a
// libzmq REP server whose ZAP handler said 200.
const (
	hexPlainHello    = `04 13 05 48 45 4c 4c 4f 05 61 64 6d 69 6e 06 73 65 63 72 65 74`
	hexPlainWelcome  = `04 08 07 57 45 4c 43 4f 4d 45`
	hexPlainInitiate = `04 2c 08 49 4e 49 54 49 41 54 45
		0b 53 6f 63 6b 65 74 2d 54 79 70 65 00 00 00 03 52 45 51
		08 49 64 65 6e 74 69 74 79 00 00 00 03 43 4c 49`
	hexPlainReady = `04 19 05 52 45 41 44 59
		0b 53 6f 63 6b 65 74 2d 54 79 70 65 00 00 00 03 52 45 50`
	// §3.6: libzmq's PLAIN ERROR, missing its name-length byte.
	hexPlainQuirkError400 = `04 09 5e 52 52 4f 52 03 34 30 30`
)

func TestPlainTranscript(t *testing.T) {
	var req *ZAPRequest
	cli, err := NewPlainClient(Config{SocketType: "REQ", Identity: []byte("CLI")}, "admin", "secret")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewPlainServer(Config{SocketType: "REP", Domain: "global", PeerAddress: "127.0.0.1",
		Identity: []byte("SRVID"),
		ZAP: zapAnswer(ZAPReply{Status: ZAPOK, UserID: "alice",
			Metadata: []frame.Property{{Name: []byte("X-Test"), Value: []byte("ok")}}}, nil, &req)})
	if cli.Name() != "PLAIN" || cli.AsServer() || !srv.AsServer() || cli.Encrypted() {
		t.Fatal("greeting fields")
	}
	tr := handshake(t, cli, srv)
	if tr.clientErr != nil || tr.serverErr != nil || !tr.clientDone || !tr.serverDone {
		t.Fatalf("handshake: %+v", tr)
	}
	want := [][]string{{hexPlainHello, hexPlainInitiate}, {hexPlainWelcome, hexPlainReady}}
	for i, got := range [][][]byte{tr.toServer, tr.toClient} {
		if len(got) != len(want[i]) {
			t.Fatalf("%d frames, want %d", len(got), len(want[i]))
		}
		for j := range got {
			if w := unhex(t, want[i][j]); !bytes.Equal(got[j], w) {
				t.Errorf("frame %d/%d\n got %x\nwant %x", i, j, got[j], w)
			}
		}
	}
	if req == nil || req.Domain != "global" || req.Address != "127.0.0.1" || string(req.RoutingID) != "SRVID" ||
		req.Mechanism != "PLAIN" || len(req.Credentials) != 2 || string(req.Credentials[0]) != "admin" ||
		string(req.Credentials[1]) != "secret" {
		t.Fatalf("ZAP request %+v", req)
	}
	p := srv.Peer()
	if v, _ := p.Get("User-Id"); string(v) != "alice" {
		t.Errorf("User-Id %q", v)
	}
	if v, _ := p.Get("X-Test"); string(v) != "ok" {
		t.Errorf("X-Test %q", v)
	}
	if p.SocketType != "REQ" || string(p.Identity) != "CLI" {
		t.Errorf("peer %+v", p)
	}
	if cli.Peer().SocketType != "REP" {
		t.Errorf("client's peer %+v", cli.Peer())
	}
	wire, _ := cli.Encode(nil, 0, []byte("ping"))
	if !bytes.Equal(wire, unhex(t, "00 04 70 69 6e 67")) {
		t.Errorf("PLAIN traffic %x", wire)
	}
}

func TestPlainServerRefusals(t *testing.T) {
	tests := []struct {
		name    string
		zap     ZAPFunc
		wantOut string // hex of what the client is sent after HELLO
		wantErr error
	}{
		{"no handler", nil, "", ErrAuth},
		{"handler gone", zapAnswer(ZAPReply{}, ErrNoZAPHandler, nil), "", ErrAuth},
		{"300", zapAnswer(ZAPReply{Status: ZAPTemporary}, nil, nil), "", ErrAuth},
		{"400", zapAnswer(ZAPReply{Status: ZAPDenied, Text: "secret text"}, nil, nil), libzmqError400, ErrAuth},
		{"500", zapAnswer(ZAPReply{Status: ZAPFailure}, nil, nil), "04 0a 05 45 52 52 4f 52 03 35 30 30", ErrAuth},
		{"handler failed", zapAnswer(ZAPReply{}, ErrZAPReply, nil), "", ErrHandshake},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewPlainServer(Config{SocketType: "REP", ZAP: tt.zap})
			if out, _ := srv.Start(nil); len(out) != 0 {
				t.Fatalf("server spoke first: %x", out)
			}
			out, done, err := srv.Next(nil, command(t, unhex(t, hexPlainHello)))
			if done || !errors.Is(err, tt.wantErr) {
				t.Fatalf("done %v err %v", done, err)
			}
			if !bytes.Equal(out, unhex(t, tt.wantOut)) {
				t.Fatalf("sent %x, want %s", out, tt.wantOut)
			}
		})
	}
}

func TestPlainClientRefused(t *testing.T) {
	for _, e := range []string{hexPlainQuirkError400, libzmqError400} {
		cli, _ := NewPlainClient(Config{SocketType: "REQ"}, "u", "p")
		cli.Start(nil)
		cmd, err := ParseHandshakeCommand(unhex(t, e)[2:])
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = cli.Next(nil, cmd)
		if !errors.Is(err, ErrRefused) || !bytes.Contains([]byte(err.Error()), []byte(`"400"`)) {
			t.Fatalf("ERROR %s: %v", e, err)
		}
	}
}

func TestPlainMalformed(t *testing.T) {
	ok := zapAnswer(ZAPReply{Status: ZAPOK}, nil, nil)
	for _, body := range []string{"\x05HELLO", "\x05HELLO\x01", "\x05HELLO\x01u\x01pX", "\x05HELLO\x05u\x00", "\x07WELCOME"} {
		srv := NewPlainServer(Config{SocketType: "REP", ZAP: ok})
		srv.Start(nil)
		cmd, _ := frame.ParseCommand([]byte(body))
		if out, _, err := srv.Next(nil, cmd); !errors.Is(err, ErrHandshake) || len(out) != 0 {
			t.Errorf("HELLO %q: %x, %v", body, out, err)
		}
	}
	cli, _ := NewPlainClient(Config{SocketType: "REQ"}, "u", "p")
	cli.Start(nil)
	cmd, _ := frame.ParseCommand([]byte("\x07WELCOMEx"))
	if _, _, err := cli.Next(nil, cmd); !errors.Is(err, ErrHandshake) {
		t.Errorf("WELCOME with extra bytes: %v", err)
	}
	if _, err := NewPlainClient(Config{SocketType: "REQ"}, string(make([]byte, 256)), ""); err == nil {
		t.Error("256-byte username accepted")
	}
}

// FuzzPlain throws one arbitrary command at every state of both roles.
func FuzzPlain(f *testing.F) {
	for _, s := range []string{hexPlainHello, hexPlainWelcome, hexPlainInitiate, hexPlainReady, hexPlainQuirkError400, libzmqError400} {
		f.Add(unhex(f, s)[2:])
	}
	ok := zapAnswer(ZAPReply{Status: ZAPOK, UserID: "u"}, nil, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		cmd, err := ParseHandshakeCommand(body)
		if err != nil {
			return
		}
		for state := 0; state < 2; state++ {
			cli, _ := NewPlainClient(Config{SocketType: "REQ"}, "admin", "secret")
			srv := NewPlainServer(Config{SocketType: "REP", ZAP: ok})
			cli.Start(nil)
			srv.Start(nil)
			if state == 1 { // client waits for READY, server for INITIATE
				cli.Next(nil, command(t, unhex(t, hexPlainWelcome)))
				srv.Next(nil, command(t, unhex(t, hexPlainHello)))
			}
			for _, m := range []Mechanism{cli, srv} {
				_, done, err := m.Next(nil, cmd)
				if err != nil && (done || m.Peer() != nil) {
					t.Fatal("error with done or peer")
				}
				if err != nil && !errors.Is(err, ErrHandshake) && !errors.Is(err, ErrRefused) && !errors.Is(err, ErrSocketType) && !errors.Is(err, ErrAuth) {
					t.Fatalf("unclassified error %v", err)
				}
			}
		}
	})
}
