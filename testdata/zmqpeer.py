"""A libzmq peer for azmq's interop tests, driven over stdin/stdout.

Usage: zmqpeer.py TYPE bind|connect ENDPOINT [ROUTING_ID_HEX]

The environment variable ZMQPEER_OPTS may hold a JSON list of socket options
set before bind/connect, in order: [["CURVE_SERVER", 1], ["PLAIN_USERNAME",
"admin"], ["CURVE_SECRETKEY", {"hex": "..."}]]. A name is a zmq constant; an
int stays an int, a string is sent as its UTF-8 bytes, {"hex": h} as bytes.

Prints "ready ENDPOINT" once bound or connected, then reads one JSON command
per line:
  {"send": ["hex", ...]}   send one multipart message
  {"recv": n}              receive n messages, print each as a JSON list of hex
  {"echo": n}              receive n messages and send each back unchanged
  {"subscribe": "hex"}     set ZMQ_SUBSCRIBE
  {"poll": ms}             wait in zmq_poll, letting libzmq do its work
  {"sleep": seconds}
  {"quit": true}
Each command answers with a JSON line (possibly several for recv).
"""
import json
import os
import sys
import time

import zmq

TYPES = {"PAIR": zmq.PAIR, "PUB": zmq.PUB, "SUB": zmq.SUB, "REQ": zmq.REQ,
         "REP": zmq.REP, "DEALER": zmq.DEALER, "ROUTER": zmq.ROUTER,
         "PULL": zmq.PULL, "PUSH": zmq.PUSH, "XPUB": zmq.XPUB, "XSUB": zmq.XSUB}


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def open_socket(ctx, kind, how, endpoint, routing_id=""):
    """Makes the socket, sets ZMQPEER_OPTS and the routing id, binds or
    connects, prints the ready line, and returns the socket."""
    s = ctx.socket(TYPES[kind])
    s.setsockopt(zmq.LINGER, 2000)
    s.setsockopt(zmq.RCVTIMEO, 10000)
    s.setsockopt(zmq.SNDTIMEO, 10000)
    for name, value in json.loads(os.environ.get("ZMQPEER_OPTS", "[]")):
        if isinstance(value, dict):
            value = bytes.fromhex(value["hex"])
        elif isinstance(value, str):
            value = value.encode()
        s.setsockopt(getattr(zmq, name), value)
    if routing_id:
        s.setsockopt(zmq.ROUTING_ID, bytes.fromhex(routing_id))
    if how == "bind":
        s.bind(endpoint)
        endpoint = s.getsockopt(zmq.LAST_ENDPOINT).decode()
    else:
        s.connect(endpoint)
    out({"ready": endpoint})
    return s


def serve(s, extra=None):
    """Answers the commands on stdin until quit. extra(cmd) may handle a
    command of its own and return True."""
    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            if "send" in cmd:
                s.send_multipart([bytes.fromhex(f) for f in cmd["send"]])
                out({"ok": True})
            elif "recv" in cmd:
                for _ in range(cmd["recv"]):
                    out({"msg": [f.hex() for f in s.recv_multipart()]})
            elif "echo" in cmd:
                for _ in range(cmd["echo"]):
                    s.send_multipart(s.recv_multipart())
                out({"ok": True})
            elif "subscribe" in cmd:
                s.setsockopt(zmq.SUBSCRIBE, bytes.fromhex(cmd["subscribe"]))
                out({"ok": True})
            elif "poll" in cmd:
                # libzmq attaches connections and sends what they need only
                # while the application is inside a socket call.
                s.poll(cmd["poll"])
                out({"ok": True})
            elif "sleep" in cmd:
                time.sleep(cmd["sleep"])
                out({"ok": True})
            elif "quit" in cmd:
                break
            elif extra is None or not extra(cmd):
                out({"error": "unknown command %r" % cmd})
        except zmq.ZMQError as e:
            out({"error": str(e)})


def main():
    kind, how, endpoint = sys.argv[1], sys.argv[2], sys.argv[3]
    ctx = zmq.Context()
    s = open_socket(ctx, kind, how, endpoint, sys.argv[4] if len(sys.argv) > 4 else "")
    serve(s)
    s.close()
    ctx.term()


if __name__ == "__main__":
    main()
