/*
 * W3 floor: a queue of 8-byte items in a shared-memory ring guarded by one process-shared mutex
 * and two condition variables (not empty, not full); 1 producer to 1 consumer, or 2 to 2.
 * Each producer puts its share of COUNT items; each consumer takes its share, so no end marker
 * is needed and every consumer finishes exactly when the queue has been drained.
 */
#include "common.h"

#include <stdint.h>

enum { SLOTS = 4096 };

typedef struct ring {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    uint64_t head, tail; /* items taken, items put: tail - head are queued */
    int64_t slot[SLOTS];
} ring_t;

typedef struct role {
    ring_t *ring;
    long share;
} role_t;

static const char *const modes[] = {"1to1", "2to2", NULL};

static void put(ring_t *r, int64_t item) {
    pthread_mutex_lock(&r->lock);
    while (r->tail - r->head == SLOTS)
        pthread_cond_wait(&r->not_full, &r->lock);
    r->slot[r->tail++ % SLOTS] = item;
    pthread_cond_signal(&r->not_empty);
    pthread_mutex_unlock(&r->lock);
}

static int64_t get(ring_t *r) {
    pthread_mutex_lock(&r->lock);
    while (r->tail == r->head)
        pthread_cond_wait(&r->not_empty, &r->lock);
    int64_t item = r->slot[r->head++ % SLOTS];
    pthread_cond_signal(&r->not_full);
    pthread_mutex_unlock(&r->lock);
    return item;
}

static void producer(void *arg) {
    const role_t *role = arg;
    for (long i = 0; i < role->share; i++)
        put(role->ring, i);
}

static void consumer(void *arg) {
    const role_t *role = arg;
    int64_t sum = 0;
    for (long i = 0; i < role->share; i++)
        sum += get(role->ring);
    if (sum < 0)
        bench_fail("w3: corrupt item");
}

int main(int argc, char **argv) {
    bench_args_t a;
    bench_gate_t g;

    bench_parse(argc, argv, modes, &a);
    long pairs = bench_mode_is(&a, "2to2") ? 2 : 1;
    ring_t *ring = bench_shared(sizeof *ring);
    bench_mutex_init(&ring->lock);
    bench_cond_init(&ring->not_empty);
    bench_cond_init(&ring->not_full);
    role_t roles[2];
    bench_gate_init(&g);
    for (long i = 0; i < pairs; i++) {
        /* The first pair takes the remainder of an odd share. */
        roles[i].ring = ring;
        roles[i].share = a.count / pairs + (i < a.count % pairs);
        bench_spawn(&g, producer, &roles[i]);
        bench_spawn(&g, consumer, &roles[i]);
    }
    double t0 = bench_gate_open(&g);
    bench_join_all(&g);
    double t1 = bench_now();
    if (ring->head != (uint64_t)a.count || ring->tail != (uint64_t)a.count)
        bench_fail("w3: items lost");
    bench_report(a.count, t1 - t0);
    return 0;
}
