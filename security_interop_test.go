package azmq_test

// Security interop against libzmq through pyzmq: PLAIN and CURVE with azmq
// as the server and libzmq as the client, and the reverse, with ZAP
// handlers that accept and refuse, on both backends. libzmq servers that
// consult ZAP run testdata/zapserver.py, a zmqpeer.py variant with a ZAP
// handler thread.

import (
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

// startZAPPeer starts testdata/zapserver.py: a libzmq socket whose context
// answers ZAP by policy ("accept", "deny" or "allow:HEX").
func startZAPPeer(t *testing.T, typ, how, endpoint, policy string, opts []peerOpt) *pyPeer {
	t.Helper()
	return startScript(t, "testdata/zapserver.py", []string{typ, how, endpoint, policy}, opts)
}

// zapLog returns the ZAP requests the peer's handler saw, REP-stripped.
func (p *pyPeer) zapLog() [][][]byte {
	p.t.Helper()
	fmt.Fprintln(p.in, `{"zaplog": true}`)
	var r struct{ Zap [][]string }
	p.line(&r)
	out := make([][][]byte, len(r.Zap))
	for i, req := range r.Zap {
		for _, h := range req {
			f, _ := hex.DecodeString(h)
			out[i] = append(out[i], f)
		}
	}
	return out
}

// curveClientOpts are libzmq options for a CURVE client (Z85 keys).
func curveClientOpts(server, public string, secret string) []peerOpt {
	return []peerOpt{{"CURVE_SERVERKEY", server}, {"CURVE_PUBLICKEY", public}, {"CURVE_SECRETKEY", secret}}
}

// echoAll sends each test message through an echoing libzmq peer.
func echoAll(t *testing.T, s *azmq.Socket, p *pyPeer) {
	t.Helper()
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
}

// deniedOpt bounds the send of a libzmq client our server refuses: once
// refused it stops reconnecting and drops its pipe, so a send that comes
// after the refusal finds no pipe and would wait for the peer's default 10 s.
var deniedOpt = peerOpt{"SNDTIMEO", 500}

func TestInteropSecurity(t *testing.T) {
	requirePyzmq(t)
	k := testCurveKeys(t)
	otherP, otherS, err := azmq.NewCurveKeypair()
	if err != nil {
		t.Fatal(err)
	}
	runOnBackends(t, []backendCase{
		{"PLAIN azmq server, libzmq clients", func(t *testing.T, c *azmq.Context) {
			c.SetAuthenticator(allowUsers("admin"))
			srv := newSocket(t, c, azmq.Router, azmq.WithPlainServer())
			ep := bindLocal(t, srv)
			// A refused client may have no pipe left by the time it sends
			// (see deniedOpt): only that nothing of it arrives matters.
			bad := startPeerOpts(t, "DEALER", "connect", ep, nil, []peerOpt{{"PLAIN_USERNAME", "mallory"}, {"PLAIN_PASSWORD", "x"}, deniedOpt})
			bad.trySend([]byte("bad"))
			good := startPeerOpts(t, "DEALER", "connect", ep, []byte("CLI"), []peerOpt{{"PLAIN_USERNAME", "admin"}, {"PLAIN_PASSWORD", "secret"}})
			good.send([]byte("good"))
			recvWant(t, srv, "CLI", "good")
			if err := srv.Send(tctx(t), []byte("CLI"), []byte("back")); err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "reply", good.recv(), bs("back"))
			wantNothing(t, srv, 300*time.Millisecond)
		}},
		{"PLAIN libzmq server accepts", func(t *testing.T, c *azmq.Context) {
			p := startZAPPeer(t, "ROUTER", "bind", "tcp://127.0.0.1:*", "allow:"+hex.EncodeToString([]byte("admin")),
				[]peerOpt{{"PLAIN_SERVER", 1}, {"ZAP_DOMAIN", "global"}})
			cli := newSocket(t, c, azmq.Dealer, azmq.WithPlainClient("admin", "secret"), azmq.WithRoutingID([]byte("CLI")))
			mustConnect(t, cli, p.endpoint)
			mustSend(t, cli, "hi")
			mustEqual(t, "server got", p.recv(), bs("CLI", "hi"))
			p.send([]byte("CLI"), []byte("back"))
			recvWant(t, cli, "back")
			log := p.zapLog()
			if len(log) != 1 {
				t.Fatalf("%d ZAP requests", len(log))
			}
			wantFrames(t, log[0], bs("1.0", "1", "global", "127.0.0.1", "", "PLAIN", "admin", "secret"))
		}},
		{"PLAIN libzmq server refuses", func(t *testing.T, c *azmq.Context) {
			p := startZAPPeer(t, "PULL", "bind", "tcp://127.0.0.1:*", "deny", []peerOpt{{"PLAIN_SERVER", 1}})
			cli := newSocket(t, c, azmq.Push, azmq.WithPlainClient("admin", "secret"))
			mustConnect(t, cli, p.endpoint)
			// libzmq's malformed PLAIN ERROR (mechanisms.md §3.6) still
			// reads as a refusal, after which we stop reconnecting.
			refusedEventually(t, cli)
			time.Sleep(300 * time.Millisecond)
			if n := len(p.zapLog()); n != 1 {
				t.Fatalf("%d ZAP requests: the refused client reconnected", n)
			}
		}},
		{"CURVE azmq server, libzmq clients", func(t *testing.T, c *azmq.Context) {
			c.SetAuthenticator(allowUsers(string(k.cp[:])))
			srv := newSocket(t, c, azmq.Router, azmq.WithCurveServer(k.ss))
			ep := bindLocal(t, srv)
			wrongKey := startPeerOpts(t, "DEALER", "connect", ep, nil,
				append(curveClientOpts(otherP.Z85(), testClientPublic, testClientSecret), deniedOpt))
			wrongKey.trySend([]byte("wrong key"))
			denied := startPeerOpts(t, "DEALER", "connect", ep, nil,
				append(curveClientOpts(testServerPublic, otherP.Z85(), otherS.Z85()), deniedOpt))
			denied.trySend([]byte("denied"))
			good := startPeerOpts(t, "DEALER", "connect", ep, []byte("CLI"), curveClientOpts(testServerPublic, testClientPublic, testClientSecret))
			good.send([]byte("good"), []byte("two"))
			recvWant(t, srv, "CLI", "good", "two")
			big := make([]byte, 200_000)
			if err := srv.Send(tctx(t), []byte("CLI"), []byte("a"), big); err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "reply", good.recv(), [][]byte{[]byte("a"), big})
			wantNothing(t, srv, 300*time.Millisecond)
		}},
		{"CURVE libzmq server accepts", func(t *testing.T, c *azmq.Context) {
			for _, tr := range []string{"tcp", "ipc"} {
				p := startZAPPeer(t, "PAIR", "bind", endpointFor(t, tr), "allow:"+hex.EncodeToString(k.cp[:]),
					[]peerOpt{{"CURVE_SERVER", 1}, {"CURVE_SECRETKEY", testServerSecret}})
				cli := newSocket(t, c, azmq.Pair, azmq.WithCurveClient(k.sp, k.cp, k.cs))
				mustConnect(t, cli, p.endpoint)
				echoAll(t, cli, p)
				if log := p.zapLog(); len(log) != 1 || len(log[0]) != 7 || string(log[0][5]) != "CURVE" {
					t.Fatalf("%s: ZAP requests %q", tr, log)
				}
			}
		}},
		{"CURVE libzmq server refuses", func(t *testing.T, c *azmq.Context) {
			p := startZAPPeer(t, "PULL", "bind", "tcp://127.0.0.1:*", "deny",
				[]peerOpt{{"CURVE_SERVER", 1}, {"CURVE_SECRETKEY", testServerSecret}})
			cli := newSocket(t, c, azmq.Push, azmq.WithCurveClient(k.sp, k.cp, k.cs))
			mustConnect(t, cli, p.endpoint)
			refusedEventually(t, cli)
		}},
		{"CURVE PUB-SUB both ways", func(t *testing.T, c *azmq.Context) {
			// Subscriptions travel as sealed commands (inner flags 02).
			pub := newSocket(t, c, azmq.Pub, azmq.WithCurveServer(k.ss))
			sub := startPeerOpts(t, "SUB", "connect", bindLocal(t, pub), nil,
				curveClientOpts(testServerPublic, testClientPublic, testClientSecret))
			sub.subscribe([]byte("A"))
			mustEqual(t, "published", publishUntilReceived(t, pub, sub, []byte("A-topic")), bs("A-topic"))
			lpub := startPeerOpts(t, "PUB", "bind", "tcp://127.0.0.1:*", nil,
				[]peerOpt{{"CURVE_SERVER", 1}, {"CURVE_SECRETKEY", testServerSecret}})
			ours := newSocket(t, c, azmq.Sub, azmq.WithCurveClient(k.sp, k.cp, k.cs))
			if err := ours.Subscribe([]byte("B")); err != nil {
				t.Fatal(err)
			}
			mustConnect(t, ours, lpub.endpoint)
			wantFrames(t, receiveWhilePublishing(t, ours, lpub, []byte("B-topic")), bs("B-topic"))
		}},
		{"CURVE heartbeats", func(t *testing.T, c *azmq.Context) {
			// libzmq PINGs inside MESSAGE; a PONG we failed to seal would
			// make it drop the connection at its heartbeat timeout.
			p := startPeerOpts(t, "PAIR", "bind", "tcp://127.0.0.1:*", nil,
				[]peerOpt{{"CURVE_SERVER", 1}, {"CURVE_SECRETKEY", testServerSecret},
					{"HEARTBEAT_IVL", 100}, {"HEARTBEAT_TIMEOUT", 400}})
			cli := newSocket(t, c, azmq.Pair, azmq.WithCurveClient(k.sp, k.cp, k.cs))
			mustConnect(t, cli, p.endpoint)
			done := p.echoAsync(1)
			mustSend(t, cli, "before")
			recvWant(t, cli, "before")
			done()
			p.do(map[string]any{"poll": 1500}) // libzmq heartbeats while inside a call
			done = p.echoAsync(1)
			mustSend(t, cli, "after")
			recvWant(t, cli, "after")
			done()
			if st := cli.Stats(); st.Disconnects != 0 || st.Connected != 1 {
				t.Fatalf("connection lost during heartbeats: %+v", st)
			}
		}},
		{"CURVE azmq server connects to libzmq client", func(t *testing.T, c *azmq.Context) {
			p := startPeerOpts(t, "PAIR", "bind", "tcp://127.0.0.1:*", nil,
				curveClientOpts(testServerPublic, testClientPublic, testClientSecret))
			srv := newSocket(t, c, azmq.Pair, azmq.WithCurveServer(k.ss))
			mustConnect(t, srv, p.endpoint)
			echoAll(t, srv, p)
		}},
	})
}
