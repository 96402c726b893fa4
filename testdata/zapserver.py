"""A libzmq peer with a ZAP handler, for azmq's security interop tests.

Usage: zapserver.py TYPE bind|connect ENDPOINT POLICY

Like zmqpeer.py (same ZMQPEER_OPTS, same stdin/stdout commands: send, recv,
echo, poll, sleep, quit), but the context also runs a ZAP handler: a REP
socket bound at inproc://zeromq.zap.01 in a thread, started before the
socket binds or connects. POLICY decides every request:
  accept      status 200, user id "alice", metadata X-Test=ok
  deny        status 400
  allow:HEX   200 if the first credential (PLAIN username, CURVE public
              key) is the bytes HEX, else 400
The command {"zaplog": true} answers {"zap": [[frame hex, ...], ...]}: every
request the handler saw, without the delimiter REP removed.
"""
import sys
import threading

import zmq

from zmqpeer import open_socket, out, serve


def zap_handler(ctx, policy, log, started):
    rep = ctx.socket(zmq.REP)
    rep.setsockopt(zmq.LINGER, 0)
    rep.bind("inproc://zeromq.zap.01")
    started.set()
    while True:
        try:
            req = rep.recv_multipart()
        except zmq.ContextTerminated:
            break
        log.append([f.hex() for f in req])
        version, request_id, creds = req[0], req[1], req[6:]
        ok = policy == "accept"
        if policy.startswith("allow:"):
            ok = bool(creds) and creds[0] == bytes.fromhex(policy[len("allow:"):])
        if ok:
            meta = b"\x06X-Test" + (2).to_bytes(4, "big") + b"ok"
            rep.send_multipart([version, request_id, b"200", b"OK", b"alice", meta])
        else:
            rep.send_multipart([version, request_id, b"400", b"No access", b"", b""])
    rep.close()


def main():
    kind, how, endpoint, policy = sys.argv[1:5]
    ctx = zmq.Context()
    log = []
    started = threading.Event()
    t = threading.Thread(target=zap_handler, args=(ctx, policy, log, started), daemon=True)
    t.start()
    started.wait()
    s = open_socket(ctx, kind, how, endpoint)

    def zaplog(cmd):
        if "zaplog" not in cmd:
            return False
        out({"zap": list(log)})
        return True

    serve(s, zaplog)
    s.close()
    ctx.term()


if __name__ == "__main__":
    main()
