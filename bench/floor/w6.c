/*
 * W6 floor: two processes alternate through two events, each event a flag under a
 * process-shared mutex with a condition variable (what multiprocessing.Event is made of).
 * A sets e1 and waits for e2, then clears e2; B waits for e1, clears it and sets e2.
 */
#include "common.h"

typedef struct event {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int flag;
} event_t;

typedef struct pair {
    event_t e1, e2;
    long count;
} pair_t;

static void event_init(event_t *e) {
    bench_mutex_init(&e->lock);
    bench_cond_init(&e->cond);
}

static void event_set(event_t *e) {
    pthread_mutex_lock(&e->lock);
    e->flag = 1;
    pthread_cond_broadcast(&e->cond);
    pthread_mutex_unlock(&e->lock);
}

static void event_clear(event_t *e) {
    pthread_mutex_lock(&e->lock);
    e->flag = 0;
    pthread_mutex_unlock(&e->lock);
}

static void event_wait(event_t *e) {
    pthread_mutex_lock(&e->lock);
    while (!e->flag)
        pthread_cond_wait(&e->cond, &e->lock);
    pthread_mutex_unlock(&e->lock);
}

static void side_b(void *arg) {
    pair_t *p = arg;
    for (long i = 0; i < p->count; i++) {
        event_wait(&p->e1);
        event_clear(&p->e1);
        event_set(&p->e2);
    }
}

static void side_a(void *arg) {
    pair_t *p = arg;
    for (long i = 0; i < p->count; i++) {
        event_set(&p->e1);
        event_wait(&p->e2);
        event_clear(&p->e2);
    }
}

int main(int argc, char **argv) {
    bench_args_t a;

    bench_parse(argc, argv, NULL, &a);
    pair_t *p = bench_shared(sizeof *p);
    event_init(&p->e1);
    event_init(&p->e2);
    p->count = a.count;
    bench_report(a.count, bench_with_child(side_b, p, side_a, p));
    return 0;
}
