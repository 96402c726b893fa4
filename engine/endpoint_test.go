package engine

import (
	"errors"
	"net"
	"strings"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	type want struct {
		host string
		port int
		err  error // nil: ok
	}
	for _, tc := range []struct {
		in            string
		bind, connect want
		str           string // String() of the bind result, if ok
	}{
		{"tcp://127.0.0.1:5555", want{"127.0.0.1", 5555, nil}, want{"127.0.0.1", 5555, nil}, "tcp://127.0.0.1:5555"},
		{"tcp://*:0", want{"", 0, nil}, want{err: ErrEndpoint}, "tcp://0.0.0.0:0"},
		{"tcp://*:*", want{"", 0, nil}, want{err: ErrEndpoint}, "tcp://0.0.0.0:0"},
		{"tcp://*:5555", want{"", 5555, nil}, want{err: ErrEndpoint}, "tcp://0.0.0.0:5555"},
		{"tcp://127.0.0.1:*", want{"127.0.0.1", 0, nil}, want{err: ErrEndpoint}, "tcp://127.0.0.1:0"},
		{"tcp://127.0.0.1:0", want{"127.0.0.1", 0, nil}, want{err: ErrEndpoint}, "tcp://127.0.0.1:0"},
		{"tcp://[::1]:5555", want{"::1", 5555, nil}, want{"::1", 5555, nil}, "tcp://[::1]:5555"},
		{"tcp://[::]:1", want{"::", 1, nil}, want{"::", 1, nil}, "tcp://[::]:1"},
		{"tcp://localhost:80", want{err: ErrEndpoint}, want{"localhost", 80, nil}, ""},
		{"tcp://example.com:65535", want{err: ErrEndpoint}, want{"example.com", 65535, nil}, ""},
		{"tcp://127.0.0.1:65536", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"tcp://127.0.0.1:-1", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"tcp://127.0.0.1:http", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"tcp://127.0.0.1:", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"tcp://127.0.0.1", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"tcp://:5555", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"tcp://", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"tcp://[::1]", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"tcp://[::1:5555", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"tcp://[]:5555", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"tcp://[host]:5555", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"tcp://::1:5555", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"tcp://999.1.1.1:5555", want{err: ErrEndpoint}, want{"999.1.1.1", 5555, nil}, ""},
		{"udp://127.0.0.1:5555", want{err: ErrTransport}, want{err: ErrTransport}, ""},
		{"TCP://127.0.0.1:5555", want{err: ErrTransport}, want{err: ErrTransport}, ""},
		{"inproc://name", want{err: ErrTransport}, want{err: ErrTransport}, ""},
		{"://127.0.0.1:1", want{err: ErrTransport}, want{err: ErrTransport}, ""},
		{"", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"127.0.0.1:5555", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"tcp:/127.0.0.1:5555", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"garbage", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"tcp://a://b:1", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"tcp://a]:1", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
		{"tcp://a[b:1", want{err: ErrEndpoint}, want{err: ErrEndpoint}, ""},
	} {
		for _, bind := range []bool{true, false} {
			w := tc.connect
			if bind {
				w = tc.bind
			}
			ep, err := ParseEndpoint(tc.in, bind)
			if w.err != nil {
				if !errors.Is(err, w.err) {
					t.Errorf("ParseEndpoint(%q, bind=%v) = %+v, %v; want %v", tc.in, bind, ep, err, w.err)
				}
				continue
			}
			if err != nil || ep.Transport != "tcp" || ep.Host != w.host || ep.Port != w.port {
				t.Errorf("ParseEndpoint(%q, bind=%v) = %+v, %v; want host %q port %d", tc.in, bind, ep, err, w.host, w.port)
				continue
			}
			if bind && ep.String() != tc.str {
				t.Errorf("ParseEndpoint(%q).String() = %q, want %q", tc.in, ep.String(), tc.str)
			}
			if _, _, err := net.SplitHostPort(ep.Addr()); err != nil {
				t.Errorf("ParseEndpoint(%q).Addr() = %q: %v", tc.in, ep.Addr(), err)
			}
		}
	}
}

// FuzzParseEndpoint checks that the parser never panics, that what it
// accepts is in range, and that String() of an accepted endpoint parses
// back to the same endpoint.
func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{
		"tcp://127.0.0.1:5555", "tcp://*:0", "tcp://*:*", "tcp://[::1]:5555",
		"tcp://localhost:80", "tcp://[fe80::1%eth0]:1", "ipc:///tmp/x", "inproc://x",
		"tcp://127.0.0.1:+80", "tcp://[::ffff:1.2.3.4]:9", "tcp://a]:1", "tcp://[1.2.3.4]:1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, bind := range []bool{true, false} {
			ep, err := ParseEndpoint(s, bind)
			if err != nil {
				if !errors.Is(err, ErrEndpoint) && !errors.Is(err, ErrTransport) {
					t.Fatalf("ParseEndpoint(%q, %v): error %v is neither ErrEndpoint nor ErrTransport", s, bind, err)
				}
				continue
			}
			if ep.Transport == "ipc" {
				if ep.Path == "" || len(ep.Path) > maxIPCPath || ep.String() != s {
					t.Fatalf("ParseEndpoint(%q, %v) = %+v", s, bind, ep)
				}
				continue
			}
			if ep.Transport != "tcp" || ep.Port < 0 || ep.Port > 65535 {
				t.Fatalf("ParseEndpoint(%q, %v) = %+v", s, bind, ep)
			}
			if bind {
				if ep.Host != "" && net.ParseIP(ep.Host) == nil {
					t.Fatalf("bind %q: host %q is not numeric", s, ep.Host)
				}
			} else if ep.Port == 0 || ep.Host == "" || ep.Host == "*" {
				t.Fatalf("connect %q accepted %+v", s, ep)
			}
			if strings.ContainsRune(ep.Host, ':') && net.ParseIP(ep.Host) == nil {
				t.Fatalf("%q: host %q has a colon but is no IPv6 address", s, ep.Host)
			}
			again, err := ParseEndpoint(ep.String(), bind)
			if err != nil {
				t.Fatalf("ParseEndpoint(%q, %v) = %+v; its String %q does not parse: %v", s, bind, ep, ep.String(), err)
			}
			if again.Port != ep.Port || again.String() != ep.String() {
				t.Fatalf("%q: %+v reparsed from %q as %+v", s, ep, ep.String(), again)
			}
			if bind && ep.Host != "" && again != ep {
				t.Fatalf("%q: %+v reparsed as %+v", s, ep, again)
			}
			if !bind && again != ep {
				t.Fatalf("%q: %+v reparsed as %+v", s, ep, again)
			}
			if h, p, err := net.SplitHostPort(ep.Addr()); err != nil || h != ep.Host || p == "" {
				t.Fatalf("%q: Addr %q splits to %q %q %v", s, ep.Addr(), h, p, err)
			}
		}
	})
}

func TestParseIPCEndpoint(t *testing.T) {
	for _, tc := range []struct {
		in         string
		bind, conn bool // accepted for bind, for connect
		path       string
	}{
		{"ipc:///tmp/x.sock", true, true, "/tmp/x.sock"},
		{"ipc://relative/s", true, true, "relative/s"},
		{"ipc://@abstract", abstractIPC, abstractIPC, "@abstract"},
		{"ipc://*", true, false, "*"},
		{"ipc://", false, false, ""},
		{"ipc://@", false, false, ""},
		{"ipc:///" + strings.Repeat("p", maxIPCPath-1), true, true, "/" + strings.Repeat("p", maxIPCPath-1)},
		{"ipc:///" + strings.Repeat("p", maxIPCPath), false, false, ""},
		{"ipc://a\x00b", false, false, ""},
	} {
		for _, bind := range []bool{true, false} {
			ep, err := ParseEndpoint(tc.in, bind)
			ok := tc.bind
			if !bind {
				ok = tc.conn
			}
			if ok != (err == nil) {
				t.Errorf("ParseEndpoint(%q, bind=%v): %v", tc.in, bind, err)
				continue
			}
			if err != nil {
				if !errors.Is(err, ErrEndpoint) {
					t.Errorf("ParseEndpoint(%q): %v is not ErrEndpoint", tc.in, err)
				}
				continue
			}
			if ep.Path != tc.path || ep.Network() != "unix" || ep.String() != tc.in {
				t.Errorf("ParseEndpoint(%q) = %+v", tc.in, ep)
			}
		}
	}
}
