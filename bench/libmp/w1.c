/*
 * W1 libmp: ping-pong between parent and child through libmp connections; the figure is the
 * time of one round trip.
 *   obj:          Pipe() (a socketpair) with send/recv of a pickled int, as CPython's W1 row;
 *   bytes:        Pipe() with send_bytes/recv_bytes_into of 8 bytes (framing, no pickle);
 *   bytes-pipes:  two one-way pipes, send_bytes/recv_bytes_into of 8 bytes.
 */
#include "common.h"

#include <stdint.h>
#include <stdlib.h>

#include <mp.h>

static const char *const modes[] = {"obj", "bytes", "bytes-pipes", NULL};

typedef struct ends {
    mp_conn_t *parent_rd, *parent_wr, *child_rd, *child_wr;
    long count;
    int objects;
} ends_t;

static int64_t recv_value(mp_conn_t *c, int objects) {
    if (objects) {
        mp_obj_t *o;
        int64_t v = -1;
        if (mp_conn_recv(c, &o) != 0 || mp_int_as_int64(o, &v) != 0)
            bench_fail("w1: recv");
        mp_obj_decref(o);
        return v;
    }
    int64_t v = -1;
    size_t n;
    if (mp_conn_recv_bytes_into(c, &v, sizeof v, 0, &n, NULL) != 0 || n != sizeof v)
        bench_fail("w1: recv_bytes_into");
    return v;
}

static void send_value(mp_conn_t *c, int objects, int64_t v) {
    int rc;
    if (objects) {
        mp_obj_t *o = mp_int(v);
        rc = mp_conn_send(c, o);
        mp_obj_decref(o);
    } else {
        rc = mp_conn_send_bytes(c, &v, sizeof v);
    }
    if (rc != 0)
        bench_fail("w1: send");
}

/* The child answers each value with value + 1, so a lost or stale message shows in the check. */
static void echo(void *arg) {
    ends_t *e = arg;
    for (long i = 0; i < e->count; i++)
        send_value(e->child_wr, e->objects, recv_value(e->child_rd, e->objects) + 1);
}

static void ping(void *arg) {
    const ends_t *e = arg;
    for (int64_t i = 0; i < e->count; i++) {
        send_value(e->parent_wr, e->objects, i);
        if (recv_value(e->parent_rd, e->objects) != i + 1)
            bench_fail("w1: wrong answer");
    }
}

int main(int argc, char **argv) {
    bench_args_t a;
    ends_t e = {0};
    bench_parse(argc, argv, modes, &a);
    if (bench_mode_is(&a, "bytes-pipes")) {
        if (mp_pipe(&e.child_rd, &e.parent_wr, 0) || mp_pipe(&e.parent_rd, &e.child_wr, 0))
            bench_die("mp_pipe");
    } else {
        if (mp_pipe(&e.parent_rd, &e.child_rd, 1))
            bench_die("mp_pipe");
        e.parent_wr = e.parent_rd;
        e.child_wr = e.child_rd;
    }
    e.count = a.count;
    e.objects = bench_mode_is(&a, "obj");
    bench_report(a.count, bench_with_child(echo, &e, ping, &e));
    return 0;
}
