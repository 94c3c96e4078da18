/*
 * W5 libmp: mp_lock_t (multiprocessing.Lock).
 *   uncontended: one process acquires and releases it COUNT times; the figure is one pair.
 *   contended:   two processes each increment a shared counter COUNT times under it; the
 *                figure is one increment (2 * COUNT increments are reported).
 *   value:       the same count in a Value('q') (mp_value_t), each increment `with
 *                v.get_lock(): v.value += 1`: its own RLock held around a get and a set that
 *                take it again, as CPython's Value does.
 */
#include "common.h"

#include <stdint.h>

#include <mp.h>

static const char *const modes[] = {"uncontended", "contended", "value", NULL};

typedef struct worker {
    mp_lock_t *lock;
    int64_t *counter; /* shared memory, guarded by the lock */
    long count;
    mp_value_t *value; /* "value" mode: the counter and its own lock */
} worker_t;

static void increment(void *arg) {
    const worker_t *w = arg;
    for (long i = 0; i < w->count; i++) {
        if (mp_lock_acquire(w->lock, 1, MP_FOREVER) != 0)
            bench_fail("w5: acquire");
        (*w->counter)++;
        mp_lock_release(w->lock);
    }
}

static void increment_value(void *arg) {
    const worker_t *w = arg;
    mp_value_t *v = w->value;
    mp_lock_t *lock;
    int64_t x;
    if (mp_value_get_lock(v, &lock) != 0)
        bench_fail("w5: get_lock");
    for (long i = 0; i < w->count; i++) {
        if (mp_lock_acquire(lock, 1, MP_FOREVER) != 0 || mp_value_get_i64(v, &x) != 0 ||
            mp_value_set_i64(v, x + 1) != 0)
            bench_fail("w5: value");
        mp_lock_release(lock);
    }
}

static double uncontended(mp_lock_t *lock, long count) {
    double t0 = bench_now();
    for (long i = 0; i < count; i++) {
        if (mp_lock_acquire(lock, 1, MP_FOREVER) != 0)
            bench_fail("w5: acquire");
        mp_lock_release(lock);
    }
    return bench_now() - t0;
}

/* Seconds for two processes running body(arg) from one start signal. */
static double two_workers(void (*body)(void *), void *arg) {
    bench_gate_t g;
    bench_gate_init(&g);
    bench_spawn(&g, body, arg);
    bench_spawn(&g, body, arg);
    double t0 = bench_gate_open(&g);
    bench_join_all(&g);
    return bench_now() - t0;
}

static double contended(worker_t *w) {
    double seconds = two_workers(increment, w);
    if (*w->counter != 2 * w->count)
        bench_fail("w5: increments lost");
    return seconds;
}

static double value(long count) {
    mp_value_t *v;
    int64_t x = 0;
    if (mp_value_new(&v, 'q', &x, NULL) != 0)
        bench_fail("w5: mp_value_new");
    worker_t w = {NULL, NULL, count, v};
    double seconds = two_workers(increment_value, &w);
    if (mp_value_get_i64(v, &x) != 0 || x != 2 * count)
        bench_fail("w5: increments lost");
    mp_value_free(v);
    return seconds;
}

int main(int argc, char **argv) {
    bench_args_t a;
    mp_lock_t *lock;

    bench_parse(argc, argv, modes, &a);
    if (mp_lock_new(&lock) != 0)
        bench_fail("w5: mp_lock_new");
    worker_t w = {lock, bench_shared(sizeof(int64_t)), a.count, NULL};
    if (bench_mode_is(&a, "uncontended"))
        bench_report(a.count, uncontended(lock, a.count));
    else if (bench_mode_is(&a, "value"))
        bench_report(2 * a.count, value(a.count));
    else
        bench_report(2 * a.count, contended(&w));
    mp_lock_free(lock);
    return 0;
}
