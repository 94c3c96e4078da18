/* Lesson 04: Lock and RLock. Processes that print and count, with and without a lock.
 *
 * Python original:  lock = multiprocessing.Lock(); Process(target=f, args=(lock, i)).start() ...
 * Shown in: docs, "Lesson 4"          Run: make lesson-04 [ARGS="--interval 0.05 --count 3"]
 *
 * --interval is how long a worker holds the count between reading it and writing it back;
 * --count is how many times each worker adds one.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mp.h>

#include "../lesson.h"

#define WORKERS 3

// [hello]
/* The multiprocessing docs' first Lock example: one line each, never two at once. */
static void hello(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)kwargs;
    mp_lock_t *lock = ctx;
    int i;
    lesson_check(mp_parse(args, "(i)", &i));
    lesson_check(mp_lock_acquire(lock, 1, MP_FOREVER)); /* with lock: */
    printf("hello world %d\n", i);
    fflush(stdout);
    lesson_check(mp_lock_release(lock));
}
// [hello]

// [add]
/* Adds one to the shared count `rounds` times: read it, pause, write it back plus one. With
 * lock == NULL the read and the write of two workers can interleave, and an update is lost. */
struct tally {
    mp_lock_t *lock;
    int *count; /* shared memory: Python's Value('i', 0, lock=False) */
};

static void add_slowly(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)kwargs;
    struct tally *t = ctx;
    int rounds;
    double pause;
    lesson_check(mp_parse(args, "(id)", &rounds, &pause));
    for (int r = 0; r < rounds; r++) {
        if (t->lock)
            lesson_check(mp_lock_acquire(t->lock, 1, MP_FOREVER));
        int seen = *t->count;
        usleep((useconds_t)(pause * 1e6));
        *t->count = seen + 1;
        if (t->lock)
            lesson_check(mp_lock_release(t->lock));
    }
}
// [add]

/* Starts WORKERS processes running target(args + (i,)) with ctx, and joins them all. */
static void run_workers(mp_target_t target, void *ctx, const struct lesson_opts *o, int with_i)
{
    mp_process_t *p[WORKERS];
    mp_process_opts_t popts = MP_PROCESS_OPTS_INIT;
    popts.ctx = ctx;
    for (int i = 0; i < WORKERS; i++) {
        mp_obj_t *args = lesson_ptr(with_i ? mp_build("(i)", i)
                                           : mp_build("(id)", o->count, o->interval));
        lesson_check(mp_process_new(&p[i], target, args, &popts));
        mp_obj_decref(args);
        lesson_check(mp_process_start(p[i]));
    }
    for (int i = 0; i < WORKERS; i++) {
        lesson_check(mp_process_join(p[i], MP_FOREVER));
        lesson_check(mp_process_free(p[i]));
    }
}

// [count]
static void count_with(mp_lock_t *lock, const struct lesson_opts *o)
{
    int *count = mmap(NULL, sizeof *count, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                      -1, 0);
    if (count == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    struct tally t = {lock, count};
    run_workers(add_slowly, &t, o, 0);
    int expected = WORKERS * o->count;
    printf("%s the lock: %d workers x %d updates = %d expected, ", lock ? "with" : "without",
           WORKERS, o->count, expected);
    if (*count == expected)
        printf("%d counted\n", *count);
    else
        printf("fewer counted: updates were lost\n");
    fflush(stdout);
    munmap(count, sizeof *count);
}
// [count]

// [recursive]
static void acquire_twice(const struct lesson_opts *o)
{
    mp_lock_t *lock, *rlock;
    lesson_check(mp_lock_new(&lock));
    lesson_check(mp_rlock_new(&rlock));

    lesson_check(mp_lock_acquire(lock, 1, MP_FOREVER));
    if (lesson_check_or(mp_lock_acquire(lock, 1, o->interval), MP_ETIMEDOUT) == MP_ETIMEDOUT)
        printf("Lock acquired again by its holder: timed out (a Lock is not recursive)\n");
    lesson_check(mp_lock_release(lock));

    lesson_check(mp_lock_acquire(rlock, 1, MP_FOREVER));
    lesson_check(mp_lock_acquire(rlock, 1, MP_FOREVER)); /* at once: the owner takes it again */
    printf("RLock acquired again by its holder: held %d times\n",
           lesson_check(mp_lock_count(rlock)));
    lesson_check(mp_lock_release(rlock));
    lesson_check(mp_lock_release(rlock));
    printf("RLock released 2 times: held %d times\n", lesson_check(mp_lock_count(rlock)));
    fflush(stdout);
    mp_lock_free(lock);
    mp_lock_free(rlock);
}
// [recursive]

int main(int argc, char **argv)
{
    struct lesson_opts o = {0.2, 3};
    lesson_parse(argc, argv, &o);
    // [main]
    mp_lock_t *lock;
    lesson_check(mp_lock_new(&lock)); /* lock = Lock() */
    run_workers(hello, lock, &o, 1);
    count_with(NULL, &o);
    count_with(lock, &o);
    // [main]
    acquire_twice(&o);
    mp_lock_free(lock);
    return 0;
}
