/*
 * W8 floor: a client connects to a listening socket, sends one 8-byte int framed as
 * multiprocessing frames it (a 4-byte big-endian length first), reads the answer and closes,
 * COUNT times; the listener, in a child, accepts each and answers value + 1. No authentication:
 * what any connection-per-request protocol pays the kernel, the figure per connection.
 *   inet:  TCP on 127.0.0.1, a port the system chose;
 *   unix:  a Unix socket path in /tmp.
 */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *const modes[] = {"inet", "unix", NULL};

typedef struct server {
    int fd;
    struct sockaddr_storage addr;
    socklen_t len;
    long count;
} server_t;

static void listen_on(server_t *s, int is_unix)
{
    memset(&s->addr, 0, sizeof s->addr);
    if (is_unix) {
        struct sockaddr_un *un = (struct sockaddr_un *)&s->addr;
        un->sun_family = AF_UNIX;
        snprintf(un->sun_path, sizeof un->sun_path, "/tmp/mp-bench-w8-%d", (int)getpid());
        unlink(un->sun_path);
        s->len = sizeof *un;
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&s->addr;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        s->len = sizeof *in;
    }
    /* 1 is CPython's and libmp's default backlog: the client waits for each accept alike */
    s->fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&s->addr, s->len) != 0 ||
        listen(s->fd, 1) != 0 || getsockname(s->fd, (struct sockaddr *)&s->addr, &s->len) != 0)
        bench_die("w8: listen");
}

static void frame(unsigned char buf[12], int64_t v)
{
    uint32_t n = htonl(8);
    memcpy(buf, &n, 4);
    memcpy(buf + 4, &v, 8);
}

static int64_t unframe(const unsigned char buf[12])
{
    int64_t v;
    memcpy(&v, buf + 4, 8);
    return v;
}

static void serve(void *arg)
{
    const server_t *s = arg;
    for (long i = 0; i < s->count; i++) {
        unsigned char buf[12];
        int c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            bench_die("w8: accept");
        bench_read_full(c, buf, sizeof buf);
        frame(buf, unframe(buf) + 1);
        bench_write_full(c, buf, sizeof buf);
        close(c);
    }
}

static void connect_each(void *arg)
{
    const server_t *s = arg;
    for (int64_t i = 0; i < s->count; i++) {
        unsigned char buf[12];
        int c = socket(s->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c < 0 || connect(c, (const struct sockaddr *)&s->addr, s->len) != 0)
            bench_die("w8: connect");
        frame(buf, i);
        bench_write_full(c, buf, sizeof buf);
        bench_read_full(c, buf, sizeof buf);
        if (unframe(buf) != i + 1)
            bench_fail("w8: wrong answer");
        close(c);
    }
}

int main(int argc, char **argv)
{
    bench_args_t a;
    server_t s;
    bench_parse(argc, argv, modes, &a);
    listen_on(&s, bench_mode_is(&a, "unix"));
    s.count = a.count;
    bench_report(a.count, bench_with_child(serve, &s, connect_each, &s));
    if (s.addr.ss_family == AF_UNIX)
        unlink(((struct sockaddr_un *)&s.addr)->sun_path);
    return 0;
}
