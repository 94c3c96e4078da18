/* Lesson 05: Event, Condition and Semaphore. A producer and consumers; a limited pool of slots.
 *
 * Python original:  cond = multiprocessing.Condition(); start = multiprocessing.Event();
 *                   slots = multiprocessing.Semaphore(2) ...
 * Shown in: docs, "Lesson 5"          Run: make lesson-05 [ARGS="--interval 0.05 --count 3"]
 *
 * --count is how many items the producer makes; --interval how long a worker keeps a slot.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mp.h>

#include "../lesson.h"

#define CONSUMERS 2
#define WORKERS 3
#define SLOTS 2
#define SHELF 2 /* the producer's shelf holds 2 items; it waits when the shelf is full */

/* What the processes share: made with mmap before the fork (Python: Array and Value). */
struct shelf {
    int items[SHELF];
    int put, taken; /* how many were put on the shelf, and taken off */
    int inside, most; /* workers holding a slot now, and at most */
};

struct world {
    mp_cond_t *cond;  /* guards the shelf */
    mp_event_t *start;
    mp_sem_t *slots;
    struct shelf *sh;
    int count;
    double interval;
};

// [producer]
/* Puts items 1..count on the shelf, waiting while it is full; then one 0 per consumer: stop. */
static void producer(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)args, (void)kwargs;
    struct world *w = ctx;
    for (int n = 1; n <= w->count + CONSUMERS; n++) {
        int item = n <= w->count ? n : 0;
        lesson_check(mp_cond_acquire(w->cond, 1, MP_FOREVER)); /* with cond: */
        while (w->sh->put - w->sh->taken == SHELF)
            lesson_check(mp_cond_wait(w->cond, MP_FOREVER));
        w->sh->items[w->sh->put % SHELF] = item;
        w->sh->put++;
        lesson_check(mp_cond_notify_all(w->cond));
        lesson_check(mp_cond_release(w->cond));
        if (item) {
            printf("producer: item %d ready\n", item);
            fflush(stdout);
        }
    }
}
// [producer]

// [consumer]
/* Takes items off the shelf, waiting while it is empty, until it takes a 0. */
static void consumer(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)args, (void)kwargs;
    struct world *w = ctx;
    for (;;) {
        lesson_check(mp_cond_acquire(w->cond, 1, MP_FOREVER));
        while (w->sh->put == w->sh->taken)
            lesson_check(mp_cond_wait(w->cond, MP_FOREVER));
        int item = w->sh->items[w->sh->taken % SHELF];
        w->sh->taken++;
        lesson_check(mp_cond_notify_all(w->cond));
        lesson_check(mp_cond_release(w->cond));
        if (item == 0)
            return;
        printf("a consumer got item %d\n", item);
        fflush(stdout);
    }
}
// [consumer]

// [worker]
/* Waits for the start signal, then holds one of the SLOTS slots for a while. */
static void worker(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)kwargs;
    struct world *w = ctx;
    int i;
    lesson_check(mp_parse(args, "(i)", &i));
    lesson_check(mp_event_wait(w->start, MP_FOREVER));
    lesson_check(mp_sem_acquire(w->slots, 1, MP_FOREVER)); /* with slots: */
    int now = __atomic_add_fetch(&w->sh->inside, 1, __ATOMIC_SEQ_CST);
    for (int most = w->sh->most; now > most;)
        if (__atomic_compare_exchange_n(&w->sh->most, &most, now, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            break;
    printf("worker %d has a slot\n", i);
    fflush(stdout);
    usleep((useconds_t)(w->interval * 1e6));
    __atomic_sub_fetch(&w->sh->inside, 1, __ATOMIC_SEQ_CST);
    lesson_check(mp_sem_release(w->slots));
}
// [worker]

static mp_process_t *start(mp_target_t target, struct world *w, int i)
{
    mp_process_t *p;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.ctx = w;
    mp_obj_t *args = lesson_ptr(mp_build("(i)", i));
    lesson_check(mp_process_new(&p, target, args, &o));
    mp_obj_decref(args);
    lesson_check(mp_process_start(p));
    return p;
}

static void join_all(mp_process_t **p, int n)
{
    for (int i = 0; i < n; i++) {
        lesson_check(mp_process_join(p[i], MP_FOREVER));
        lesson_check(mp_process_free(p[i]));
    }
}

int main(int argc, char **argv)
{
    struct lesson_opts o = {0.2, 4};
    lesson_parse(argc, argv, &o);
    // [main]
    struct world w = {.count = o.count, .interval = o.interval};
    w.sh = mmap(NULL, sizeof *w.sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (w.sh == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    lesson_check(mp_cond_new(&w.cond, NULL));
    lesson_check(mp_event_new(&w.start));
    lesson_check(mp_sem_new(&w.slots, SLOTS));
    mp_process_t *p[1 + CONSUMERS];
    p[0] = start(producer, &w, 0);
    for (int i = 0; i < CONSUMERS; i++)
        p[1 + i] = start(consumer, &w, i);
    join_all(p, 1 + CONSUMERS);

    mp_process_t *workers[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        workers[i] = start(worker, &w, i);
    printf("main: start event set\n");
    fflush(stdout);
    mp_event_set(w.start); /* all workers go at once */
    join_all(workers, WORKERS);
    printf("at most %d of %d workers held a slot at once\n",
           w.sh->most <= SLOTS ? SLOTS : w.sh->most, WORKERS);
    // [main]
    mp_cond_free(w.cond);
    mp_event_free(w.start);
    mp_sem_free(w.slots);
    munmap(w.sh, sizeof *w.sh);
    return 0;
}
