/*
 * W8 libmp: mp_client() with a key connects to an mp_listener_t with the same key in a child,
 * both ends prove the key (the listener challenges as CPython 3.12+ does: HMAC-SHA256 both
 * ways), one int goes and value + 1 comes back pickled, and the client closes; COUNT times. The
 * figure is per connection.
 *   inet:  127.0.0.1, a port the system chose;
 *   unix:  a Unix socket path in the temporary directory (an arbitrary address);
 *   inet-nodelay:  as inet, the client setting TCP_NODELAY once mp_client() returns. The client
 *          writes the handshake's last message (#WELCOME#) and then its value with no read in
 *          between, and Nagle's algorithm holds the value until the listener's delayed ACK,
 *          some 40 ms (CPython's Client does the same); this mode shows what that costs.
 */
#include "common.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <mp.h>

static const char *const modes[] = {"inet", "unix", "inet-nodelay", NULL};
static const char KEY[] = "bench key";

typedef struct server {
    mp_listener_t *listener;
    const char *address;
    long count;
    int nodelay;
} server_t;

static void serve(void *arg)
{
    const server_t *s = arg;
    for (long i = 0; i < s->count; i++) {
        mp_conn_t *c;
        mp_obj_t *o;
        int64_t v;
        if (mp_listener_accept(s->listener, MP_FOREVER, &c) != 0)
            bench_fail("w8: accept");
        if (mp_conn_recv(c, &o) != 0 || mp_int_as_int64(o, &v) != 0)
            bench_fail("w8: recv");
        mp_obj_decref(o);
        o = mp_int(v + 1);
        if (mp_conn_send(c, o) != 0)
            bench_fail("w8: send");
        mp_obj_decref(o);
        mp_conn_free(c);
    }
}

static void connect_each(void *arg)
{
    const server_t *s = arg;
    for (int64_t i = 0; i < s->count; i++) {
        mp_conn_t *c;
        mp_obj_t *o = mp_int(i);
        int64_t v = -1;
        if (mp_client(&c, s->address, MP_AF_AUTO, KEY, strlen(KEY)) != 0)
            bench_fail("w8: mp_client");
        if (s->nodelay && setsockopt(mp_conn_fileno(c), IPPROTO_TCP, TCP_NODELAY, &s->nodelay,
                                     sizeof s->nodelay) != 0)
            bench_die("w8: TCP_NODELAY");
        if (mp_conn_send(c, o) != 0)
            bench_fail("w8: send");
        mp_obj_decref(o);
        if (mp_conn_recv(c, &o) != 0 || mp_int_as_int64(o, &v) != 0 || v != i + 1)
            bench_fail("w8: wrong answer");
        mp_obj_decref(o);
        mp_conn_free(c);
    }
}

int main(int argc, char **argv)
{
    bench_args_t a;
    server_t s;
    bench_parse(argc, argv, modes, &a);
    int is_unix = bench_mode_is(&a, "unix");
    if (mp_listener_new(&s.listener, is_unix ? NULL : "127.0.0.1:0",
                        is_unix ? MP_AF_UNIX : MP_AF_INET, 0, KEY, strlen(KEY)) != 0)
        bench_fail("w8: mp_listener_new");
    s.address = mp_listener_address(s.listener);
    s.count = a.count;
    s.nodelay = bench_mode_is(&a, "inet-nodelay");
    bench_report(a.count, bench_with_child(serve, &s, connect_each, &s));
    mp_listener_free(s.listener);
    return 0;
}
