/*
 * W6 libmp: two processes alternate through two mp_event_t (multiprocessing.Event).
 * A sets e1 and waits for e2, then clears e2; B waits for e1, clears it and sets e2. The figure
 * is one round trip.
 */
#include "common.h"

#include <mp.h>

typedef struct pair {
    mp_event_t *e1, *e2;
    long count;
} pair_t;

static void side_b(void *arg) {
    const pair_t *p = arg;
    for (long i = 0; i < p->count; i++) {
        if (mp_event_wait(p->e1, MP_FOREVER) != 0)
            bench_fail("w6: wait e1");
        mp_event_clear(p->e1);
        mp_event_set(p->e2);
    }
}

static void side_a(void *arg) {
    const pair_t *p = arg;
    for (long i = 0; i < p->count; i++) {
        mp_event_set(p->e1);
        if (mp_event_wait(p->e2, MP_FOREVER) != 0)
            bench_fail("w6: wait e2");
        mp_event_clear(p->e2);
    }
}

int main(int argc, char **argv) {
    bench_args_t a;
    pair_t p;

    bench_parse(argc, argv, NULL, &a);
    if (mp_event_new(&p.e1) != 0 || mp_event_new(&p.e2) != 0)
        bench_fail("w6: mp_event_new");
    p.count = a.count;
    bench_report(a.count, bench_with_child(side_b, &p, side_a, &p));
    mp_event_free(p.e1);
    mp_event_free(p.e2);
    return 0;
}
