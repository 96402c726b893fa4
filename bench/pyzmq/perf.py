"""pyzmq versions of libzmq's four perf tools, for azmq's comparison harness.

    /usr/bin/python3 perf.py [--asyncio] local_thr  <bind-to>    <message-size> <message-count>
    /usr/bin/python3 perf.py [--asyncio] remote_thr <connect-to> <message-size> <message-count>
    /usr/bin/python3 perf.py [--asyncio] local_lat  <bind-to>    <message-size> <roundtrip-count>
    /usr/bin/python3 perf.py [--asyncio] remote_lat <connect-to> <message-size> <roundtrip-count>

Each tool prints libzmq's lines and measures what libzmq's does: local_thr
times from the first message to the last and divides message-count by it;
remote_lat times every round trip and prints total / (2 * roundtrip-count).

--asyncio runs the same loops as coroutines on zmq.asyncio sockets.

Messages of COPY_THRESHOLD bytes (64 KiB) or more are received as zmq.Frame
without a copy; smaller ones as bytes, which is faster for them. Sends pass
copy=False, which pyzmq turns into a copy below the same threshold.
"""

import argparse
import asyncio
import sys
import time

import zmq
import zmq.asyncio

COUNT_NAMES = {
    "local_thr": "message-count",
    "remote_thr": "message-count",
    "local_lat": "roundtrip-count",
    "remote_lat": "roundtrip-count",
}


def fail(what):
    print("error in %s: %s" % (what, sys.exc_info()[1]))
    sys.exit(255)


def check_size(n, want):
    if n != want:
        print("message of incorrect size received")
        sys.exit(255)


def print_thr(size, count, elapsed_us):
    elapsed_us = max(elapsed_us, 1)
    rate = count / elapsed_us * 1000000
    megabits = int(rate) * size * 8 / 1000000
    print("message size: %d [B]" % size)
    print("message count: %d" % count)
    print("mean throughput: %d [msg/s]" % int(rate))
    print("mean throughput: %.3f [Mb/s]" % megabits)


def print_lat(size, count, elapsed_us):
    print("message size: %d [B]" % size)
    print("roundtrip count: %d" % count)
    print("average latency: %.3f [us]" % (elapsed_us / (count * 2)))


def now_us():
    return time.perf_counter_ns() // 1000


def socket(ctx, kind, endpoint, bind, linger=None):
    s = ctx.socket(kind)
    if linger is not None:
        s.setsockopt(zmq.LINGER, linger)
    try:
        if bind:
            s.bind(endpoint)
        else:
            s.connect(endpoint)
    except zmq.ZMQError:
        fail("zmq_bind" if bind else "zmq_connect")
    return s


# Synchronous tools.

def local_thr(ep, size, count):
    ctx = zmq.Context()
    s = socket(ctx, zmq.PULL, ep, True)
    nocopy = size >= zmq.COPY_THRESHOLD
    check_size(len(s.recv(copy=not nocopy)), size)
    start = now_us()
    for _ in range(count - 1):
        check_size(len(s.recv(copy=not nocopy)), size)
    elapsed = now_us() - start
    print_thr(size, count, elapsed)
    s.close()
    ctx.term()


def remote_thr(ep, size, count):
    ctx = zmq.Context()
    s = socket(ctx, zmq.PUSH, ep, False, linger=-1)
    payload = b"\0" * size
    for _ in range(count):
        s.send(payload, copy=False)
    s.close()
    ctx.term()


def local_lat(ep, size, count):
    ctx = zmq.Context()
    s = socket(ctx, zmq.REP, ep, True)
    nocopy = size >= zmq.COPY_THRESHOLD
    for _ in range(count):
        m = s.recv(copy=not nocopy)
        check_size(len(m), size)
        s.send(m, copy=False)
    s.close()
    ctx.term()


def remote_lat(ep, size, count):
    ctx = zmq.Context()
    s = socket(ctx, zmq.REQ, ep, False)
    nocopy = size >= zmq.COPY_THRESHOLD
    payload = b"\0" * size
    start = now_us()
    for _ in range(count):
        s.send(payload, copy=False)
        check_size(len(s.recv(copy=not nocopy)), size)
    elapsed = now_us() - start
    print_lat(size, count, elapsed)
    s.close()
    ctx.term()


# zmq.asyncio tools: the same loops, awaiting each operation.

async def alocal_thr(ep, size, count):
    ctx = zmq.asyncio.Context()
    s = socket(ctx, zmq.PULL, ep, True)
    nocopy = size >= zmq.COPY_THRESHOLD
    check_size(len(await s.recv(copy=not nocopy)), size)
    start = now_us()
    for _ in range(count - 1):
        check_size(len(await s.recv(copy=not nocopy)), size)
    elapsed = now_us() - start
    print_thr(size, count, elapsed)
    s.close()
    ctx.term()


async def aremote_thr(ep, size, count):
    ctx = zmq.asyncio.Context()
    s = socket(ctx, zmq.PUSH, ep, False, linger=-1)
    payload = b"\0" * size
    for _ in range(count):
        await s.send(payload, copy=False)
    s.close()
    ctx.term()


async def alocal_lat(ep, size, count):
    ctx = zmq.asyncio.Context()
    s = socket(ctx, zmq.REP, ep, True)
    nocopy = size >= zmq.COPY_THRESHOLD
    for _ in range(count):
        m = await s.recv(copy=not nocopy)
        check_size(len(m), size)
        await s.send(m, copy=False)
    s.close()
    ctx.term()


async def aremote_lat(ep, size, count):
    ctx = zmq.asyncio.Context()
    s = socket(ctx, zmq.REQ, ep, False)
    nocopy = size >= zmq.COPY_THRESHOLD
    payload = b"\0" * size
    start = now_us()
    for _ in range(count):
        await s.send(payload, copy=False)
        check_size(len(await s.recv(copy=not nocopy)), size)
    elapsed = now_us() - start
    print_lat(size, count, elapsed)
    s.close()
    ctx.term()


SYNC = {"local_thr": local_thr, "remote_thr": remote_thr,
        "local_lat": local_lat, "remote_lat": remote_lat}
ASYNC = {"local_thr": alocal_thr, "remote_thr": aremote_thr,
         "local_lat": alocal_lat, "remote_lat": aremote_lat}


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--asyncio", action="store_true",
                   help="use zmq.asyncio sockets in an asyncio event loop")
    p.add_argument("tool", choices=sorted(SYNC))
    p.add_argument("rest", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    word = "bind-to" if a.tool.startswith("local") else "connect-to"
    usage = "usage: %s <%s> <message-size> <%s>" % (a.tool, word, COUNT_NAMES[a.tool])
    try:
        endpoint, size, count = a.rest[0], int(a.rest[1]), int(a.rest[2])
        if len(a.rest) != 3 or size < 0 or count < 1:
            raise ValueError
    except (IndexError, ValueError):
        print(usage)
        return 1
    if a.asyncio:
        asyncio.run(ASYNC[a.tool](endpoint, size, count))
    else:
        SYNC[a.tool](endpoint, size, count)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
