/*
 * W1 floor: ping-pong of an 8-byte int between parent and child, over two pipes or one
 * socketpair; the figure is the time of one round trip.
 */
#include "common.h"

#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const modes[] = {"pipe", "socketpair", NULL};

typedef struct channel {
    int parent_rd, parent_wr, child_rd, child_wr;
    long count;
} channel_t;

static void open_pipes(channel_t *ch) {
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0)
        bench_die("pipe");
    ch->child_rd = down[0];
    ch->parent_wr = down[1];
    ch->parent_rd = up[0];
    ch->child_wr = up[1];
}

static void open_socketpair(channel_t *ch) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        bench_die("socketpair");
    ch->parent_rd = ch->parent_wr = sv[0];
    ch->child_rd = ch->child_wr = sv[1];
}

/* The child answers each value with value + 1, so a lost or stale message shows in the check. */
static void echo(void *arg) {
    channel_t *ch = arg;
    for (long i = 0; i < ch->count; i++) {
        int64_t v;
        bench_read_full(ch->child_rd, &v, sizeof v);
        v++;
        bench_write_full(ch->child_wr, &v, sizeof v);
    }
}

static void ping(void *arg) {
    const channel_t *ch = arg;
    for (int64_t i = 0; i < ch->count; i++) {
        int64_t v = i;
        bench_write_full(ch->parent_wr, &v, sizeof v);
        bench_read_full(ch->parent_rd, &v, sizeof v);
        if (v != i + 1)
            bench_fail("w1: wrong answer");
    }
}

int main(int argc, char **argv) {
    bench_args_t a;
    channel_t ch;

    bench_parse(argc, argv, modes, &a);
    if (bench_mode_is(&a, "pipe"))
        open_pipes(&ch);
    else
        open_socketpair(&ch);
    ch.count = a.count;
    bench_report(a.count, bench_with_child(echo, &ch, ping, &ch));
    return 0;
}
