/* Lesson 06: a Queue between producers and consumers, and a second Queue for the results.
 *
 * Python original:  tasks = multiprocessing.Queue(); results = multiprocessing.Queue();
 *                   Process(target=producer, args=(tasks, "A")) ...
 * Shown in: docs, "Lesson 6"          Run: make lesson-06 [ARGS="--interval 0.05 --count 3"]
 *
 * --count is how many items each producer puts; --interval the pause between two of its puts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <mp.h>

#include "../lesson.h"

#define PRODUCERS 2
#define CONSUMERS 2

/* What every process knows: the two queues and the options (a forked child has a copy). */
struct world {
    mp_queue_t *tasks;   /* (name, n) from the producers; then one None per consumer: stop */
    mp_queue_t *results; /* n * n from the consumers */
    int count;
    double interval;
};

// [producer]
/* Puts (name, 1) .. (name, count) on the tasks queue, one every `interval` seconds. */
static void producer(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)kwargs;
    struct world *w = ctx;
    const char *name;
    lesson_check(mp_parse(args, "(s)", &name));
    for (int n = 1; n <= w->count; n++) {
        mp_obj_t *item = lesson_ptr(mp_build("(si)", name, n));
        lesson_check(mp_queue_put(w->tasks, item, 1, MP_FOREVER)); /* pickled here, copied in */
        mp_obj_decref(item);
        printf("producer %s: put %d\n", name, n);
        fflush(stdout);
        usleep((useconds_t)(w->interval * 1e6));
    }
}
// [producer]

// [consumer]
/* Takes tasks until it takes None; answers each (name, n) with n * n on the results queue. */
static void consumer(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)args, (void)kwargs;
    struct world *w = ctx;
    for (;;) {
        mp_obj_t *item;
        lesson_check(mp_queue_get(w->tasks, &item, 1, MP_FOREVER)); /* waits while empty */
        if (mp_obj_type(item) == MP_TYPE_NONE) {
            mp_obj_decref(item);
            return;
        }
        const char *name;
        int n;
        lesson_check(mp_parse(item, "(si)", &name, &n));
        printf("a consumer got %s %d\n", name, n);
        fflush(stdout);
        mp_obj_t *square = lesson_ptr(mp_int((int64_t)n * n));
        lesson_check(mp_queue_put(w->results, square, 1, MP_FOREVER));
        mp_obj_decref(square);
        mp_obj_decref(item);
    }
}
// [consumer]

static mp_process_t *start(mp_target_t target, mp_obj_t *args, struct world *w)
{
    mp_process_t *p;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.ctx = w; /* under fork the child inherits the queues: pass them as closure state */
    lesson_check(mp_process_new(&p, target, args, &o));
    lesson_check(mp_process_start(p));
    return p;
}

int main(int argc, char **argv)
{
    struct lesson_opts o = {0.5, 4};
    lesson_parse(argc, argv, &o);
    // [main]
    struct world w = {.count = o.count, .interval = o.interval};
    lesson_check(mp_queue_new(&w.tasks, 0));
    lesson_check(mp_queue_new(&w.results, 0));
    static const char *const names[PRODUCERS] = {"A", "B"};
    mp_process_t *producers[PRODUCERS], *consumers[CONSUMERS];
    for (int i = 0; i < PRODUCERS; i++) {
        mp_obj_t *args = lesson_ptr(mp_build("(s)", names[i]));
        producers[i] = start(producer, args, &w);
        mp_obj_decref(args);
    }
    for (int i = 0; i < CONSUMERS; i++)
        consumers[i] = start(consumer, NULL, &w);

    for (int i = 0; i < PRODUCERS; i++)
        lesson_check(mp_process_join(producers[i], MP_FOREVER));
    mp_obj_t *stop = mp_none();
    for (int i = 0; i < CONSUMERS; i++) /* every task is in the queue: now one None each */
        lesson_check(mp_queue_put(w.tasks, stop, 1, MP_FOREVER));
    mp_obj_decref(stop);

    long long sum = 0;
    for (int i = 0; i < PRODUCERS * w.count; i++) { /* the results, before joining */
        mp_obj_t *r;
        long long v = 0;
        lesson_check(mp_queue_get(w.results, &r, 1, MP_FOREVER));
        lesson_check(mp_parse(r, "L", &v));
        sum += v;
        mp_obj_decref(r);
    }
    for (int i = 0; i < CONSUMERS; i++)
        lesson_check(mp_process_join(consumers[i], MP_FOREVER));
    printf("main: %d results, sum of squares %lld\n", PRODUCERS * w.count, sum);
    // [main]
    for (int i = 0; i < PRODUCERS; i++)
        lesson_check(mp_process_free(producers[i]));
    for (int i = 0; i < CONSUMERS; i++)
        lesson_check(mp_process_free(consumers[i]));
    mp_queue_free(w.tasks);
    mp_queue_free(w.results);
    return 0;
}
