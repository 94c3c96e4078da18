/*
 * W5 floor: a process-shared pthread mutex.
 *   uncontended: one process locks and unlocks it COUNT times; the figure is one pair.
 *   contended:   two processes each increment a shared counter COUNT times under it; the
 *                figure is one increment (COUNT ops are reported as 2 * COUNT increments).
 */
#include "common.h"

#include <stdint.h>

static const char *const modes[] = {"uncontended", "contended", NULL};

typedef struct shared {
    pthread_mutex_t lock;
    int64_t counter;
} shared_t;

typedef struct worker {
    shared_t *sh;
    long count;
} worker_t;

static void increment(void *arg) {
    const worker_t *w = arg;
    for (long i = 0; i < w->count; i++) {
        pthread_mutex_lock(&w->sh->lock);
        w->sh->counter++;
        pthread_mutex_unlock(&w->sh->lock);
    }
}

static double uncontended(shared_t *sh, long count) {
    double t0 = bench_now();
    for (long i = 0; i < count; i++) {
        pthread_mutex_lock(&sh->lock);
        pthread_mutex_unlock(&sh->lock);
    }
    return bench_now() - t0;
}

static double contended(shared_t *sh, long count) {
    bench_gate_t g;
    worker_t w = {sh, count};
    bench_gate_init(&g);
    bench_spawn(&g, increment, &w);
    bench_spawn(&g, increment, &w);
    double t0 = bench_gate_open(&g);
    bench_join_all(&g);
    double t1 = bench_now();
    if (sh->counter != 2 * count)
        bench_fail("w5: increments lost");
    return t1 - t0;
}

int main(int argc, char **argv) {
    bench_args_t a;

    bench_parse(argc, argv, modes, &a);
    shared_t *sh = bench_shared(sizeof *sh);
    bench_mutex_init(&sh->lock);
    if (bench_mode_is(&a, "uncontended"))
        bench_report(a.count, uncontended(sh, a.count));
    else
        bench_report(2 * a.count, contended(sh, a.count));
    return 0;
}
