package crypto

import (
	"errors"
	"testing"

	"github.com/azmq/azmq/frame"
)

func zapFrames(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func TestParseZAPReply(t *testing.T) {
	meta := string(frame.AppendProperty(nil, "X-Test", []byte("ok")))
	tests := []struct {
		name   string
		frames [][]byte
		status int
		ok     bool
	}{
		{"accept", zapFrames("", "1.0", "1", "200", "OK", "alice", meta), ZAPOK, true},
		{"temporary", zapFrames("", "1.0", "1", "300", "", "", ""), ZAPTemporary, true},
		{"deny", zapFrames("", "1.0", "1", "400", "No access", "", ""), ZAPDenied, true},
		{"failure", zapFrames("", "1.0", "1", "500", "", "", ""), ZAPFailure, true},
		{"six frames", zapFrames("", "1.0", "1", "200", "", ""), 0, false},
		{"eight frames", zapFrames("", "1.0", "1", "200", "", "", "", ""), 0, false},
		{"no delimiter", zapFrames("x", "1.0", "1", "200", "", "", ""), 0, false},
		{"version", zapFrames("", "2.0", "1", "200", "", "", ""), 0, false},
		{"request id", zapFrames("", "1.0", "2", "200", "", "", ""), 0, false},
		{"status 201", zapFrames("", "1.0", "1", "201", "", "", ""), 0, false},
		{"status 403", zapFrames("", "1.0", "1", "403", "", "", ""), 0, false},
		{"metadata", zapFrames("", "1.0", "1", "200", "", "", "\x05X"), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseZAPReply(tt.frames)
			if !tt.ok {
				if !errors.Is(err, ErrZAPReply) {
					t.Fatalf("err %v", err)
				}
				return
			}
			if err != nil || r.Status != tt.status {
				t.Fatalf("%+v %v", r, err)
			}
		})
	}
	r, _ := ParseZAPReply(zapFrames("", "1.0", "1", "200", "OK", "alice", meta))
	if r.UserID != "alice" || r.Text != "OK" || len(r.Metadata) != 1 || string(r.Metadata[0].Value) != "ok" {
		t.Fatalf("reply %+v", r)
	}
}

func TestAppendZAPRequest(t *testing.T) {
	got := AppendZAPRequest(nil, &ZAPRequest{Domain: "global", Address: "127.0.0.1", RoutingID: []byte("SRVID"),
		Mechanism: "PLAIN", Credentials: [][]byte{[]byte("admin"), []byte("secret")}})
	want := []string{"1.0", "1", "global", "127.0.0.1", "SRVID", "PLAIN", "admin", "secret"}
	if len(got) != len(want) {
		t.Fatalf("%q", got)
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Fatalf("frame %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestNullZAP(t *testing.T) {
	var req *ZAPRequest
	deny := NewNull(Config{SocketType: "DEALER", Domain: "dom", ZAP: zapAnswer(ZAPReply{Status: ZAPDenied}, nil, &req)})
	out, err := deny.Start(nil)
	if !errors.Is(err, ErrAuth) || string(out) != string(unhex(t, libzmqError400)) {
		t.Fatalf("NULL refusal %x %v", out, err)
	}
	if req.Mechanism != "NULL" || req.Domain != "dom" || len(req.Credentials) != 0 {
		t.Fatalf("request %+v", req)
	}
	// No domain: ZAP is not consulted at all.
	req = nil
	m := NewNull(Config{SocketType: "DEALER", ZAP: zapAnswer(ZAPReply{Status: ZAPDenied}, nil, &req)})
	if _, err := m.Start(nil); err != nil || req != nil {
		t.Fatalf("NULL without domain asked ZAP: %v", err)
	}
	ok := NewNull(Config{SocketType: "DEALER", Domain: "dom", ZAP: zapAnswer(ZAPReply{Status: ZAPOK, UserID: "u"}, nil, nil)})
	if _, err := ok.Start(nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ok.Next(nil, command(t, unhex(t, libzmqRouterReady))); err != nil {
		t.Fatal(err)
	}
	if v, _ := ok.Peer().Get("User-Id"); string(v) != "u" {
		t.Fatalf("User-Id %q", v)
	}
}

// FuzzZAPReply: a reply is built by the application's handler; no reply
// may panic the parser, and an accepted one owns its bytes.
func FuzzZAPReply(f *testing.F) {
	f.Add([]byte("\x00\x031.0\x011\x03200\x02OK\x05alice\x00"), uint8(7))
	f.Add([]byte("\x00\x031.0\x011\x03400\x00\x00\x0d\x06X-Test\x00\x00\x00\x02ok"), uint8(7))
	f.Fuzz(func(t *testing.T, b []byte, n uint8) {
		// b is a sequence of length-prefixed frames.
		var frames [][]byte
		for len(b) > 0 && len(frames) < int(n%12) {
			l := min(int(b[0]), len(b)-1)
			frames = append(frames, b[1:1+l])
			b = b[1+l:]
		}
		r, err := ParseZAPReply(frames)
		if err != nil {
			if !errors.Is(err, ErrZAPReply) {
				t.Fatalf("unclassified %v", err)
			}
			return
		}
		for _, fr := range frames {
			clear(fr)
		}
		for _, p := range r.Metadata {
			if len(p.Name) == 0 {
				t.Fatal("empty property name accepted")
			}
		}
		if r.Status != 200 && r.Status != 300 && r.Status != 400 && r.Status != 500 {
			t.Fatalf("status %d", r.Status)
		}
	})
}
