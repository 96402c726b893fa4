package azmq_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/azmq/azmq"
)

// syncBuffer is a bytes.Buffer safe for a handler shared by goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// records parses the JSON lines written so far.
func (b *syncBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.b.String()), "\n") {
		if line == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("bad record %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

func TestLogger(t *testing.T) {
	for _, b := range backends {
		t.Run(b.String(), func(t *testing.T) {
			var buf syncBuffer
			h := slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
			c := azmq.NewContext(azmq.WithBackend(b), azmq.WithLogger(slog.New(h)))
			defer c.Close()

			pull, err := c.NewSocket(azmq.Pull, azmq.WithLinger(0))
			if err != nil {
				t.Fatal(err)
			}
			if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
				t.Fatal(err)
			}
			addr := pull.Addr()
			if err := pull.Bind(addr); err == nil {
				t.Fatal("second bind to the same port succeeded")
			}
			push, err := c.NewSocket(azmq.Push, azmq.WithLinger(0))
			if err != nil {
				t.Fatal(err)
			}
			if err := push.Connect(addr); err != nil {
				t.Fatal(err)
			}
			if err := push.Connect("bogus://x"); err == nil {
				t.Fatal("connect to an unknown transport succeeded")
			}
			mustSend(t, push, "not logged")
			recvWant(t, pull, "not logged")
			if err := push.Disconnect(addr); err != nil {
				t.Fatal(err)
			}
			if err := pull.Unbind(addr); err != nil {
				t.Fatal(err)
			}
			pull.Close()
			push.Close()

			type rec struct{ level, msg, socket, endpoint string }
			var got []rec
			for _, r := range buf.records(t) {
				if _, ok := r[azmq.LogKeyPeer]; ok {
					continue // connection events, in engine order: TestLoggerConnections
				}
				s := func(k string) string { v, _ := r[k].(string); return v }
				got = append(got, rec{s("level"), s("msg"), s("socket"), s("endpoint")})
				if strings.HasSuffix(s("msg"), "failed") && s("err") == "" {
					t.Errorf("%v: no err attribute", r)
				}
			}
			pullID, pushID := got[0].socket, got[3].socket
			want := []rec{
				{"DEBUG", "socket opened", pullID, ""},
				{"DEBUG", "bind", pullID, addr},
				{"WARN", "bind failed", pullID, addr},
				{"DEBUG", "socket opened", pushID, ""},
				{"DEBUG", "connect", pushID, addr},
				{"WARN", "connect failed", pushID, "bogus://x"},
				{"DEBUG", "disconnect", pushID, addr},
				{"DEBUG", "unbind", pullID, addr},
				{"DEBUG", "socket closed", pullID, ""},
				{"DEBUG", "socket closed", pushID, ""},
			}
			if len(got) != len(want) {
				t.Fatalf("got %d records %v, want %v", len(got), got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("record %d: got %+v, want %+v", i, got[i], want[i])
				}
			}
			if !strings.HasPrefix(pullID, "PULL#") || !strings.HasPrefix(pushID, "PUSH#") {
				t.Errorf("socket labels %q, %q", pullID, pushID)
			}
		})
	}
	assertNoLeaks(t)
}

// A logger above Debug level hears only failures.
func TestLoggerLevels(t *testing.T) {
	var buf syncBuffer
	h := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})
	c := azmq.NewContext(azmq.WithLogger(slog.New(h)))
	defer c.Close()
	s := newSocket(t, c, azmq.Pair)
	bindLocal(t, s)
	err := s.Connect("nope://x")
	if err == nil || !errors.Is(err, azmq.ErrTransport) {
		t.Fatalf("Connect: %v", err)
	}
	s.Close()
	out := buf.b.String()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, "level=WARN msg=\"connect failed\"") {
		t.Fatalf("output %q, want one connect failure", out)
	}
}

// Connection events reach the logger with the peer's address: the server's
// accepted, handshake succeeded and failed (refused by ZAP) and
// disconnected, the client's connected; and nothing per message.
func TestLoggerConnections(t *testing.T) {
	for _, b := range backends {
		t.Run(b.String(), func(t *testing.T) { testLoggerConnections(t, b) })
	}
	assertNoLeaks(t)
}

func testLoggerConnections(t *testing.T, b azmq.Backend) {
	var buf syncBuffer
	h := slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
	c := azmq.NewContext(azmq.WithBackend(b), azmq.WithLogger(slog.New(h)))
	t.Cleanup(func() { closeWithin(t, "context", c.Close) })
	c.SetAuthenticator(allowUsers("admin"))
	srv := newSocket(t, c, azmq.Pull, azmq.WithPlainServer())
	ep := bindLocal(t, srv)
	good := newSocket(t, c, azmq.Push, azmq.WithPlainClient("admin", "secret"))
	mustConnect(t, good, ep)
	for range 100 {
		mustSend(t, good, "m")
		recvWant(t, srv, "m")
	}
	bad := newSocket(t, c, azmq.Push, azmq.WithPlainClient("mallory", "x"))
	mustConnect(t, bad, ep)
	refusedEventually(t, bad)
	good.Close()

	type rec struct{ level, msg, socket, endpoint string }
	var srvLabel string
	find := func(want rec) map[string]any {
		for _, r := range buf.records(t) {
			s := func(k string) string { v, _ := r[k].(string); return v }
			if s("level") == want.level && s("msg") == want.msg && s("endpoint") == want.endpoint &&
				(want.socket == "" || s("socket") == want.socket) && s(azmq.LogKeyPeer) != "" {
				return r
			}
		}
		return nil
	}
	for _, r := range buf.records(t) {
		if r["msg"] == "bind" {
			srvLabel, _ = r[azmq.LogKeySocket].(string)
		}
	}
	if !eventually(testTimeout, func() bool { return find(rec{"INFO", "disconnected", srvLabel, ep}) != nil }) {
		t.Fatalf("no disconnected record for %s in %v", srvLabel, buf.records(t))
	}
	for _, want := range []rec{
		{"DEBUG", "accepted", srvLabel, ep},
		{"DEBUG", "handshake succeeded", srvLabel, ep},
		{"WARN", "handshake failed", srvLabel, ep},
		{"DEBUG", "connected", "", ep},
		{"WARN", "handshake failed", "", ep}, // the client's: refused
	} {
		r := find(want)
		if r == nil {
			t.Fatalf("no record %+v in %v", want, buf.records(t))
		}
		if want.level == "WARN" && r["err"] == nil {
			t.Errorf("%+v without err", want)
		}
	}
	known := []string{"socket opened", "bind", "connect", "socket closed", "accepted", "connected",
		"handshake succeeded", "handshake failed", "disconnected"}
	for _, r := range buf.records(t) {
		if msg, _ := r["msg"].(string); !slices.Contains(known, msg) {
			t.Errorf("unexpected record %v", r)
		}
	}
}
