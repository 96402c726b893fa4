"""AZMQ's benchmark shape on pyzmq, the counterpart of bench/cmd/pipeline.

A client PUSHes COUNT two-frame messages (a sequence number and SIZE bytes)
to a broker, which PULLs each and PUSHes it on, back to the client's PULL;
the client times every message from its send to its return.

Usage:
  pipeline.py [--asyncio] broker IN_BIND OUT_BIND
  pipeline.py [--asyncio] client TO_BROKER FROM_BROKER COUNT SIZE

Run with /usr/bin/python3 (Debian's python3-zmq). The output lines are the
same as bench/cmd/pipeline's.
"""
import asyncio
import sys
import threading
import time

import zmq
import zmq.asyncio


def report(sent, got, size):
    n = len(sent)
    lat = sorted((g - s) * 1e6 for s, g in zip(sent, got))
    print("count: %d" % n)
    print("size: %d [B]" % size)
    print("median latency: %.1f [us]" % lat[n // 2])
    print("95th percentile latency: %.1f [us]" % lat[n * 95 // 100])
    print("sending throughput: %.0f [msg/s]" % ((n - 1) / max(sent[-1] - sent[0], 1e-9)))
    print("receiving throughput: %.0f [msg/s]" % ((n - 1) / max(max(got) - min(got), 1e-9)))
    sys.stdout.flush()


def sockets(ctx, how, a, b, first, second):
    s1, s2 = ctx.socket(first), ctx.socket(second)
    for s in (s1, s2):
        s.setsockopt(zmq.LINGER, 0)
    getattr(s1, how)(a)
    getattr(s2, how)(b)
    return s1, s2


def broker_sync(in_ep, out_ep):
    ctx = zmq.Context()
    pull, push = sockets(ctx, "bind", in_ep, out_ep, zmq.PULL, zmq.PUSH)
    print("ready")
    sys.stdout.flush()
    while True:
        push.send_multipart(pull.recv_multipart(copy=False), copy=False)


def client_sync(to_ep, from_ep, count, size):
    ctx = zmq.Context()
    push, pull = sockets(ctx, "connect", to_ep, from_ep, zmq.PUSH, zmq.PULL)
    sent, got = [0.0] * count, [0.0] * count
    payload = b"x" * size

    def receive():
        for _ in range(count):
            seq, _ = pull.recv_multipart()
            got[int(seq)] = time.perf_counter()

    t = threading.Thread(target=receive)
    t.start()
    for i in range(count):
        sent[i] = time.perf_counter()
        push.send_multipart([b"%d" % i, payload])
    t.join()
    report(sent, got, size)


async def broker_async(in_ep, out_ep):
    ctx = zmq.asyncio.Context()
    pull, push = sockets(ctx, "bind", in_ep, out_ep, zmq.PULL, zmq.PUSH)
    print("ready")
    sys.stdout.flush()
    while True:
        await push.send_multipart(await pull.recv_multipart())


async def client_async(to_ep, from_ep, count, size):
    ctx = zmq.asyncio.Context()
    push, pull = sockets(ctx, "connect", to_ep, from_ep, zmq.PUSH, zmq.PULL)
    sent, got = [0.0] * count, [0.0] * count
    payload = b"x" * size

    async def receive():
        for _ in range(count):
            seq, _ = await pull.recv_multipart()
            got[int(seq)] = time.perf_counter()

    task = asyncio.ensure_future(receive())
    for i in range(count):
        sent[i] = time.perf_counter()
        await push.send_multipart([b"%d" % i, payload])
    await task
    report(sent, got, size)


def main(argv):
    use_async = "--asyncio" in argv
    argv = [a for a in argv if a != "--asyncio"]
    if len(argv) == 3 and argv[0] == "broker":
        if use_async:
            asyncio.run(broker_async(argv[1], argv[2]))
        else:
            broker_sync(argv[1], argv[2])
    elif len(argv) == 5 and argv[0] == "client":
        args = (argv[1], argv[2], int(argv[3]), int(argv[4]))
        if use_async:
            asyncio.run(client_async(*args))
        else:
            client_sync(*args)
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
