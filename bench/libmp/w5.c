/*
 * W5 libmp: mp_lock_t (multiprocessing.Lock).
 *   uncontended: one process acquires and releases it COUNT times; the figure is one pair.
 *   contended:   two processes each increment a shared counter COUNT times under it; the
 *                figure is one increment (2 * COUNT increments are reported).
 */
#include "common.h"

#include <stdint.h>

#include <mp.h>

static const char *const modes[] = {"uncontended", "contended", NULL};

typedef struct worker {
    mp_lock_t *lock;
    int64_t *counter; /* shared memory, guarded by the lock */
    long count;
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

static double uncontended(mp_lock_t *lock, long count) {
    double t0 = bench_now();
    for (long i = 0; i < count; i++) {
        if (mp_lock_acquire(lock, 1, MP_FOREVER) != 0)
            bench_fail("w5: acquire");
        mp_lock_release(lock);
    }
    return bench_now() - t0;
}

static double contended(worker_t *w) {
    bench_gate_t g;
    bench_gate_init(&g);
    bench_spawn(&g, increment, w);
    bench_spawn(&g, increment, w);
    double t0 = bench_gate_open(&g);
    bench_join_all(&g);
    double t1 = bench_now();
    if (*w->counter != 2 * w->count)
        bench_fail("w5: increments lost");
    return t1 - t0;
}

int main(int argc, char **argv) {
    bench_args_t a;
    mp_lock_t *lock;

    bench_parse(argc, argv, modes, &a);
    if (mp_lock_new(&lock) != 0)
        bench_fail("w5: mp_lock_new");
    worker_t w = {lock, bench_shared(sizeof(int64_t)), a.count};
    if (bench_mode_is(&a, "uncontended"))
        bench_report(a.count, uncontended(lock, a.count));
    else
        bench_report(2 * a.count, contended(&w));
    mp_lock_free(lock);
    return 0;
}
