/*
 * local_thr: libzmq's throughput receiver, written for azmq's comparison
 * harness against Debian's libzmq (build: cc -O2 -o local_thr local_thr.c -lzmq).
 *
 *   local_thr <bind-to> <message-size> <message-count>
 *
 * A PULL socket binds and receives message-count messages. The clock starts
 * when the first message has arrived, so connection setup is not measured;
 * the rate is still computed over message-count messages, as libzmq does.
 */
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>

static int fail (const char *what)
{
    printf ("error in %s: %s\n", what, zmq_strerror (zmq_errno ()));
    return -1;
}

static int recv_one (void *s, zmq_msg_t *msg, size_t want)
{
    if (zmq_msg_recv (msg, s, 0) < 0)
        return fail ("zmq_recvmsg");
    if (zmq_msg_size (msg) != want) {
        printf ("message of incorrect size received\n");
        return -1;
    }
    return 0;
}

int main (int argc, char *argv[])
{
    if (argc != 4) {
        printf ("usage: local_thr <bind-to> <message-size> <message-count>\n");
        return 1;
    }
    const char *bind_to = argv[1];
    size_t size = (size_t) atoi (argv[2]);
    int count = atoi (argv[3]);

    void *ctx = zmq_ctx_new ();
    if (!ctx)
        return fail ("zmq_init");
    void *s = zmq_socket (ctx, ZMQ_PULL);
    if (!s)
        return fail ("zmq_socket");
    if (zmq_bind (s, bind_to) != 0)
        return fail ("zmq_bind");

    zmq_msg_t msg;
    if (zmq_msg_init (&msg) != 0)
        return fail ("zmq_msg_init");
    if (recv_one (s, &msg, size) != 0)
        return -1;

    void *watch = zmq_stopwatch_start ();
    for (int i = 1; i < count; i++)
        if (recv_one (s, &msg, size) != 0)
            return -1;
    unsigned long elapsed = zmq_stopwatch_stop (watch);
    if (elapsed == 0)
        elapsed = 1;
    zmq_msg_close (&msg);

    unsigned long rate =
      (unsigned long) ((double) count / (double) elapsed * 1000000.0);
    double megabits = (double) rate * (double) size * 8.0 / 1000000.0;
    printf ("message size: %d [B]\n", (int) size);
    printf ("message count: %d\n", count);
    printf ("mean throughput: %lu [msg/s]\n", rate);
    printf ("mean throughput: %.3f [Mb/s]\n", megabits);

    if (zmq_close (s) != 0)
        return fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        return fail ("zmq_ctx_term");
    return 0;
}
