package azmq_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/azmq/azmq"
)

// libzmq's well-known CURVE test keys (doc/zmq_curve.txt).
const (
	testClientPublic = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
	testClientSecret = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"
	testServerPublic = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
	testServerSecret = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
)

type curveKeys struct {
	cp, sp azmq.PublicKey
	cs, ss azmq.SecretKey
}

func testCurveKeys(t testing.TB) curveKeys {
	t.Helper()
	var k curveKeys
	var err [4]error
	k.cp, err[0] = azmq.ParsePublicKey(testClientPublic)
	k.sp, err[1] = azmq.ParsePublicKey(testServerPublic)
	k.cs, err[2] = azmq.ParseSecretKey(testClientSecret)
	k.ss, err[3] = azmq.ParseSecretKey(testServerSecret)
	for _, e := range err {
		if e != nil {
			t.Fatal(e)
		}
	}
	return k
}

// allowUsers accepts PLAIN clients whose username is in users and CURVE
// clients whose key is, and denies the rest with 400.
func allowUsers(users ...string) azmq.Authenticator {
	return azmq.AuthenticatorFunc(func(r *azmq.ZAPRequest) azmq.ZAPReply {
		for _, u := range users {
			if len(r.Credentials) > 0 && string(r.Credentials[0]) == u {
				return azmq.ZAPReply{Status: azmq.ZAPOK, UserID: u}
			}
		}
		return azmq.ZAPReply{Status: azmq.ZAPDenied, Text: "no"}
	})
}

// refusedEventually waits until s counted a handshake the peer refused.
func refusedEventually(t testing.TB, s *azmq.Socket) {
	t.Helper()
	if !eventually(testTimeout, func() bool { return s.Stats().HandshakeFailures["refused"] > 0 }) {
		t.Fatalf("no refused handshake counted: %v", s.Stats().HandshakeFailures)
	}
}

// serveTwo checks that a server with a refused client and an accepted one
// receives only the accepted one's message, so it went on serving.
func serveTwo(t *testing.T, srv, bad, good *azmq.Socket) {
	t.Helper()
	ep := bindLocal(t, srv)
	mustConnect(t, bad, ep)
	// A refused client may lose its pipe before this: no blocking here.
	bad.Send(timeoutCtx(t, 100*time.Millisecond), []byte("bad"))
	mustConnect(t, good, ep)
	mustSend(t, good, "good")
	got := mustRecv(t, srv)
	if string(got[len(got)-1]) != "good" {
		t.Fatalf("server got %s", show(got))
	}
	wantNothing(t, srv, 300*time.Millisecond)
}

func TestSecurity(t *testing.T) {
	k := testCurveKeys(t)
	runOnBackends(t, []backendCase{
		{"PLAIN authenticator", func(t *testing.T, c *azmq.Context) {
			c.SetAuthenticator(allowUsers("admin"))
			srv := newSocket(t, c, azmq.Router, azmq.WithPlainServer())
			bad := newSocket(t, c, azmq.Dealer, azmq.WithPlainClient("mallory", "x"))
			good := newSocket(t, c, azmq.Dealer, azmq.WithPlainClient("admin", "secret"))
			serveTwo(t, srv, bad, good)
			refusedEventually(t, bad)
		}},
		{"PLAIN without handler refuses all", func(t *testing.T, c *azmq.Context) {
			srv := newSocket(t, c, azmq.Pull, azmq.WithPlainServer())
			cli := newSocket(t, c, azmq.Push, azmq.WithPlainClient("admin", "secret"))
			mustConnect(t, cli, bindLocal(t, srv))
			mustSend(t, cli, "x")
			wantNothing(t, srv, 500*time.Millisecond)
		}},
		{"CURVE without handler", func(t *testing.T, c *azmq.Context) {
			srv := newSocket(t, c, azmq.Pair, azmq.WithCurveServer(k.ss))
			cli := newSocket(t, c, azmq.Pair, azmq.WithCurveClient(k.sp, k.cp, k.cs))
			mustConnect(t, cli, bindLocal(t, srv))
			big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // a frame past the read buffer
			for _, m := range [][][]byte{{[]byte("a"), {}, []byte("c")}, {big}} {
				for _, dir := range [][2]*azmq.Socket{{cli, srv}, {srv, cli}} {
					if err := dir[0].Send(timeoutCtx(t, testTimeout), m...); err != nil {
						t.Fatal(err)
					}
					wantFrames(t, mustRecv(t, dir[1]), m)
				}
			}
		}},
		{"CURVE wrong server key", func(t *testing.T, c *azmq.Context) {
			other, _, _ := azmq.NewCurveKeypair()
			srv := newSocket(t, c, azmq.Router, azmq.WithCurveServer(k.ss))
			bad := newSocket(t, c, azmq.Dealer, azmq.WithCurveClient(other, k.cp, k.cs))
			good := newSocket(t, c, azmq.Dealer, azmq.WithCurveClient(k.sp, k.cp, k.cs))
			serveTwo(t, srv, bad, good)
		}},
		{"CURVE authenticator", func(t *testing.T, c *azmq.Context) {
			c.SetAuthenticator(allowUsers(string(k.cp[:])))
			otherP, otherS, _ := azmq.NewCurveKeypair()
			srv := newSocket(t, c, azmq.Router, azmq.WithCurveServer(k.ss))
			bad := newSocket(t, c, azmq.Dealer, azmq.WithCurveClient(k.sp, otherP, otherS))
			good := newSocket(t, c, azmq.Dealer, azmq.WithCurveClient(k.sp, k.cp, k.cs))
			serveTwo(t, srv, bad, good)
			refusedEventually(t, bad)
		}},
		{"NULL with domain asks ZAP", func(t *testing.T, c *azmq.Context) {
			c.SetAuthenticator(allowUsers()) // denies everyone
			srv := newSocket(t, c, azmq.Pull, azmq.WithZAPDomain("global"))
			cli := newSocket(t, c, azmq.Push)
			// The refused PUSH stops reconnecting and loses its pipe, so a
			// Send may block: it gets a short deadline.
			mustConnect(t, cli, bindLocal(t, srv))
			cli.Send(timeoutCtx(t, 100*time.Millisecond), []byte("x"))
			refusedEventually(t, cli)
			wantNothing(t, srv, 200*time.Millisecond)
		}},
		{"ZAP handler socket", func(t *testing.T, c *azmq.Context) {
			zap := newSocket(t, c, azmq.Rep)
			if err := zap.Bind(azmq.ZAPEndpoint); err != nil {
				t.Fatal(err)
			}
			reqs := make(chan [][]byte, 4)
			go func() {
				for {
					req, err := zap.Recv(context.Background())
					if err != nil {
						return
					}
					reqs <- req
					status := "400"
					if string(req[6]) == "admin" {
						status = "200"
					}
					zap.Send(context.Background(), req[0], req[1], []byte(status), []byte("OK"), []byte("alice"), nil)
				}
			}()
			srv := newSocket(t, c, azmq.Router, azmq.WithPlainServer(), azmq.WithZAPDomain("global"),
				azmq.WithRoutingID([]byte("SRVID")))
			bad := newSocket(t, c, azmq.Dealer, azmq.WithPlainClient("mallory", "x"))
			good := newSocket(t, c, azmq.Dealer, azmq.WithPlainClient("admin", "secret"))
			serveTwo(t, srv, bad, good)
			refusedEventually(t, bad)
			want := bs("1.0", "1", "global", "127.0.0.1", "SRVID", "PLAIN")
			for i := 0; i < 2; i++ {
				req := <-reqs
				wantFrames(t, req[:6], want)
			}
		}},
		{"ZAP handler socket never replies", func(t *testing.T, c *azmq.Context) {
			zap := newSocket(t, c, azmq.Rep)
			if err := zap.Bind(azmq.ZAPEndpoint); err != nil {
				t.Fatal(err)
			}
			srv := newSocket(t, c, azmq.Pull, azmq.WithPlainServer(), azmq.WithHandshakeTimeout(300*time.Millisecond))
			cli := newSocket(t, c, azmq.Push, azmq.WithPlainClient("admin", "secret"))
			mustConnect(t, cli, bindLocal(t, srv))
			mustSend(t, cli, "x")
			mustRecv(t, zap) // asked, never answers
			wantNothing(t, srv, time.Second)
		}},
	})
}

func TestSecurityOptionErrors(t *testing.T) {
	k := testCurveKeys(t)
	c := newContext(t, azmq.BackendDefault)
	otherP, _, _ := azmq.NewCurveKeypair()
	for name, opt := range map[string]azmq.Option{
		"long username":       azmq.WithPlainClient(string(make([]byte, 256)), ""),
		"zero server secret":  azmq.WithCurveServer(azmq.SecretKey{}),
		"zero server key":     azmq.WithCurveClient(azmq.PublicKey{}, k.cp, k.cs),
		"mismatched key pair": azmq.WithCurveClient(k.sp, otherP, k.cs),
	} {
		if _, err := c.NewSocket(azmq.Dealer, opt); !errors.Is(err, azmq.ErrSecurity) {
			t.Errorf("%s: %v", name, err)
		} else if bytes.Contains([]byte(err.Error()), []byte(testClientSecret[:10])) {
			t.Errorf("%s: secret in %q", name, err)
		}
	}
}
