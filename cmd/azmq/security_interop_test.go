package main

import (
	"testing"
)

// Security interop with libzmq through pyzmq: keys from azmq keygen in a
// libzmq CURVE server, and the CLI's mechanism flags against libzmq peers
// in both directions.

// pySecureRep binds a libzmq REP with the mechanism of argv[1] ("curve
// SECRET" or "plain USER PASS", PLAIN checked by pyzmq's
// ThreadAuthenticator), prints its endpoint and, for CURVE, the public key
// libzmq derives from SECRET, then answers one request with "re:" before
// the first frame.
const pySecureRep = `
import sys, zmq, zmq.auth.thread
ctx = zmq.Context()
s = ctx.socket(zmq.REP)
s.linger = 0
if sys.argv[1] == "curve":
    s.curve_server = True
    s.curve_secretkey = sys.argv[2].encode()
else:
    auth = zmq.auth.thread.ThreadAuthenticator(ctx)
    auth.start()
    auth.configure_plain(domain="*", passwords={sys.argv[2]: sys.argv[3]})
    s.plain_server = True
port = s.bind_to_random_port("tcp://127.0.0.1")
print("tcp://127.0.0.1:%d" % port, flush=True)
if sys.argv[1] == "curve":
    print(zmq.curve_public(sys.argv[2].encode()).decode(), flush=True)
m = s.recv_multipart()
s.send_multipart([b"re:" + m[0]] + m[1:])
if sys.argv[1] != "curve":
    auth.stop()
`

// pySecureReq connects a libzmq REQ to argv[1] with the mechanism of
// argv[2] ("curve SERVERKEY" with a fresh client key pair, or "plain USER
// PASS"), sends "ping" and prints the reply.
const pySecureReq = `
import sys, zmq
s = zmq.Context().socket(zmq.REQ)
s.linger = 0
if sys.argv[2] == "curve":
    s.curve_serverkey = sys.argv[3].encode()
    s.curve_publickey, s.curve_secretkey = zmq.curve_keypair()
else:
    s.plain_username, s.plain_password = sys.argv[3].encode(), sys.argv[4].encode()
s.connect(sys.argv[1])
s.send(b"ping")
print(s.recv().decode(), flush=True)
`

func TestInteropKeygenCurveServer(t *testing.T) {
	requirePyzmq(t)
	public, secret := keygen(t)
	lines := startPy(t, pySecureRep, "curve", secret)
	ep := pyLine(t, lines)
	if got := pyLine(t, lines); got != public {
		t.Fatalf("libzmq derives public key %s from our secret key, keygen printed %s", got, public)
	}
	code, out, stderr := runCLI(t, "hello\n", "req", "--timeout", testTimeout.String(), "--curve-serverkey", public, ep)
	if code != 0 || out != "re:hello\n" {
		t.Fatalf("req: exit %d, %q: %s", code, out, stderr)
	}
}

func TestInteropPlainClient(t *testing.T) {
	requirePyzmq(t)
	ep := pyLine(t, startPy(t, pySecureRep, "plain", "admin", "pw"))
	code, out, stderr := runCLI(t, "hello\n", "req", "--timeout", testTimeout.String(), "--plain-user", "admin", "--plain-password", "pw", ep)
	if code != 0 || out != "re:hello\n" {
		t.Fatalf("req: exit %d, %q: %s", code, out, stderr)
	}
}

func TestInteropSecureRepServer(t *testing.T) {
	requirePyzmq(t)
	public, secret := keygen(t)
	for _, tc := range []struct {
		name   string
		server []string
		client []string
	}{
		{"CURVE", []string{"--curve-server", "--curve-secretkey", secret}, []string{"curve", public}},
		{"PLAIN", []string{"--plain-server", "--plain-user", "admin", "--plain-password", "pw"}, []string{"plain", "admin", "pw"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := startCLI(t, append([]string{"rep", "--echo", "--count", "1", "tcp://127.0.0.1:*"}, tc.server...)...)
			ep := waitBound(t, rep)
			replies := startPy(t, pySecureReq, append([]string{ep}, tc.client...)...)
			if got := rep.line(); got != "ping" {
				t.Fatalf("rep printed %q", got)
			}
			if got := pyLine(t, replies); got != "ping" {
				t.Fatalf("libzmq REQ got %q", got)
			}
			if code := rep.wait(); code != 0 {
				t.Fatalf("rep: exit %d: %s", code, rep.stderr.String())
			}
		})
	}
}
