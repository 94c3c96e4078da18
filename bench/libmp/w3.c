/*
 * W3 libmp: COUNT ints through a libmp queue, 1 producer to 1 consumer or 2 to 2, as the
 * CPython and floor rows do: each producer puts its share, each consumer gets its share.
 *   queue-*:        mp_queue_put/get of an int (pickled in the caller, as CPython's Queue);
 *   simplequeue-*:  mp_squeue_put/get, the same for SimpleQueue;
 *   bytes-*:        mp_queue_put_bytes/get_bytes_into of the 8-byte int: the ring without
 *                   pickle or allocation, the floor's own work.
 */
#include "common.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mp.h>

static const char *const modes[] = {"queue-1to1", "queue-2to2", "simplequeue-1to1",
                                    "simplequeue-2to2", "bytes-1to1", "bytes-2to2", NULL};

enum { QUEUE, SIMPLE, BYTES };

typedef struct role {
    mp_queue_t *q;
    mp_squeue_t *sq;
    int kind;
    long share;
} role_t;

static void put_one(const role_t *r, int64_t i) {
    int rc;
    if (r->kind == BYTES) {
        rc = mp_queue_put_bytes(r->q, &i, sizeof i, 1, MP_FOREVER);
    } else {
        mp_obj_t *o = mp_int(i);
        rc = r->kind == SIMPLE ? mp_squeue_put(r->sq, o) : mp_queue_put(r->q, o, 1, MP_FOREVER);
        mp_obj_decref(o);
    }
    if (rc != 0)
        bench_fail("w3: put");
}

static int64_t get_one(const role_t *r) {
    int64_t v = -1;
    if (r->kind == BYTES) {
        size_t len;
        if (mp_queue_get_bytes_into(r->q, &v, sizeof v, &len, 1, MP_FOREVER) != 0 ||
            len != sizeof v)
            bench_fail("w3: get_bytes_into");
        return v;
    }
    mp_obj_t *o;
    int rc = r->kind == SIMPLE ? mp_squeue_get(r->sq, &o) : mp_queue_get(r->q, &o, 1, MP_FOREVER);
    if (rc != 0 || mp_int_as_int64(o, &v) != 0)
        bench_fail("w3: get");
    mp_obj_decref(o);
    return v;
}

static void producer(void *arg) {
    const role_t *r = arg;
    for (long i = 0; i < r->share; i++)
        put_one(r, i);
}

static void consumer(void *arg) {
    const role_t *r = arg;
    int64_t sum = 0;
    for (long i = 0; i < r->share; i++)
        sum += get_one(r);
    if (sum < 0)
        bench_fail("w3: corrupt item");
}

int main(int argc, char **argv) {
    bench_args_t a;
    bench_gate_t g;
    bench_parse(argc, argv, modes, &a);
    role_t proto = {0};
    proto.kind = !strncmp(a.mode, "simple", 6) ? SIMPLE : !strncmp(a.mode, "bytes", 5) ? BYTES
                                                                                      : QUEUE;
    if ((proto.kind == SIMPLE ? mp_squeue_new(&proto.sq) : mp_queue_new(&proto.q, 0)) != 0)
        bench_die("w3: queue");
    long pairs = strstr(a.mode, "2to2") ? 2 : 1;
    role_t roles[2];
    bench_gate_init(&g);
    for (long i = 0; i < pairs; i++) {
        /* The first pair takes the remainder of an odd share. */
        roles[i] = proto;
        roles[i].share = a.count / pairs + (i < a.count % pairs);
        bench_spawn(&g, producer, &roles[i]);
        bench_spawn(&g, consumer, &roles[i]);
    }
    double t0 = bench_gate_open(&g);
    bench_join_all(&g);
    double t1 = bench_now();
    if ((proto.kind == SIMPLE ? mp_squeue_empty(proto.sq) : mp_queue_empty(proto.q)) != 1)
        bench_fail("w3: items left over");
    bench_report(a.count, t1 - t0);
    mp_queue_free(proto.q);
    mp_squeue_free(proto.sq);
    return 0;
}
