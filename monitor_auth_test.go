package azmq_test

// Authentication as the monitor and the message metadata see it: a peer
// refused by ZAP is a HandshakeFailedAuth event on both sides (the server
// refused it; the client was sent ERROR), as in libzmq, and an accepted
// peer's messages carry the User-Id the ZAP handler gave it.

import (
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/azmq/azmq"
	"github.com/azmq/azmq/frame"
)

// wantAuthFailure waits for a HandshakeFailedAuth event whose error wraps
// want and whose peer address is known.
func wantAuthFailure(t *testing.T, mon <-chan azmq.Event, want error) {
	t.Helper()
	ev := nextEvent(t, mon, azmq.EventHandshakeSucceeded, azmq.EventHandshakeFailedAuth)
	if ev.Kind != azmq.EventHandshakeFailedAuth || !errors.Is(ev.Err, want) || ev.Peer == "" {
		t.Fatalf("event %v (peer %q, err %v), want HandshakeFailedAuth wrapping %v", ev.Kind, ev.Peer, ev.Err, want)
	}
}

// wantUserID receives one message and checks its User-Id property.
func wantUserID(t *testing.T, s *azmq.Socket, want string) {
	t.Helper()
	var m azmq.Msg
	defer m.Release()
	if err := s.RecvMsg(tctx(t), &m); err != nil {
		t.Fatal(err)
	}
	if got, ok := m.Property("User-Id"); !ok || got != want {
		t.Fatalf("User-Id %q (%v), want %q", got, ok, want)
	}
}

func TestAuthEvents(t *testing.T) {
	k := testCurveKeys(t)
	otherP, otherS, err := azmq.NewCurveKeypair()
	if err != nil {
		t.Fatal(err)
	}
	refused := func(t *testing.T, c *azmq.Context, srvOpt, cliOpt azmq.Option) {
		srv := newSocket(t, c, azmq.Pull, srvOpt)
		srvMon := srv.Monitor(timeoutCtx(t, time.Minute))
		cli := newSocket(t, c, azmq.Push, cliOpt)
		cliMon := cli.Monitor(timeoutCtx(t, time.Minute))
		mustConnect(t, cli, bindLocal(t, srv))
		wantAuthFailure(t, srvMon, azmq.ErrAuth)
		wantAuthFailure(t, cliMon, azmq.ErrRefused)
	}
	runOnBackends(t, []backendCase{
		{"PLAIN refused", func(t *testing.T, c *azmq.Context) {
			c.SetAuthenticator(allowUsers("admin"))
			refused(t, c, azmq.WithPlainServer(), azmq.WithPlainClient("mallory", "x"))
		}},
		{"CURVE refused", func(t *testing.T, c *azmq.Context) {
			c.SetAuthenticator(allowUsers(string(k.cp[:])))
			refused(t, c, azmq.WithCurveServer(k.ss), azmq.WithCurveClient(k.sp, otherP, otherS))
		}},
		{"NULL refused", func(t *testing.T, c *azmq.Context) {
			c.SetAuthenticator(allowUsers())
			refused(t, c, azmq.WithZAPDomain("global"), azmq.WithLinger(0))
		}},
		{"PLAIN User-Id", func(t *testing.T, c *azmq.Context) {
			c.SetAuthenticator(allowUsers("admin"))
			srv := newSocket(t, c, azmq.Pull, azmq.WithPlainServer())
			cli := newSocket(t, c, azmq.Push, azmq.WithPlainClient("admin", "secret"))
			mustConnect(t, cli, bindLocal(t, srv))
			mustSend(t, cli, "x")
			wantUserID(t, srv, "admin")
		}},
		{"CURVE User-Id and metadata", func(t *testing.T, c *azmq.Context) {
			c.SetAuthenticator(azmq.AuthenticatorFunc(func(r *azmq.ZAPRequest) azmq.ZAPReply {
				return azmq.ZAPReply{Status: azmq.ZAPOK, UserID: hex.EncodeToString(r.Credentials[0][:4]),
					Metadata: []frame.Property{{Name: []byte("X-Role"), Value: []byte("ops")}}}
			}))
			srv := newSocket(t, c, azmq.Pull, azmq.WithCurveServer(k.ss))
			cli := newSocket(t, c, azmq.Push, azmq.WithCurveClient(k.sp, k.cp, k.cs))
			mustConnect(t, cli, bindLocal(t, srv))
			mustSend(t, cli, "x")
			var m azmq.Msg
			defer m.Release()
			if err := srv.RecvMsg(tctx(t), &m); err != nil {
				t.Fatal(err)
			}
			uid, _ := m.Property("User-Id")
			role, _ := m.Property("X-Role")
			if uid != hex.EncodeToString(k.cp[:4]) || role != "ops" {
				t.Fatalf("User-Id %q, X-Role %q", uid, role)
			}
		}},
		{"no ZAP, no User-Id", func(t *testing.T, c *azmq.Context) {
			srv := newSocket(t, c, azmq.Pull, azmq.WithCurveServer(k.ss))
			cli := newSocket(t, c, azmq.Push, azmq.WithCurveClient(k.sp, k.cp, k.cs))
			mustConnect(t, cli, bindLocal(t, srv))
			mustSend(t, cli, "x")
			var m azmq.Msg
			defer m.Release()
			if err := srv.RecvMsg(tctx(t), &m); err != nil {
				t.Fatal(err)
			}
			if uid, ok := m.Property("User-Id"); ok {
				t.Fatalf("User-Id %q without a ZAP handler", uid)
			}
		}},
	})
}

// TestInteropAuthEvents: the same events against libzmq, whichever side
// refuses, and the User-Id of an accepted libzmq client.
func TestInteropAuthEvents(t *testing.T) {
	requirePyzmq(t)
	k := testCurveKeys(t)
	runOnBackends(t, []backendCase{
		{"libzmq server refuses us", func(t *testing.T, c *azmq.Context) {
			p := startZAPPeer(t, "PULL", "bind", "tcp://127.0.0.1:*", "deny",
				[]peerOpt{{"CURVE_SERVER", 1}, {"CURVE_SECRETKEY", testServerSecret}})
			cli := newSocket(t, c, azmq.Push, azmq.WithCurveClient(k.sp, k.cp, k.cs))
			mon := cli.Monitor(timeoutCtx(t, time.Minute))
			mustConnect(t, cli, p.endpoint)
			wantAuthFailure(t, mon, azmq.ErrRefused)
		}},
		{"we refuse libzmq", func(t *testing.T, c *azmq.Context) {
			c.SetAuthenticator(allowUsers("admin"))
			srv := newSocket(t, c, azmq.Pull, azmq.WithPlainServer())
			mon := srv.Monitor(timeoutCtx(t, time.Minute))
			ep := bindLocal(t, srv)
			startPeerOpts(t, "PUSH", "connect", ep, nil, []peerOpt{{"PLAIN_USERNAME", "mallory"}, {"PLAIN_PASSWORD", "x"}})
			wantAuthFailure(t, mon, azmq.ErrAuth)
			good := startPeerOpts(t, "PUSH", "connect", ep, nil, []peerOpt{{"PLAIN_USERNAME", "admin"}, {"PLAIN_PASSWORD", "x"}})
			good.send([]byte("hi"))
			wantUserID(t, srv, "admin")
		}},
	})
}
