/*
 * local_lat: libzmq's latency echo side, written for azmq's comparison
 * harness against Debian's libzmq (build: cc -O2 -o local_lat local_lat.c -lzmq).
 *
 *   local_lat <bind-to> <message-size> <roundtrip-count>
 *
 * A REP socket binds and sends each of roundtrip-count requests straight
 * back. It prints nothing on success; remote_lat reports the latency.
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
        printf ("usage: local_lat <bind-to> <message-size> "
                "<roundtrip-count>\n");
        return 1;
    }
    const char *bind_to = argv[1];
    size_t size = (size_t) atoi (argv[2]);
    int count = atoi (argv[3]);

    void *ctx = zmq_ctx_new ();
    if (!ctx)
        return fail ("zmq_init");
    void *s = zmq_socket (ctx, ZMQ_REP);
    if (!s)
        return fail ("zmq_socket");
    if (zmq_bind (s, bind_to) != 0)
        return fail ("zmq_bind");

    zmq_msg_t msg;
    if (zmq_msg_init (&msg) != 0)
        return fail ("zmq_msg_init");
    for (int i = 0; i < count; i++) {
        if (zmq_msg_recv (&msg, s, 0) < 0)
            return fail ("zmq_recvmsg");
        if (zmq_msg_size (&msg) != size) {
            printf ("message of incorrect size received\n");
            return -1;
        }
        if (zmq_msg_send (&msg, s, 0) < 0)
            return fail ("zmq_sendmsg");
    }
    zmq_msg_close (&msg);

    if (zmq_close (s) != 0)
        return fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        return fail ("zmq_ctx_term");
    return 0;
}
