"""A libzmq PUSH that sends a burst and closes at once, for azmq's fault
tests: a receiver must get every message although the sender hangs up
right after its last send.

Usage: burst_push.py ENDPOINT COUNT SIZE

Connects, sends COUNT messages of two frames (an 8-byte big-endian sequence
number, SIZE bytes of payload), closes with an unlimited linger (libzmq
flushes to the kernel, then closes), prints "done" and exits.
"""
import struct
import sys

import zmq


def main():
    endpoint, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ctx = zmq.Context()
    s = ctx.socket(zmq.PUSH)
    s.setsockopt(zmq.LINGER, -1)
    s.setsockopt(zmq.SNDHWM, 0)
    s.connect(endpoint)
    payload = b"p" * size
    for i in range(count):
        s.send_multipart([struct.pack(">Q", i), payload])
    s.close()
    ctx.term()
    print("done", flush=True)


if __name__ == "__main__":
    main()
