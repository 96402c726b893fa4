/* idle_router: libzmq's side of bench/cmd/idle. A ROUTER binds, N clients
 * each send one message, and the server prints its resident memory per
 * connection, in the same words as `idle serve`.
 *
 *   idle_router serve <bind-to> <connections>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb * 1024;
}

int main(int argc, char **argv)
{
    if (argc != 4 || strcmp(argv[1], "serve") != 0 || atoi(argv[3]) < 1) {
        fprintf(stderr, "usage: idle_router serve <bind-to> <connections>\n");
        return 1;
    }
    int n = atoi(argv[3]);
    /* The baseline is taken before bind: clients may connect as soon as
     * the port listens. libzmq's I/O thread starts with the context. */
    void *ctx = zmq_ctx_new();
    zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 1024);
    void *s = zmq_socket(ctx, ZMQ_ROUTER);
    usleep(500000);
    long rss0 = rss_bytes();
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(s, argv[2]) != 0) {
        fprintf(stderr, "error: bind: %s\n", zmq_strerror(zmq_errno()));
        return 1;
    }
    char ep[256];
    size_t len = sizeof ep;
    zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len);
    printf("ready %s\n", ep);
    fflush(stdout);
    zmq_msg_t m;
    zmq_msg_init(&m);
    for (int i = 0; i < n; i++) {
        do {
            if (zmq_msg_recv(&m, s, 0) < 0) {
                fprintf(stderr, "error: recv: %s\n", zmq_strerror(zmq_errno()));
                return 1;
            }
        } while (zmq_msg_more(&m));
    }
    zmq_msg_close(&m);
    usleep(500000);
    long rss1 = rss_bytes();
    printf("connections: %d\n", n);
    printf("rss per connection: %ld [B]\n", (rss1 - rss0) / n);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}
