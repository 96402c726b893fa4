/*
 * remote_thr: libzmq's throughput sender, written for azmq's comparison
 * harness against Debian's libzmq (build: cc -O2 -o remote_thr remote_thr.c -lzmq).
 *
 *   remote_thr <connect-to> <message-size> <message-count>
 *
 * A PUSH socket connects and sends message-count messages of message-size
 * bytes, then closes with an unlimited linger so that zmq_ctx_term returns
 * only when everything queued has been handed to the peer.
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
        printf ("usage: remote_thr <connect-to> <message-size> "
                "<message-count>\n");
        return 1;
    }
    const char *connect_to = argv[1];
    size_t size = (size_t) atoi (argv[2]);
    int count = atoi (argv[3]);

    void *ctx = zmq_ctx_new ();
    if (!ctx)
        return fail ("zmq_init");
    void *s = zmq_socket (ctx, ZMQ_PUSH);
    if (!s)
        return fail ("zmq_socket");
    int linger = -1;
    if (zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof linger) != 0)
        return fail ("zmq_setsockopt");
    if (zmq_connect (s, connect_to) != 0)
        return fail ("zmq_connect");

    zmq_msg_t msg;
    for (int i = 0; i < count; i++) {
        if (zmq_msg_init_size (&msg, size) != 0)
            return fail ("zmq_msg_init_size");
        if (zmq_msg_send (&msg, s, 0) < 0)
            return fail ("zmq_sendmsg");
        if (zmq_msg_close (&msg) != 0)
            return fail ("zmq_msg_close");
    }

    if (zmq_close (s) != 0)
        return fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        return fail ("zmq_ctx_term");
    return 0;
}
