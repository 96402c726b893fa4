/*
 * remote_lat: libzmq's latency measuring side, written for azmq's comparison
 * harness against Debian's libzmq (build: cc -O2 -o remote_lat remote_lat.c -lzmq).
 *
 *   remote_lat <connect-to> <message-size> <roundtrip-count>
 *
 * A REQ socket connects and makes roundtrip-count request/reply round trips
 * of message-size bytes, one at a time. As in libzmq, every round trip is
 * timed, the first (which waits for the connection) included, and the
 * latency printed is the total time / (2 * roundtrip-count): one way.
 */
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>

static int fail (const char *what)
{
    printf ("error in %s: %s\n", what, zmq_strerror (zmq_errno ()));
    return -1;
}

int main (int argc, char *argv[])
{
    if (argc != 4) {
        printf ("usage: remote_lat <connect-to> <message-size> "
                "<roundtrip-count>\n");
        return 1;
    }
    const char *connect_to = argv[1];
    size_t size = (size_t) atoi (argv[2]);
    int count = atoi (argv[3]);

    void *ctx = zmq_ctx_new ();
    if (!ctx)
        return fail ("zmq_init");
    void *s = zmq_socket (ctx, ZMQ_REQ);
    if (!s)
        return fail ("zmq_socket");
    if (zmq_connect (s, connect_to) != 0)
        return fail ("zmq_connect");

    zmq_msg_t msg;
    if (zmq_msg_init_size (&msg, size) != 0)
        return fail ("zmq_msg_init_size");

    void *watch = zmq_stopwatch_start ();
    for (int i = 0; i < count; i++) {
        if (zmq_msg_send (&msg, s, 0) < 0)
            return fail ("zmq_sendmsg");
        if (zmq_msg_recv (&msg, s, 0) < 0)
            return fail ("zmq_recvmsg");
        if (zmq_msg_size (&msg) != size) {
            printf ("message of incorrect size received\n");
            return -1;
        }
    }
    unsigned long elapsed = zmq_stopwatch_stop (watch);
    zmq_msg_close (&msg);

    double latency = (double) elapsed / (count * 2.0);
    printf ("message size: %d [B]\n", (int) size);
    printf ("roundtrip count: %d\n", count);
    printf ("average latency: %.3f [us]\n", latency);

    if (zmq_close (s) != 0)
        return fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        return fail ("zmq_ctx_term");
    return 0;
}
