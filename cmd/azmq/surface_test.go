package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

// keygen runs azmq keygen and returns the key pair it printed.
func keygen(t *testing.T) (public, secret string) {
	t.Helper()
	code, out, stderr := runCLI(t, "", "keygen")
	if code != 0 {
		t.Fatalf("keygen: exit %d: %s", code, stderr)
	}
	// libzmq's curve_keygen format, without its preamble.
	m := regexp.MustCompile(`^== CURVE PUBLIC KEY ==\n(\S{40})\n\n== CURVE SECRET KEY ==\n(\S{40})\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("keygen printed %q", out)
	}
	return m[1], m[2]
}

func TestKeygen(t *testing.T) {
	public, secret := keygen(t)
	s, err := azmq.ParseSecretKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	if s.Public().Z85() != public {
		t.Fatalf("public key %s does not belong to the secret key", public)
	}
	if p2, _ := keygen(t); p2 == public {
		t.Fatal("two runs printed the same key")
	}
	code, out, _ := runCLI(t, "", "keygen", "--json")
	var keys struct{ Public, Secret string }
	if err := json.Unmarshal([]byte(out), &keys); code != 0 || err != nil || len(keys.Public) != 40 || len(keys.Secret) != 40 {
		t.Fatalf("keygen --json: exit %d, %q: %v", code, out, err)
	}
}

func TestSecurityUsageErrors(t *testing.T) {
	public, secret := keygen(t)
	other, _ := keygen(t)
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"req", "--curve-server", "tcp://127.0.0.1:1"}, "--curve-server needs --curve-secretkey"},
		{[]string{"req", "--curve-server", "--curve-secretkey", secret, "--curve-serverkey", public, "tcp://127.0.0.1:1"}, "are for clients"},
		{[]string{"req", "--curve-secretkey", secret, "tcp://127.0.0.1:1"}, "needs --curve-serverkey"},
		{[]string{"req", "--curve-serverkey", "short", "tcp://127.0.0.1:1"}, "--curve-serverkey: crypto: invalid CURVE key"},
		{[]string{"req", "--curve-serverkey", public, "--curve-secretkey", secret[:39] + "~", "tcp://127.0.0.1:1"}, "--curve-secretkey: crypto: invalid CURVE key"},
		{[]string{"req", "--curve-serverkey", public, "--curve-publickey", public, "tcp://127.0.0.1:1"}, "--curve-publickey without --curve-secretkey"},
		{[]string{"req", "--curve-serverkey", public, "--curve-publickey", other, "--curve-secretkey", secret, "tcp://127.0.0.1:1"}, "does not belong"},
		{[]string{"req", "--curve-serverkey", public, "--curve-allow", other, "tcp://127.0.0.1:1"}, "--curve-allow is for --curve-server"},
		{[]string{"rep", "--curve-server", "--curve-secretkey", secret, "--curve-allow", "x", "tcp://127.0.0.1:1"}, `--curve-allow "x"`},
		{[]string{"req", "--curve-serverkey", public, "--plain-user", "u", "tcp://127.0.0.1:1"}, "CURVE and PLAIN flags together"},
		{[]string{"req", "--plain-user", strings.Repeat("u", 256), "tcp://127.0.0.1:1"}, "limited to 255 bytes"},
		{[]string{"monitor", "tcp://127.0.0.1:1"}, "--type is required"},
		{[]string{"monitor", "--type", "nope", "tcp://127.0.0.1:1"}, `--type "nope"`},
		{[]string{"proxy", "tcp://127.0.0.1:1"}, "want FRONTEND and BACKEND"},
		{[]string{"proxy", "--front-type", "nope", "tcp://127.0.0.1:1", "tcp://127.0.0.1:2"}, "--front-type"},
		{[]string{"proxy", "--plain-server", "--curve-server", "tcp://127.0.0.1:1", "tcp://127.0.0.1:2"}, "CURVE and PLAIN"},
		{[]string{"keygen", "extra"}, "unexpected argument"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, "", tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tc.stderr)
			}
			if strings.Contains(stderr, secret) {
				t.Fatalf("the secret key is in %q", stderr)
			}
		})
	}
}

// The CLI as CURVE and PLAIN server and client, against itself: allowed
// clients get replies, the others time out.
func TestSecurityFlags(t *testing.T) {
	serverPub, serverSec := keygen(t)
	clientPub, clientSec := keygen(t)
	for _, tc := range []struct {
		name      string
		server    []string
		good, bad []string
	}{
		{"CURVE any client", []string{"--curve-server", "--curve-secretkey", serverSec},
			[]string{"--curve-serverkey", serverPub}, []string{"--curve-serverkey", clientPub}},
		{"CURVE allow", []string{"--curve-server", "--curve-secretkey", serverSec, "--curve-allow", clientPub},
			[]string{"--curve-serverkey", serverPub, "--curve-secretkey", clientSec, "--curve-publickey", clientPub},
			[]string{"--curve-serverkey", serverPub}},
		{"PLAIN any login", []string{"--plain-server"},
			[]string{"--plain-user", "anyone"}, []string{}},
		{"PLAIN one login", []string{"--plain-server", "--plain-user", "admin", "--plain-password", "pw", "--zap-domain", "global"},
			[]string{"--plain-user", "admin", "--plain-password", "pw"}, []string{"--plain-user", "admin", "--plain-password", "nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := startCLI(t, append([]string{"rep", "--echo", "tcp://127.0.0.1:*"}, tc.server...)...)
			ep := waitBound(t, rep)
			code, out, stderr := runCLI(t, "hello\n", append([]string{"req", "--timeout", testTimeout.String(), ep}, tc.good...)...)
			if code != 0 || out != "hello\n" {
				t.Fatalf("allowed client: exit %d, %q: %s", code, out, stderr)
			}
			code, out, stderr = runCLI(t, "hello\n", append([]string{"req", "--linger", "0", "--timeout", "500ms", ep}, tc.bad...)...)
			if code != exitRuntime || out != "" || !strings.Contains(stderr, "within --timeout") {
				t.Fatalf("refused client: exit %d, %q: %s", code, out, stderr)
			}
		})
	}
}

// monitorLine returns the monitor's next line, which must start with kind.
func monitorLine(t *testing.T, c *cli, kind string) string {
	t.Helper()
	l := c.line()
	if !strings.HasPrefix(l, kind+" ") {
		t.Fatalf("monitor printed %q, want a %s event", l, kind)
	}
	return l
}

func TestMonitor(t *testing.T) {
	mon := startCLI(t, "monitor", "--type", "router", "--count", "4", "--backend", "std", "tcp://127.0.0.1:*")
	l := monitorLine(t, mon, "Listening")
	ep := strings.TrimPrefix(l, "Listening endpoint=")

	c := azmq.NewContext()
	defer c.Close()
	push, err := c.NewSocket(azmq.Dealer, azmq.WithLinger(0), azmq.WithRoutingID([]byte("me")))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := push.Dial(ctx, ep); err != nil {
		t.Fatal(err)
	}
	acc := monitorLine(t, mon, "Accepted")
	if !regexp.MustCompile(`^Accepted endpoint=` + regexp.QuoteMeta(ep) + ` peer=127\.0\.0\.1:\d+$`).MatchString(acc) {
		t.Fatalf("accepted line %q", acc)
	}
	peer := strings.TrimPrefix(acc, "Accepted endpoint="+ep+" ")
	if got, want := monitorLine(t, mon, "HandshakeSucceeded"), "HandshakeSucceeded endpoint="+ep+" "+peer+" id=me"; got != want {
		t.Fatalf("printed %q, want %q", got, want)
	}
	push.Close()
	if got := monitorLine(t, mon, "Disconnected"); !strings.HasPrefix(got, "Disconnected endpoint="+ep+" "+peer) {
		t.Fatalf("printed %q", got)
	}
	if code := mon.wait(); code != 0 {
		t.Fatalf("monitor: exit %d: %s", code, mon.stderr.String())
	}
}

func TestMonitorTimeout(t *testing.T) {
	code, out, stderr := runCLI(t, "", "monitor", "--type", "pull", "--timeout", "200ms", "tcp://127.0.0.1:*")
	if code != exitRuntime || !strings.HasPrefix(out, "Listening ") || !strings.Contains(stderr, "no event within --timeout 200ms") {
		t.Fatalf("exit %d, %q, %q", code, out, stderr)
	}
}

func TestProxy(t *testing.T) {
	front, back := freeEndpoint(t), freeEndpoint(t)
	startCLI(t, "proxy", front, back)
	rep := startCLI(t, "rep", "--echo", "--connect", back)
	// The proxy may not be listening yet: the sockets connect until it is.
	code, out, stderr := runCLI(t, "one\ntwo\tframes\n", "req", "--timeout", testTimeout.String(), front)
	if code != 0 || out != "one\ntwo\tframes\n" {
		t.Fatalf("req through the proxy: exit %d, %q: %s", code, out, stderr)
	}
	if got := []string{rep.line(), rep.line()}; got[0] != "one" || got[1] != "two\tframes" {
		t.Fatalf("rep got %q", got)
	}
}

// A pub-sub forwarder with a capture socket: XSUB/XPUB pass a library
// PUB's messages to a library SUB, and a copy goes to the capture.
func TestProxyForwarderCapture(t *testing.T) {
	up, down, capture := freeEndpoint(t), freeEndpoint(t), freeEndpoint(t)
	startCLI(t, "proxy", "--front-type", "xsub", "--back-type", "xpub", "--front-connect", "--capture", capture, up, down)
	c := azmq.NewContext()
	defer c.Close()
	pub, _ := c.NewSocket(azmq.Pub, azmq.WithLinger(0))
	if err := pub.Bind(up); err != nil {
		t.Fatal(err)
	}
	sub, _ := c.NewSocket(azmq.Sub, azmq.WithLinger(0))
	sub.Subscribe([]byte("news"))
	sub.Connect(down)
	capt, _ := c.NewSocket(azmq.Sub, azmq.WithLinger(0))
	capt.Subscribe(nil)
	capt.Connect(capture)

	// Publish until both have a message: subscriptions take a moment.
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	got := make(chan string, 2)
	for _, s := range []*azmq.Socket{sub, capt} {
		go func() {
			for {
				m, err := s.Recv(ctx)
				if err != nil {
					got <- err.Error()
					return
				}
				if string(m[0]) == "news" {
					got <- string(m[1])
					return
				}
			}
		}()
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var results []string
	for len(results) < 2 {
		select {
		case r := <-got:
			results = append(results, r)
		case <-tick.C:
			pub.Send(ctx, []byte("news"), []byte("hello"))
		}
	}
	if results[0] != "hello" || results[1] != "hello" {
		t.Fatalf("subscriber and capture got %q", results)
	}
}
