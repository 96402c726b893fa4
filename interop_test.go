package azmq_test

// Interop tests against libzmq through pyzmq: every socket type of this
// package paired with its libzmq counterpart, with azmq binding and libzmq
// connecting and the reverse, on both engine backends. Run them alone with
//
//	go test -run Interop .
//
// Over tcp every pairing runs; over ipc one of each pattern.
//
// They need /usr/bin/python3 with Debian's python3-zmq; outside CI they skip
// with a message when it is missing, in CI (CI set) they fail.

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

const python = "/usr/bin/python3"

func requirePyzmq(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import zmq").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("interop peer unavailable in CI: %s with pyzmq: %v (.ci/run installs python3-zmq)", python, err)
		}
		t.Skipf("skipping interop test: %s cannot import zmq (apt-get install python3-zmq): %v", python, err)
	}
}

// pyPeer is a libzmq socket in a Python process, driven line by line.
type pyPeer struct {
	t        *testing.T
	cmd      *exec.Cmd
	in       io.WriteCloser
	out      *bufio.Scanner
	endpoint string
}

func startPeer(t *testing.T, typ, how, endpoint string, routingID []byte) *pyPeer {
	t.Helper()
	return startPeerOpts(t, typ, how, endpoint, routingID, nil)
}

// peerOpt is a libzmq socket option the peer sets before bind/connect: Name
// is the zmq constant ("CURVE_SERVER"); Value an int, a string (sent as its
// bytes) or peerHex.
type peerOpt struct {
	Name  string
	Value any
}

// peerHex is a binary option value.
type peerHex []byte

// MarshalJSON writes the form zmqpeer.py reads as bytes.
func (h peerHex) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"hex": hex.EncodeToString(h)})
}

// startPeerOpts starts a libzmq peer whose socket has opts set first.
func startPeerOpts(t *testing.T, typ, how, endpoint string, routingID []byte, opts []peerOpt) *pyPeer {
	t.Helper()
	return startScript(t, "testdata/zmqpeer.py", []string{typ, how, endpoint, hex.EncodeToString(routingID)}, opts)
}

// startScript runs a peer script that speaks zmqpeer.py's line protocol,
// with opts in ZMQPEER_OPTS, and waits for its "ready" line.
func startScript(t *testing.T, script string, args []string, opts []peerOpt) *pyPeer {
	t.Helper()
	cmd := exec.Command(python, append([]string{script}, args...)...)
	if len(opts) > 0 {
		list := make([][2]any, len(opts))
		for i, o := range opts {
			list[i] = [2]any{o.Name, o.Value}
		}
		b, err := json.Marshal(list)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Env = append(os.Environ(), "ZMQPEER_OPTS="+string(b))
	}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &pyPeer{t: t, cmd: cmd, in: in, out: bufio.NewScanner(stdout)}
	p.out.Buffer(make([]byte, 1<<20), 16<<20)
	t.Cleanup(func() {
		fmt.Fprintln(p.in, `{"quit": true}`)
		p.in.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	var ready struct{ Ready string }
	p.line(&ready)
	p.endpoint = ready.Ready
	return p
}

func (p *pyPeer) line(v any) {
	p.t.Helper()
	if !p.out.Scan() {
		p.t.Fatalf("libzmq peer exited: %v", p.out.Err())
	}
	if err := json.Unmarshal(p.out.Bytes(), v); err != nil {
		p.t.Fatalf("libzmq peer said %q: %v", p.out.Text(), err)
	}
}

func (p *pyPeer) do(cmd map[string]any) {
	p.t.Helper()
	if msg := p.ask(cmd); msg != "" {
		p.t.Fatalf("libzmq peer %v: %s", cmd, msg)
	}
}

// ask sends one command and returns the peer's error, "" if it succeeded.
func (p *pyPeer) ask(cmd map[string]any) string {
	p.t.Helper()
	b, _ := json.Marshal(cmd)
	fmt.Fprintf(p.in, "%s\n", b)
	var r struct {
		OK    bool
		Error string
	}
	p.line(&r)
	if !r.OK {
		return cmp.Or(r.Error, "failed")
	}
	return ""
}

func (p *pyPeer) send(frames ...[]byte) {
	p.t.Helper()
	p.do(map[string]any{"send": hexFrames(frames)})
}

// trySend asks the peer to send a message and ignores whether it could
// (a libzmq socket refused by its server may have no pipe left to send on).
func (p *pyPeer) trySend(frames ...[]byte) {
	p.t.Helper()
	p.ask(map[string]any{"send": hexFrames(frames)})
}

func hexFrames(frames [][]byte) []string {
	h := make([]string, len(frames))
	for i, f := range frames {
		h[i] = hex.EncodeToString(f)
	}
	return h
}

func (p *pyPeer) echo(n int) { p.t.Helper(); p.do(map[string]any{"echo": n}) }

// recvAsync asks for one message; the reply is read by wait, so that our side
// can send meanwhile.
func (p *pyPeer) recvAsync() func() [][]byte {
	fmt.Fprintln(p.in, `{"recv": 1}`)
	return func() [][]byte {
		p.t.Helper()
		var r struct {
			Msg   []string
			Error string
		}
		p.line(&r)
		if r.Error != "" {
			p.t.Fatalf("libzmq peer recv: %s", r.Error)
		}
		out := make([][]byte, len(r.Msg))
		for i, h := range r.Msg {
			out[i], _ = hex.DecodeString(h)
		}
		return out
	}
}

func (p *pyPeer) recv() [][]byte { p.t.Helper(); return p.recvAsync()() }

// echoAsync starts an echo of n messages and returns the wait for its end.
func (p *pyPeer) echoAsync(n int) func() {
	fmt.Fprintf(p.in, `{"echo": %d}`+"\n", n)
	return func() {
		p.t.Helper()
		var r struct {
			OK    bool
			Error string
		}
		p.line(&r)
		if !r.OK {
			p.t.Fatalf("libzmq peer echo: %s", r.Error)
		}
	}
}

// testMessages are multipart, with empty frames and a 1 MiB frame.
func testMessages() [][][]byte {
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(rand.Uint32())
	}
	return [][][]byte{
		{[]byte("hello")},
		{[]byte("a"), {}, []byte("c")},
		{{}},
		{[]byte("x"), make([]byte, 300), []byte("y")},
		{big},
	}
}

func equalMsg(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func short(m [][]byte) string {
	s := "["
	for i, f := range m {
		if i > 0 {
			s += " "
		}
		if len(f) > 16 {
			s += fmt.Sprintf("%x…(%d)", f[:16], len(f))
		} else {
			s += fmt.Sprintf("%q", f)
		}
	}
	return s + "]"
}

func mustEqual(t *testing.T, what string, got, want [][]byte) {
	t.Helper()
	if !equalMsg(got, want) {
		t.Fatalf("%s: got %s, want %s", what, short(got), short(want))
	}
}

// pair sets up our socket of type ours and a libzmq socket of type theirs,
// with ours binding when weBind, and returns both once the peer is running.
func pair(t *testing.T, c *azmq.Context, tr string, ours azmq.Type, theirs string, weBind bool, theirID []byte, opts ...azmq.Option) (*azmq.Socket, *pyPeer) {
	t.Helper()
	opts = append([]azmq.Option{azmq.WithLinger(time.Second)}, opts...)
	s, err := c.NewSocket(ours, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if weBind {
		if err := s.Bind(endpointFor(t, tr)); err != nil {
			t.Fatal(err)
		}
		return s, startPeer(t, theirs, "connect", s.Addr(), theirID)
	}
	p := startPeer(t, theirs, "bind", endpointFor(t, tr), theirID)
	if err := s.Connect(p.endpoint); err != nil {
		t.Fatal(err)
	}
	return s, p
}

func tctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type interopCase struct {
	name string
	run  func(t *testing.T, c *azmq.Context, tr string, weBind bool)
}

var interopCases = []interopCase{
	{"PAIR-PAIR", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.Pair, "PAIR", weBind, nil)
		for _, m := range testMessages() {
			done := p.echoAsync(1)
			if err := s.Send(tctx(t), m...); err != nil {
				t.Fatal(err)
			}
			got, err := s.Recv(tctx(t))
			if err != nil {
				t.Fatal(err)
			}
			done()
			mustEqual(t, "echo", got, m)
		}
	}},
	{"PUSH-PULL", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.Push, "PULL", weBind, nil)
		for _, m := range testMessages() {
			if err := s.Send(tctx(t), m...); err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "pulled", p.recv(), m)
		}
	}},
	{"PULL-PUSH", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.Pull, "PUSH", weBind, nil)
		for _, m := range testMessages() {
			p.send(m...)
			got, err := s.Recv(tctx(t))
			if err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "pulled", got, m)
		}
	}},
	{"REQ-REP", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.Req, "REP", weBind, nil)
		for _, m := range testMessages() {
			done := p.echoAsync(1)
			if err := s.Send(tctx(t), m...); err != nil {
				t.Fatal(err)
			}
			got, err := s.Recv(tctx(t))
			if err != nil {
				t.Fatal(err)
			}
			done()
			mustEqual(t, "reply", got, m)
		}
	}},
	{"REP-REQ", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.Rep, "REQ", weBind, nil)
		for _, m := range testMessages() {
			p.send(m...)
			got, err := s.Recv(tctx(t))
			if err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "request", got, m)
			if err := s.Send(tctx(t), append([][]byte{[]byte("re:")}, got...)...); err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "reply", p.recv(), append([][]byte{[]byte("re:")}, m...))
		}
	}},
	{"DEALER-ROUTER", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.Dealer, "ROUTER", weBind, nil, azmq.WithRoutingID([]byte("abc")))
		for _, m := range testMessages() {
			if err := s.Send(tctx(t), m...); err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "routed", p.recv(), append([][]byte{[]byte("abc")}, m...))
			p.send(append([][]byte{[]byte("abc")}, m...)...)
			got, err := s.Recv(tctx(t))
			if err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "dealt", got, m)
		}
	}},
	{"ROUTER-DEALER", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.Router, "DEALER", weBind, []byte("xyz"))
		for _, m := range testMessages() {
			p.send(m...)
			got, err := s.Recv(tctx(t))
			if err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "routed", got, append([][]byte{[]byte("xyz")}, m...))
			if err := s.Send(tctx(t), got...); err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "dealt", p.recv(), m)
		}
	}},
	{"ROUTER-DEALER-generated-id", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.Router, "DEALER", weBind, nil)
		p.send([]byte("hi"))
		got, err := s.Recv(tctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || len(got[0]) != 5 || got[0][0] != 0 || string(got[1]) != "hi" {
			t.Fatalf("want [00 xx xx xx xx] [hi], got %s", short(got))
		}
		if err := s.Send(tctx(t), got[0], []byte("back")); err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "reply", p.recv(), [][]byte{[]byte("back")})
	}},
	{"REQ-ROUTER", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.Req, "ROUTER", weBind, nil, azmq.WithRoutingID([]byte("me")))
		for _, m := range testMessages() {
			if err := s.Send(tctx(t), m...); err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "request", p.recv(), append([][]byte{[]byte("me"), {}}, m...))
			p.send(append([][]byte{[]byte("me"), {}}, m...)...)
			got, err := s.Recv(tctx(t))
			if err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "reply", got, m)
		}
	}},
	{"ROUTER-REQ", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.Router, "REQ", weBind, []byte("req1"))
		for _, m := range testMessages() {
			p.send(m...)
			got, err := s.Recv(tctx(t))
			if err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "request", got, append([][]byte{[]byte("req1"), {}}, m...))
			if err := s.Send(tctx(t), got...); err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "reply", p.recv(), m)
		}
	}},
	{"DEALER-REP", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.Dealer, "REP", weBind, nil)
		for _, m := range testMessages() {
			done := p.echoAsync(1)
			req := append([][]byte{{}}, m...)
			if err := s.Send(tctx(t), req...); err != nil {
				t.Fatal(err)
			}
			got, err := s.Recv(tctx(t))
			if err != nil {
				t.Fatal(err)
			}
			done()
			mustEqual(t, "reply", got, req)
		}
	}},
	{"REP-DEALER", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.Rep, "DEALER", weBind, nil)
		for _, m := range testMessages() {
			p.send(append([][]byte{{}}, m...)...)
			got, err := s.Recv(tctx(t))
			if err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "request", got, m)
			if err := s.Send(tctx(t), got...); err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "reply", p.recv(), append([][]byte{{}}, m...))
		}
	}},
}

func TestInterop(t *testing.T) {
	runInterop(t, interopCases, func(name string) bool { return interopOverIPC[name] })
}

// runInterop runs every case on each backend over tcp and, where overIPC
// says so, ipc, with azmq binding and then connecting, each case in parallel
// on a context of its own.
func runInterop(t *testing.T, cases []interopCase, overIPC func(name string) bool) {
	requirePyzmq(t)
	for _, b := range backends {
		for _, tr := range []string{"tcp", "ipc"} {
			t.Run(b.String()+"/"+tr, func(t *testing.T) {
				for _, tc := range cases {
					if tr == "ipc" && !overIPC(tc.name) {
						continue
					}
					for _, weBind := range []bool{true, false} {
						dir := "we-connect"
						if weBind {
							dir = "we-bind"
						}
						t.Run(tc.name+"/"+dir, func(t *testing.T) {
							t.Parallel()
							c := azmq.NewContext(azmq.WithBackend(b))
							t.Cleanup(func() { c.Close() })
							tc.run(t, c, tr, weBind)
						})
					}
				}
			})
		}
	}
	assertNoLeaks(t)
}

// interopOverIPC are the pairings also run over ipc: one of each pattern.
var interopOverIPC = map[string]bool{
	"PUSH-PULL": true, "PULL-PUSH": true, "REQ-REP": true, "REP-REQ": true,
	"DEALER-ROUTER": true, "ROUTER-DEALER": true, "PAIR-PAIR": true,
}

// subscribe asks the libzmq peer to subscribe to prefix.
func (p *pyPeer) subscribe(prefix []byte) {
	p.t.Helper()
	p.do(map[string]any{"subscribe": hex.EncodeToString(prefix)})
}

// publishUntilReceived publishes m from our socket every few milliseconds
// until the libzmq subscriber has received one (a subscription needs a
// moment to reach a publisher: the slow joiner), and returns what it got.
func publishUntilReceived(t *testing.T, s *azmq.Socket, p *pyPeer, m ...[]byte) [][]byte {
	t.Helper()
	got := make(chan [][]byte, 1)
	wait := p.recvAsync()
	go func() { got <- wait() }()
	deadline := time.After(10 * time.Second)
	for {
		if err := s.Send(tctx(t), m...); err != nil {
			t.Fatal(err)
		}
		select {
		case g := <-got:
			return g
		case <-deadline:
			t.Fatal("the libzmq subscriber never received a message")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// receiveWhilePublishing asks the libzmq publisher to send m until our
// socket receives it.
func receiveWhilePublishing(t *testing.T, s *azmq.Socket, p *pyPeer, m ...[]byte) [][]byte {
	t.Helper()
	for i := 0; i < 500; i++ {
		p.send(m...)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		got, err := s.Recv(ctx)
		cancel()
		if err == nil {
			return got
		}
	}
	t.Fatal("never received from the libzmq publisher")
	return nil
}

var pubsubCases = []interopCase{
	{"PUB-SUB", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.Pub, "SUB", weBind, nil)
		p.subscribe([]byte("A"))
		got := publishUntilReceived(t, s, p, []byte("A-topic"), []byte("body"))
		mustEqual(t, "published", got, [][]byte{[]byte("A-topic"), []byte("body")})
		// Filtering happens at the publisher: a message that matches no
		// subscription never reaches libzmq, the next matching one does.
		if err := s.Send(tctx(t), []byte("B-other")); err != nil {
			t.Fatal(err)
		}
		if err := s.Send(tctx(t), []byte("A2")); err != nil {
			t.Fatal(err)
		}
		for {
			m := p.recv()
			if string(m[0]) == "B-other" {
				t.Fatal("a message matching no subscription reached libzmq")
			}
			if string(m[0]) == "A2" {
				break
			}
		}
	}},
	{"SUB-PUB", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.Sub, "PUB", weBind, nil)
		if err := s.Subscribe([]byte("news")); err != nil {
			t.Fatal(err)
		}
		got := receiveWhilePublishing(t, s, p, []byte("news!"), []byte("x"))
		mustEqual(t, "received", got, [][]byte{[]byte("news!"), []byte("x")})
	}},
	{"XPUB-SUB", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.XPub, "SUB", weBind, nil)
		p.subscribe([]byte("topic"))
		for i := 0; ; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			got, err := s.Recv(ctx)
			cancel()
			if err == nil {
				mustEqual(t, "subscription", got, [][]byte{[]byte("\x01topic")})
				break
			}
			if i == 500 {
				t.Fatal("the subscription never arrived")
			}
			p.do(map[string]any{"poll": 10})
		}
	}},
	{"XSUB-PUB", func(t *testing.T, c *azmq.Context, tr string, weBind bool) {
		s, p := pair(t, c, tr, azmq.XSub, "PUB", weBind, nil)
		if err := s.Send(tctx(t), []byte("\x01")); err != nil {
			t.Fatal(err)
		}
		got := receiveWhilePublishing(t, s, p, []byte("anything"))
		mustEqual(t, "received", got, [][]byte{[]byte("anything")})
	}},
}

func TestInteropPubSub(t *testing.T) {
	runInterop(t, pubsubCases, func(string) bool { return true })
}
